// Sphere's knowledge base: a model directory (sources, actors, events, facts, conflicts between
// sources) and the CAMEO codebook, loaded and validated as a whole. Every value carries its
// provenance; claims that contradict each other are kept side by side. See docs/DATA.md.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace sphere::kb {

// One CAMEO event code with its Goldstein value.
struct CodebookEntry {
  std::string code;  // a string with leading zeros: "01", "010", "0314"
  double goldstein = 0.0;
  std::string description;
};

// The CAMEO event codebook (data/cameo/codebook.csv).
class Codebook {
 public:
  // Parses codebook CSV text; `file` names it in diagnostics. Throws InputError.
  static Codebook parse(std::string_view csv_text, const std::string& file);

  // The entry for `code`, or nullptr when the code does not exist.
  const CodebookEntry* find(std::string_view code) const;
  const std::vector<CodebookEntry>& entries() const { return table_->entries; }

 private:
  struct Table {
    std::vector<CodebookEntry> entries;
    std::map<std::string, std::size_t, std::less<>> index;
  };
  // Immutable once parsed and shared by its copies: every loaded model holds the codebook, and
  // copying the 300 entries into each took about 30% of loading the small test model.
  std::shared_ptr<const Table> table_ = std::make_shared<const Table>();
};

// A verbatim quote and the source it comes from.
struct Quote {
  std::string source;  // a source id
  std::string text;    // at most 25 words, verbatim
};

// Where a record was read from, for messages that point back to it.
struct Origin {
  std::string file;  // as shown to the user
  int line = 0;
};

struct Source {
  std::string id, file, title, author, publisher, date, date_clues, perspective;
  // "text": a document whose quotes `check --sources` finds verbatim; "data": an imported event
  // data set (sphere events import --into-model), whose quotes are row references (a URL or a
  // record id), not text.
  std::string kind = "text";
  Origin origin;
};

struct Actor {
  std::string id, name, kind;
  std::vector<std::string> aliases;
  std::string affiliation;  // empty when none
  std::vector<std::string> sources;
  Origin origin;
};

struct Event {
  std::string id;
  Date date;
  std::string actor1, actor2;  // actor1 does `cameo` to actor2
  std::string cameo;
  double goldstein = 0.0;
  std::string summary;
  std::vector<Quote> quotes;  // one per source
  std::string confidence;     // high | medium | low
  Origin origin;
};

struct Fact {
  std::string id, what;
  double value = 0.0;
  double value_high = 0.0;  // equals value unless the text gives a range
  std::string qualifier;    // exact | about | up to | at least | more than | almost | less than
  std::string unit;
  int year = 0;
  std::string year_basis;  // stated | source date
  std::vector<std::string> actors;
  Quote quote;
  Origin origin;
};

// One source's side of a disagreement.
struct Claim {
  std::string claim;  // what this source says, in short
  Quote quote;
  Origin origin;
};

// A question on which sources disagree, with every side's claim.
struct Conflict {
  std::string id, topic;
  std::vector<std::string> events, facts;  // related records
  std::vector<Claim> claims;
  Origin origin;
};

// Where a number comes from: a source document with a verbatim quote, a public data set or
// research note named with its file and table, or an explicit assumption with a range.
struct Provenance {
  std::string source;      // "S0".."S4", "data" or "assumption"
  std::string quote;       // source S0..S4: verbatim, at most 25 words
  std::string citation;    // source "data": file and table ("shared/reference/infrastructure.md §0")
  std::string rationale;   // source "assumption": why this value
  double range_low = 0.0;  // source "assumption": the plausible range
  double range_high = 0.0;
  std::string derivation;  // optional: how the stored value follows from the cited figure
  Origin origin;
};

// A place in the infrastructure network: field, terminal, border point, port, hub, consumer.
struct InfraNode {
  std::string id, name, kind;
  std::string country;  // three-letter code (actor id where the country is an actor)
  Origin origin;
};

// A dated status of a link, with an optional capacity that holds from that date.
struct LinkStatus {
  Date from;
  std::string status;  // operating | idle | halted | planned
  std::optional<std::int64_t> capacity;
  Provenance provenance;
};

// A pipeline, rail line, road, ferry or port stage between two nodes.
// One sourced number of a tie. Its plausible range is provenance.range_low..range_high: the
// stated range of an assumption, or [value, value] for a quoted or cited number given without one.
struct TieValue {
  double value = 0.0;
  Provenance provenance;
  double low() const { return provenance.range_low; }
  double high() const { return provenance.range_high; }
};

struct InfraLink {
  std::string id, name, kind;  // pipeline | rail | road | ferry | port
  std::string carrier;         // gas | oil | freight
  std::string from, to;        // node ids
  std::int64_t capacity = 0;   // integer units: mcm/d (gas), kb/d (oil), kt/y (freight)
  std::string unit;
  bool both_ways = false;
  std::vector<std::string> countries;
  std::string operator_name;
  std::vector<LinkStatus> statuses;  // in date order
  Provenance provenance;             // of the capacity
  // Routing weight of a unit over the link, in ordinary links (hops): 1 unless the file gives
  // `cost` (a dearer route weighs more; only the order of the routes' sums matters).
  std::optional<TieValue> cost;
  double weight() const { return cost ? cost->value : 1.0; }
  Origin origin;
};

// A supply, demand or peak demand (Dmax for the EU N-1 indicator) at a node in a year.
struct InfraFlow {
  std::string node, carrier, kind;  // kind: supply | demand | peak
  int year = 0;
  std::int64_t value = 0;
  std::string unit;
  Provenance provenance;
  Origin origin;
};

// infrastructure.toml: the network the flow models run on. Empty when the model has none.
struct Infrastructure {
  std::vector<InfraNode> nodes;
  std::vector<InfraLink> links;
  std::vector<InfraFlow> flows;
  const InfraNode* find_node(std::string_view id) const;
  const InfraLink* find_link(std::string_view id) const;
};


// A dyadic channel of interdependence: `to` depends on a flow that `from` can cut.
struct Tie {
  std::string id, channel;  // trade | energy | transit | arms | security | diaspora
  std::string from, to;     // actor ids: i (can cut) and j (depends)
  int year = 0;
  std::string what;
  TieValue sensitivity;              // share of j's flow in the channel that i controls, 0..1
  std::optional<TieValue> substitution;  // share j can replace elsewhere (non-physical), 0..1
  TieValue own_cost;                 // share of i's own flow in the channel lost by cutting, 0..1
  // The common scale (docs/MODEL.md, Leverage): money a year, million current US$.
  std::optional<TieValue> at_stake;  // value of the flow i controls, to j
  std::optional<TieValue> own_loss;  // what i gives up by cutting it
  std::optional<TieValue> kept_short;    // share j still gets within weeks (storage, spare capacity)
  std::optional<TieValue> alternatives;  // physical: share of the network's shortfall j covers
                                         // from supplies outside the network (LNG, Norway, ...)
  std::optional<TieValue> reroute_cost;  // physical: share of a rerouted flow's value lost to
                                         // the longer or dearer route
  // Physical channels: vulnerability is computed on the network by blocking i's territory and
  // measuring what still reaches these destination nodes.
  std::string carrier;
  std::vector<std::string> destinations;
  Origin origin;
};

// An actor's GDP (ties.toml [[gdp]]), million current US$: the denominator of the common scale.
struct ActorGdp {
  std::string actor;
  int year = 0;
  TieValue gdp;
  Origin origin;
};

// ties.toml. Empty when the model has none.
struct Ties {
  std::vector<Tie> ties;
  std::vector<ActorGdp> gdp;
  const ActorGdp* find_gdp(std::string_view actor) const;
};

// A model parameter (model.toml [[parameter]]): a named number, the range sensitivity analysis
// walks, and where the value comes from (a fact of facts.toml, a source quote, or an assumption).
struct Parameter {
  std::string name;
  double value = 0.0;
  double low = 0.0, high = 0.0;  // the plausible range; low <= value <= high
  std::string unit;
  std::string source;     // "assumption", a source id S0..S4, or "fact" (value from `fact`)
  std::string fact;       // a fact id when source is "fact"
  std::string quote;      // verbatim quote when source is a source id
  std::string rationale;  // why this value (required for assumptions)
  Origin origin;
};

// A scenario (model.toml [[scenario]]): a predicate over the state variables at the horizon.
// Scenarios are tried in file order and the first that holds wins (exclusive); the last one is
// `when = "otherwise"` (exhaustive), so every trajectory gets exactly one.
struct Scenario {
  std::string id, name;
  std::string when;  // muparser expression over state_variable_names(); "otherwise" for the last
  std::optional<Quote> quote;  // where the scenario is described
  Origin origin;
};

// What the sources say the state was at a month (model.toml [[outcome]]), for hindcasts.
struct Outcome {
  Date date;              // a month
  std::string scenario;   // a scenario id
  Quote quote;
  Origin origin;
};

// How the monthly simulation is set up (model.toml [simulation]).
struct SimulationSpec {
  std::vector<std::string> actors;  // simulated actors (actor ids)
  std::string focal_a, focal_b;     // the dyad whose tools, trade and leverage are modelled
  std::string gas_seller, gas_buyer;
  Date start, horizon;              // first simulated month; default horizon
  int calibration_months = 72;      // months of the event log used to estimate intensities
  // Actors outside `actors` whose events count as a simulated actor's (beyond affiliation).
  std::map<std::string, std::string> count_as;
  // Where event intensities come from: "log-rate" (model.toml's branching and omega) or
  // "hawkes" (a maximum-likelihood fit of the focal dyad's event times). docs/MODEL.md.
  std::string intensities = "log-rate";
  // Where the focal pair's starting leverage comes from: "parameters" (leverage.i.j in
  // model.toml) or "network" (the leverage layer over ties.toml and the infrastructure).
  std::string leverage = "parameters";
  // Contested issues (issues.toml ids) settled by bargaining during a run, every
  // `settle_every` months and at the horizon, with `bargaining` = compromise | nbs | eu.
  std::vector<std::string> settle;
  std::string bargaining = "eu";
  int settle_every = 12;
  // The issues' inputs in a run: "stated" (issues.toml's values) or "sampled" (each run draws
  // every position, salience, influence and status quo over its range, as `sphere bargain`).
  std::string settle_inputs = "stated";
  Origin origin;
};

// What the report, the dashboard and the network commands show when the user names nothing
// (model.toml [view]): model-specific choices kept out of the generic code.
struct ViewSpec {
  std::vector<std::pair<std::string, std::string>> dyads;  // series shown ("A:B" in the file)
  int year = 0;          // the network's year (map, what-if, N-1); 0 until loaded
  std::string area;      // country code of the N-1 area; empty: the command needs --area
  std::vector<std::string> focus;  // country codes drawn as the region on the map
  Origin origin;
};

// The state variables a scenario predicate may use, for a simulation set-up, in the one order
// the engine writes them: R_i_j, R12_i_j, force12_i_j for every ordered pair of simulated actors
// (i over the actors, then j, skipping i = j: the engine's dyad order); rel_a_b, rel12_a_b,
// trade_a_b, leverage_a_b, leverage_b_a for the focal pair; gas_s_b; issue_<id> (dashes as
// underscores) for every settled issue. docs/MODEL.md defines each.
struct StateLayout {
  StateLayout() = default;
  explicit StateLayout(const SimulationSpec& spec);
  std::vector<std::string> names;
  // Positions: the ordered dyad k's R, R12 and force12 at 3k, 3k + 1, 3k + 2; then these.
  std::size_t rel = 0, rel12 = 0, trade = 0, leverage_ab = 0, leverage_ba = 0, gas = 0;
  std::size_t first_issue = 0;  // issue k at first_issue + k
  static constexpr std::size_t dyad_r(std::size_t k) { return 3 * k; }
  static constexpr std::size_t dyad_r12(std::size_t k) { return 3 * k + 1; }
  static constexpr std::size_t dyad_force12(std::size_t k) { return 3 * k + 2; }
};
std::vector<std::string> state_variable_names(const SimulationSpec& spec);  // StateLayout(spec).names

// One sourced number of a contested issue: a position, a salience, an influence, a status quo.
// Its plausible range is provenance.range_low..range_high: for an assumption, the range it is
// stated with; for a quoted or cited value, the uncertainty of coding the quote as a number. A
// status quo given without a range has range_low = range_high = value.
struct IssueValue {
  double value = 0.0;
  Provenance provenance;
  double low() const { return provenance.range_low; }
  double high() const { return provenance.range_high; }
};

// An actor's stand on a contested issue: where it wants the outcome (0-100), how much it cares
// (salience, 0-1) and how much it can bring to bear on this issue (influence, 0-1: 1 for an
// actor that can settle the issue alone, such as the state whose territory it concerns).
struct IssuePosition {
  std::string actor;
  IssueValue position;   // on the issue's 0-100 scale
  IssueValue salience;   // 0-1
  IssueValue influence;  // 0-1, issue-specific (not one global power index)
  Origin origin;
};

// A contested issue (issues.toml [[issue]]) on a 0-100 scale with labelled ends.
struct Issue {
  std::string id, title;
  std::string low, high;  // what 0 and 100 mean
  IssueValue status_quo;  // where the issue stands now (the disagreement point)
  std::vector<IssuePosition> positions;  // at least two, one per actor
  Origin origin;
};

// Where an infrastructure node is drawn on a map (places.toml); no model computation reads it.
struct Place {
  std::string node;             // an infrastructure node id
  double lon = 0.0, lat = 0.0;  // degrees
  std::string note;             // what the position stands for, when not the node's own site
  std::string label;            // short name drawn on the map (empty: the node's name)
  Provenance provenance;        // the file's [provenance]: usually an assumption, range in degrees
  Origin origin;
};

// The course of a link on a map between its end nodes (places.toml [[route]]): waypoints in
// order from the link's `from` node to its `to` node; drawing only, like places.
struct Route {
  std::string link;                               // an infrastructure link id
  std::vector<std::pair<double, double>> points;  // (lon, lat), degrees, between the end nodes
  Provenance provenance;  // data (a route data set, cited) or an assumption with a range
  Origin origin;
};

struct ModelInfo {
  std::string name, region, description;
  Date from, to;
};

// A loaded, validated model. Every cross-reference in it resolves.
struct Model {
  std::string location;  // "builtin:caucasus" or the directory it was loaded from
  ModelInfo info;
  std::vector<Source> sources;
  std::vector<Actor> actors;
  std::vector<Event> events;  // in date order
  std::vector<Fact> facts;
  std::vector<Conflict> conflicts;
  Infrastructure infrastructure;  // infrastructure.toml (optional file)
  Ties ties;                      // ties.toml (optional file)
  std::optional<SimulationSpec> simulation;  // model.toml [simulation] (optional)
  // model.toml [view] (optional): without it, no default dyad, no N-1 area, no focus countries
  // and the network year is the last year of the model's period.
  ViewSpec view;
  std::vector<Parameter> parameters;         // model.toml [[parameter]]
  std::vector<Scenario> scenarios;           // model.toml [[scenario]], in order
  std::vector<Outcome> outcomes;             // model.toml [[outcome]], in date order
  std::vector<Issue> issues;                  // issues.toml [[issue]], in file order
  std::vector<Place> places;                  // places.toml (optional file)
  std::vector<Route> routes;                  // places.toml [[route]], in file order
  Codebook codebook;

  const Parameter* find_parameter(std::string_view name) const;
  const Actor* find_actor(std::string_view id) const;
  const Source* find_source(std::string_view id) const;
  const Event* find_event(std::string_view id) const;
  const Place* find_place(std::string_view node) const;
  const Route* find_route(std::string_view link) const;
};

// Where a model's files are read from: a directory on disk or the copy built into the binary.
class ModelFiles {
 public:
  static ModelFiles directory(std::filesystem::path dir);
  // `name` is a model directory under data/ at build time ("caucasus").
  static ModelFiles builtin(std::string name = "caucasus");
  // The same files with `name` read as `text` (one file changed in memory, nothing written:
  // tests and fuzzing).
  ModelFiles with(std::string name, std::string text) const;

  // The contents of `name` ("events.csv"), or nullopt when the file does not exist.
  std::optional<std::string> read(std::string_view name) const;
  // How `name` is shown in messages: a path, or "builtin:caucasus/events.csv".
  std::string label(std::string_view name) const;
  // The model's location as shown to the user.
  std::string location() const;

 private:
  std::filesystem::path dir_;
  std::string builtin_;  // non-empty for the built-in model
  std::map<std::string, std::string, std::less<>> replaced_;  // name -> contents read instead
};

// The codebook built into the binary.
Codebook builtin_codebook();

// Loads and validates every file of a model. Throws InputError listing every problem found
// (file, line, field, what was expected); nothing is returned half-loaded.
Model load_model(const ModelFiles& files, const Codebook& codebook);

// The built-in South Caucasus model.
Model load_builtin_model();

// Result of checking every quote of a model against the source texts.
struct QuoteReport {
  int checked = 0;
  Diagnostics problems;  // quotes not found, and source files that are missing
};

// Where the files that "data" citations name ("shared/data/...", "shared/reference/...") are: the
// folder `shared/` stands for.
struct CitedFiles {
  std::filesystem::path model_dir;  // the model's directory (empty: the built-in model's unknown)
  std::filesystem::path data_root;  // given by the user: the folder that "shared/" stands for
};
// The folder "shared/" stands for: `data_root` when given; else the first folder named `shared`
// in the model directory or one of its parents; else the one beside the source texts' folder
// (SOURCES/../../shared, as ../shared/seeds gives ../shared); empty when none exists.
std::filesystem::path shared_folder(const CitedFiles& where, const std::filesystem::path& sources_dir);

// Checks that every quote (events, facts, conflicts) appears verbatim in its source's text file
// under `sources_dir`, comparing after normalize_for_quote(), and that every file a "data"
// citation names exists (under shared_folder()); a missing one is reported with the first folder
// of its path that is missing.
QuoteReport check_quotes(const Model& model, const std::filesystem::path& sources_dir,
                         const CitedFiles& where = {});

}  // namespace sphere::kb

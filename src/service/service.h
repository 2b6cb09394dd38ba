// Sphere's use cases as both front ends run them: the CLI (src/app) and the HTTP API (`sphere
// serve`) call these functions with typed requests and print their typed results through one
// encoder per result, so that `--json` and the API state the same numbers in the same bytes.
// Errors name a request field neutrally (Diagnostic file kRequest, field "cut", "as_of"); each
// front end shows the field as its users know it (a flag, a query parameter or a JSON path).
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bargain/bargain.h"
#include "core/core.h"
#include "dyad/dyad.h"
#include "events/events.h"
#include "kb/kb.h"
#include "leverage/leverage.h"
#include "network/network.h"
#include "panel/panel.h"
#include "report/report.h"
#include "sim/sim.h"
#include "store/store.h"

namespace sphere::service {

// ---- Errors -------------------------------------------------------------------------------

// The kind of any exception a use case throws: InputError its own kind, IoError kIo, a
// std::filesystem error kIo, anything else kInvalidInput.
ErrorKind error_kind(const std::exception& error);
// The exit code of the command that failed with `error` (core.h: kExitUsage ... kExitCorruption).
int exit_code(const std::exception& error);
// The HTTP status of a request that failed with an error of this kind: 400 for a request the
// client can fix, 500 for a failure of the server's own files.
int http_status(ErrorKind kind);
// How a front end names a request field ("cut" -> "--cut" or "cut").
using FieldNames = std::function<std::string(std::string_view field)>;
// One line per problem; a request field's problem as "NAME: message" with NAME from `names`, any
// other as Diagnostic::to_string().
std::string describe(const Diagnostics& problems, const FieldNames& names);
// The same problems on one line, "; " between them (an HTTP error body).
std::string describe_line(const Diagnostics& problems, const FieldNames& names);

// ---- Encoding ------------------------------------------------------------------------------

// The JSON text of a result as both front ends send it: two-space indentation, a final newline;
// invalid UTF-8 echoed from a request replaced (U+FFFD), never an exception.
std::string encode(const nlohmann::json& value);

// ---- The model's records -------------------------------------------------------------------

// The actor with this id, name or alias (case-insensitive), or nullptr.
const kb::Actor* resolve_actor(const kb::Model& model, const std::string& name);
// As resolve_actor, but throws InputError naming the request `field` (with the closest id when
// the name looks mistyped) when there is no such actor.
const kb::Actor& require_actor(const kb::Model& model, const std::string& name,
                               const std::string& field);
// The actor and every actor the model counts as it: affiliated to it, directly or through others
// (actors.toml `affiliation`), or counted as it by the simulation (model.toml `count_as`).
std::set<std::string> actor_family(const kb::Model& model, const std::string& actor_id);
// Timeline order: by year, then month, then day, with an event dated only to a year (or a month)
// after the events dated more precisely within it, since it cannot be placed among them.
bool timeline_before(const Date& a, const Date& b);
// The model's events in timeline order.
std::vector<const kb::Event*> timeline_events(const kb::Model& model);
// The ids of the conflicts that name each event.
std::map<std::string, std::vector<std::string>> conflicts_by_event(const kb::Model& model);
// The facts whose id, quantity, unit or quote mention `text` (case-insensitive; empty: any),
// about `actor` (field "actor": an id, name or alias; empty: any), in file order.
struct FactsRequest {
  std::string text, actor;
};
std::vector<const kb::Fact*> find_facts(const kb::Model& model, const FactsRequest& request);
// The disagreements whose id, topic, claims or quotes mention `text` (empty: all).
std::vector<const kb::Conflict*> find_conflicts(const kb::Model& model, const std::string& text);
// JSON forms of the model's records.
nlohmann::json to_json(const std::vector<const kb::Fact*>& facts);
nlohmann::json to_json(const std::vector<const kb::Conflict*>& conflicts);
nlohmann::json to_json(const kb::Event& event);
nlohmann::json to_json(const kb::Fact& fact);
nlohmann::json to_json(const kb::Conflict& conflict);

// ---- Timeline -----------------------------------------------------------------------------

struct TimelineRequest {
  std::string text;   // words in the id, summary or a quote (case-insensitive); empty: any
  std::string actor;  // field "actor": id, name or alias; empty: every actor
  bool only = false;  // the actor itself, not those it stands for
  std::optional<Date> from, to;  // fields "from", "to": the first and last year, month or day
};
struct TimelineResult {
  std::vector<const kb::Event*> events;  // in timeline order
  std::set<std::string> actors;          // the actor and those it stands for; empty: every actor
  std::map<std::string, std::vector<std::string>> conflicts;  // event id -> conflicts naming it
};
// The events whose date may fall within [from, to] (an event dated to a year spans its months),
// of the actor (and, unless `only`, those it stands for), mentioning the text.
TimelineResult timeline(const kb::Model& model, const TimelineRequest& request);
// Each event with its CAMEO description and the conflicts naming it.
nlohmann::json to_json(const kb::Model& model, const TimelineResult& result);

// ---- The network's links in a year ---------------------------------------------------------

// The year a network request asks about: `year`, or for 0 the model's [view] year (model.toml).
// Every network use case resolves its year here, once.
int network_year(const kb::Model& model, int year);

// Every link (of one carrier) as it stands at the end of a year, by network::link_state (the
// rule the network solves by).
struct LinksRequest {
  int year = 0;         // field "year"; 0: the model's [view] year
  std::string carrier;  // field "carrier": gas, oil or freight; empty: every carrier
};
struct LinksResult {
  int year = 0;
  std::vector<std::pair<const kb::InfraLink*, network::LinkState>> links;  // file order
};
// Throws InputError naming the field "carrier" for another carrier (with the closest one).
LinksResult network_links(const kb::Model& model, const LinksRequest& request);
// {year, nodes: [{id, name, kind, country, position}], links: [{id, name, kind, carrier, from,
// to, countries, capacity, unit, status, since, capacity_now, source, citation}]}
nlohmann::json to_json(const kb::Model& model, const LinksResult& result);

// ---- Network what-if -----------------------------------------------------------------------

struct WhatIfRequest {
  int year = 0;                 // field "year"; 0: the model's [view] year
  std::string carrier = "gas";  // field "carrier"
  std::vector<std::string> cut, blocked;              // fields "cut", "blocked"
  std::vector<std::pair<std::string, Date>> opened;  // field "opened"
};
// "LINK@YYYY-MM" (or "LINK", from January of `year` when `year` is given) -> (link, month);
// throws InputError naming the request field `field`.
std::pair<std::string, Date> parse_opened(const std::string& text, std::optional<int> year,
                                          const std::string& field = "opened");
struct WhatIfResult {
  network::Scenario scenario;
  network::Outcome before, after;
  bool changed() const;  // anything cut, blocked or opened
};
// Solves the model's network without and with the request's changes. Throws InputError naming
// the field at fault (an unknown link with the closest id, a link of another carrier, an opening
// after the year, a year the model's [view] does not give when the request gives none).
WhatIfResult what_if(const kb::Model& model, const WhatIfRequest& request);
// A network state: unit, delivered, demand, destinations, supplies, links, bottlenecks, countries.
nlohmann::json to_json(const network::Outcome& outcome);
// A what-if: the scenario, the state before and after, the change per country, the links whose
// flow changed (re-routing) and, for each cut, block or open that changes nothing, why.
nlohmann::json to_json(const kb::Infrastructure& infra, const WhatIfResult& result);
// Links whose routed flow differs between two states of the same carrier, in file order.
struct Rerouted {
  std::string link;
  std::int64_t before = 0, after = 0, capacity = 0;
};
std::vector<Rerouted> rerouted(const network::Outcome& before, const network::Outcome& after);
// Why a cut, block or open of the scenario changes nothing, one line each (empty: all act).
std::vector<std::string> idle_changes(const kb::Infrastructure& infra,
                                      const network::Scenario& scenario,
                                      const network::Outcome& before);
// Checks a what-if beyond network::validate: every link cut or opened belongs to the scenario's
// carrier (one of another carrier cannot change it) and every opening falls within the year.
void check_what_if(const kb::Infrastructure& infra, const network::Scenario& scenario);

// ---- Contingencies: N-k sweeps and the EU N-1 indicator ------------------------------------

// Every combination of k links failing together, ranked by the delivery lost (network::contingency).
struct ContingencyRequest {
  int year = 0;                 // field "year"; 0: the model's [view] year
  std::string carrier = "gas";  // field "carrier"
  int k = 1;                    // field "k": links failing together, 1, 2 or 3
  int threads = 0;              // 0: every core (the ranking does not depend on it)
  std::size_t top = 20;         // field "top": the worst failures kept
  // Field "dimacs": a DIMACS max-flow file swept instead of the model (each arc a link, named
  // arc1, arc2, ... in file order); empty: the model's network of the year and carrier.
  std::string dimacs;
};
struct ContingencySweep {
  int k = 1, threads = 1;
  std::string unit;                        // of the flows: mcm/d, kb/d, kt/y; "units" for a file
  std::vector<network::Element> elements;  // the links that may fail
  network::ContingencyResult result;
  double seconds = 0.0, cpu_seconds = 0.0;  // the sweep's wall-clock and processor time
};
// `model` is read only when the request names no DIMACS file (it may then be nullptr). Throws
// InputError naming the field at fault (year, carrier, k) or the file's line.
ContingencySweep contingency(const kb::Model* model, const ContingencyRequest& request);
// The failed links of a failure, " + " between them.
std::string failed_links(const ContingencySweep& sweep, const network::Failure& failure);
// {k, threads, seconds, cpu_seconds, elements, base, unit, scenarios, solved, with_loss,
// worst: [{failed, delivered, lost}]}
nlohmann::json to_json(const ContingencySweep& sweep);

// The EU N-1 indicator (Regulation (EU) 2017/1938, Annex II) of one country's gas supply, and
// its network-aware form.
struct N1Request {
  std::string area;  // field "area": a country code; empty: the model's [view] area
  int year = 0;      // field "year"; 0: the model's [view] year
};
struct N1Result {
  int year = 0;
  network::N1 n1;
};
// Throws InputError naming the field "area" when neither the request nor the model's [view]
// names one, or the area has no peak demand in the year.
N1Result n_minus_1(const kb::Model& model, const N1Request& request);
// {area, year, unit, Dmax, EPm, Pm, Sm, LNGm, Im, largest, n1_percent, reachable, reachable_n1,
// worst_link, network_n1_percent}
nlohmann::json to_json(const N1Result& result);

// Observed (IEA Gas Trade Flows) against modelled gas flows at the Southern Gas Corridor's
// border points, by point and year.
struct FlowValidationRequest {
  std::string iea;          // field "iea": gtf_long.csv of the IEA Gas Trade Flows
  double tolerance = 0.15;  // field "tolerance": agreement within this share of the observed mean
};
struct FlowValidation {
  double tolerance = 0;
  std::vector<network::FlowCheck> checks;
};
// Throws InputError naming the field "tolerance" outside [0, 1], or the file, line and column of
// a bad IEA row.
FlowValidation validate_flows(const kb::Model& model, const FlowValidationRequest& request);
// "agrees", "model too high", "model too low", or why the year cannot be compared.
std::string verdict(const network::FlowCheck& check);
// {tolerance, checks: [{point, link, destinations, year, observed_mcm_per_day, observed_days,
// modelled_mcm_per_day, capacity_mcm_per_day, agrees, verdict}], source}
nlohmann::json to_json(const FlowValidation& validation);

// ---- Leverage matrix -----------------------------------------------------------------------

struct LeverageRequest {
  std::string channel;  // empty: every channel
  std::string actor;    // id, name or alias; empty: every actor
  int year = 0;         // 0: every year
  std::string cell;     // one tie's id; empty: every tie
  std::vector<std::string> cut;                      // links closed in the routing network
  std::vector<std::pair<std::string, Date>> opened;  // links opened in it
};
struct LeverageResult {
  std::vector<leverage::Cell> cells;
  std::vector<std::string> cut;
};
// The matrix of the ties that pass the request's filters. Throws InputError naming the field at
// fault (an unknown channel, actor, tie or link, with the closest name when it looks mistyped).
LeverageResult leverage_matrix(const kb::Model& model, const LeverageRequest& request);
// Cells (with their evidence) and the sums over channels ("pairs").
nlohmann::json to_json(const LeverageResult& result);

// ---- Bargaining ----------------------------------------------------------------------------

// Which of the three bargaining models a request shows ("all", "compromise", "nbs", "eu").
enum class BargainMethod { kAll, kCompromise, kNash, kExpectedUtility };
std::optional<BargainMethod> parse_bargain_method(std::string_view name);
std::string to_string(BargainMethod method);
// Whether a request for `shown` shows `model`'s results.
bool shows(BargainMethod shown, BargainMethod model);

// Where the model's contested issues (issues.toml) settle.
struct BargainRequest {
  std::string issue;                          // field "issue": an issue id; empty: every issue
  BargainMethod method = BargainMethod::kAll;  // what the encoding shows (all three always run)
  bargain::EuOptions eu;                      // fields "rounds", "probability", "q", "tolerance"
  int draws = 1000;  // field "draws": of every input from its range; 0: the stated values only
  std::uint64_t seed = 1;  // of the draws
};
// One issue under the compromise model, the Nash bargaining solution and the expected-utility
// model at the stated values, and (when drawn) over the inputs' ranges.
struct IssueBargain {
  const kb::Issue* issue = nullptr;
  std::vector<bargain::Player> players;
  double compromise = 0.0;
  bargain::NashResult nash;
  bargain::EuResult eu;
  std::optional<bargain::IssueDistribution> sampled;
};
struct BargainOutcome {
  std::string model;  // the model's location
  BargainRequest request;
  std::vector<IssueBargain> issues;  // issues.toml order
};
// Throws InputError naming the request field: an unknown issue (with the model's ids and the
// closest one), rounds outside 1..1000, q or tolerance outside 0..1, negative draws.
BargainOutcome bargain_issues(const kb::Model& model, const BargainRequest& request);
// Why the Nash solution is what it is, naming the actors on each side of the status quo.
std::string nash_reason(const IssueBargain& issue);
// {model, probability, q, rounds, draws, seed, issues: [{id, title, low, high, status_quo,
// status_quo_range, actors, compromise, nbs, eu, distribution}]}, the models as the request shows.
nlohmann::json to_json(const BargainOutcome& outcome);

// The bargaining models scored on the DEU III data set and on the small known cases.
struct DeuRequest {
  std::string file;  // field "deu": the DEU III file (tab-separated)
  bargain::DeuCapability capability = bargain::DeuCapability::kGdp;
  bargain::EuOptions eu;
  int threads = 0;   // for the expected-utility forecasts; 0: every core (results do not depend on it)
};
// Published or independently reproduced figures for the same issues (docs/MODEL.md): the MAE
// overall, in COD and CNS (empty: none), and where they come from.
struct DeuReference {
  std::string all, cod, cns, where;
};
DeuReference deu_reference(bargain::DeuModel model, bargain::DeuCapability capability);
// The model's JSON key ("compromise", "nbs", "eu_scholz_code", ...).
std::string deu_key(bargain::DeuModel model);
struct DeuValidation {
  std::string file;
  bargain::DeuCapability capability = bargain::DeuCapability::kGdp;
  std::size_t issues = 0;  // scoreable issues
  std::vector<bargain::DeuScore> scores;  // in report order
};
// Throws InputError naming the file, line and column of a malformed file.
DeuValidation validate_deu(const DeuRequest& request);
// {file, capability, issues, models: [{model, name, all, with_reference_point, cod, cns,
// reference_mae, reference}]}
nlohmann::json to_json(const DeuValidation& validation);
// Every model's forecast for every DEU issue, with the time the expected-utility runs took (wall
// clock and the processor time of all threads), for the benchmark's comparison.
struct DeuForecasts {
  struct Row {
    std::string id;
    double outcome = 0.0;
    std::map<std::string, std::optional<double>> forecasts;  // deu_key -> forecast (nullopt: n/a)
  };
  std::vector<Row> issues;
  double eu_seconds = 0.0, eu_cpu_seconds = 0.0;
  int threads = 1;
};
DeuForecasts deu_forecasts(const DeuRequest& request);
// {eu_seconds, eu_cpu_seconds, threads, issues: [{id, outcome, <deu_key>: forecast or null}]}
nlohmann::json to_json(const DeuForecasts& forecasts);
// The small cases of known_outcomes.csv: each model's error in per cent of the case's scale.
struct CaseScores {
  struct Scored {
    bargain::BargainCase input;
    std::vector<bargain::CaseForecast> forecasts;  // in report order
  };
  struct Mean {
    std::string model;
    int cases = 0;
    double error_pct = 0.0;  // mean over the cases it applies to; NaN when none
  };
  std::vector<Scored> cases, run_only;  // run_only: inputs without a recorded outcome
  std::vector<Mean> means;              // each model in report order, each case weighing the same
};
// A forecast's absolute error in per cent of the case's scale.
double error_pct(const bargain::BargainCase& c, double forecast);
// Throws InputError naming the file, line and column of a malformed case file.
CaseScores score_cases(const std::string& dir, const bargain::EuOptions& eu);
// {cases: [{case, outcome, models: [{model, forecast, error_pct}]}]}
nlohmann::json to_json(const CaseScores& scores);

// ---- Forecast ------------------------------------------------------------------------------

// A forecast of the model's scenarios: an ensemble of trajectories of the engine.
struct ForecastRequest {
  std::uint64_t seed = 1;
  std::uint32_t runs = 2000;
  int threads = 0;                  // 0: every core (the results do not depend on it)
  std::optional<Date> horizon;      // field "horizon"; nullopt: model.toml's
  // Field "shock": KIND:TARGET@YYYY-MM each, parsed at the edge (sim::parse_shock_specs) and
  // resolved against the model when its engine is built.
  std::vector<sim::ShockSpec> shocks;
  // Field "set": model.toml parameters given other values (name -> value). The engine refuses a
  // name model.toml lacks (with the closest name) and a value outside the parameter's range.
  std::map<std::string, double> settings;
};
// Parses "NAME=VALUE" texts (field "set"); throws InputError for a text without a name, '=' or a
// number after it, or a name given twice.
std::map<std::string, double> parse_settings(const std::vector<std::string>& texts);
// Worker threads for `requested` (0: every core).
int thread_count(int requested);
// A month YYYY-MM; throws InputError naming the request `field`.
Date parse_month(const std::string& text, const std::string& field);
// The request as a plan: its engine's options (horizon, shocks, settings) and its ensemble (seed,
// runs, threads, batches of 512 runs).
sim::RunPlan forecast_plan(const ForecastRequest& request);
// The engine of the request (its horizon and shocks); throws InputError naming the field.
sim::Engine forecast_engine(const kb::Model& model, const ForecastRequest& request);
// The ensemble the request asks for (seed, runs, threads, batches of 512 runs).
sim::EnsembleOptions ensemble_options(const ForecastRequest& request);
// Runs the request's ensemble on `engine` (callbacks as sim::run_ensemble's).
sim::ForecastSummary forecast(const sim::Engine& engine, const ForecastRequest& request,
                              const std::function<void(std::span<const sim::RunOutcome>)>& on_runs = {},
                              const std::function<void(std::uint32_t)>& progress = {});

// A structural forecast computed once, with the engine that made it.
struct ComputedForecast {
  sim::Engine engine;
  sim::ForecastSummary summary;
};

// A forecast as Sphere states it everywhere (CLI --json, the API's finished job, the report):
// scenarios with `probability`, `low95`, `high95` (Wilson) and `runs`; each indicator's months
// with `mean` and quantiles `q025`, `q25`, `q50`, `q75`, `q975`; drivers, settled issues,
// calibration choices and parameters. docs/openapi.yaml, schema Forecast.
nlohmann::json to_json(const sim::Engine& engine, const sim::ForecastSummary& summary);
// The same with the model's location ("model"): `sphere forecast --json` and the API's job.
nlohmann::json to_json(const kb::Model& model, const sim::Engine& engine,
                       const sim::ForecastSummary& summary);

// ---- Hindcast of the structural engine -------------------------------------------------------

// The structural engine's forecasts from past months, each calibrated on the events before it,
// scored (Brier, log) against the outcomes the sources report (model.toml [[outcome]]) and
// against the uniform and persistence forecasts.
struct StructuralHindcastRequest {
  ForecastRequest forecast;  // seed, runs, threads, shocks, settings (the horizon: each outcome's)
  std::vector<Date> as_of;   // field "as_of": the months to forecast from
};
struct StructuralHindcast {
  std::uint32_t runs = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> scenarios;     // the model's scenario ids, the order of each forecast
  std::vector<sim::HindcastScore> scores;  // per as-of month in request order, then by outcome
};
// Throws InputError naming the field "as_of" when it gives no month or a month after every
// outcome, or the field of a bad shock or setting.
StructuralHindcast structural_hindcast(const kb::Model& model,
                                       const StructuralHindcastRequest& request);
// {runs, seed, scores: [{as_of, outcome_month, outcome, forecast: {scenario: p}, persisted,
// brier: {model, uniform, persistence}, log_score: {model, uniform, persistence}}]}
nlohmann::json to_json(const StructuralHindcast& hindcast);

// ---- Sensitivity ---------------------------------------------------------------------------

// The factors of a sensitivity analysis: the model's parameters whose range has width, less those
// the request sets (`settings`); throws InputError when none is left.
std::vector<sim::Factor> model_factors(const kb::Model& model,
                                       const std::map<std::string, double>& settings = {});
// The output one model evaluation returns: the probability of the scenario with id `output`, or
// the mean of the indicator named `output` at the horizon, over the request's runs with the same
// seeds at every point (common random numbers). `base` is the engine without overrides (it
// names the outputs). Throws InputError naming the field "output" when it names neither.
sim::Function sensitivity_output(const kb::Model& model, const ForecastRequest& request,
                                 const sim::Engine& base, const std::vector<sim::Factor>& factors,
                                 const std::string& output);

// ---- Shards: one forecast or sensitivity analysis computed in parts ----------------------------

// Shard `index` (0-based) of `count`: a contiguous range of an ensemble's blocks of runs, or of a
// sensitivity design's points. Folded in shard order, the parts give the bytes of one process.
struct Shard {
  std::uint32_t index = 0, count = 1;
};
// "K/N" with 1 <= K <= N <= 100000 (K counted from 1); throws InputError naming the field
// "shard" (a usage error).
Shard parse_shard(const std::string& text);
// Where a shard's partial result goes when the request names no file: "part-K-of-N.json".
std::string default_part_file(const Shard& shard);
// The runs of blocks [first_block, end_block) of an ensemble of `runs`: "runs 0–649", "no runs".
std::string run_range(std::uint32_t runs, std::uint32_t first_block, std::uint32_t end_block);
// Parameter settings as a shard records them: NAME=VALUE each, by name, each value in the
// shortest form that reads back to the same number.
std::vector<std::string> setting_texts(const std::map<std::string, double>& settings);
// Shocks as a shard records them: each as it was given.
std::vector<std::string> shock_texts(const std::vector<sim::ShockSpec>& shocks);

// A forecast's shard: its blocks of the request's ensemble, with what identifies the ensemble
// (seed, runs, months, shocks, settings and the engine's digest). `engine` is the request's.
store::Partial forecast_shard(const kb::Model& model, const sim::Engine& engine,
                              const ForecastRequest& request, Shard shard);

struct ForecastShardRequest {
  ForecastRequest forecast;
  Shard shard;
  std::string file;  // field "out"; empty: default_part_file(shard)
};
struct WrittenShard {
  Shard shard;
  std::string file, range, digest;  // range: "runs 0–649" or "points 0–11"
  std::uint64_t seed = 0;
  std::string unit;        // "runs" (a forecast's) or "points" (a sensitivity design's)
  std::uint64_t size = 0;  // runs of the ensemble or points of the design
  std::string method;      // a sensitivity design's: morris or sobol
};
// Computes the shard and writes its partial result atomically (whole or absent). Throws
// InputError naming the field "horizon" before any work when a shard could not hold the months.
WrittenShard write_forecast_shard(const kb::Model& model, const ForecastShardRequest& request);
// {shard, shards, seed, runs or points, range, file, digest}
nlohmann::json to_json(const WrittenShard& written);

// The partial results of one computation, read from files and checked: a forecast's shards or a
// sensitivity analysis's (one of the two is empty), exactly shards 1..N, in shard order.
struct ShardSet {
  std::vector<store::Partial> forecast;
  std::vector<store::SensitivityPartial> sensitivity;
};
// Reads and checks the files. Throws InputError naming every file that cannot be read (the error
// then takes its kind: I/O, or a damaged file), every repeated or incompatible shard and every
// missing one with how to compute it again; `names` words that advice in the front end's terms
// (the field "shard" -> "--shard"). A forecast's shards mixed with an analysis's are refused.
ShardSet read_shards(const std::vector<std::string>& files, const FieldNames& names);

// A forecast computed (in one process, or folded from its parts), and where it was stored.
struct StoredForecast {
  ComputedForecast forecast;
  std::string db;                // the SQLite file it was written to; empty: none
  std::int64_t forecast_id = 0;  // its id there
};
using MergedForecast = StoredForecast;
// Where a forecast is stored besides being returned.
struct ForecastStore {
  std::string db;            // field "db": a SQLite file (created when missing); empty: none
  std::string command_line;  // recorded with the forecast
};
// The request's forecast in this process (`sphere forecast`), stored when the store names a
// file: every run and the summary, written whole or not at all. The engine is built (every input
// checked) before the file is touched; when the work stops (an error, or an exception thrown by
// `progress` between batches of runs) a file the forecast created is removed.
StoredForecast stored_forecast(const kb::Model& model, const ForecastRequest& request,
                               const ForecastStore& store = {},
                               const std::function<void(std::uint32_t)>& progress = {});
// Folds a forecast's checked shards (read_shards) in block order with the reducer of one
// process, so that the summary is bitwise identical to it; the engine is rebuilt from the
// shards' own request and must have their digest (else InputError naming the model). Nothing is
// stored unless every run is there.
MergedForecast merge_forecast(const kb::Model& model, const std::vector<store::Partial>& parts,
                              const ForecastStore& store = {});

// A computation shared by cooperating processes (MPI ranks): each passes its own part's text
// (store::partial_to_text); the first (rank 0) gets every process's text in rank order, the
// others nothing. A process that dies fails the whole computation.
using Gather = std::function<std::vector<std::string>(const std::string& mine)>;
// Process `mine.index` of `mine.count` computes its shard of the request's forecast; the first
// folds every part as merge_forecast does and returns the forecast (stored when asked), the
// others nullopt. Bitwise identical to one process.
std::optional<MergedForecast> distributed_forecast(const kb::Model& model,
                                                   const ForecastRequest& request, Shard mine,
                                                   const Gather& gather,
                                                   const ForecastStore& store = {});

// ---- Sensitivity analyses: which parameters drive an output ---------------------------------

// Morris screening or Sobol indices of one forecast output over the ranges of model.toml's
// parameters. Every way of computing it (one process, shards, cooperating processes) evaluates
// the same points (a pure function of the seed) and computes the indices from every output in
// point order, so the results are identical.
struct SensitivityRequest {
  // Seed, trajectories per point, threads, horizon, shocks and the parameters set (not varied).
  ForecastRequest forecast;
  std::string method = "morris";  // field "method": morris or sobol
  std::string output;             // field "output": a scenario id or an indicator
  int n = 0;                      // field "n": trajectories or base points; 0: 10 or 64
  int levels = 4;                 // field "levels": Morris grid levels
  int bootstrap = 200;            // field "bootstrap": Sobol bootstrap resamples
};
// The request's design (no shard, no outputs): factors, points and digest. `engine` is the
// request's forecast engine. Throws InputError naming the field "method" for another method.
store::SensitivityPartial sensitivity_design(const kb::Model& model, const sim::Engine& engine,
                                             const SensitivityRequest& request);
// Called once with (0, points) before the work, then once per point evaluated (from the worker
// threads, done counted in no particular order); it may throw to stop the work.
using PointProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;
// Evaluates shard `shard` of the request's design: its contiguous range of points.
store::SensitivityPartial sensitivity_shard(const kb::Model& model,
                                            const SensitivityRequest& request, Shard shard,
                                            const PointProgress& progress = {});

// The indices, one row per factor, the most influential first (by mu* or ST).
struct SensitivityRow {
  sim::Factor factor;
  double mu_star = 0, mu = 0, sigma = 0;                      // Morris
  double s1 = 0, s1_low = 0, s1_high = 0, st = 0, st_low = 0, st_high = 0;  // Sobol, 95%
};
struct SensitivityResult {
  std::string method, output;
  int n = 0;
  std::uint32_t runs = 0;  // trajectories per point
  std::uint64_t seed = 0;
  std::vector<SensitivityRow> rows;
  bool morris() const { return method == "morris"; }
};
// The indices of `design` from `outputs` (every point's, in point order).
SensitivityResult sensitivity_indices(const store::SensitivityPartial& design,
                                      const std::vector<double>& outputs);
// The whole analysis in this process.
SensitivityResult sensitivity(const kb::Model& model, const SensitivityRequest& request,
                              const PointProgress& progress = {});
struct SensitivityShardRequest {
  SensitivityRequest analysis;
  Shard shard;
  std::string file;  // field "out"; empty: default_part_file(shard)
};
// Evaluates the shard and writes its partial result atomically (whole or absent).
WrittenShard write_sensitivity_shard(const kb::Model& model, const SensitivityShardRequest& request,
                                     const PointProgress& progress = {});
// The indices from a sensitivity analysis's checked shards (read_shards): the model must give
// the design's digest (else InputError naming the model), and the shards cover every point once.
SensitivityResult merge_sensitivity(const kb::Model& model,
                                    const std::vector<store::SensitivityPartial>& parts);
// As distributed_forecast: each process evaluates its shard, the first computes the indices.
std::optional<SensitivityResult> distributed_sensitivity(const kb::Model& model,
                                                         const SensitivityRequest& request,
                                                         Shard mine, const Gather& gather,
                                                         const PointProgress& progress = {});
// {method, output, n, runs_per_point, seed, factors: [{parameter, low, high, mu_star, mu, sigma}
// or {parameter, low, high, S1, S1_low95, S1_high95, ST, ST_low95, ST_high95}]}
nlohmann::json to_json(const SensitivityResult& result);

// ---- Importing events into a model -----------------------------------------------------------

// Events imported from a data set (GDELT, ICEWS) appended to a model directory's events.csv in
// the model's own format, citing a data-set source that sources.toml gets when it lacks it.
struct ModelImportRequest {
  std::string model_dir;     // field "into_model": the model directory
  std::string source_id;     // field "source_id": the source the events cite; empty: GDELT or ICEWS
  std::string format = "gdelt";  // gdelt or icews: the data set the events come from
  std::string input;         // the imported file ("-": standard input), named in the new source
};
struct ModelImportSummary {
  std::string model;  // the directory
  long long appended = 0;
  bool source_added = false;
  // Events not appended: an actor not in actors.toml, fewer than two actors, already in the
  // log, no record id to give them an id.
  long long not_in_model = 0, one_sided = 0, already = 0, no_record_id = 0;
};
// The import as one transaction. The directory is locked from before the model is read until
// after the files are replaced (a second import waits, saying so on stderr); both files are
// written under unique temporary names renamed over the originals only by commit(), sources.toml
// first, so that nothing is half-written or lost on any error or concurrent import, and the log
// never cites a source the model lacks. Destroyed without commit(), it leaves the model as it was.
// Throws InputError naming the field "source_id" (a usage error) when it names a text source.
class ModelImport {
 public:
  explicit ModelImport(const ModelImportRequest& request);
  ~ModelImport();
  ModelImport(const ModelImport&) = delete;
  ModelImport& operator=(const ModelImport&) = delete;

  // Where the imported events go (each one the log can take is appended).
  events::EventSink& sink();
  // Replaces the model's files with the new ones.
  void commit();
  ModelImportSummary summary() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};
// The source entry (a [[source]] table of sources.toml) that imported events cite.
std::string data_source_entry(const std::string& id, const std::string& format,
                              const std::string& input);
// {model, appended, source_added, skipped: {actor_not_in_model, fewer_than_two_actors,
// already_in_log, no_record_id}}
nlohmann::json to_json(const ModelImportSummary& summary);

// ---- Event series, imports and Hawkes fits ----------------------------------------------------

// Where a use case's events come from: an event CSV (an import's output) or the model's log.
struct EventSource {
  std::string events_file;  // field "events"; empty: the model's log
  const events::QuadScheme* scheme = &events::QuadScheme::gdelt();  // field "scheme"
  bool rollup = true;       // persons and organisations counted as their states
  bool dedup = true;        // events with the same date, actors and event code counted once
};
// One direction of a dyad: its months (zeros filled in) and the events dated to a year only.
struct DirectedSeries {
  events::DyadSeries series;
  std::map<int, events::MonthCell> year_only;  // by year, within the months asked for
};
// Both directions of a dyad over the months asked for (its own span when none are).
struct DyadSeriesPair {
  std::string a, b;
  bool dated = true;  // false: no event between them dated to a month or day, and no months asked for
  DirectedSeries ab, ba;
};
DyadSeriesPair dyad_series(const events::SeriesBuilder& builder, const std::string& a,
                           const std::string& b, std::optional<int> from = {},
                           std::optional<int> to = {});
// One direction as JSON: actor1, actor2, months, year_only; QuadClass 0 only when `neutral`.
nlohmann::json to_json(const DirectedSeries& series, bool neutral);

// The monthly series of a dyad in both directions: `sphere events series` and /api/series.
struct EventSeriesRequest {
  EventSource source;
  std::string a, b;             // fields "a", "b": ids (names and aliases, from the model's log)
  std::optional<int> from, to;  // month indexes; nullopt: the dyad's own span
};
struct EventSeries {
  std::string source;  // the file, or the model's location
  std::string scheme;
  long long duplicates = 0;
  DyadSeriesPair dyad;
};
// `model` is read when the request names no events file. Throws InputError naming the field "a"
// or "b" for an actor the model lacks (with the closest id) or the same actor twice, or the file,
// line and field of a bad event row.
EventSeries event_series(const kb::Model* model, const EventSeriesRequest& request);
// {source, scheme, duplicates_removed, series: [a->b, b->a]}
nlohmann::json to_json(const EventSeries& series);

// A GDELT or ICEWS event file streamed through a filter into any of: an event CSV, monthly
// series, a model's event log.
struct EventImportRequest {
  std::string input;              // the file, or "-" for standard input
  std::string format = "gdelt";   // gdelt or icews
  events::ImportFilter filter;
  const events::QuadScheme* scheme = &events::QuadScheme::gdelt();
  bool strict = false;            // stop at the first bad row
  bool actor_types = false;       // GDELT: kept events' actors refined by their CAMEO types
  std::string out;                // field "out": the kept events as CSV; "-": `standard_output`
  std::ostream* standard_output = nullptr;  // the front end's stream for out "-"
  bool series = false;            // build the kept events' monthly series
  bool dedup = true;              // ... counting duplicates once
  std::string into_model;         // field "into_model": append to this model's log; empty: none
  std::string source_id;          // field "source_id": the source those events cite
};
struct EventImport {
  std::string input;  // as messages name it ("<stdin>" for standard input)
  events::ImportReport report;
  bool series = false;
  std::vector<DyadSeriesPair> dyads;  // the filter's dyads, when it has any
  std::vector<DirectedSeries> all;    // otherwise every ordered dyad
  long long duplicates = 0, one_sided = 0;
  std::optional<ModelImportSummary> into_model;
  bool neutral = false;  // the scheme has a neutral class 0
};
// Writes the CSV and the model's files whole or not at all. Throws InputError (the file and its
// first bad row) when no row parses, or at the first bad row when strict.
EventImport import_events(const EventImportRequest& request);
// {input, report, series and duplicates_removed (when asked), into_model (when given)}
nlohmann::json to_json(const EventImport& result);
// {lines, bytes, kept, filtered_out, bad, bad_rows, skipped, layouts}
nlohmann::json to_json(const events::ImportReport& report);

// Hawkes processes fitted to a dyad's daily event times: A->B and B->A alone and both together.
struct HawkesRequest {
  EventSource source;
  std::string a, b;               // fields "a", "b", as EventSeriesRequest's
  int quad = -1;                  // field "class": only events of this QuadClass; -1: all
  std::uint64_t seed = 1;         // of the spreading of same-day events over their day
  std::optional<long> first, last;  // days since 1970-01-01
};
struct HawkesStreamsFit {
  std::vector<std::string> streams;  // "A→B", ...
  events::HawkesFit fit;
  double horizon = 0.0;  // days
};
struct DyadHawkes {
  std::string source;
  int quad = -1;
  double horizon = 0.0;
  std::vector<HawkesStreamsFit> fits;
  std::vector<std::string> not_fitted;  // "streams: why"
  long long year_only = 0;              // events dated to a year only, left out
};
// `model` is read when the request names no events file.
DyadHawkes fit_dyad_hawkes(const kb::Model* model, const HawkesRequest& request);
// Which parameter of a fit: the baseline rate, an excitation or a decay rate.
enum class HawkesParameter { kMu, kAlpha, kOmega };
// The 95% interval of parameter (k, l): profile likelihood for an excitation, Wald on the log
// scale for a rate; NaN ends when there is none.
std::pair<double, double> hawkes_interval(const events::HawkesFit& fit, HawkesParameter what,
                                          std::size_t k, std::size_t l);
// Whether every stream has the events a goodness-of-fit test needs (the minimum-information rule).
bool hawkes_testable(const events::HawkesFit& fit);
// {source, class, time_unit, horizon_days, fits, not_fitted, year_only_events_left_out}
nlohmann::json to_json(const DyadHawkes& result);

// ---- Observation panels ---------------------------------------------------------------------

// Which panel a use case reads: a file, or the one the model declares in observations.toml.
struct PanelRequest {
  std::string file;    // field "panel"; empty: the model's declared panel
  std::string format;  // field "format"; empty: the declaration's, or gdelt-monthly
  std::string target;  // field "target"; empty: the declaration's, or days_negative
  bool directed = false, strict = false;
  int until = 0;            // rows of periods before this month index only; 0: all
  std::string model_dir;    // holds observations.toml
  std::string data_root;    // what a declared shared/ path stands for; empty: found above the model
};
struct ResolvedPanel {
  panel::Panel panel;
  std::string path, target, source;  // source: the model's data source id, when declared
  std::vector<std::pair<std::string, std::string>> actors;  // panel code -> actor id
};
// Reads the panel. `model` (its actor ids) is needed only for a declared panel. Throws
// InputError naming the file and field, or the request field.
ResolvedPanel resolve_panel(const kb::Model* model, const PanelRequest& request);

// ---- Scenario questions on the estimated model ----------------------------------------------

// The scenario questions (questions.toml) forecast by the dyadic model estimated from the
// model's observation panel (calibration.json), from the panel's end to the horizon,
// conditioned on the documented events since.
struct ScenarioRequest {
  std::string model_dir;            // holds questions.toml and, by default, calibration.json
  std::string calibration;          // field "calibration"; empty: MODEL_DIR/calibration.json
  std::string horizon = "2030-12";  // field "horizon", YYYY-MM
  int runs = 4000, draws = 40;      // trajectories; parameter draws (batches of runs)
  bool sampled_parameters = true;   // false: the estimate alone ("fixed")
  bool attribution = true;
  bool conditioning = true;         // false: no documented event enters (nor the robustness range)
  std::uint64_t seed = 1;
  int threads = 0;                  // 0: every core (the results do not depend on it)
  std::string data_root;            // where the declared panel's shared/ path points
};
// A disputed reading of the record: the conflict (conflicts.toml) and the source whose claim is
// taken; the conflict's evidence events that source does not report are left out.
struct ScenarioReading {
  std::string conflict, source;
  std::vector<bool> excluded;  // per evidence item
};
struct ScenarioForecast {
  dyad::QuestionSet questions;
  std::string pair;                 // "AZE:RUS"
  std::string panel_file;           // the panel's file name
  std::string calibrated_through;   // the last observed month
  std::string horizon;
  bool sampled_parameters = true;
  std::vector<std::string> months;  // names of the outlook's reported periods
  dyad::Outlook outlook;
  std::vector<dyad::Evidence> evidence;
  std::vector<std::string> evidence_from, evidence_to;  // month names per evidence item
  std::string last_evidence_month;
  std::vector<std::string> skipped;  // documented events after the horizon, unused
  std::vector<ScenarioReading> readings;
  int disputed_points = 0;           // distinct conflicts among the readings
  // At the horizon: the same trajectories unweighted, and the range over every reading (each
  // evidence item left out in turn; each disputed reading).
  std::vector<double> unconditioned, robust_low, robust_high;
  dyad::Attribution attribution;     // empty when not asked for
};
// Throws InputError naming the file and field (or the request field) on a bad question set,
// calibration or horizon.
ScenarioForecast scenario_forecast(const kb::Model& model, const panel::Panel& panel,
                                   const std::string& target, const ScenarioRequest& request);
// The same on the panel the model declares (observations.toml).
ScenarioForecast scenario_forecast(const kb::Model& model, const ScenarioRequest& request);
// docs/openapi.yaml, schema Scenarios: per scenario its curve (`p`, `mc`, `parameters` per
// month), `unconditioned` and `robustness` at the horizon; the evidence, the disputed readings
// and the attribution.
nlohmann::json to_json(const ScenarioForecast& forecast);

// The scenario questions hindcast on the model's panel: from each as-of month, using only data
// before it, the class of the window ending `lead` − 1 months later, for every pair of the
// model's actors the panel names; scored (RPS and Brier) against uniform, climatology and
// persistence.
struct ScenarioHindcastRequest {
  std::string model_dir, data_root;  // questions.toml and the declared panel
  std::string as_of;                 // field "hindcast": FROM..TO, panel months
  int lead = 12, step = 3;           // fields "lead", "step"
  int runs = 2000;                   // trajectories per pair and as-of month (at most 2000)
  std::uint64_t seed = 1;
  int threads = 0;                   // 0: every core (the results do not depend on it)
  // What is being done, and how far along: (as-of month name, done, total).
  std::function<void(const std::string&, int, int)> progress;
};
struct ScenarioHindcast {
  dyad::QuestionSet questions;
  std::string panel_file;           // the panel's file name
  std::vector<std::string> period_names, pair_names;  // of the panel, for the rows
  std::size_t pairs = 0;
  dyad::HindcastResult result;
};
// Throws InputError naming the field "hindcast" when the as-of months leave no full window
// before them or `lead` months after them inside the panel.
ScenarioHindcast scenario_hindcast(const kb::Model& model, const ScenarioHindcastRequest& request);
// Rows (as-of, window end, pair, observed, forecast, climatology, persistence) and the scores of
// model, uniform, climatology and persistence with their intervals.
nlohmann::json to_json(const ScenarioHindcast& hindcast);

// One run of the scenario forecast replayed: its simulated months with the class each month
// reached and the documented events it matched.
struct ScenarioRun {
  ScenarioForecast setting;  // questions, months and evidence (no outlook: it is not run)
  dyad::ReplayedRun run;
  std::vector<std::string> period_names;  // of run.target's periods
  std::string target, partner;            // the measures simulated (e.g. days_negative, days_positive)
  int runs = 0, draws = 0;                // of the ensemble it belongs to
};
// Throws InputError naming the field "run" when `run` is not one of the request's runs.
ScenarioRun replay_scenario_run(const kb::Model& model, const panel::Panel& panel,
                                const std::string& target, const ScenarioRequest& request, int run);
nlohmann::json to_json(const ScenarioRun& run);

// ---- The report ----------------------------------------------------------------------------

// Runs done of `total`, over every ensemble a use case makes. To stop the work it throws an
// exception not derived from std::exception (a failed section is caught and reported as such).
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// What the report shows. Zero and empty values take the model's [view] (model.toml).
struct ReportRequest {
  std::string model_dir;  // holds questions.toml, observations.toml and backtest.json
  std::string data_root;  // where the declared panel's shared/ path points
  std::vector<std::pair<std::string, std::string>> dyads;  // field "dyads"; empty: the view's
  std::vector<std::string> cut;                            // field "cut": links cut on the map
  std::vector<std::pair<std::string, Date>> opened;        // field "opened": links opened on it
  int year = 0;                          // field "year": the network on the map; 0: the view's
  std::uint32_t runs = 2000;             // structural trajectories; 0: no forecast sections
  std::uint32_t sensitivity_runs = 200;  // per parameter end in the tornado; 0: none
  std::uint64_t seed = 1;
  int threads = 0;                       // 0: every core (the results do not depend on it)
  std::map<std::string, double> settings;  // model.toml parameters given other values
  // Forecasts already computed (by `sphere run`): shown instead of running them again, so that
  // the report and the command state the same numbers.
  const ComputedForecast* forecast = nullptr;
  const ScenarioForecast* scenarios = nullptr;
  Progress progress;  // may be empty
};
// Resolves "A:B" texts to actor ids; throws InputError naming the field "dyads".
std::vector<std::pair<std::string, std::string>> parse_dyads(const kb::Model& model,
                                                             const std::vector<std::string>& specs);
// Every section, each filled from the layer that computes it or saying why it is missing.
report::Report report_model(const kb::Model& model, const ReportRequest& request);
// The report as one self-contained HTML document.
std::string render_report(const kb::Model& model, const ReportRequest& request);
// The report's map alone (request: year, cut, opened), as one SVG element.
std::string render_map(const kb::Model& model, const ReportRequest& request);

// ---- Calibration ------------------------------------------------------------------------------

// Fits the dyadic event model on a panel (the panel's `until` is the vintage).
struct CalibrateRequest {
  std::vector<std::string> dyads;  // field "dyads": pairs to check and keep anchors for, A:B;
                                   // empty: the pairs among the model's mapped actors
  std::string partner;             // field "partner": another measure, or "reverse"
  bool write = true;               // write the calibration file
  std::string out;                 // field "out"; empty: MODEL_DIR/calibration.json
  std::string model_dir;           // empty for a panel given as a file (then `out` is needed)
  int replicates = 200;            // simulated series per predictive check
  std::uint64_t seed = 1;          // of the predictive checks
  int threads = 0;                 // 0: every core (the results do not depend on it)
  std::string command;             // recorded as the file's provenance
};
struct CalibrateOutcome {
  dyad::Calibration calibration;
  std::vector<dyad::PredictiveCheck> checks;
  std::optional<dyad::ChecksSummary> summary;  // when there are checks
  int replicates = 0;
  std::string written;  // the file written, if any
};
// Fits, checks and (when asked) writes the file atomically. Throws InputError naming the request
// field or the panel's file, line and field.
CalibrateOutcome calibrate(const ResolvedPanel& panel, const CalibrateRequest& request);
std::string calibrate_to_json(const CalibrateOutcome& outcome, const panel::Panel& panel);
// The p-value of the likelihood-ratio test of a fit against no state, excitation or cross terms,
// referred to the boundary-corrected mixture 0.5 chi2(k) + 0.5 chi2(k - 1) (Self and Liang 1987).
double no_dynamics_p_value(const dyad::MeasureFit& fit);

// ---- Backtests --------------------------------------------------------------------------------

// Rolling-origin forecasts of every pair of a panel, scored against the baselines.
struct BacktestRequest {
  std::string origins;                 // field "origins": FROM..TO (required)
  std::string horizons = "1,3,6,12";   // field "horizons"
  std::string pairs = "all";           // field "pairs": all, active, or A:B,C:D
  std::string refit = "yearly";        // field "refit": every, yearly or once
  std::string partner;                 // field "partner"; empty: as calibrate chooses
  std::string forecasts_out;           // field "forecasts_out": CSV of every forecast of the model
  std::string db;                      // field "db": SQLite result store (counts only)
  int paths = 64, threshold = 0, bootstrap = 500;
  std::uint64_t seed = 1;
  int threads = 0;                     // 0: every core (the results do not depend on it)
  bool ablations = true;               // the model with each mechanism off
  std::string command;                 // recorded as the vintage
  std::string model_dir;               // recorded as the vintage (a declared panel's model)
  std::function<void(const std::string& what, int done, int total)> progress;  // may throw to stop
};
struct BacktestOutcome {
  bool level = false;
  std::vector<int> horizons;
  dyad::BacktestProvenance provenance;
  std::optional<dyad::BacktestResult> counts;       // a count target
  std::optional<dyad::LevelBacktestResult> levels;  // a level target
  std::string to_json(const panel::Panel& panel) const;
};
// Runs the backtest the request describes. The forecasts CSV and the store are written whole or
// not at all. Throws InputError naming the request field (or the file) on a bad request.
BacktestOutcome backtest(const ResolvedPanel& panel, const BacktestRequest& request);
// Scores every backtest stored in `db` against `panel` (newer data) and records the scoring.
std::vector<store::Rescoring> rescore(const ResolvedPanel& panel, const std::string& db,
                                      const std::string& command);
std::string rescore_to_json(const std::vector<store::Rescoring>& scorings, const panel::Panel& panel,
                            const std::string& command);

}  // namespace sphere::service

// Loading and validating infrastructure.toml (nodes, links, supplies and demands) and ties.toml
// (channels of interdependence). Both files are optional: a model without them has an empty
// network. Every number must carry its provenance (see docs/DATA.md).
#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "kb/fields.h"
#include "kb/internal.h"
#include "kb/kb.h"

namespace sphere::kb {
namespace {

constexpr int kMaxQuoteWords = 25;
const std::set<std::string, std::less<>> kNodeKinds = {
    "field",  "terminal", "border",      "port",    "hub",
    "consumer", "market", "station", "alternative", "contract"};
const std::set<std::string, std::less<>> kLinkKinds = {"pipeline", "rail", "road", "ferry",
                                                        "port", "sea"};
const std::set<std::string, std::less<>> kStatuses = {"operating", "idle", "halted", "planned"};
const std::set<std::string, std::less<>> kFlowKinds = {"supply", "demand", "peak"};
const std::set<std::string, std::less<>> kChannels = {"trade", "energy", "transit",
                                                      "arms", "security", "diaspora"};
const std::map<std::string, std::string, std::less<>> kCarrierUnits = {
    {"gas", "mcm/d"}, {"oil", "kb/d"}, {"freight", "kt/y"}};

using fields::Fields;
using fields::line_of;

// The provenance keys a record may carry next to its own keys.
constexpr std::array<std::string_view, 6> kProvenanceKeys = {
    "source", "quote", "citation", "rationale", "range", "derivation"};

std::vector<std::string_view> with_provenance(std::initializer_list<std::string_view> keys) {
  std::vector<std::string_view> all(keys);
  all.insert(all.end(), kProvenanceKeys.begin(), kProvenanceKeys.end());
  return all;
}

// Reads source/quote/citation/rationale/range/derivation and checks that the rule holds: a
// source id with a quote, "data" with a citation, or "assumption" with a rationale and range.
Provenance read_provenance(const Fields& f, const Model& model,
                           std::optional<double> value = std::nullopt) {
  Provenance p;
  p.origin = f.origin();
  p.source = f.string("source");
  p.quote = f.string("quote", false);
  p.citation = f.string("citation", false);
  p.rationale = f.string("rationale", false);
  p.derivation = f.string("derivation", false);
  if (p.source.empty()) return p;
  if (p.source == "data") {
    if (p.citation.empty())
      f.error("citation", "missing; source \"data\" needs the file and table it comes from");
  } else if (p.source == "assumption") {
    if (p.rationale.empty()) f.error("rationale", "missing; an assumption needs a rationale");
    const toml::node* range = f.table().get("range");
    const toml::array* array = range ? range->as_array() : nullptr;
    if (!array || array->size() != 2 || !(*array)[0].is_number() || !(*array)[1].is_number()) {
      f.error("range", "missing or malformed; an assumption needs range = [low, high]");
    } else {
      p.range_low = (*array)[0].value<double>().value_or(0.0);
      p.range_high = (*array)[1].value<double>().value_or(0.0);
      if (p.range_high < p.range_low) f.error("range", "high end is below the low end");
      else if (value && (*value < p.range_low || *value > p.range_high))
        f.error("range", fmt::format("value {} lies outside its range [{}, {}]", *value,
                                     p.range_low, p.range_high));
    }
  } else if (!model.find_source(p.source)) {
    f.error("source", fmt::format("unknown source '{}'; expected a source id, \"data\" or "
                                  "\"assumption\"", p.source));
  } else if (p.quote.empty()) {
    f.error("quote", "missing; a number from a source needs a verbatim quote");
  } else if (count_words(p.quote) > kMaxQuoteWords) {
    f.error("quote", fmt::format("quote has {} words; at most {} allowed", count_words(p.quote),
                                 kMaxQuoteWords));
  }
  return p;
}

bool valid_country(const std::string& code) {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Reads one TOML file's [[key]] tables (and tables of other allowed top-level keys).
struct TomlRecords {
  std::string label;
  toml::table root;
  bool present = false;
};

TomlRecords read_optional(const ModelFiles& files, std::string_view name,
                          std::initializer_list<std::string_view> keys, Diagnostics& out) {
  TomlRecords file;
  file.label = files.label(name);
  std::optional<toml::table> root = parse_toml_file(files, name, false, out);
  if (!root) return file;
  file.root = std::move(*root);
  file.present = true;
  for (const auto& [k, v] : file.root) {
    if (std::find(keys.begin(), keys.end(), k.str()) == keys.end())
      out.add(file.label, line_of(v), std::string(k.str()),
              fmt::format("unknown top-level key; expected only [[{}]] tables", fmt::join(keys, "]], [[")));
    else if (!v.is_array_of_tables())
      out.add(file.label, line_of(v), std::string(k.str()), "expected an array of tables");
  }
  return file;
}

std::vector<const toml::table*> records(const TomlRecords& file, std::string_view key) {
  std::vector<const toml::table*> result;
  if (const toml::array* a = file.root[key].as_array())
    for (const auto& item : *a)
      if (const toml::table* t = item.as_table()) result.push_back(t);
  return result;
}

// A number with its provenance, as ties.toml writes it: a share (0..1), or with `money` any value
// of at least 0.
TieValue tie_value(const Fields& parent, std::string_view key, const Model& model,
                   Diagnostics& out, bool required = true, bool money = false);

class InfraLoader {
 public:
  InfraLoader(const TomlRecords& file, Model& model, Diagnostics& out)
      : file_(file), model_(model), out_(out) {}

  void run() {
    for (const toml::table* t : records(file_, "node")) node(*t);
    for (const toml::table* t : records(file_, "link")) link(*t);
    for (const toml::table* t : records(file_, "flow")) flow(*t);
  }

 private:
  bool unique(std::set<std::string, std::less<>>& ids, const std::string& id, const Fields& f) {
    if (id.empty()) return false;
    if (!ids.insert(id).second) {
      f.error("id", fmt::format("duplicate id '{}'", id));
      return false;
    }
    return true;
  }

  void node(const toml::table& t) {
    Fields f(t, file_.label, out_, {"id", "name", "kind", "country"});
    InfraNode n;
    n.id = f.string("id");
    n.name = f.string("name");
    n.kind = f.string("kind");
    if (!n.kind.empty() && !kNodeKinds.contains(n.kind))
      f.error("kind", fmt::format("'{}' is not a node kind; expected one of: {}", n.kind,
                                  fmt::join(kNodeKinds, ", ")));
    n.country = f.string("country");
    if (!n.country.empty() && !valid_country(n.country))
      f.error("country", fmt::format("'{}' is not a three-letter country code", n.country));
    n.origin = f.origin();
    if (unique(node_ids_, n.id, f)) model_.infrastructure.nodes.push_back(std::move(n));
  }

  const InfraNode* known_node(const std::string& id, const Fields& f, std::string_view key) {
    if (id.empty()) return nullptr;
    const InfraNode* n = model_.infrastructure.find_node(id);
    if (!n) f.error(key, fmt::format("unknown node '{}'; expected a [[node]] id", id));
    return n;
  }

  std::string carrier_unit(const Fields& f, const std::string& carrier, const std::string& unit) {
    auto it = kCarrierUnits.find(carrier);
    if (it == kCarrierUnits.end()) {
      if (!carrier.empty())
        f.error("carrier", fmt::format("'{}' is not a carrier; expected gas, oil or freight",
                                       carrier));
      return {};
    }
    if (!unit.empty() && unit != it->second)
      f.error("unit", fmt::format("'{}' is not the unit of {}; expected {}", unit, carrier,
                                  it->second));
    return it->second;
  }

  void link(const toml::table& t) {
    auto keys = with_provenance({"id", "name", "kind", "carrier", "from", "to", "capacity", "unit",
                                 "direction", "countries", "operator", "status", "cost"});
    Fields f(t, file_.label, out_, keys);
    InfraLink l;
    l.id = f.string("id");
    l.name = f.string("name");
    l.kind = f.string("kind");
    if (!l.kind.empty() && !kLinkKinds.contains(l.kind))
      f.error("kind", fmt::format("'{}' is not a link kind; expected one of: {}", l.kind,
                                  fmt::join(kLinkKinds, ", ")));
    l.carrier = f.string("carrier");
    l.unit = f.string("unit");
    carrier_unit(f, l.carrier, l.unit);
    l.from = f.string("from");
    l.to = f.string("to");
    const InfraNode* from = known_node(l.from, f, "from");
    const InfraNode* to = known_node(l.to, f, "to");
    if (!l.from.empty() && l.from == l.to) f.error("to", "a link cannot end where it starts");
    auto capacity = f.integer("capacity");
    if (capacity && *capacity < 0)
      f.error("capacity", fmt::format("{} is negative; expected a capacity of 0 or more", *capacity));
    l.capacity = capacity.value_or(0);
    std::string direction = f.string("direction", false);
    if (direction.empty()) direction = "forward";
    if (direction != "forward" && direction != "both")
      f.error("direction", fmt::format("'{}' is not a direction; expected forward or both", direction));
    l.both_ways = direction == "both";
    l.countries = f.strings("countries");
    for (const auto& c : l.countries)
      if (!valid_country(c))
        f.error("countries", fmt::format("'{}' is not a three-letter country code", c));
    for (const InfraNode* end : {from, to})
      if (end && std::find(l.countries.begin(), l.countries.end(), end->country) == l.countries.end())
        f.error("countries", fmt::format("node '{}' lies in {}, which the link's countries [{}] "
                                         "do not include",
                                         end->id, end->country, fmt::join(l.countries, ", ")));
    l.operator_name = f.string("operator", false);
    l.provenance = read_provenance(f, model_, static_cast<double>(l.capacity));
    if (f.has("cost")) {
      l.cost = tie_value(f, "cost", model_, out_, true, true);
      if (l.cost->low() <= 0.0) f.error("cost", "a routing weight must be above 0");
    }
    for (const toml::table* st : f.tables("status")) l.statuses.push_back(status(*st, l));
    if (l.statuses.empty())
      f.error("status", "missing; expected at least one [[link.status]] with its date");
    std::stable_sort(l.statuses.begin(), l.statuses.end(),
                     [](const LinkStatus& a, const LinkStatus& b) { return a.from < b.from; });
    l.origin = f.origin();
    if (unique(link_ids_, l.id, f)) model_.infrastructure.links.push_back(std::move(l));
  }

  LinkStatus status(const toml::table& t, const InfraLink& link) {
    auto keys = with_provenance({"from", "status", "capacity"});
    Fields f(t, file_.label, out_, keys);
    LinkStatus s;
    s.from = f.date("from").value_or(Date{});
    s.status = f.string("status");
    if (!s.status.empty() && !kStatuses.contains(s.status))
      f.error("status", fmt::format("'{}' is not a status; expected one of: {}", s.status,
                                    fmt::join(kStatuses, ", ")));
    if (f.has("capacity")) {
      s.capacity = f.integer("capacity");
      if (s.capacity && *s.capacity < 0)
        f.error("capacity", fmt::format("{} is negative; expected 0 or more", *s.capacity));
    }
    s.provenance = read_provenance(
        f, model_, s.capacity ? std::optional<double>(*s.capacity) : std::nullopt);
    (void)link;
    return s;
  }

  void flow(const toml::table& t) {
    auto keys = with_provenance({"node", "carrier", "kind", "year", "value", "unit"});
    Fields f(t, file_.label, out_, keys);
    InfraFlow fl;
    fl.node = f.string("node");
    known_node(fl.node, f, "node");
    fl.carrier = f.string("carrier");
    fl.unit = f.string("unit");
    carrier_unit(f, fl.carrier, fl.unit);
    fl.kind = f.string("kind");
    if (!fl.kind.empty() && !kFlowKinds.contains(fl.kind))
      f.error("kind", fmt::format("'{}' is not a flow kind; expected supply, demand or peak", fl.kind));
    fl.year = static_cast<int>(f.integer("year").value_or(0));
    if (f.has("year") && (fl.year < 1900 || fl.year > 2100))
      f.error("year", fmt::format("{} is not a plausible year", fl.year));
    auto value = f.integer("value");
    if (value && *value < 0) f.error("value", fmt::format("{} is negative", *value));
    fl.value = value.value_or(0);
    fl.provenance = read_provenance(f, model_, static_cast<double>(fl.value));
    fl.origin = f.origin();
    for (const InfraFlow& other : model_.infrastructure.flows)
      if (other.node == fl.node && other.carrier == fl.carrier && other.kind == fl.kind &&
          other.year == fl.year)
        f.error("year", fmt::format("a second {} {} at '{}' in {} (first on line {})", fl.carrier,
                                    fl.kind, fl.node, fl.year, other.origin.line));
    model_.infrastructure.flows.push_back(std::move(fl));
  }

  const TomlRecords& file_;
  Model& model_;
  Diagnostics& out_;
  std::set<std::string, std::less<>> node_ids_, link_ids_;
};

// A share (0..1) or, with `money`, an amount (>= 0, million US$). A quoted or cited number may
// state a range too (the uncertainty of reading it); without one its range is [value, value].
TieValue tie_value(const Fields& parent, std::string_view key, const Model& model,
                   Diagnostics& out, bool required, bool money) {
  TieValue v;
  const toml::table* t = parent.subtable(key, required);
  if (!t) return v;
  auto keys = with_provenance({"value"});
  Fields f(*t, parent.file(), out, keys);
  v.value = f.number("value").value_or(0.0);
  if (money ? v.value < 0.0 : (v.value < 0.0 || v.value > 1.0))
    f.error("value", money ? fmt::format("{} in {} is negative; expected 0 or more", v.value, key)
                           : fmt::format("{} in {} is not a share; expected 0 to 1", v.value, key));
  v.provenance = read_provenance(f, model, v.value);
  if (v.provenance.source != "assumption") {
    v.provenance.range_low = v.provenance.range_high = v.value;
    const toml::node* range = f.table().get("range");
    if (const toml::array* a = range ? range->as_array() : nullptr) {
      if (a->size() != 2 || !(*a)[0].is_number() || !(*a)[1].is_number()) {
        f.error("range", "malformed; expected range = [low, high]");
      } else {
        v.provenance.range_low = (*a)[0].value<double>().value_or(0.0);
        v.provenance.range_high = (*a)[1].value<double>().value_or(0.0);
        if (v.provenance.range_high < v.provenance.range_low)
          f.error("range", "high end is below the low end");
        else if (v.value < v.provenance.range_low || v.value > v.provenance.range_high)
          f.error("range", fmt::format("value {} lies outside its range [{}, {}]", v.value,
                                       v.provenance.range_low, v.provenance.range_high));
      }
    } else if (range) {
      f.error("range", "malformed; expected range = [low, high]");
    }
  }
  if (!money && (v.provenance.range_low < 0.0 || v.provenance.range_high > 1.0))
    f.error("range", fmt::format("[{}, {}] is not a range of shares; expected 0 to 1",
                                 v.provenance.range_low, v.provenance.range_high));
  return v;
}

}  // namespace

const InfraNode* Infrastructure::find_node(std::string_view id) const {
  for (const auto& n : nodes)
    if (n.id == id) return &n;
  return nullptr;
}

const InfraLink* Infrastructure::find_link(std::string_view id) const {
  for (const auto& l : links)
    if (l.id == id) return &l;
  return nullptr;
}

void load_infrastructure(const ModelFiles& files, Model& model, Diagnostics& out) {
  TomlRecords file = read_optional(files, "infrastructure.toml", {"node", "link", "flow"}, out);
  if (!file.present) return;
  InfraLoader(file, model, out).run();
}

const ActorGdp* Ties::find_gdp(std::string_view actor) const {
  for (const auto& g : gdp)
    if (g.actor == actor) return &g;
  return nullptr;
}

void load_ties(const ModelFiles& files, Model& model, Diagnostics& out) {
  TomlRecords file = read_optional(files, "ties.toml", {"tie", "gdp"}, out);
  if (!file.present) return;
  for (const toml::table* t : records(file, "gdp")) {
    Fields f(*t, file.label, out, {"actor", "year", "gdp"});
    ActorGdp g;
    g.actor = f.string("actor");
    if (!g.actor.empty() && !model.find_actor(g.actor))
      f.error("actor", fmt::format("unknown actor '{}'; expected an id from actors.toml", g.actor));
    g.year = static_cast<int>(f.integer("year").value_or(0));
    g.gdp = tie_value(f, "gdp", model, out, true, true);
    if (!(g.gdp.value > 0.0)) f.error("gdp", "a GDP must be above 0");
    g.origin = f.origin();
    if (const ActorGdp* first = model.ties.find_gdp(g.actor))
      f.error("actor", fmt::format("second GDP for '{}' (first on line {})", g.actor,
                                   first->origin.line));
    else
      model.ties.gdp.push_back(std::move(g));
  }
  std::set<std::string, std::less<>> ids;
  for (const toml::table* t : records(file, "tie")) {
    Fields f(*t, file.label, out,
             {"id", "channel", "from", "to", "year", "what", "sensitivity", "substitution",
              "own_cost", "carrier", "destinations", "at_stake", "own_loss", "kept_short",
              "alternatives", "reroute_cost"});
    Tie tie;
    tie.id = f.string("id");
    tie.channel = f.string("channel");
    if (!tie.channel.empty() && !kChannels.contains(tie.channel))
      f.error("channel", fmt::format("'{}' is not a channel; expected one of: {}", tie.channel,
                                     fmt::join(kChannels, ", ")));
    tie.from = f.string("from");
    tie.to = f.string("to");
    for (auto [key, id] : {std::pair{"from", tie.from}, std::pair{"to", tie.to}})
      if (!id.empty() && !model.find_actor(id))
        f.error(key, fmt::format("unknown actor '{}'; expected an id from actors.toml", id));
    if (!tie.from.empty() && tie.from == tie.to) f.error("to", "a tie joins two different actors");
    tie.year = static_cast<int>(f.integer("year").value_or(0));
    tie.what = f.string("what");
    tie.sensitivity = tie_value(f, "sensitivity", model, out);
    if (f.has("substitution")) tie.substitution = tie_value(f, "substitution", model, out);
    tie.own_cost = tie_value(f, "own_cost", model, out);
    // The common scale: both amounts or neither (a channel with no money value, such as a
    // security guarantee, stays off it); the shares that go with them.
    if (f.has("at_stake")) tie.at_stake = tie_value(f, "at_stake", model, out, true, true);
    if (f.has("own_loss")) tie.own_loss = tie_value(f, "own_loss", model, out, true, true);
    if (tie.at_stake.has_value() != tie.own_loss.has_value())
      f.error(tie.at_stake ? "own_loss" : "at_stake",
              "missing; a tie on the common scale needs both at_stake and own_loss (million US$ "
              "a year)");
    if (f.has("kept_short")) tie.kept_short = tie_value(f, "kept_short", model, out);
    if (f.has("alternatives")) tie.alternatives = tie_value(f, "alternatives", model, out);
    if (f.has("reroute_cost")) tie.reroute_cost = tie_value(f, "reroute_cost", model, out);
    if (tie.at_stake && !tie.kept_short)
      f.error("kept_short", "missing; a tie on the common scale needs the share j keeps before "
                            "rerouting");
    tie.carrier = f.string("carrier", false);
    tie.destinations = f.strings("destinations", false);
    if (!tie.carrier.empty() && !kCarrierUnits.contains(tie.carrier))
      f.error("carrier", fmt::format("'{}' is not a carrier; expected gas, oil or freight", tie.carrier));
    if (tie.carrier.empty() != tie.destinations.empty())
      f.error("destinations", "a physical tie needs both carrier and destinations");
    for (const auto& d : tie.destinations)
      if (!model.infrastructure.find_node(d))
        f.error("destinations", fmt::format("unknown node '{}'; expected a node of "
                                            "infrastructure.toml", d));
    if (!tie.carrier.empty() && tie.at_stake && !tie.alternatives)
      f.error("alternatives", "missing; a physical tie on the common scale needs the share of the "
                              "network's shortfall j covers from supplies outside the network");
    if (tie.carrier.empty() && (tie.alternatives || tie.reroute_cost))
      f.error(tie.alternatives ? "alternatives" : "reroute_cost",
              "only a physical tie (carrier and destinations) has this");
    if (tie.carrier.empty() && !tie.substitution)
      f.error("substitution", "missing; a tie without a network route needs the share j can "
                              "replace elsewhere");
    tie.origin = f.origin();
    if (!tie.id.empty()) {
      if (!ids.insert(tie.id).second) f.error("id", fmt::format("duplicate id '{}'", tie.id));
      else model.ties.ties.push_back(std::move(tie));
    }
  }
}

}  // namespace sphere::kb

// The monthly dynamics: building an engine from a model (calibration replay of the event log,
// intensities, parameters, shocks) and simulating one trajectory. Equations: docs/MODEL.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "events/events.h"
#include "network/network.h"
#include "sim/sim.h"

namespace sphere::sim {
namespace {

constexpr int kRing = 12;  // months in the moving windows (R12, force12, rel12)
constexpr double kMaxR = 10.0;
constexpr std::uint32_t kMaxEventsPerCell = 200;  // guard against runaway excitation
constexpr std::size_t kMinDyadPool = 3;
constexpr double kMaxOmega = 30.0;  // per month: an e-folding time of one day

double clip(double x) { return std::clamp(x, -kMaxR, kMaxR); }

// +1 for cooperation classes, -1 for conflict classes.
double class_sign(int c) { return c < 2 ? 1.0 : -1.0; }

// Events of CAMEO roots 18–20 (assault, fight, unconventional mass violence).
bool is_force(const std::string& cameo) {
  const int root = cameo.size() >= 2 ? std::stoi(cameo.substr(0, 2)) : 0;
  return root >= 18 && root <= 20;
}

InputError model_error(const std::string& field, const std::string& message) {
  return InputError("model.toml", 0, field, message);
}

// Parameter values by name, with the ranges model.toml gives them.
class ParameterTable {
 public:
  ParameterTable(const kb::Model& model, const std::map<std::string, double>& overrides)
      : overrides_(overrides) {
    for (const auto& p : model.parameters) values_.push_back({p.name, p.value});
    Diagnostics problems;
    std::vector<std::string> names;
    for (const auto& p : model.parameters) names.push_back(p.name);
    for (const auto& [name, value] : overrides) {
      const kb::Parameter* p = model.find_parameter(name);
      if (!p) {
        problems.add(kRequest, 0, "set",
                     fmt::format("no parameter '{}' in model.toml{}", name,
                                 did_you_mean(name, names)));
        continue;
      }
      // The range is the one model.toml states with its rationale: a value beyond it is refused
      // rather than extrapolated (widen the range there, with a reason, to go further).
      if (value < p->low || value > p->high)
        problems.add(kRequest, 0, "set",
                     fmt::format("{}={} is outside the parameter's range [{}, {}] ({} line {})",
                                 name, value, p->low, p->high, p->origin.file, p->origin.line));
      for (auto& [n, v] : values_)
        if (n == name) v = value;
    }
    if (!problems.empty()) throw InputError(problems);
  }
  double get(const std::string& name) const {
    for (const auto& [n, v] : values_)
      if (n == name) return v;
    throw model_error("parameter", fmt::format("missing [[parameter]] '{}', which the scenario "
                                               "engine needs (docs/MODEL.md)", name));
  }
  // Whether the value was given on the command line (or by a sensitivity sample).
  bool overridden(const std::string& name) const { return overrides_.contains(name); }
  double get_or(const std::string& name, const std::string& fallback) const {
    for (const auto& [n, v] : values_)
      if (n == name) return v;
    return get(fallback);
  }
  const std::vector<std::pair<std::string, double>>& values() const { return values_; }

 private:
  std::vector<std::pair<std::string, double>> values_;
  std::map<std::string, double> overrides_;
};

std::string leverage_parameter(const std::string& i, const std::string& j) {
  return fmt::format("leverage.{}.{}", i, j);
}

// The focal pair's leverage as model.toml's parameters give it.
class ParameterLeverage : public LeverageModel {
 public:
  ParameterLeverage(const EngineParameters& p, const std::string& a, const std::string& b)
      : p_(p), a_(a), b_(b) {}
  double leverage(const std::string& i, const std::string& j) const override {
    const std::optional<double>& v = i == a_ && j == b_ ? p_.leverage_ab : p_.leverage_ba;
    if (!v || !((i == a_ && j == b_) || (i == b_ && j == a_)))
      throw model_error("parameter", fmt::format("missing [[parameter]] '{}', which the scenario "
                                                 "engine needs (docs/MODEL.md)",
                                                 leverage_parameter(i, j)));
    return *v;
  }
  std::string describe(const std::string& i, const std::string& j) const override {
    return fmt::format("parameter {}{}", leverage_parameter(i, j),
                       set(i, j) ? " (given on the command line)" : "");
  }
  // Whether the request set the parameter of i over j.
  bool set(const std::string& i, const std::string& j) const {
    return i == a_ && j == b_ ? p_.leverage_ab_set : i == b_ && j == a_ && p_.leverage_ba_set;
  }

 private:
  const EngineParameters& p_;
  std::string a_, b_;
};

}  // namespace

EngineParameters EngineParameters::read(const kb::Model& model, const std::vector<std::string>& actors,
                                        const std::string& focal_a, const std::string& focal_b,
                                        const std::map<std::string, double>& overrides) {
  const ParameterTable table(model, overrides);
  EngineParameters p;
  p.values = table.values();
  p.theta = table.get("theta");
  p.kappa = table.get("kappa");
  p.beta = table.get("beta");
  const int n = static_cast<int>(actors.size());
  for (int i = 0; i < n; ++i)  // Engine::dyad order: i, then j != i
    for (int j = 0; j < n; ++j)
      if (i != j)
        p.baseline.push_back(
            table.get_or(fmt::format("baseline.{}.{}", actors[i], actors[j]), "baseline.default"));
  p.rho = table.get("rho");
  p.hostility = table.get("hostility");
  p.retaliation = table.get("retaliation");
  p.block_months = table.get("block.months");
  p.block_trade_cut = table.get("block.trade_cut");
  const char* tools[] = {"block", "arrest", "negotiate"};
  for (std::size_t k = 0; k < p.tools.size(); ++k)
    p.tools[k] = {table.get(fmt::format("{}.gain", tools[k])),
                  table.get(fmt::format("{}.cost", tools[k]))};
  p.omega = table.get("omega");
  p.omega_set = table.overridden("omega");
  const auto find = [&](const std::string& name) -> std::optional<double> {
    for (const auto& [k, v] : p.values)
      if (k == name) return v;
    return std::nullopt;
  };
  p.leverage_ab = find(leverage_parameter(focal_a, focal_b));
  p.leverage_ba = find(leverage_parameter(focal_b, focal_a));
  p.leverage_ab_set = table.overridden(leverage_parameter(focal_a, focal_b));
  p.leverage_ba_set = table.overridden(leverage_parameter(focal_b, focal_a));
  p.trade_start = table.get("trade.start");
  p.trade_elasticity = table.get("trade.elasticity");
  p.gas_start = table.get("gas.start");
  p.gas_target = table.get("gas.target");
  p.gas_ramp_months = table.get("gas.ramp_months");
  p.gas_elasticity = table.get("gas.elasticity");
  p.branching = table.get("branching");
  p.branching_set = table.overridden("branching");
  p.bargain_leverage_weight = find("bargain.leverage_weight");
  return p;
}

namespace {

// The simulated actor an event's actor stands for: itself, its count_as entry, or (following
// affiliations) the simulated actor it belongs to; -1 when none.
int simulated_index(const kb::Model& model, const kb::SimulationSpec& spec, std::string id) {
  for (int depth = 0; depth < 5 && !id.empty(); ++depth) {
    auto it = std::find(spec.actors.begin(), spec.actors.end(), id);
    if (it != spec.actors.end()) return static_cast<int>(it - spec.actors.begin());
    if (auto c = spec.count_as.find(id); c != spec.count_as.end()) {
      id = c->second;
      continue;
    }
    const kb::Actor* a = model.find_actor(id);
    id = a ? a->affiliation : std::string();
  }
  return -1;
}

// Checks a block:/open: shock's link. A link of another carrier than gas leaves gas alone; it is
// accepted only when the leverage follows the network (`leverage_follows`), since otherwise it
// would change nothing.
void check_network_shock(const kb::Model& model, const Shock& shock, bool leverage_follows) {
  auto fail = [&](const std::string& why) {
    return InputError(kRequest, 0, "shock", fmt::format("'{}': {}", shock.text, why));
  };
  const kb::InfraLink* link = model.infrastructure.find_link(shock.link);
  if (!link) {
    std::vector<std::string> ids;
    for (const auto& l : model.infrastructure.links) ids.push_back(l.id);
    throw fail(fmt::format("unknown shock target '{}': no such link in infrastructure.toml{}",
                           shock.link, did_you_mean(shock.link, ids)));
  }
  if (link->carrier != "gas" && !leverage_follows)
    throw fail(fmt::format("link '{}' carries {}; with leverage = \"parameters\" only gas links "
                           "feed the simulation",
                           shock.link, link->carrier));
}

// Whether the gas network has a consumer of the gas buyer's country with a demand: only then does
// the network bound the gas indicator.
bool network_serves(const kb::Infrastructure& infra, const std::string& buyer) {
  for (const auto& f : infra.flows) {
    if (f.carrier != "gas" || f.kind != "demand" || f.value <= 0) continue;
    const kb::InfraNode* node = infra.find_node(f.node);
    if (node && node->country == buyer) return true;
  }
  return false;
}

}  // namespace

double gas_deliverable(const kb::Model& model, const std::string& buyer, int year,
                       const std::vector<const Shock*>& in_force) {
  network::Scenario sc;
  sc.year = year;
  sc.carrier = "gas";
  for (const Shock* s : in_force) {
    if (s->kind == ShockKind::kBlock) sc.cut.push_back(s->link);
    else if (s->kind == ShockKind::kOpen) sc.opened.push_back({s->link, Date{s->month / 12, s->month % 12 + 1, 0}});
  }
  std::int64_t total = 0;
  for (const auto& d : network::solve(model.infrastructure, sc).destinations)
    if (d.country == buyer) total += d.volume;
  return static_cast<double>(total) * kDaysPerYear / 1000.0;  // mcm/d -> bcm/y
}

int quad_class(const std::string& cameo) {
  // One scheme across the event layer, the engine and the docs: GDELT's QuadClass (the events
  // layer's default), shifted to 0..3. The model loader has checked every code.
  return std::max(0, events::QuadScheme::gdelt().classify(cameo) - 1);
}

Intensities LogRateIntensities::estimate(const CalibrationData& data, double beta,
                                         double branching, double omega) const {
  Intensities out;
  out.mu.assign(static_cast<std::size_t>(data.dyads) * 4, 0.0);
  for (int d = 0; d < data.dyads; ++d)
    for (int c = 0; c < 4; ++c) {
      double count = 0, exposure = 0;
      for (int m = 0; m < data.months; ++m) {
        count += data.counts[(static_cast<std::size_t>(m) * data.dyads + d) * 4 + c];
        exposure += std::exp(class_sign(c) * beta *
                             data.relation[static_cast<std::size_t>(m) * data.dyads + d] / 10.0);
      }
      out.mu[d * 4 + c] = exposure > 0 ? (1.0 - branching) * count / exposure : 0.0;
    }
  out.branching = branching;
  out.omega = omega;
  // A kernel that fades within a day acts, at monthly steps, like one that puts every offspring
  // in the next month; the cap keeps decay (and alpha below) finite.
  out.decay = std::exp(-std::min(omega, kMaxOmega));
  // Each event raises its dyad's and the reverse dyad's intensity by alpha·decay^k at lag k ≥ 1:
  // 2·alpha·decay/(1 − decay) offspring per event, set equal to the branching ratio.
  out.alpha = branching * (1.0 - out.decay) / (2.0 * out.decay);
  return out;
}

ShockSpec parse_shock_spec(const std::string& text) {
  auto fail = [&](const std::string& why) {
    return InputError(kRequest, 0, "shock", fmt::format("'{}': {}", text, why));
  };
  const auto colon = text.find(':');
  const auto at = text.rfind('@');
  if (colon == std::string::npos || at == std::string::npos || at < colon)
    throw fail("expected KIND:TARGET@YYYY-MM (event:RUS>AZE:173@2026-01)");
  const std::string kind = text.substr(0, colon);
  const std::string target = text.substr(colon + 1, at - colon - 1);
  if (kind != "event" && kind != "block" && kind != "open")
    throw fail(fmt::format("unknown shock kind '{}'; expected event, block or open{}", kind,
                           did_you_mean(kind, {"event", "block", "open"})));
  std::string why;
  auto date = Date::parse(text.substr(at + 1), &why);
  if (!date || date->precision() != Date::Precision::kMonth)
    throw fail("the date after @ must be a month YYYY-MM" + (why.empty() ? "" : ": " + why));
  ShockSpec spec;
  spec.text = text;
  spec.month = *date;
  if (kind == "block") {
    spec.what = BlockShock{target};
  } else if (kind == "open") {
    spec.what = OpenShock{target};
  } else {
    const auto gt = target.find('>');
    const auto colon2 = target.find(':');
    if (gt == std::string::npos || colon2 == std::string::npos || colon2 < gt)
      throw fail("expected event:FROM>TO:CAMEO@YYYY-MM");
    spec.what = EventShock{target.substr(0, gt), target.substr(gt + 1, colon2 - gt - 1),
                           target.substr(colon2 + 1)};
  }
  return spec;
}

std::vector<ShockSpec> parse_shock_specs(const std::vector<std::string>& texts) {
  std::vector<ShockSpec> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(parse_shock_spec(t));
  return out;
}

Shock resolve_shock(const ShockSpec& spec, const std::vector<std::string>& actors,
                    const kb::Codebook& codebook, int start_month, int horizon_month) {
  auto fail = [&](const std::string& why) {
    return InputError(kRequest, 0, "shock", fmt::format("'{}': {}", spec.text, why));
  };
  Shock s;
  s.kind = spec.kind();
  s.text = spec.text;
  s.month = spec.month.month_index();
  if (s.month < start_month || s.month > horizon_month)
    throw fail("the month lies outside the simulated months");
  if (const auto* block = std::get_if<BlockShock>(&spec.what)) {
    s.link = block->link;
    return s;  // the network effect is computed by Engine::build
  }
  if (const auto* open = std::get_if<OpenShock>(&spec.what)) {
    s.link = open->link;
    return s;
  }
  const auto& event = std::get<EventShock>(spec.what);
  auto actor = [&](const std::string& id) {
    auto it = std::find(actors.begin(), actors.end(), id);
    if (it == actors.end())
      throw fail(fmt::format("unknown shock target '{}'; simulated actors are {}{}", id,
                             fmt::join(actors, ", "), did_you_mean(id, actors)));
    return static_cast<int>(it - actors.begin());
  };
  s.from = actor(event.from);
  s.to = actor(event.to);
  if (s.from == s.to) throw fail("an event needs two different actors");
  s.cameo = event.cameo;
  const kb::CodebookEntry* code = codebook.find(s.cameo);
  if (!code) throw fail(fmt::format("'{}' is not a CAMEO event code", s.cameo));
  s.goldstein = code->goldstein;
  return s;
}

Shock parse_shock(const std::string& text, const std::vector<std::string>& actors,
                  const kb::Codebook& codebook, int start_month, int horizon_month) {
  return resolve_shock(parse_shock_spec(text), actors, codebook, start_month, horizon_month);
}

// Engine::build's steps, in order; each fills its part of the engine.
struct Engine::Builder {
  // Which leverage directions follow the network (so that block:/open: shocks move them).
  struct LeverageChoice {
    bool network_ab = false, network_ba = false;
  };

  // Actors, months and the focal pair, gas seller and buyer.
  static void set_calendar(Engine& e, const kb::SimulationSpec& spec, const EngineOptions& options) {
    e.actors_ = spec.actors;
    e.n_ = static_cast<int>(e.actors_.size());
    e.dyads_ = e.n_ * (e.n_ - 1);
    const Date start = options.start.value_or(spec.start);
    const Date horizon = options.horizon.value_or(spec.horizon);
    e.start_ = start.month_index();
    e.horizon_ = horizon.month_index();
    if (e.horizon_ < e.start_)
      throw InputError(kRequest, 0, "horizon",
                       fmt::format("{} is before the first simulated month {}", horizon.to_string(),
                                   start.to_string()));
    auto index_of = [&](const std::string& id) {
      return static_cast<int>(std::find(e.actors_.begin(), e.actors_.end(), id) - e.actors_.begin());
    };
    e.a_ = index_of(spec.focal_a);
    e.b_ = index_of(spec.focal_b);
    e.gs_ = index_of(spec.gas_seller);
    e.gb_ = index_of(spec.gas_buyer);
  }

  // The dynamics' parameters, read once by name from model.toml (with the overrides).
  static void read_parameters(Engine& e, const kb::Model& model, const EngineOptions& options) {
    const kb::SimulationSpec& spec = *model.simulation;
    e.params_ = EngineParameters::read(model, e.actors_, spec.focal_a, spec.focal_b, options.overrides);
    const EngineParameters& p = e.params_;
    e.theta_ = p.theta;
    e.kappa_ = p.kappa;
    e.beta_ = p.beta;
    e.baseline_ = p.baseline;
    e.rho_ = p.rho;
    e.hostility_ = p.hostility;
    e.retaliation_ = p.retaliation;
    e.block_months_ = std::round(p.block_months);
    e.block_cut_ = p.block_trade_cut;
    auto tool = [&](int k, const char* name, const char* cameo, bool coercive) {
      const kb::CodebookEntry* code = model.codebook.find(cameo);
      return Tool{name, cameo, code ? code->goldstein : 0.0, p.tools[k].gain, p.tools[k].cost,
                  coercive};
    };
    // CAMEO 191 impose blockade, 173 arrest or detain, 046 engage in negotiation.
    e.tools_ = {tool(0, "block", "191", true), tool(1, "arrest", "173", true),
                tool(2, "negotiate", "046", false)};
  }

  // Starting leverage: the caller's model, else model.toml's choice; a value given on the
  // command line (or by a sensitivity sample) always wins, so that it can be varied.
  static LeverageChoice choose_leverage(Engine& e, const kb::Model& model, const EngineOptions& options) {
    const kb::SimulationSpec& spec = *model.simulation;
    const int year_before = e.start_ / 12 - 1;  // ties known before the first simulated month
    ParameterLeverage by_parameter(e.params_, spec.focal_a, spec.focal_b);
    std::optional<NetworkLeverage> by_network;
    const bool both_given = by_parameter.set(spec.focal_a, spec.focal_b) &&
                            by_parameter.set(spec.focal_b, spec.focal_a);
    if (!options.leverage && spec.leverage == "network" && !both_given)
      by_network.emplace(model, year_before);
    const LeverageModel& chosen = options.leverage ? *options.leverage
                                  : by_network     ? static_cast<const LeverageModel&>(*by_network)
                                                   : by_parameter;
    auto starting_leverage = [&](const std::string& i, const std::string& j, std::string& note) {
      const LeverageModel& m = by_parameter.set(i, j) ? by_parameter : chosen;
      note = m.describe(i, j);
      return m.leverage(i, j);
    };
    e.lev0_ab_ = starting_leverage(spec.focal_a, spec.focal_b, e.leverage_notes_[0]);
    e.lev0_ba_ = starting_leverage(spec.focal_b, spec.focal_a, e.leverage_notes_[1]);
    LeverageChoice out;
    out.network_ab = by_network && !options.leverage && !by_parameter.set(spec.focal_a, spec.focal_b);
    out.network_ba = by_network && !options.leverage && !by_parameter.set(spec.focal_b, spec.focal_a);
    return out;
  }

  // Trade and gas paths.
  static void read_paths(Engine& e) {
    const EngineParameters& p = e.params_;
    e.trade0_ = p.trade_start;
    e.trade_el_ = p.trade_elasticity;
    e.gas_start_ = p.gas_start;
    e.gas_target_ = p.gas_target;
    e.gas_ramp_ = std::max(1.0, p.gas_ramp_months);
    e.gas_el_ = p.gas_elasticity;
  }

  // The calibration replay over [start - calibration_months, start), observed events only: the
  // event pools, the relation and excitation state at the start with its 12-month rings, and
  // what the intensity estimate needs (counts, relation, the focal pair's event days).
  static CalibrationData replay_calibration(Engine& e, const kb::Model& model, double omega) {
    const kb::SimulationSpec& spec = *model.simulation;
    CalibrationData data;
    data.months = spec.calibration_months;
    data.dyads = e.dyads_;
    data.counts.assign(static_cast<std::size_t>(data.months) * e.dyads_ * 4, 0.0);
    data.relation.assign(static_cast<std::size_t>(data.months) * e.dyads_, 0.0);
    const int first = e.start_ - data.months;
    // Day times of the focal pair's events for a Hawkes fit: days from the window's first day.
    auto first_day_of = [](int month_index) { return Date{month_index / 12, month_index % 12 + 1, 1}; };
    const long window_first = events::days_from_civil(first_day_of(first));
    std::map<std::pair<int, int>, int> month_dated;  // (direction, month index) -> events
    data.window_days =
        static_cast<double>(events::days_from_civil(first_day_of(e.start_)) - window_first);
    std::vector<double> goldstein(static_cast<std::size_t>(data.months) * e.dyads_, 0.0);
    std::vector<double> force(goldstein.size(), 0.0);
    std::vector<std::vector<std::pair<std::string, double>>> dyad_pool(
        static_cast<std::size_t>(e.dyads_) * 4);
    for (const kb::Event& ev : model.events) {
      const int i = simulated_index(model, spec, ev.actor1);
      const int j = simulated_index(model, spec, ev.actor2);
      // Every event before the start feeds the empirical Goldstein distribution of its class.
      if (ev.date.month_index() < e.start_)
        e.empirical_[quad_class(ev.cameo)].push_back({ev.cameo, ev.goldstein});
      if (i < 0 || j < 0 || i == j) continue;
      if (ev.date.month_index() < e.start_) {  // and that of its (undirected) dyad
        dyad_pool[e.dyad(i, j) * 4 + quad_class(ev.cameo)].push_back({ev.cameo, ev.goldstein});
        dyad_pool[e.dyad(j, i) * 4 + quad_class(ev.cameo)].push_back({ev.cameo, ev.goldstein});
      }
      const bool year_only = ev.date.precision() == Date::Precision::kYear;
      const bool focal = (i == e.a_ && j == e.b_) || (i == e.b_ && j == e.a_);
      const int mi = ev.date.month_index();
      if (focal && !year_only && mi >= first && mi < e.start_) {
        if (ev.date.day)
          data.focal_days[i == e.a_ ? 0 : 1].push_back(
              static_cast<double>(events::days_from_civil(ev.date) - window_first) + 0.5);
        else
          ++month_dated[{i == e.a_ ? 0 : 1, mi}];
      }
      const int m0 = ev.date.month_index(), span = year_only ? 12 : 1;
      for (int m = m0; m < m0 + span; ++m) {
        if (m < first || m >= e.start_) continue;
        const std::size_t k = static_cast<std::size_t>(m - first) * e.dyads_ + e.dyad(i, j);
        const double w = 1.0 / span;
        data.counts[k * 4 + quad_class(ev.cameo)] += w;
        goldstein[k] += w * ev.goldstein;
        if (is_force(ev.cameo)) force[k] += w;
      }
    }
    for (int c = 0; c < 4; ++c)
      if (e.empirical_[c].empty())  // no observed event of the class: its CAMEO root codes
        for (const auto& entry : model.codebook.entries())
          if (entry.code.size() == 2 && quad_class(entry.code) == c)
            e.empirical_[c].push_back({entry.code, entry.goldstein});

    // A dyad draws from its own history where it has kMinDyadPool events of the class, else
    // from the class's pool over all actors.
    e.dyad_pools_ = std::move(dyad_pool);
    for (auto& pool : e.dyad_pools_)
      if (pool.size() < kMinDyadPool) pool.clear();
    const double decay = std::exp(-omega);
    std::vector<double> R(e.baseline_), H(static_cast<std::size_t>(e.dyads_) * 4, 0.0);
    e.R_ring0_.assign(static_cast<std::size_t>(kRing) * e.dyads_, 0.0);
    e.force_ring0_.assign(e.R_ring0_.size(), 0.0);
    e.rel_ring0_.assign(kRing, 0.0);
    for (int k = 0; k < kRing; ++k) {  // months before the window: at baseline, no events
      for (int d = 0; d < e.dyads_; ++d) e.R_ring0_[k * e.dyads_ + d] = R[d];
      e.rel_ring0_[k] = (R[e.dyad(e.a_, e.b_)] + R[e.dyad(e.b_, e.a_)]) / 2;
    }
    for (int m = 0; m < data.months; ++m) {
      const std::size_t row = static_cast<std::size_t>(m) * e.dyads_;
      std::copy(R.begin(), R.end(), data.relation.begin() + row);
      std::vector<double> next(R);
      for (int i = 0; i < e.n_; ++i)
        for (int j = 0; j < e.n_; ++j) {
          if (i == j) continue;
          const int d = e.dyad(i, j), r = e.dyad(j, i);
          next[d] = clip(R[d] + e.theta_ * (e.baseline_[d] - R[d]) +
                         e.kappa_ * (goldstein[row + d] + goldstein[row + r]));
          for (int c = 0; c < 4; ++c)
            H[d * 4 + c] = decay * (H[d * 4 + c] + data.counts[(row + d) * 4 + c]);
        }
      R = next;
      const int slot = (first + m) % kRing;
      for (int d = 0; d < e.dyads_; ++d) {
        e.R_ring0_[slot * e.dyads_ + d] = R[d];
        e.force_ring0_[slot * e.dyads_ + d] = force[row + d];
      }
      e.rel_ring0_[slot] = (R[e.dyad(e.a_, e.b_)] + R[e.dyad(e.b_, e.a_)]) / 2;
    }
    e.R0_ = R;
    e.H0_ = H;
    e.rel0_ = (R[e.dyad(e.a_, e.b_)] + R[e.dyad(e.b_, e.a_)]) / 2;
    e.gas_rel0_ = (R[e.dyad(e.gs_, e.gb_)] + R[e.dyad(e.gb_, e.gs_)]) / 2;
    // Month-dated events spread evenly over their month (not piled on one day, which a fit would
    // read as a burst); several events on one day spread evenly over that day, since a Hawkes
    // process has no ties.
    for (const auto& [key, count] : month_dated) {
      const long from = events::days_from_civil(first_day_of(key.second));
      const double length =
          static_cast<double>(events::days_from_civil(first_day_of(key.second + 1)) - from);
      for (int k = 0; k < count; ++k)
        data.focal_days[key.first].push_back(static_cast<double>(from - window_first) +
                                             length * (k + 0.5) / count);
    }
    for (auto& days : data.focal_days) {
      std::sort(days.begin(), days.end());
      for (std::size_t k = 0; k < days.size();) {
        std::size_t end = k;
        while (end < days.size() && days[end] == days[k]) ++end;
        for (std::size_t m = k; m < end; ++m)
          days[m] += static_cast<double>(m - k) / static_cast<double>(end - k) - 0.5 +
                     0.5 / static_cast<double>(end - k);
        k = end;
      }
    }
    return data;
  }

  // Intensities: the caller's model, else model.toml's choice; branching or omega given on the
  // command line (or by a sensitivity sample) always win over a fit.
  static void estimate_intensities(Engine& e, const kb::Model& model, const EngineOptions& options,
                                   const CalibrationData& data) {
    const double branching = e.params_.branching, omega = e.params_.omega;
    LogRateIntensities log_rate;
    HawkesIntensities hawkes;
    const bool fit = model.simulation->intensities == "hawkes" && !e.params_.branching_set &&
                     !e.params_.omega_set;
    const IntensityModel& im = options.intensities ? *options.intensities
                               : fit ? static_cast<const IntensityModel&>(hawkes)
                                     : log_rate;
    e.intensity_ = im.estimate(data, e.beta_, branching, omega);
  }

  // The shocks, and what the network makes of them month by month: the gas it can deliver to
  // the buyer and the leverage in force.
  static void schedule_shocks(Engine& e, const kb::Model& model, const EngineOptions& options,
                              const LeverageChoice& leverage) {
    const kb::SimulationSpec& spec = *model.simulation;
    const bool network_ab = leverage.network_ab, network_ba = leverage.network_ba;
    const int year_before = e.start_ / 12 - 1;
    for (const auto& spec : options.shocks) {
      Shock s = resolve_shock(spec, e.actors_, model.codebook, e.start_, e.horizon_);
      if (s.kind != ShockKind::kEvent) check_network_shock(model, s, network_ab || network_ba);
      e.shocks_.push_back(std::move(s));
    }
    // Gas the network can deliver to the buyer each month: its max-flow in that month's year with
    // the block:/open: shocks of that month and earlier in force. One solve per distinct state.
    e.gas_cap_.assign(e.months(), std::numeric_limits<double>::infinity());
    e.gas_cap0_ = std::numeric_limits<double>::infinity();
    if (network_serves(model.infrastructure, spec.gas_buyer)) {
      std::map<std::pair<int, std::vector<const Shock*>>, double> solved;
      auto cap = [&](int year, const std::vector<const Shock*>& in_force) {
        auto [it, fresh] = solved.try_emplace({year, in_force}, 0.0);
        if (fresh) it->second = gas_deliverable(model, spec.gas_buyer, year, in_force);
        return it->second;
      };
      // Shocks of oil or freight links move only the leverage.
      auto on_gas = [&](const Shock& s) {
        const kb::InfraLink* link = s.kind == ShockKind::kEvent ? nullptr : model.infrastructure.find_link(s.link);
        return link && link->carrier == "gas";
      };
      // After the last year the network's data or a shock names, it stays as it was then (so a
      // long horizon solves no year the network layer would not take).
      int latest = (e.start_ - 1) / 12;
      for (const auto& f : model.infrastructure.flows) latest = std::max(latest, f.year);
      for (const auto& l : model.infrastructure.links)
        for (const auto& st : l.statuses) latest = std::max(latest, st.from.year);
      for (const Shock& s : e.shocks_)
        if (on_gas(s)) latest = std::max(latest, s.month / 12);
      e.gas_cap0_ = cap((e.start_ - 1) / 12, {});
      for (int m = e.start_; m <= e.horizon_; ++m) {
        std::vector<const Shock*> in_force;
        for (const Shock& s : e.shocks_)
          if (on_gas(s) && s.month <= m) in_force.push_back(&s);
        e.gas_cap_[m - e.start_] = cap(std::min(m / 12, latest), in_force);
      }
      for (Shock& s : e.shocks_)
        if (on_gas(s)) {
          std::vector<const Shock*> before, after;
          for (const Shock& o : e.shocks_)
            if (on_gas(o) && o.month <= s.month && &o != &s) before.push_back(&o);
          after = before;
          after.push_back(&s);
          s.gas_before = cap(s.month / 12, before);
          s.gas_after = cap(s.month / 12, after);
        }
    }
    // Leverage in force each month: the network's, recomputed from each block:/open: shock's month
    // with every such shock so far applied to the network the physical ties are routed on.
    e.lev_ab_month_.assign(e.months(), e.lev0_ab_);
    e.lev_ba_month_.assign(e.months(), e.lev0_ba_);
    for (const Shock& s : e.shocks_) {
      if (s.kind == ShockKind::kEvent || !(network_ab || network_ba)) continue;
      std::vector<std::string> cut, opened;
      for (const Shock& o : e.shocks_)
        if (o.kind != ShockKind::kEvent && o.month <= s.month)
          (o.kind == ShockKind::kBlock ? cut : opened).push_back(o.link);
      const NetworkLeverage after(model, year_before, cut, opened);
      for (int m = s.month; m <= e.horizon_; ++m) {
        if (network_ab) e.lev_ab_month_[m - e.start_] = after.leverage(spec.focal_a, spec.focal_b);
        if (network_ba) e.lev_ba_month_[m - e.start_] = after.leverage(spec.focal_b, spec.focal_a);
      }
    }
  }

  // Issues settled by bargaining during a run, with their players as issues.toml gives them.
  static void set_settlement(Engine& e, const kb::Model& model) {
    const kb::SimulationSpec& spec = *model.simulation;
    e.bargaining_ = spec.bargaining;
    e.bargaining_kind_ = spec.bargaining == "compromise" ? Bargaining::kCompromise
                         : spec.bargaining == "nbs"      ? Bargaining::kNash
                                                         : Bargaining::kExpectedUtility;
    e.sample_issue_inputs_ = spec.settle_inputs == "sampled";
    e.settle_every_ = spec.settle_every;
    if (!spec.settle.empty()) {
      if (!e.params_.bargain_leverage_weight)
        throw model_error("parameter", "missing [[parameter]] 'bargain.leverage_weight', which the "
                                       "scenario engine needs (docs/MODEL.md)");
      e.leverage_weight_ = *e.params_.bargain_leverage_weight;
    }
    for (const auto& id : spec.settle) {
      const kb::Issue* issue = bargain::find_issue(model, id);
      if (!issue)
        throw InputError(spec.origin.file, spec.origin.line, "settle",
                         fmt::format("unknown issue '{}'; expected an id from issues.toml", id));
      SettledIssue settled{*issue, bargain::players(model, *issue), -1, -1, issue->status_quo.value};
      for (std::size_t k = 0; k < settled.players.size(); ++k) {
        if (settled.players[k].id == spec.focal_a) settled.a = static_cast<int>(k);
        if (settled.players[k].id == spec.focal_b) settled.b = static_cast<int>(k);
      }
      e.settle_.push_back(std::move(settled));
      e.settled_ids_.push_back(id);
    }
  }

  // The names of the state, indicators and drivers, and the state at the start.
  static void name_outputs(Engine& e, const kb::Model& model) {
    const kb::SimulationSpec& spec = *model.simulation;
    e.scenarios_ = model.scenarios;
    e.layout_ = kb::StateLayout(spec);
    const std::string ab = spec.focal_a + "_" + spec.focal_b;
    e.indicator_names_ = {"rel_" + ab, "gas_" + spec.gas_seller + "_" + spec.gas_buyer,
                          "trade_" + ab, "leverage_" + ab};
    for (const auto* who : {&spec.focal_a, &spec.focal_b})
      for (const auto& t : e.tools_) e.driver_names_.push_back(*who + ":" + t.name);
    e.driver_names_.push_back("force_events_" + ab);
    for (const auto& id : e.settled_ids_) e.driver_names_.push_back("issue:" + id);
    std::vector<double> status_quo;
    for (const auto& issue : e.settle_) status_quo.push_back(issue.status_quo);
    e.initial_state_ = e.state_vector(e.R0_, e.R_ring0_, e.force_ring0_, e.rel_ring0_, e.trade0_,
                                      e.lev0_ab_, e.lev0_ba_,
                                      std::min(e.gas_path(e.start_ - 1), e.gas_cap0_), status_quo);
  }
};

Engine Engine::build(const kb::Model& model, const EngineOptions& options) {
  if (!model.simulation)
    throw InputError(model.location + "/model.toml", 0, "simulation",
                     "the model has no [simulation] table; forecasting needs one (docs/DATA.md)");
  if (model.scenarios.empty())
    throw InputError(model.location + "/model.toml", 0, "scenario",
                     "the model has no [[scenario]]; forecasting needs them");
  Engine e;
  Builder::set_calendar(e, *model.simulation, options);
  Builder::read_parameters(e, model, options);
  const Builder::LeverageChoice leverage = Builder::choose_leverage(e, model, options);
  Builder::read_paths(e);
  const CalibrationData data = Builder::replay_calibration(e, model, e.params_.omega);
  Builder::estimate_intensities(e, model, options, data);
  Builder::schedule_shocks(e, model, options, leverage);
  Builder::set_settlement(e, model);
  Builder::name_outputs(e, model);
  return e;
}

Date Engine::start() const { return Date{start_ / 12, start_ % 12 + 1, 0}; }
Date Engine::horizon() const { return Date{horizon_ / 12, horizon_ % 12 + 1, 0}; }

std::pair<double, double> Engine::indicator_range(int indicator) const {
  // Exact bounds: R ∈ [-10, 10], so rel − rel0 ≤ 10 − rel0 (and likewise for gas).
  const double trade_max = trade0_ * std::exp(trade_el_ * (kMaxR - rel0_) / 10.0);
  switch (indicator) {
    case kRelation: return {-kMaxR, kMaxR};
    case kGas: {
      const double demand = std::max(gas_start_, gas_target_) *
                            std::max(1.0, 1.0 + gas_el_ * (kMaxR - gas_rel0_) / 10.0);
      const double cap = std::max(gas_cap0_, *std::max_element(gas_cap_.begin(), gas_cap_.end()));
      return {0.0, std::max(std::min(demand, cap), 1e-9)};
    }
    case kTrade: return {0.0, trade_max};
    default:
      return {0.0, *std::max_element(lev_ab_month_.begin(), lev_ab_month_.end()) * trade_max /
                       std::max(trade0_, 1e-12)};
  }
}

double Engine::gas_path(int month) const {
  const double progress = std::clamp((month - start_ + 1) / gas_ramp_, 0.0, 1.0);
  return gas_start_ + (gas_target_ - gas_start_) * progress;
}

std::vector<double> Engine::state_vector(const std::vector<double>& R,
                                         const std::vector<double>& R_ring,
                                         const std::vector<double>& force_ring,
                                         const std::vector<double>& rel_ring, double trade,
                                         double lev_ab, double lev_ba, double gas,
                                         const std::vector<double>& issues) const {
  using Layout = kb::StateLayout;
  std::vector<double> s(layout_.names.size(), 0.0);
  for (int d = 0; d < dyads_; ++d) {
    double r12 = 0, f12 = 0;
    for (int k = 0; k < kRing; ++k) {
      r12 += R_ring[k * dyads_ + d];
      f12 += force_ring[k * dyads_ + d];
    }
    s[Layout::dyad_r(d)] = R[d];
    s[Layout::dyad_r12(d)] = r12 / kRing;
    s[Layout::dyad_force12(d)] = f12;
  }
  double rel12 = 0;
  for (double v : rel_ring) rel12 += v;
  s[layout_.rel] = (R[dyad(a_, b_)] + R[dyad(b_, a_)]) / 2;
  s[layout_.rel12] = rel12 / kRing;
  s[layout_.trade] = trade;
  s[layout_.leverage_ab] = lev_ab;
  s[layout_.leverage_ba] = lev_ba;
  s[layout_.gas] = gas;
  for (std::size_t k = 0; k < issues.size(); ++k) s[layout_.first_issue + k] = issues[k];
  return s;
}

void Engine::settle(double lev_ab, double lev_ba,
                    const std::vector<std::vector<bargain::Player>>& run_players,
                    std::vector<double>& status_quo, std::vector<double>& outcomes) const {
  for (std::size_t k = 0; k < settle_.size(); ++k) {
    const SettledIssue& issue = settle_[k];
    std::vector<bargain::Player> players = run_players[k];
    if (issue.a >= 0) players[issue.a].capability *= 1.0 + leverage_weight_ * lev_ab;
    if (issue.b >= 0) players[issue.b].capability *= 1.0 + leverage_weight_ * lev_ba;
    double outcome;
    if (bargaining_kind_ == Bargaining::kCompromise) outcome = bargain::compromise(players);
    else if (bargaining_kind_ == Bargaining::kNash)
      outcome = bargain::nash_bargaining(players, status_quo[k]).outcome;
    else outcome = bargain::expected_utility(players, bargain::EuOptions{}).forecast();
    status_quo[k] = outcome;  // the settlement is the next one's disagreement point
    outcomes[k] = outcome;
  }
}

Trajectory Engine::simulate(std::uint64_t seed, std::uint32_t run, bool record_events) const {
  Trajectory out;
  out.drivers.assign(driver_names_.size(), 0.0);
  const int months = this->months();
  out.indicators.resize(static_cast<std::size_t>(months) * kIndicators);
  std::vector<double> R(R0_), H(H0_), R_ring(R_ring0_), force_ring(force_ring0_),
      rel_ring(rel_ring0_);
  std::vector<double> G(dyads_), force(dyads_), next(dyads_);
  std::vector<double> counts(static_cast<std::size_t>(dyads_) * 4);
  int block_left = 0;
  double trade = trade0_, gas = std::min(gas_path(start_ - 1), gas_cap0_);
  double lev_ab = lev0_ab_, lev_ba = lev0_ba_;
  const int ab = dyad(a_, b_), ba = dyad(b_, a_);
  // The issues' inputs for this run: as stated, or one draw over their ranges that depends on
  // (seed, issue, run) alone, so a run gives the same settlements on any thread.
  std::vector<double> status_quo, issues;
  std::vector<std::vector<bargain::Player>> players;
  for (const auto& issue : settle_) {
    if (sample_issue_inputs_) {
      bargain::IssueDraw d = bargain::draw_issue(issue.issue, seed, run);
      players.push_back(std::move(d.players));
      status_quo.push_back(d.status_quo);
    } else {
      players.push_back(issue.players);
      status_quo.push_back(issue.status_quo);
    }
  }
  issues = status_quo;
  auto add_event = [&](int m, int from, int to, const std::string& cameo, double g, bool f,
                       const char* cause) {
    const int d = dyad(from, to);
    G[d] += g;
    counts[d * 4 + quad_class(cameo)] += 1;
    if (f) force[d] += 1;
    if (f && (d == ab || d == ba)) out.drivers[kDrivers - 1] += 1;
    if (record_events) out.events.push_back({m, from, to, cameo, g, cause});
  };
  for (int t = 0; t < months; ++t) {
    const int m = start_ + t;
    std::fill(G.begin(), G.end(), 0.0);
    std::fill(force.begin(), force.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0.0);
    // Leverage scales with the trade it rests on (last month's trade).
    lev_ab = lev_ab_month_[t] * trade / trade0_;
    lev_ba = lev_ba_month_[t] * trade / trade0_;
    // 1. Leverage tools: each focal actor picks one tool or none by a logit over utility.
    for (int side = 0; side < 2; ++side) {
      const int u = side == 0 ? a_ : b_, v = side == 0 ? b_ : a_;
      const double r = R[dyad(u, v)] / 10.0;
      const double lev = side == 0 ? lev_ab : lev_ba, counter = side == 0 ? lev_ba : lev_ab;
      std::array<double, kTools> w{};
      double total = 1.0;  // "no tool" has utility 0
      for (int k = 0; k < kTools; ++k) {
        const Tool& tl = tools_[k];
        const double eu = tl.coercive
                              ? tl.gain * lev - hostility_ * r - tl.cost - retaliation_ * counter
                              : tl.gain + hostility_ * r - tl.cost;
        w[k] = std::exp(rho_ * eu);
        total += w[k];
      }
      Rng rng(seed, run, static_cast<std::uint32_t>(m), Purpose::kTools,
              static_cast<std::uint32_t>(side));
      double x = rng.uniform() * total;
      for (int k = 0; k < kTools; ++k) {
        if (x >= w[k]) {
          x -= w[k];
          continue;
        }
        const Tool& tl = tools_[k];
        add_event(m, u, v, tl.cameo, tl.goldstein, is_force(tl.cameo),
                  k == 0 ? "tool:block" : k == 1 ? "tool:arrest" : "tool:negotiate");
        out.drivers[side * kTools + k] += 1;
        if (k == 0) block_left = std::max(block_left, static_cast<int>(block_months_));
        break;
      }
    }
    // 2. Events: Poisson counts from relation-modulated, self-exciting intensities.
    for (int d = 0; d < dyads_; ++d) {
      const int i = d / (n_ - 1), jj = d % (n_ - 1), j = jj >= i ? jj + 1 : jj;
      const int r = dyad(j, i);
      for (int c = 0; c < 4; ++c) {
        const double mu = intensity_.mu[d * 4 + c];
        const double excitation = intensity_.alpha * (H[d * 4 + c] + H[r * 4 + c]);
        if (mu <= 0.0 && excitation <= 0.0) continue;
        const double lambda = mu * std::exp(class_sign(c) * beta_ * R[d] / 10.0) + excitation;
        Rng rng(seed, run, static_cast<std::uint32_t>(m), Purpose::kEvents,
                static_cast<std::uint32_t>(d * 4 + c));
        const std::uint32_t n = std::min(rng.poisson(lambda), kMaxEventsPerCell);
        const auto& own = dyad_pools_[d * 4 + c];
        const auto& pool = own.empty() ? empirical_[c] : own;
        for (std::uint32_t k = 0; k < n; ++k) {
          const auto& [cameo, g] = pool[rng.below(static_cast<std::uint32_t>(pool.size()))];
          add_event(m, i, j, cameo, g, is_force(cameo), "event");
        }
      }
    }
    for (const Shock& s : shocks_)
      if (s.kind == ShockKind::kEvent && s.month == m) add_event(m, s.from, s.to, s.cameo, s.goldstein, is_force(s.cameo), "shock");
    // 3. Excitation decays; 4. relations revert to baseline and absorb this month's events.
    for (int d = 0; d < dyads_; ++d) {
      const int i = d / (n_ - 1), jj = d % (n_ - 1), j = jj >= i ? jj + 1 : jj;
      const int r = dyad(j, i);
      for (int c = 0; c < 4; ++c)
        H[d * 4 + c] = intensity_.decay * (H[d * 4 + c] + counts[d * 4 + c]);
      next[d] = clip(R[d] + theta_ * (baseline_[d] - R[d]) + kappa_ * (G[d] + G[r]));
    }
    R.swap(next);
    // 5. Trade, gas, moving windows, indicators.
    const double rel = (R[ab] + R[ba]) / 2;
    trade = trade0_ * std::exp(trade_el_ * (rel - rel0_) / 10.0) *
            (block_left > 0 ? 1.0 - block_cut_ : 1.0);
    if (block_left > 0) --block_left;
    const double gas_rel = (R[dyad(gs_, gb_)] + R[dyad(gb_, gs_)]) / 2;
    // What the buyer would take, bounded by what the network can deliver that month.
    gas = std::min(gas_path(m) * std::max(0.0, 1.0 + gas_el_ * (gas_rel - gas_rel0_) / 10.0),
                   gas_cap_[t]);
    const int slot = m % kRing;
    std::copy(R.begin(), R.end(), R_ring.begin() + static_cast<std::ptrdiff_t>(slot) * dyads_);
    std::copy(force.begin(), force.end(),
              force_ring.begin() + static_cast<std::ptrdiff_t>(slot) * dyads_);
    rel_ring[slot] = rel;
    // 6. Issues due this month settle by bargaining, with this month's leverage.
    if (settles_at(t)) {
      settle(lev_ab, lev_ba, players, status_quo, issues);
      if (record_events)
        for (std::size_t k = 0; k < issues.size(); ++k)
          out.settlements.push_back({m, static_cast<int>(k), issues[k]});
    }
    double* row = &out.indicators[static_cast<std::size_t>(t) * kIndicators];
    row[kRelation] = rel;
    row[kGas] = gas;
    row[kTrade] = trade;
    row[kLeverage] = lev_ab_month_[t] * trade / trade0_;
  }
  out.state = state_vector(R, R_ring, force_ring, rel_ring, trade,
                           lev_ab_month_.back() * trade / trade0_,
                           lev_ba_month_.back() * trade / trade0_, gas, issues);
  std::copy(issues.begin(), issues.end(), out.drivers.begin() + kDrivers);
  return out;
}

}  // namespace sphere::sim

// The monthly dynamics of a model (relations, self-exciting events, leverage tools, trade and gas),
// the seams where other layers plug in (intensities, leverage), shocks and scenario
// classification. docs/MODEL.md gives every equation.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bargain/bargain.h"
#include "kb/kb.h"
#include "sim/rng.h"

namespace sphere::sim {

// GDELT's CAMEO QuadClass of an event code (events::QuadScheme::gdelt()), from 0: 0 verbal
// cooperation (roots 01–05), 1 material cooperation (06–09), 2 verbal conflict (10–14),
// 3 material conflict (15–20).
int quad_class(const std::string& cameo);

// The observed history a calibration sees: monthly event counts per ordered dyad and class over
// the calibration window, with the relation temperature the replay gave in each month.
struct CalibrationData {
  int months = 0;
  int dyads = 0;
  std::vector<double> counts;    // [month][dyad][class], fractional for year-dated events
  std::vector<double> relation;  // [month][dyad], R at the start of that month
  // Day-dated (or month-dated, placed on the 15th) events of the focal pair in the window:
  // days from the window's start, [0] a→b and [1] b→a, ascending; and the window's length.
  std::array<std::vector<double>, 2> focal_days;
  double window_days = 0.0;
};

// Event intensities λ_dc = mu[d·4+c]·exp(s_c·β·R_d/10) + alpha·(H_dc + H_d'c).
struct Intensities {
  std::vector<double> mu;  // [dyad·4 + class], events per month
  double alpha = 0.0;      // excitation per past event (same and reverse dyad)
  double decay = 0.0;      // e^{-ω}: share of excitation kept from one month to the next
  // Where the numbers come from, for the record: method ("log-rate" or "hawkes"), the branching
  // ratio and ω (per month) in use, and a note (e.g. why a fit fell back to the parameters).
  std::string method = "log-rate";
  double branching = 0.0, omega = 0.0;
  std::string note;
};

// Estimates intensities from the calibration history. The default, LogRateIntensities, uses
// the simple rule in docs/MODEL.md; the events layer's Hawkes fit is meant to replace it.
class IntensityModel {
 public:
  virtual ~IntensityModel() = default;
  virtual Intensities estimate(const CalibrationData& data, double beta, double branching,
                               double omega) const = 0;
};

// μ by Poisson maximum likelihood given the relation modulation, scaled by (1 − branching);
// α so that each event has `branching` offspring on average.
class LogRateIntensities : public IntensityModel {
 public:
  Intensities estimate(const CalibrationData& data, double beta, double branching,
                       double omega) const override;
};

// Branching ratio and ω from a maximum-likelihood Hawkes fit (events layer) of the focal pair's
// event times in the calibration window: bivariate (a→b, b→a) when each direction has 3 events,
// else univariate on both directions pooled, else the parameters with a note saying why. μ then
// follows as in LogRateIntensities, given the fitted branching and ω.
class HawkesIntensities : public IntensityModel {
 public:
  Intensities estimate(const CalibrationData& data, double beta, double branching,
                       double omega) const override;
};

// Leverage of actor i over actor j at the start of the simulation (0..1). The default reads the
// model.toml parameters leverage.<i>.<j>; NetworkLeverage computes it.
class LeverageModel {
 public:
  virtual ~LeverageModel() = default;
  virtual double leverage(const std::string& i, const std::string& j) const = 0;
  // Where the number comes from, for the record.
  virtual std::string describe(const std::string& i, const std::string& j) const = 0;
};

// The leverage layer's total over channels (vulnerability net of own cost) of i over j, each
// channel at its latest tie dated no later than `year`, clipped to [0, 1]: a negative total
// means a cut would hurt i more than j, which gives i no coercive power.
class NetworkLeverage : public LeverageModel {
 public:
  // `cut` and `opened`: link ids closed or taken as operating (what-ifs) in the network.
  NetworkLeverage(const kb::Model& model, int year, const std::vector<std::string>& cut = {},
                  const std::vector<std::string>& opened = {});
  double leverage(const std::string& i, const std::string& j) const override;
  std::string describe(const std::string& i, const std::string& j) const override;

 private:
  struct Pair {
    std::string from, to;
    double total = 0.0;
    std::vector<std::string> ties;
  };
  std::vector<Pair> pairs_;
};

// ---------------------------------------------------------------------------------------------
// The engine

// A change imposed on every trajectory: "event:RUS>AZE:173@2026-01" adds that CAMEO event;
// "block:LINK@2026-03" and "open:LINK@2027-01" close or open a link of infrastructure.toml from
// that month on: a gas link changes what the network can deliver to the gas buyer, which bounds
// the gas indicator, and any link changes the leverage when it follows the network
// ([simulation] leverage).
enum class ShockKind { kEvent, kBlock, kOpen };  // an event; a link blocked or opened

// A shock as a request states it, parsed from its text before any model is read (at the edge:
// the command line, the API, a shard's record): what happens and from which month. The engine
// resolves it against the model (actors, CAMEO codes, links, simulated months) when it is built.
struct EventShock {
  std::string from, to, cameo;  // actor ids and a CAMEO code, as written
};
struct BlockShock {
  std::string link;  // an infrastructure.toml link id
};
struct OpenShock {
  std::string link;
};
struct ShockSpec {
  std::string text;  // as given, e.g. "event:RUS>AZE:173@2026-01" (records and messages)
  Date month;        // the first month it acts in
  std::variant<EventShock, BlockShock, OpenShock> what;  // in ShockKind order
  ShockKind kind() const { return static_cast<ShockKind>(what.index()); }
};
// Parses KIND:TARGET@YYYY-MM ("event:FROM>TO:CAMEO@…", "block:LINK@…", "open:LINK@…").
// Throws InputError naming the request field "shock".
ShockSpec parse_shock_spec(const std::string& text);
// parse_shock_spec of each text, in order.
std::vector<ShockSpec> parse_shock_specs(const std::vector<std::string>& texts);

// A shock resolved against an engine's actors, codebook and months.
struct Shock {
  ShockKind kind = ShockKind::kEvent;
  std::string text;
  int month = 0;  // month index (Date::month_index)
  int from = 0, to = 0;  // simulated actor indices
  std::string cameo;
  double goldstein = 0.0;
  std::string link;  // block and open: the link id
  // Block and open of a gas link: what the gas network can deliver to the gas buyer in the
  // shock's year (bcm/y), with the earlier gas shocks in force, without and with this one;
  // infinite for another carrier's link or when the network has no consumer of the buyer's.
  double gas_before = std::numeric_limits<double>::infinity();
  double gas_after = std::numeric_limits<double>::infinity();
};

// Days per year in converting the network's gas volumes (mcm/d) to the gas indicator (bcm/y), as
// infrastructure.toml's derivations do.
inline constexpr double kDaysPerYear = 365.0;

// What the gas network (network::solve, carrier gas, links as at the end of `year`) delivers to
// the consumers of country `buyer`, in bcm/y, with the block:/open: shocks `in_force` applied.
double gas_deliverable(const kb::Model& model, const std::string& buyer, int year,
                       const std::vector<const Shock*>& in_force);

// The dynamics' parameters, read once by name from model.toml's [[parameter]] tables, with a
// request's overrides (each checked against the range model.toml states): typed fields, so that
// nothing is looked up by name once an engine is built. docs/MODEL.md gives each one's role.
struct EngineParameters {
  // Every parameter by name, in model.toml's order, with the overrides applied (the record).
  std::vector<std::pair<std::string, double>> values;
  double theta = 0, kappa = 0, beta = 0;
  std::vector<double> baseline;  // [dyad]: baseline.I.J, else baseline.default
  double rho = 0, hostility = 0, retaliation = 0;
  double block_months = 0, block_trade_cut = 0;  // block.months, block.trade_cut
  struct ToolCosts {
    double gain = 0, cost = 0;
  };
  std::array<ToolCosts, 3> tools{};  // block, arrest, negotiate: NAME.gain, NAME.cost
  double trade_start = 0, trade_elasticity = 0;
  double gas_start = 0, gas_target = 0, gas_ramp_months = 0, gas_elasticity = 0;
  double branching = 0, omega = 0;
  // Set by the request (or a sensitivity sample): such a value wins over an estimate.
  bool branching_set = false, omega_set = false;
  // The focal pair's leverage.A.B and leverage.B.A (absent: the model relies on the network),
  // and whether the request set them.
  std::optional<double> leverage_ab, leverage_ba;
  bool leverage_ab_set = false, leverage_ba_set = false;
  std::optional<double> bargain_leverage_weight;  // bargain.leverage_weight

  // Reads them for `actors` (dyads in Engine order) and the focal pair. Throws InputError
  // naming the field "set" for an unknown or out-of-range override (every one found), or
  // model.toml's field "parameter" for a parameter the engine needs and model.toml lacks.
  static EngineParameters read(const kb::Model& model, const std::vector<std::string>& actors,
                               const std::string& focal_a, const std::string& focal_b,
                               const std::map<std::string, double>& overrides);
};

struct EngineOptions {
  std::optional<Date> start;    // first simulated month; default: [simulation] start
  std::optional<Date> horizon;  // last simulated month; default: [simulation] horizon
  std::vector<ShockSpec> shocks;             // parsed at the edge, see ShockSpec
  std::map<std::string, double> overrides;   // parameter values replacing model.toml's
  std::shared_ptr<const IntensityModel> intensities;  // default LogRateIntensities
  std::shared_ptr<const LeverageModel> leverage;      // default: model.toml parameters
};

// One event of a trajectory, for replay.
struct TrajectoryEvent {
  int month = 0;  // month index
  int from = 0, to = 0;
  std::string cameo;
  double goldstein = 0.0;
  std::string cause;  // "event" (intensity), "tool:<name>", "shock"
};

// Indicators recorded every month, in this order.
enum Indicator { kRelation = 0, kGas = 1, kTrade = 2, kLeverage = 3, kIndicators = 4 };

// Drivers counted per trajectory: tool uses by each focal actor, and force events. Each settled
// issue's outcome at the horizon follows them (Engine::driver_names), averaged the same way.
inline constexpr int kTools = 3;  // block, arrest, negotiate
inline constexpr int kDrivers = 2 * kTools + 1;

// One contested issue settled by bargaining during a run.
struct Settlement {
  int month = 0;   // month index
  int issue = 0;   // index into Engine::settled_issues()
  double outcome = 0.0;
};

// What one trajectory produces.
struct Trajectory {
  std::vector<double> indicators;  // [month][Indicator]
  std::vector<double> state;       // state variables at the horizon, in kb::StateLayout order
  std::vector<double> drivers;  // [Engine::driver_names()]: kDrivers counts, then issues
  std::vector<TrajectoryEvent> events;  // only when recording
  std::vector<Settlement> settlements;  // only when recording
};

// The monthly dynamics of one model with fixed parameters. Immutable once built, so one engine
// serves every thread.
class Engine {
 public:
  // Throws InputError (exit 2) for a model without [simulation], a missing parameter, an
  // override outside its range, a horizon before the start, or a bad shock.
  static Engine build(const kb::Model& model, const EngineOptions& options = {});

  // Runs trajectory `run` of ensemble `seed`. A pure function of (seed, run).
  Trajectory simulate(std::uint64_t seed, std::uint32_t run, bool record_events = false) const;

  int months() const { return horizon_ - start_ + 1; }
  Date start() const;
  Date horizon() const;
  const std::vector<std::string>& actors() const { return actors_; }
  // Indicator names ("rel_RUS_AZE", ...), in Indicator order.
  const std::vector<std::string>& indicator_names() const { return indicator_names_; }
  // Upper and lower bounds each indicator can take (for streaming quantiles).
  std::pair<double, double> indicator_range(int indicator) const;
  // Per-run values averaged by scenario: the kDrivers tool and force counts, then "issue:ID"
  // for each settled issue (its outcome at the horizon).
  const std::vector<std::string>& driver_names() const { return driver_names_; }
  // Parameter values in use (model.toml's, with overrides), in model.toml order.
  const std::vector<std::pair<std::string, double>>& parameters() const { return params_.values; }
  const std::vector<kb::Scenario>& scenarios() const { return scenarios_; }
  const std::vector<std::string>& state_names() const { return layout_.names; }
  // State variables at the end of calibration (the observed state at the start).
  const std::vector<double>& initial_state() const { return initial_state_; }
  const std::vector<Shock>& shocks() const { return shocks_; }
  // Everything the monthly step uses (calibrated intensities, initial state, parameters, event
  // pools) as JSON text, so that other implementations can be checked against this one.
  std::string calibration_json() const;
  // How intensities and leverage were obtained (method, fitted values, notes), for the record.
  const Intensities& intensities() const { return intensity_; }
  const std::array<std::string, 2>& leverage_notes() const { return leverage_notes_; }
  // Issues settled by bargaining during a run (model.toml [simulation] settle), and the model.
  const std::vector<std::string>& settled_issues() const { return settled_ids_; }
  const std::string& bargaining_model() const { return bargaining_; }  // as model.toml names it
  // Whether each run draws the issues' inputs over their ranges ([simulation] settle_inputs).
  bool samples_issue_inputs() const { return sample_issue_inputs_; }

 private:
  struct Tool {
    std::string name, cameo;
    double goldstein = 0, gain = 0, cost = 0;
    bool coercive = true;
  };
  Engine() = default;
  struct Builder;  // build's steps
  int dyad(int i, int j) const { return i * (n_ - 1) + j - (j > i ? 1 : 0); }
  std::vector<double> state_vector(const std::vector<double>& R,
                                   const std::vector<double>& R_ring,
                                   const std::vector<double>& force_ring,
                                   const std::vector<double>& rel_ring, double trade,
                                   double lev_ab, double lev_ba, double gas,
                                   const std::vector<double>& issues) const;
  double gas_path(int month) const;
  // Settles every issue of `settle_` with the focal pair's current leverage; outcomes in order.
  void settle(double lev_ab, double lev_ba, const std::vector<std::vector<bargain::Player>>& players,
              std::vector<double>& status_quo, std::vector<double>& outcomes) const;
  bool settles_at(int t) const {
    return !settle_.empty() && ((t + 1) % settle_every_ == 0 || t == months() - 1);
  }

  std::vector<std::string> actors_;
  EngineParameters params_;
  int n_ = 0, dyads_ = 0;
  int start_ = 0, horizon_ = 0;  // month indices
  int a_ = 0, b_ = 1, gs_ = 0, gb_ = 1;  // focal pair, gas seller and buyer
  double theta_ = 0, kappa_ = 0, beta_ = 0;
  std::vector<double> baseline_;  // [dyad]
  Intensities intensity_;
  using Pool = std::vector<std::pair<std::string, double>>;  // (CAMEO code, Goldstein)
  std::array<Pool, 4> empirical_;          // per class, every actor
  std::vector<Pool> dyad_pools_;  // [dyad·4 + class]: the undirected dyad's history, or empty
  std::array<Tool, kTools> tools_;
  double rho_ = 0, hostility_ = 0, retaliation_ = 0, block_months_ = 0, block_cut_ = 0;
  double lev0_ab_ = 0, lev0_ba_ = 0;  // at the start
  std::vector<double> lev_ab_month_, lev_ba_month_;  // [month]: with the network shocks in force
  double trade0_ = 0, trade_el_ = 0, gas_start_ = 0, gas_target_ = 0, gas_ramp_ = 1,
         gas_el_ = 0;
  // Initial state from the calibration replay.
  std::vector<double> R0_, H0_, R_ring0_, force_ring0_, rel_ring0_;
  double rel0_ = 0, gas_rel0_ = 0;
  // What the network can deliver to the gas buyer (bcm/y): [month] with the shocks in force,
  // and in the year before the start; infinite when the network has no consumer of the buyer's.
  std::vector<double> gas_cap_;
  double gas_cap0_ = 0;
  std::array<std::string, 2> leverage_notes_;  // a over b, b over a
  // Bargaining: each settled issue's players, and which of them are the focal pair (-1: absent).
  struct SettledIssue {
    kb::Issue issue;  // its inputs with their ranges, for runs that draw them
    std::vector<bargain::Player> players;
    int a = -1, b = -1;
    double status_quo = 0.0;
  };
  std::vector<SettledIssue> settle_;
  std::vector<std::string> settled_ids_;
  std::string bargaining_;
  enum class Bargaining { kCompromise, kNash, kExpectedUtility } bargaining_kind_ = Bargaining::kCompromise;
  bool sample_issue_inputs_ = false;
  int settle_every_ = 12;
  double leverage_weight_ = 0.0;
  std::vector<Shock> shocks_;
  std::vector<kb::Scenario> scenarios_;
  kb::StateLayout layout_;  // the state variables' names and positions
  std::vector<std::string> indicator_names_, driver_names_;
  std::vector<double> initial_state_;
};

// Resolves a parsed shock against an engine's actors, codebook and months (start_month ..
// horizon_month, month indices); a link is checked by Engine::build. Throws InputError naming the
// request field "shock".
Shock resolve_shock(const ShockSpec& spec, const std::vector<std::string>& actors,
                    const kb::Codebook& codebook, int start_month, int horizon_month);
// parse_shock_spec, then resolve_shock.
Shock parse_shock(const std::string& text, const std::vector<std::string>& actors,
                  const kb::Codebook& codebook, int start_month, int horizon_month);

// Assigns each trajectory exactly one scenario: the first whose predicate holds, else the last
// ("otherwise"). Holds compiled muparser expressions; not thread-safe, one per thread.
class Classifier {
 public:
  Classifier(const std::vector<kb::Scenario>& scenarios, const std::vector<std::string>& names);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;
  int classify(const std::vector<double>& state);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sphere::sim

// Sphere's scenario engine: counter-based random numbers, the monthly dynamics of a model
// (relations, self-exciting events, leverage tools, trade and gas), ensembles of trajectories
// whose results do not depend on the thread count, scenario classification, hindcasts and
// sensitivity analysis (Morris, Sobol). docs/MODEL.md gives every equation.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bargain/bargain.h"
#include "kb/kb.h"

namespace sphere::sim {

// ---------------------------------------------------------------------------------------------
// Random numbers

// What a stream of draws is for; part of the counter, so that adding draws for one purpose
// never shifts the draws of another.
enum class Purpose : std::uint32_t {
  kEvents = 1,     // event counts of one dyad and class
  kGoldstein = 2,  // which empirical event an event copies
  kTools = 3,      // a tool user's choice
  kSample = 4,     // sensitivity-analysis sample points
  kBootstrap = 5,  // bootstrap resamples
};

// The core's counter-based generator with the purpose as an enum.
class Rng : public sphere::Rng {
 public:
  Rng(std::uint64_t seed, std::uint32_t run, std::uint32_t month, Purpose purpose,
      std::uint32_t index)
      : sphere::Rng(seed, run, month, static_cast<std::uint32_t>(purpose), index) {}
};

// ---------------------------------------------------------------------------------------------
// Seams where other layers plug in

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
struct Shock {
  std::string kind;  // event | block | open
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

struct EngineOptions {
  std::optional<Date> start;    // first simulated month; default: [simulation] start
  std::optional<Date> horizon;  // last simulated month; default: [simulation] horizon
  std::vector<std::string> shocks;           // shock specs, see Shock
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
  std::vector<double> state;       // state variables at the horizon, kb::state_variable_names order
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
  const std::vector<std::pair<std::string, double>>& parameters() const { return params_; }
  const std::vector<kb::Scenario>& scenarios() const { return scenarios_; }
  const std::vector<std::string>& state_names() const { return state_names_; }
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
  const std::string& bargaining_model() const { return bargaining_; }
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
  int n_ = 0, dyads_ = 0;
  int start_ = 0, horizon_ = 0;  // month indices
  int a_ = 0, b_ = 1, gs_ = 0, gb_ = 1;  // focal pair, gas seller and buyer
  std::vector<std::pair<std::string, double>> params_;
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
  bool sample_issue_inputs_ = false;
  int settle_every_ = 12;
  double leverage_weight_ = 0.0;
  std::vector<Shock> shocks_;
  std::vector<kb::Scenario> scenarios_;
  std::vector<std::string> state_names_, indicator_names_, driver_names_;
  std::vector<double> initial_state_;
};

// Parses a shock spec against an engine's actors and months. Throws InputError.
Shock parse_shock(const std::string& spec, const std::vector<std::string>& actors,
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

// ---------------------------------------------------------------------------------------------
// Ensembles

struct EnsembleOptions {
  std::uint64_t seed = 1;
  std::uint32_t runs = 1000;
  int threads = 1;
  std::uint32_t batch = 512;  // runs held in memory at once
};

// One run's outcome, passed to the caller in run order (e.g. to store it).
struct RunOutcome {
  std::uint32_t run = 0;
  int scenario = 0;
  std::array<double, kIndicators> final_indicators{};
};

// A probability with its 95% Wilson score interval.
struct Proportion {
  std::uint64_t count = 0;
  double p = 0, low = 0, high = 0;
};
Proportion wilson(std::uint64_t count, std::uint64_t n);

// Quantiles of one indicator in one month.
struct MonthQuantiles {
  Date month;
  double mean = 0;
  std::array<double, 5> q{};  // 2.5%, 25%, 50%, 75%, 97.5%
};

struct ForecastSummary {
  std::uint64_t seed = 0;
  std::uint32_t runs = 0;
  std::vector<Proportion> scenarios;  // Engine::scenarios() order
  std::vector<std::vector<MonthQuantiles>> indicators;  // [indicator][month]
  std::vector<std::vector<double>> driver_means;  // [scenario][driver]; mean over its runs
  std::vector<double> driver_overall;             // [driver]
};
inline constexpr std::array<double, 5> kQuantileLevels = {0.025, 0.25, 0.5, 0.75, 0.975};

// Runs the ensemble with `threads` workers, batch by batch, and reduces block by block (see
// kReductionBlock); memory does not grow with the number of runs (quantiles from fixed
// 2000-bin histograms per month).
// `on_runs` receives each batch's outcomes in run order; `progress` the runs done so far.
// The summary is bitwise identical for any thread count.
ForecastSummary run_ensemble(const Engine& engine, const EnsembleOptions& options,
                             const std::function<void(std::span<const RunOutcome>)>& on_runs = {},
                             const std::function<void(std::uint32_t)>& progress = {});

// Runs are reduced in fixed blocks of this many, whatever the batch size: floating sums are
// taken in run order within a block, then block by block. A range of blocks computed anywhere
// (another thread, process or machine) therefore folds into the same bits.
inline constexpr std::uint32_t kReductionBlock = 512;
// Bins of the fixed histogram of each indicator and month (quantiles to within range/bins).
inline constexpr int kHistogramBins = 2000;

// Blocks of an ensemble of `runs` runs.
std::uint32_t block_count(std::uint32_t runs);
// Blocks [first, end) of shard `shard` (0-based) of `shards`: contiguous, sizes differ by <= 1.
std::pair<std::uint32_t, std::uint32_t> shard_blocks(std::uint32_t runs, std::uint32_t shard,
                                                     std::uint32_t shards);

// The exact totals of the runs in blocks [first_block, end_block): integer counts pooled,
// floating sums kept per block so that they can be folded in block order later.
struct EnsemblePart {
  std::uint32_t first_block = 0, end_block = 0;
  std::vector<std::uint64_t> counts;             // [scenario]
  std::vector<std::uint64_t> bins;               // [(indicator·months + month)·kHistogramBins + bin]
  std::vector<std::vector<double>> sums;         // [block − first_block][indicator·months + month]
  std::vector<std::vector<double>> driver_sums;  // [block − first_block][scenario·kDrivers + d]
};

// Simulates blocks [first_block, end_block) of the ensemble, batch by batch on `threads`
// workers. Callbacks as for run_ensemble (run indices and progress are ensemble-wide).
EnsemblePart run_blocks(const Engine& engine, const EnsembleOptions& options,
                        std::uint32_t first_block, std::uint32_t end_block,
                        const std::function<void(std::span<const RunOutcome>)>& on_runs = {},
                        const std::function<void(std::uint32_t)>& progress = {});

// Folds parts of one ensemble in block order into its summary; the one reduction that both
// run_ensemble and a merge of shards use. Not thread-safe.
class EnsembleReducer {
 public:
  EnsembleReducer(const Engine& engine, const EnsembleOptions& options);
  // Adds the next part; throws InputError when it does not start where the last one ended or
  // its shape does not fit the engine.
  void add(const EnsemblePart& part);
  // Blocks folded so far (the next part must start here).
  std::uint32_t next_block() const { return next_block_; }
  // The summary; throws InputError when blocks are missing.
  ForecastSummary summary() const;

 private:
  const Engine& engine_;
  EnsembleOptions options_;
  std::uint32_t next_block_ = 0;
  std::vector<std::uint64_t> counts_, bins_;
  std::vector<double> sums_, driver_sums_;
};

// ---------------------------------------------------------------------------------------------
// Hindcast

// A forecast from `as_of` scored against one outcome the sources report.
struct HindcastScore {
  Date as_of, outcome_date;
  std::string outcome;               // scenario id
  std::vector<double> forecast;      // probabilities per scenario
  std::string persisted;             // scenario of the observed state at as_of
  double brier = 0, log_score = 0;   // model
  double brier_uniform = 0, log_uniform = 0;
  double brier_persistence = 0, log_persistence = 0;
};

// Calibrates on events before `as_of` only, forecasts to each later outcome month in the model
// and scores it. Throws InputError when no outcome lies after `as_of`.
std::vector<HindcastScore> hindcast(const kb::Model& model, Date as_of,
                                    const EnsembleOptions& options,
                                    const EngineOptions& engine_options = {});

// ---------------------------------------------------------------------------------------------
// Sensitivity analysis

// An input of a function, sampled uniformly on [low, high].
struct Factor {
  std::string name;
  double low = 0, high = 1;
};

// A function of the factors' values. Must be safe to call from several threads at once.
using Function = std::function<double(const std::vector<double>&)>;

struct MorrisResult {
  std::vector<double> mu, mu_star, sigma;  // per factor, in units of output per unit range
};

// Morris elementary effects on a `levels`-level grid, `trajectories` one-at-a-time paths
// (docs/MODEL.md). Effects are per unit of the factor's scaled [0, 1] range.
MorrisResult morris(const std::vector<Factor>& factors, const Function& f, int trajectories,
                    int levels, std::uint64_t seed, int threads = 1);

struct SobolResult {
  std::vector<double> s1, s1_low, s1_high;  // first order, 95% bootstrap interval
  std::vector<double> st, st_low, st_high;  // total order
};

// Sobol indices by Saltelli's A/B/AB_i scheme, n base points (n·(k+2) evaluations), first
// order by Saltelli (2010), total order by Jansen, percentile bootstrap intervals.
SobolResult sobol(const std::vector<Factor>& factors, const Function& f, int n, int bootstrap,
                  std::uint64_t seed, int threads = 1);

// morris() and sobol() in two steps, so that the evaluations can be split over processes: the
// points, in evaluation order, are a pure function of the arguments, and the indices are computed
// from f at every point in that order (std::invalid_argument when the count differs).
std::vector<std::vector<double>> morris_points(const std::vector<Factor>& factors,
                                               int trajectories, int levels, std::uint64_t seed);
MorrisResult morris_indices(const std::vector<Factor>& factors, int trajectories, int levels,
                            std::uint64_t seed, const std::vector<double>& outputs);
std::vector<std::vector<double>> sobol_points(const std::vector<Factor>& factors, int n,
                                              std::uint64_t seed);
SobolResult sobol_indices(const std::vector<Factor>& factors, int n, int bootstrap,
                          std::uint64_t seed, const std::vector<double>& outputs);
// Points [first, end) of shard `shard` (0-based) of `shards` of `count` points: contiguous,
// sizes differing by at most one.
std::pair<std::size_t, std::size_t> shard_points(std::size_t count, std::uint32_t shard,
                                                 std::uint32_t shards);

// Evaluates f at every point with `threads` workers; results in point order.
std::vector<double> evaluate_all(const Function& f, const std::vector<std::vector<double>>& points,
                                 int threads);

}  // namespace sphere::sim

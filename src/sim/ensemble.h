// Ensembles of trajectories whose results do not depend on the thread count (streaming
// summaries, shards that merge), and hindcasts scored against what happened.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/engine.h"

namespace sphere::sim {

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

// An ensemble described before it runs (FLAME GPU 2's RunPlan): the engine's options (months,
// shocks, parameter overrides) and the ensemble's (seed, runs, threads). A forecast is one plan;
// a bar of the report's tornado, a point of a Morris or Sobol design and a hindcast from one
// month are plans that differ from a base plan only in overrides or months, with the same seed
// (common random numbers). Each runs through run_plan, so every ensemble Sphere computes is
// summarised the same way.
struct RunPlan {
  EngineOptions engine;
  EnsembleOptions ensemble;
  // This plan with `values` set too (over the plan's own overrides).
  RunPlan with_overrides(const std::map<std::string, double>& values) const;
  // This plan simulating months `start` .. `horizon`.
  RunPlan over(Date start, Date horizon) const;
};
// The plan's engine. Throws InputError as Engine::build.
Engine build_engine(const kb::Model& model, const RunPlan& plan);
// The plan's engine and its ensemble's summary (run_ensemble).
struct PlanResult {
  Engine engine;
  ForecastSummary summary;
};
PlanResult run_plan(const kb::Model& model, const RunPlan& plan,
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
// (the plan over as_of .. that month) and scores it. Throws InputError when no outcome lies
// after `as_of`.
std::vector<HindcastScore> hindcast(const kb::Model& model, Date as_of, const RunPlan& plan);

}  // namespace sphere::sim

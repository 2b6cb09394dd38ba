// Ensembles: trajectories computed in batches on a thread pool into slots keyed by run index,
// then reduced in run order on the calling thread. Scenario counts and histogram counts are
// integers; sums are taken in run order within fixed blocks of runs and then block by block, so
// the summary is the same for any thread count, batch size, or split into shards.
#include <algorithm>
#include <cmath>

#include "sim/internal.h"
#include "sim/sim.h"

namespace sphere::sim {
namespace {

constexpr int kBins = kHistogramBins;

// Bin of x in a fixed histogram over [low, low + kBins·width).
int bin_of(double x, double low, double width) {
  return std::clamp(static_cast<int>(std::floor((x - low) / width)), 0, kBins - 1);
}

// Width of a bin of the histogram of an indicator's range.
double bin_width(std::pair<double, double> range) {
  const double width = (range.second - range.first) / kBins;
  return width > 0 ? width : 1e-12;
}

// Quantile q of n values counted in `bins` by linear interpolation within a bin, so exact to
// within one bin width.
double quantile(std::span<const std::uint64_t> bins, std::uint64_t n, double low, double width,
                double q) {
  if (n == 0) return 0.0;
  const double target = q * static_cast<double>(n);
  std::uint64_t below = 0;
  for (int b = 0; b < kBins; ++b) {
    if (bins[b] > 0 && static_cast<double>(below + bins[b]) >= target) {
      const double inside = (target - static_cast<double>(below)) / static_cast<double>(bins[b]);
      return low + (b + std::clamp(inside, 0.0, 1.0)) * width;
    }
    below += bins[b];
  }
  return low + kBins * width;
}

}  // namespace

Proportion wilson(std::uint64_t count, std::uint64_t n) {
  Proportion p;
  p.count = count;
  if (n == 0) return p;
  constexpr double z = 1.959963984540054;
  const double nn = static_cast<double>(n), ph = static_cast<double>(count) / nn;
  const double denom = 1.0 + z * z / nn;
  const double centre = (ph + z * z / (2.0 * nn)) / denom;
  const double half = z * std::sqrt(ph * (1.0 - ph) / nn + z * z / (4.0 * nn * nn)) / denom;
  p.p = ph;
  p.low = std::max(0.0, centre - half);
  p.high = std::min(1.0, centre + half);
  return p;
}

std::vector<double> evaluate_all(const Function& f, const std::vector<std::vector<double>>& points,
                                 int threads) {
  std::vector<double> out(points.size());
  parallel_for(points.size(), threads, [&](std::size_t i) { out[i] = f(points[i]); });
  return out;
}

std::uint32_t block_count(std::uint32_t runs) {
  return runs / kReductionBlock + (runs % kReductionBlock ? 1 : 0);
}

std::pair<std::uint32_t, std::uint32_t> shard_blocks(std::uint32_t runs, std::uint32_t shard,
                                                     std::uint32_t shards) {
  const std::uint64_t blocks = block_count(runs);
  return {static_cast<std::uint32_t>(blocks * shard / shards),
          static_cast<std::uint32_t>(blocks * (shard + 1) / shards)};
}

EnsemblePart run_blocks(const Engine& engine, const EnsembleOptions& options,
                        std::uint32_t first_block, std::uint32_t end_block,
                        const std::function<void(std::span<const RunOutcome>)>& on_runs,
                        const std::function<void(std::uint32_t)>& progress) {
  const int months = engine.months();
  const int scenarios = static_cast<int>(engine.scenarios().size());
  const std::size_t cells = static_cast<std::size_t>(kIndicators) * months;
  std::vector<double> low(kIndicators), width(kIndicators);
  for (int k = 0; k < kIndicators; ++k) {
    low[k] = engine.indicator_range(k).first;
    width[k] = bin_width(engine.indicator_range(k));
  }
  const std::size_t drivers = engine.driver_names().size();
  EnsemblePart part;
  part.first_block = first_block;
  part.end_block = std::max(first_block, end_block);
  part.counts.assign(scenarios, 0);
  part.bins.assign(cells * kBins, 0);
  part.sums.assign(part.end_block - first_block, std::vector<double>(cells, 0.0));
  part.driver_sums.assign(part.end_block - first_block,
                          std::vector<double>(static_cast<std::size_t>(scenarios) * drivers, 0.0));
  Classifier classifier(engine.scenarios(), engine.state_names());

  const std::uint64_t begin_run = std::uint64_t{first_block} * kReductionBlock;
  const std::uint32_t end_run = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(options.runs, std::uint64_t{part.end_block} * kReductionBlock));
  const std::uint32_t batch = std::max<std::uint32_t>(1, options.batch);
  std::vector<Trajectory> slots;
  std::vector<RunOutcome> outcomes;
  for (std::uint32_t first = static_cast<std::uint32_t>(std::min<std::uint64_t>(begin_run, end_run));
       first < end_run; first += std::min(batch, end_run - first)) {
    const std::uint32_t size = std::min(batch, end_run - first);
    slots.assign(size, Trajectory{});
    parallel_for(size, options.threads,
                 [&](std::size_t i) { slots[i] = engine.simulate(options.seed, first + i); });
    outcomes.clear();
    for (std::uint32_t i = 0; i < size; ++i) {  // reduce in run order
      const Trajectory& tr = slots[i];
      const std::uint32_t run = first + i;
      const std::size_t block = run / kReductionBlock - first_block;
      const int s = classifier.classify(tr.state);
      ++part.counts[s];
      for (std::size_t d = 0; d < drivers; ++d)
        part.driver_sums[block][s * drivers + d] += tr.drivers[d];
      RunOutcome o{run, s, {}};
      for (int t = 0; t < months; ++t)
        for (int k = 0; k < kIndicators; ++k) {
          const double x = tr.indicators[static_cast<std::size_t>(t) * kIndicators + k];
          const std::size_t at = static_cast<std::size_t>(k) * months + t;
          ++part.bins[at * kBins + bin_of(x, low[k], width[k])];
          part.sums[block][at] += x;
          if (t == months - 1) o.final_indicators[k] = x;
        }
      outcomes.push_back(o);
    }
    if (on_runs) on_runs(outcomes);
    if (progress) progress(first + size);
  }
  return part;
}

EnsembleReducer::EnsembleReducer(const Engine& engine, const EnsembleOptions& options)
    : engine_(engine), options_(options) {
  const std::size_t cells = static_cast<std::size_t>(kIndicators) * engine.months();
  const std::size_t scenarios = engine.scenarios().size();
  counts_.assign(scenarios, 0);
  bins_.assign(cells * kBins, 0);
  sums_.assign(cells, 0.0);
  driver_sums_.assign(scenarios * engine.driver_names().size(), 0.0);
}

void EnsembleReducer::add(const EnsemblePart& part) {
  const auto fail = [](const std::string& why) { throw InputError("ensemble", 0, "blocks", why); };
  if (part.first_block != next_block_)
    fail(part.first_block > next_block_
             ? "blocks " + std::to_string(next_block_) + " to " +
                   std::to_string(part.first_block - 1) + " are missing"
             : "block " + std::to_string(part.first_block) + " is given twice (overlap)");
  const std::size_t blocks = part.end_block - part.first_block;
  if (part.end_block > block_count(options_.runs) || part.counts.size() != counts_.size() ||
      part.bins.size() != bins_.size() || part.sums.size() != blocks ||
      part.driver_sums.size() != blocks)
    fail("a part does not fit this ensemble (blocks, scenarios or months differ)");
  for (std::size_t b = 0; b < blocks; ++b)
    if (part.sums[b].size() != sums_.size() || part.driver_sums[b].size() != driver_sums_.size())
      fail("a part does not fit this ensemble (months or scenarios differ)");
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += part.counts[i];
  for (std::size_t i = 0; i < bins_.size(); ++i) bins_[i] += part.bins[i];
  for (std::size_t b = 0; b < blocks; ++b) {  // fold in block order
    for (std::size_t i = 0; i < sums_.size(); ++i) sums_[i] += part.sums[b][i];
    for (std::size_t i = 0; i < driver_sums_.size(); ++i) driver_sums_[i] += part.driver_sums[b][i];
  }
  next_block_ = part.end_block;
}

ForecastSummary EnsembleReducer::summary() const {
  const std::uint32_t blocks = block_count(options_.runs);
  if (next_block_ != blocks)
    throw InputError("ensemble", 0, "blocks",
                     "blocks " + std::to_string(next_block_) + " to " + std::to_string(blocks - 1) +
                         " are missing");
  std::uint64_t counted = 0;
  for (auto c : counts_) counted += c;
  if (counted != options_.runs)
    throw InputError("ensemble", 0, "runs",
                     std::to_string(counted) + " runs counted, " + std::to_string(options_.runs) +
                         " expected");
  const int months = engine_.months();
  const int scenarios = static_cast<int>(counts_.size());
  const std::uint32_t runs = options_.runs;
  ForecastSummary out;
  out.seed = options_.seed;
  out.runs = runs;
  for (int s = 0; s < scenarios; ++s) out.scenarios.push_back(wilson(counts_[s], runs));
  const int start = engine_.start().month_index();
  for (int k = 0; k < kIndicators; ++k) {
    const double low = engine_.indicator_range(k).first;
    const double width = bin_width(engine_.indicator_range(k));
    std::vector<MonthQuantiles> series;
    for (int t = 0; t < months; ++t) {
      MonthQuantiles mq;
      mq.month = Date{(start + t) / 12, (start + t) % 12 + 1, 0};
      const std::size_t at = static_cast<std::size_t>(k) * months + t;
      mq.mean = runs ? sums_[at] / runs : 0.0;
      const std::span<const std::uint64_t> bins(bins_.data() + at * kBins, kBins);
      for (std::size_t q = 0; q < kQuantileLevels.size(); ++q)
        mq.q[q] = quantile(bins, runs, low, width, kQuantileLevels[q]);
      series.push_back(mq);
    }
    out.indicators.push_back(std::move(series));
  }
  const std::size_t drivers = engine_.driver_names().size();
  out.driver_overall.assign(drivers, 0.0);
  for (int s = 0; s < scenarios; ++s) {
    std::vector<double> means(drivers, 0.0);
    for (std::size_t d = 0; d < drivers; ++d) {
      const double sum = driver_sums_[static_cast<std::size_t>(s) * drivers + d];
      means[d] = counts_[s] ? sum / static_cast<double>(counts_[s]) : 0.0;
      out.driver_overall[d] += sum;
    }
    out.driver_means.push_back(means);
  }
  for (double& v : out.driver_overall) v = runs ? v / runs : 0.0;
  return out;
}

ForecastSummary run_ensemble(const Engine& engine, const EnsembleOptions& options,
                             const std::function<void(std::span<const RunOutcome>)>& on_runs,
                             const std::function<void(std::uint32_t)>& progress) {
  // A few blocks at a time, so that memory does not grow with the number of runs.
  const std::uint32_t blocks = block_count(options.runs);
  const std::uint32_t step = std::max<std::uint32_t>(1, options.batch / kReductionBlock);
  EnsembleReducer reducer(engine, options);
  for (std::uint32_t b = 0; b < blocks; b += std::min(step, blocks - b))
    reducer.add(run_blocks(engine, options, b, b + std::min(step, blocks - b), on_runs, progress));
  return reducer.summary();
}

RunPlan RunPlan::with_overrides(const std::map<std::string, double>& values) const {
  RunPlan out = *this;
  for (const auto& [name, value] : values) out.engine.overrides[name] = value;
  return out;
}

RunPlan RunPlan::over(Date start, Date horizon) const {
  RunPlan out = *this;
  out.engine.start = start;
  out.engine.horizon = horizon;
  return out;
}

Engine build_engine(const kb::Model& model, const RunPlan& plan) {
  return Engine::build(model, plan.engine);
}

PlanResult run_plan(const kb::Model& model, const RunPlan& plan,
                    const std::function<void(std::uint32_t)>& progress) {
  Engine engine = build_engine(model, plan);
  ForecastSummary summary = run_ensemble(engine, plan.ensemble, {}, progress);
  return {std::move(engine), std::move(summary)};
}

}  // namespace sphere::sim

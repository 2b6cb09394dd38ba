// Shards of an ensemble: blocks simulated separately and folded by EnsembleReducer give the
// same bits as run_ensemble in one go.
#include <cstring>

#include <gtest/gtest.h>

#include "sim/sim.h"

namespace sphere::sim {
namespace {

const kb::Model& model() {
  static const kb::Model m = kb::load_builtin_model();
  return m;
}

std::vector<double> flatten(const ForecastSummary& f) {
  std::vector<double> v;
  for (const auto& p : f.scenarios) v.insert(v.end(), {double(p.count), p.p, p.low, p.high});
  for (const auto& series : f.indicators)
    for (const auto& m : series) {
      v.push_back(m.mean);
      v.insert(v.end(), m.q.begin(), m.q.end());
    }
  for (const auto& d : f.driver_means) v.insert(v.end(), d.begin(), d.end());
  v.insert(v.end(), f.driver_overall.begin(), f.driver_overall.end());
  return v;
}

bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

EngineOptions short_horizon() {
  EngineOptions o;
  o.horizon = Date{2026, 9, 0};
  return o;
}

TEST(Shards, BlocksCoverEveryRunOnceWithUnevenSizes) {
  const std::uint32_t runs = 5 * kReductionBlock + 3;  // 6 blocks, the last one short
  EXPECT_EQ(block_count(runs), 6u);
  for (std::uint32_t n : {1u, 2u, 4u, 7u}) {
    std::uint32_t next = 0;
    for (std::uint32_t k = 0; k < n; ++k) {
      auto [first, end] = shard_blocks(runs, k, n);
      EXPECT_EQ(first, next);
      EXPECT_LE(end - first, 6u / n + 1);
      next = end;
    }
    EXPECT_EQ(next, 6u);
  }
}

TEST(Shards, FoldedShardsAreBitwiseIdenticalToOneProcess) {
  const Engine engine = Engine::build(model(), short_horizon());
  const EnsembleOptions options{17, 3 * kReductionBlock + 40, 2, 300};  // 4 blocks
  const auto whole = flatten(run_ensemble(engine, options));
  for (std::uint32_t n : {1u, 2u, 3u}) {
    EnsembleReducer reducer(engine, options);
    std::uint32_t outcomes = 0;
    for (std::uint32_t k = 0; k < n; ++k) {
      auto [first, end] = shard_blocks(options.runs, k, n);
      reducer.add(run_blocks(engine, options, first, end,
                             [&](std::span<const RunOutcome> r) { outcomes += r.size(); }));
    }
    EXPECT_EQ(outcomes, options.runs);
    EXPECT_TRUE(bitwise_equal(flatten(reducer.summary()), whole)) << n << " shards";
  }
}

TEST(Shards, ReducerRejectsMissingAndOverlappingBlocks) {
  const Engine engine = Engine::build(model(), short_horizon());
  const EnsembleOptions options{3, 2 * kReductionBlock, 2, 512};
  const EnsemblePart first = run_blocks(engine, options, 0, 1);
  const EnsemblePart second = run_blocks(engine, options, 1, 2);
  {
    EnsembleReducer reducer(engine, options);
    EXPECT_THROW(reducer.add(second), InputError);  // block 0 missing
    reducer.add(first);
    EXPECT_THROW(reducer.summary(), InputError);  // block 1 missing
    EXPECT_THROW(reducer.add(first), InputError);  // block 0 again
    reducer.add(second);
    EXPECT_EQ(reducer.summary().runs, options.runs);
  }
  {
    const Engine longer = Engine::build(model());
    EnsembleReducer reducer(longer, options);
    EXPECT_THROW(reducer.add(first), InputError);  // months differ
  }
}

}  // namespace
}  // namespace sphere::sim

// Shards of an ensemble: blocks simulated separately and folded by EnsembleReducer give the
// same bits as run_ensemble in one go.
#include <cstring>

#include <gtest/gtest.h>

#include "sim/sim.h"
#include "sim/sim_testing.h"

namespace sphere::sim {
namespace {

using sphere::sim::testing::bitwise_equal;
using sphere::sim::testing::flatten;
using sphere::sim::testing::model;

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

#include <cstring>

#include <gtest/gtest.h>

#include "sim/sim.h"
#include "sim/sim_testing.h"

namespace sphere::sim {
namespace {

using sphere::sim::testing::bitwise_equal;
using sphere::sim::testing::flatten;
using sphere::sim::testing::model;

TEST(Ensemble, BitwiseIdenticalFor1_2And8Threads) {
  const Engine engine = Engine::build(model());
  std::vector<std::vector<double>> results;
  std::vector<std::vector<int>> scenarios;
  for (int threads : {1, 2, 8}) {
    std::vector<int> s;
    // A batch smaller than the run count, so batching is exercised as well.
    auto f = run_ensemble(engine, EnsembleOptions{99, 300, threads, 64},
                          [&](std::span<const RunOutcome> runs) {
                            for (const auto& r : runs) s.push_back(r.scenario);
                          });
    results.push_back(flatten(f));
    scenarios.push_back(s);
  }
  EXPECT_TRUE(bitwise_equal(results[0], results[1]));
  EXPECT_TRUE(bitwise_equal(results[0], results[2]));
  EXPECT_EQ(scenarios[0], scenarios[1]);
  EXPECT_EQ(scenarios[0], scenarios[2]);
}

// A plan is its engine's options and its ensemble's: run_plan gives what building the engine and
// running the ensemble by hand gives, and its variations change only what they name.
TEST(RunPlan, RunsItsEngineAndEnsembleAndVariesOnlyWhatItNames) {
  RunPlan plan;
  plan.engine.horizon = Date{2026, 9, 0};
  plan.engine.overrides = {{"kappa", 0.15}};
  plan.ensemble = EnsembleOptions{5, 200, 2, 512};
  const PlanResult result = run_plan(model(), plan);
  const Engine by_hand = Engine::build(model(), plan.engine);
  EXPECT_TRUE(bitwise_equal(flatten(result.summary), flatten(run_ensemble(by_hand, plan.ensemble))));
  EXPECT_EQ(result.engine.horizon(), (Date{2026, 9, 0}));

  const RunPlan varied = plan.with_overrides({{"theta", 0.12}});
  EXPECT_EQ(varied.engine.overrides.at("kappa"), 0.15);  // kept
  EXPECT_EQ(varied.engine.overrides.at("theta"), 0.12);  // added
  EXPECT_EQ(varied.ensemble.seed, plan.ensemble.seed);  // common random numbers
  EXPECT_EQ(plan.engine.overrides.count("theta"), 0u);  // the base plan is untouched
  EXPECT_FALSE(bitwise_equal(flatten(run_plan(model(), varied).summary), flatten(result.summary)));

  const RunPlan past = plan.over(Date{2024, 1, 0}, Date{2024, 12, 0});
  EXPECT_EQ(build_engine(model(), past).start(), (Date{2024, 1, 0}));
  EXPECT_EQ(build_engine(model(), past).horizon(), (Date{2024, 12, 0}));
  EXPECT_EQ(past.engine.overrides, plan.engine.overrides);
}

// The built-in model draws each run's settle inputs over their ranges: the issues' mean outcomes
// move off the stated-input ones, and (above) stay bitwise identical at any thread count.
TEST(Ensemble, BuiltInModelSettlesOnDrawnInputs) {
  const Engine sampled = Engine::build(model());
  ASSERT_TRUE(sampled.samples_issue_inputs());
  kb::Model stated_model = model();
  stated_model.simulation->settle_inputs = "stated";
  const Engine stated = Engine::build(stated_model);
  const auto a = run_ensemble(sampled, EnsembleOptions{3, 200, 2, 64});
  const auto b = run_ensemble(stated, EnsembleOptions{3, 200, 2, 64});
  ASSERT_EQ(a.driver_overall.size(), b.driver_overall.size());
  int moved = 0;
  for (std::size_t k = kDrivers; k < a.driver_overall.size(); ++k)
    moved += a.driver_overall[k] != b.driver_overall[k];
  EXPECT_EQ(moved, static_cast<int>(sampled.settled_issues().size()));
  // One run alone gives the same settlements as within the ensemble's threads.
  const Trajectory one = sampled.simulate(3, 17), two = sampled.simulate(3, 17);
  EXPECT_EQ(one.drivers, two.drivers);
}

TEST(Ensemble, BatchSizeDoesNotChangeResults) {
  const Engine engine = Engine::build(model());
  auto a = run_ensemble(engine, EnsembleOptions{5, 100, 2, 7});
  auto b = run_ensemble(engine, EnsembleOptions{5, 100, 2, 1000});
  EXPECT_TRUE(bitwise_equal(flatten(a), flatten(b)));
}

TEST(Ensemble, DifferentSeedsDiffer) {
  const Engine engine = Engine::build(model());
  auto a = run_ensemble(engine, EnsembleOptions{1, 100, 2, 512});
  auto b = run_ensemble(engine, EnsembleOptions{2, 100, 2, 512});
  EXPECT_FALSE(bitwise_equal(flatten(a), flatten(b)));
}

TEST(Ensemble, ScenarioCountsSumToRunsAndProbabilitiesLieInTheirIntervals) {
  const Engine engine = Engine::build(model());
  auto f = run_ensemble(engine, EnsembleOptions{3, 400, 2, 512});
  std::uint64_t total = 0;
  for (const auto& p : f.scenarios) {
    total += p.count;
    EXPECT_LE(p.low, p.p);
    EXPECT_GE(p.high, p.p);
  }
  EXPECT_EQ(total, 400u);
  // Quantiles are ordered within each month.
  for (const auto& series : f.indicators)
    for (const auto& m : series)
      for (int q = 1; q < 5; ++q) EXPECT_LE(m.q[q - 1], m.q[q]);
}

TEST(Ensemble, ReplayOfOneRunMatchesItsPlaceInTheEnsemble) {
  const Engine engine = Engine::build(model());
  std::vector<RunOutcome> outcomes;
  run_ensemble(engine, EnsembleOptions{11, 40, 2, 16},
               [&](std::span<const RunOutcome> runs) {
                 outcomes.insert(outcomes.end(), runs.begin(), runs.end());
               });
  Classifier c(engine.scenarios(), engine.state_names());
  for (std::uint32_t k : {0u, 17u, 39u}) {
    const Trajectory alone = engine.simulate(11, k, true);
    EXPECT_EQ(c.classify(alone.state), outcomes[k].scenario);
    EXPECT_EQ(alone.indicators.back(), outcomes[k].final_indicators[kIndicators - 1]);
  }
}

TEST(Wilson, KnownValues) {
  // 0 of 10: [0, 0.2775]; 5 of 10: [0.2366, 0.7634] (Wilson score interval, z = 1.96).
  auto zero = wilson(0, 10);
  EXPECT_DOUBLE_EQ(zero.low, 0.0);
  EXPECT_NEAR(zero.high, 0.2775, 1e-4);
  auto half = wilson(5, 10);
  EXPECT_NEAR(half.low, 0.2366, 1e-4);
  EXPECT_NEAR(half.high, 0.7634, 1e-4);
}

}  // namespace
}  // namespace sphere::sim

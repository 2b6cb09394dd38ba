#include <cmath>

#include <gtest/gtest.h>

#include "sim/sim.h"

namespace sphere::sim {
namespace {

const kb::Model& model() {
  static const kb::Model m = kb::load_builtin_model();
  return m;
}

std::string first_field(const InputError& e) { return e.diagnostics().items().at(0).field; }

TEST(Engine, BuildsFromTheBuiltInModel) {
  const Engine e = Engine::build(model());
  EXPECT_EQ(e.start().to_string(), "2026-01");
  EXPECT_EQ(e.horizon().to_string(), "2030-12");
  EXPECT_EQ(e.months(), 60);
  EXPECT_EQ(e.state_names(), kb::state_variable_names(*model().simulation));
  EXPECT_EQ(e.initial_state().size(), e.state_names().size());
}

TEST(Engine, SimulationIsAPureFunctionOfSeedAndRun) {
  const Engine e = Engine::build(model());
  const auto a = e.simulate(4, 9), b = e.simulate(4, 9), c = e.simulate(4, 10);
  EXPECT_EQ(a.indicators, b.indicators);
  EXPECT_EQ(a.state, b.state);
  EXPECT_NE(a.indicators, c.indicators);
}

TEST(Engine, RelationsStayInRange) {
  const Engine e = Engine::build(model());
  for (std::uint32_t r = 0; r < 50; ++r) {
    const auto t = e.simulate(1, r);
    for (int m = 0; m < e.months(); ++m) {
      const double rel = t.indicators[m * kIndicators + kRelation];
      EXPECT_GE(rel, -10.0);
      EXPECT_LE(rel, 10.0);
      EXPECT_GE(t.indicators[m * kIndicators + kTrade], 0.0);
    }
  }
}

TEST(Engine, HorizonBeforeStartIsAnInputError) {
  try {
    EngineOptions o;
    o.horizon = Date{2025, 6, 0};
    Engine::build(model(), o);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(first_field(e), "horizon");
  }
}

TEST(Engine, ParameterOutsideItsRangeIsAnInputError) {
  EngineOptions o;
  o.overrides["theta"] = 5.0;
  try {
    Engine::build(model(), o);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(first_field(e), "theta");
    EXPECT_NE(e.diagnostics().items()[0].message.find("outside"), std::string::npos);
  }
}

TEST(Engine, OverrideWithinRangeChangesTrajectories) {
  EngineOptions o;
  o.overrides["kappa"] = 0.15;
  const Engine base = Engine::build(model()), changed = Engine::build(model(), o);
  EXPECT_NE(base.simulate(1, 0).indicators, changed.simulate(1, 0).indicators);
}

TEST(Shock, UnknownTargetIsAnInputError) {
  EngineOptions o;
  o.shocks = {"event:RUS>XYZ:173@2026-01"};
  try {
    Engine::build(model(), o);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(first_field(e), "shock");
    EXPECT_NE(e.diagnostics().items()[0].message.find("XYZ"), std::string::npos);
  }
}

TEST(Shock, MalformedAndNetworkShocksAreInputErrors) {
  for (const char* spec : {"event:RUS>AZE:999@2026-01", "event:RUS>AZE:173@2040-01",
                           "event:RUS>AZE:173", "nonsense", "block:nowhere@2026-03",
                           "open:zangezur@2027-01", "cut:tap@2026-03"}) {
    EngineOptions o;
    o.shocks = {spec};
    EXPECT_THROW(Engine::build(model(), o), InputError) << spec;
  }
  // An oil link moves only the leverage: refused when the leverage comes from the parameters.
  kb::Model by_parameters = model();
  by_parameters.simulation->leverage = "parameters";
  EngineOptions o;
  o.shocks = {"block:btc@2026-03"};
  EXPECT_THROW(Engine::build(by_parameters, o), InputError);
  EXPECT_NO_THROW(Engine::build(model(), o));
}

TEST(Shock, EventShockAppearsInEveryTrajectoryAndMovesTheRelation) {
  EngineOptions o;
  o.shocks = {"event:RUS>AZE:190@2026-02"};
  const Engine plain = Engine::build(model()), shocked = Engine::build(model(), o);
  for (std::uint32_t r = 0; r < 5; ++r) {
    const auto t = shocked.simulate(3, r, true);
    int found = 0;
    for (const auto& ev : t.events) found += ev.cause == "shock" && ev.cameo == "190";
    EXPECT_EQ(found, 1);
    // Same draws up to the shock month; the hostile event lowers the relation that month.
    const auto p = plain.simulate(3, r);
    EXPECT_EQ(p.indicators[0], t.indicators[0]);
    EXPECT_LT(t.indicators[1 * kIndicators + kRelation], p.indicators[1 * kIndicators + kRelation]);
  }
}

TEST(Shock, BlockingAGasLinkScalesGasFromThatMonthByTheNetworkDelivery) {
  EngineOptions o;
  o.shocks = {"block:tap@2026-03"};
  const Engine plain = Engine::build(model()), blocked = Engine::build(model(), o);
  const double factor = blocked.shocks().at(0).gas_factor;
  EXPECT_GT(factor, 0.0);
  EXPECT_LT(factor, 1.0);  // TAP carries Azerbaijani gas to the EU
  const auto p = plain.simulate(2, 0), b = blocked.simulate(2, 0);
  EXPECT_EQ(p.indicators[1 * kIndicators + kGas], b.indicators[1 * kIndicators + kGas]);
  EXPECT_DOUBLE_EQ(b.indicators[2 * kIndicators + kGas], p.indicators[2 * kIndicators + kGas] * factor);
}

TEST(Classifier, FirstMatchingScenarioWinsAndOtherwiseCatchesTheRest) {
  kb::SimulationSpec spec;
  std::vector<kb::Scenario> sc = {{"hot", "Hot", "x > 5", {}, {}},
                                  {"warm", "Warm", "x > 1", {}, {}},
                                  {"cold", "Cold", "otherwise", {}, {}}};
  Classifier c(sc, {"x"});
  EXPECT_EQ(c.classify({7}), 0);
  EXPECT_EQ(c.classify({3}), 1);
  EXPECT_EQ(c.classify({0}), 2);
}

TEST(Intensities, MuIsTheModulatedPoissonRateScaledByOneMinusBranching) {
  CalibrationData d;
  d.months = 10;
  d.dyads = 1;
  d.counts.assign(10 * 4, 0.0);
  d.relation.assign(10, 0.0);
  for (int m = 0; m < 10; ++m) d.counts[m * 4 + 3] = 2.0;  // 2 material-conflict events a month
  const Intensities i = LogRateIntensities().estimate(d, 1.0, 0.25, 0.5);
  EXPECT_DOUBLE_EQ(i.mu[3], 0.75 * 2.0);  // R = 0: exp(0) = 1
  EXPECT_DOUBLE_EQ(i.mu[0], 0.0);
  // Offspring per event: 2·alpha·decay/(1 − decay) = branching.
  EXPECT_NEAR(2 * i.alpha * i.decay / (1 - i.decay), 0.25, 1e-12);
}

TEST(Hindcast, ScoresEveryLaterOutcomeWithBaselines) {
  const auto scores = hindcast(model(), Date{2019, 1, 0}, EnsembleOptions{1, 100, 2, 512});
  ASSERT_EQ(scores.size(), 2u);  // the 2019-12 and 2025-12 outcomes
  for (const auto& s : scores) {
    double total = 0;
    for (double p : s.forecast) total += p;
    EXPECT_NEAR(total, 1.0, 1e-12);
    EXPECT_GE(s.brier, 0.0);
    EXPECT_LE(s.brier, 2.0);
    EXPECT_NEAR(s.brier_uniform, 2.0 / 3.0, 1e-12);  // (1 − 1/3)² + 2·(1/3)²
    EXPECT_NEAR(s.log_uniform, std::log(3.0), 1e-12);
  }
  EXPECT_THROW(hindcast(model(), Date{2027, 1, 0}, EnsembleOptions{1, 10, 1, 512}), InputError);
}

}  // namespace
}  // namespace sphere::sim

// model.toml's simulation set-up: parameters, scenarios, outcomes, state variable names.
#include <gtest/gtest.h>

#include "kb/kb.h"

namespace sphere::kb {
namespace {

TEST(Simulation, BuiltInModelHasSetUpParametersScenariosAndOutcomes) {
  const Model m = load_builtin_model();
  ASSERT_TRUE(m.simulation.has_value());
  EXPECT_EQ(m.simulation->start.to_string(), "2026-01");
  EXPECT_EQ(m.simulation->count_as.at("AZE_DIASPORA_RUS"), "AZE");
  for (const Parameter& p : m.parameters) {
    EXPECT_LE(p.low, p.value) << p.name;
    EXPECT_LE(p.value, p.high) << p.name;
    if (p.source == "assumption") {
      EXPECT_FALSE(p.rationale.empty()) << p.name;
    }
  }
  // A parameter sourced from a fact takes the fact's value.
  const Parameter* trade = m.find_parameter("trade.start");
  ASSERT_NE(trade, nullptr);
  EXPECT_EQ(trade->fact, "rus-aze-trade-turnover-2024-s2");
  EXPECT_DOUBLE_EQ(trade->value, 4.8);
  ASSERT_EQ(m.scenarios.size(), 3u);
  EXPECT_EQ(m.scenarios.back().when, "otherwise");
  ASSERT_EQ(m.outcomes.size(), 2u);
  EXPECT_LT(m.outcomes[0].date, m.outcomes[1].date);
}

// Three simulated actors, RUS and AZE the focal pair, gas from AZE to TUR.
SimulationSpec three_actors() {
  SimulationSpec s;
  s.actors = {"RUS", "AZE", "TUR"};
  s.focal_a = "RUS";
  s.focal_b = "AZE";
  s.gas_seller = "AZE";
  s.gas_buyer = "TUR";
  return s;
}

TEST(Simulation, StateVariablesCoverEveryOrderedPairAndTheFocalIndicators) {
  const SimulationSpec s = three_actors();
  const auto names = state_variable_names(s);
  EXPECT_EQ(names.size(), 3u * 2 * 3 + 6);
  for (const char* n : {"R_RUS_AZE", "R12_TUR_RUS", "force12_AZE_TUR", "rel12_RUS_AZE",
                        "leverage_AZE_RUS", "gas_AZE_TUR"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(Simulation, TheStateLayoutNamesEachPositionTheEngineWrites) {
  SimulationSpec s = three_actors();
  s.settle = {"zangezur-transit"};
  const StateLayout layout(s);
  // The engine's ordered dyads: RUS>AZE, RUS>TUR, AZE>RUS, AZE>TUR, TUR>RUS, TUR>AZE.
  EXPECT_EQ(layout.names[StateLayout::dyad_r(0)], "R_RUS_AZE");
  EXPECT_EQ(layout.names[StateLayout::dyad_r12(2)], "R12_AZE_RUS");
  EXPECT_EQ(layout.names[StateLayout::dyad_force12(5)], "force12_TUR_AZE");
  EXPECT_EQ(layout.names[layout.rel], "rel_RUS_AZE");
  EXPECT_EQ(layout.names[layout.rel12], "rel12_RUS_AZE");
  EXPECT_EQ(layout.names[layout.trade], "trade_RUS_AZE");
  EXPECT_EQ(layout.names[layout.leverage_ab], "leverage_RUS_AZE");
  EXPECT_EQ(layout.names[layout.leverage_ba], "leverage_AZE_RUS");
  EXPECT_EQ(layout.names[layout.gas], "gas_AZE_TUR");
  EXPECT_EQ(layout.names[layout.first_issue], "issue_zangezur_transit");
  EXPECT_EQ(layout.names.size(), layout.first_issue + 1);
  EXPECT_EQ(layout.names, state_variable_names(s));
}

}  // namespace
}  // namespace sphere::kb

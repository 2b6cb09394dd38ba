// The estimated scenario forecast as both front ends run it, on the built-in model and the shared
// GDELT panel it declares.
#include <algorithm>
#include <cmath>
#include <iostream>

#include <gtest/gtest.h>

#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

ScenarioRequest small_scenario_request() {
  ScenarioRequest r;
  r.model_dir = (sphere::testing::source_dir() / "data" / "caucasus").string();
  r.data_root = sphere::testing::shared_dir().string();
  r.runs = 500;
  r.draws = 5;
  r.attribution = false;
  r.threads = 2;
  return r;
}

// P(scenario k) at the horizon, per scenario.
std::vector<double> scenario_p_at_horizon(const ScenarioForecast& f) {
  std::vector<double> p;
  for (const auto& curve : f.outlook.probability) p.push_back(curve.back());
  return p;
}

// The criterion of the estimated model's robustness: removing any one documented event of mild
// weight (|Goldstein| <= 5) moves no scenario probability at the horizon by more than 0.05.
// Events inside the panel's months do not enter the forecast (the panel observes those months);
// those after them are the conditioning's evidence, and each is removed in turn here.
TEST(ScenarioForecast, NoMildDocumentedEventMovesAScenarioByMoreThanFivePoints) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  const kb::Model model = kb::load_builtin_model();
  const ScenarioRequest request = small_scenario_request();
  PanelRequest panel_request;
  panel_request.model_dir = request.model_dir;
  panel_request.data_root = request.data_root;
  const ResolvedPanel panel = resolve_panel(&model, panel_request);  // read once
  const auto forecast = [&](const kb::Model& m) {
    return scenario_forecast(m, panel.panel, panel.target, request);
  };
  const ScenarioForecast base = forecast(model);
  const std::vector<double> p0 = scenario_p_at_horizon(base);
  ASSERT_FALSE(base.evidence.empty());
  int removed = 0;
  double largest = 0;
  for (const auto& item : base.evidence) {
    const kb::Event* event = model.find_event(item.id);
    ASSERT_NE(event, nullptr) << item.id;
    if (std::fabs(event->goldstein) > 5) continue;
    kb::Model without = model;
    without.events.erase(std::find_if(without.events.begin(), without.events.end(),
                                      [&](const kb::Event& e) { return e.id == item.id; }));
    const ScenarioForecast f = forecast(without);
    ASSERT_EQ(f.evidence.size() + 1, base.evidence.size()) << item.id;
    const std::vector<double> p = scenario_p_at_horizon(f);
    for (std::size_t k = 0; k < p.size(); ++k) {
      largest = std::max(largest, std::fabs(p[k] - p0[k]));
      EXPECT_LE(std::fabs(p[k] - p0[k]), 0.05) << "without " << item.id << ", scenario " << k;
    }
    ++removed;
  }
  EXPECT_GT(removed, 0) << "no mild event among the evidence";
  ::testing::Test::RecordProperty("largest_move", std::to_string(largest));
  std::cout << removed << " mild events left out in turn; largest move of a scenario probability "
            << largest << "\n";
  // An event before the panel's end (2022-12) changes nothing at all.
  const auto inside = std::find_if(model.events.begin(), model.events.end(), [](const kb::Event& e) {
    return e.date.year < 2023 && std::fabs(e.goldstein) <= 5;
  });
  ASSERT_NE(inside, model.events.end());
  kb::Model without = model;
  without.events.erase(without.events.begin() + (inside - model.events.begin()));
  EXPECT_EQ(scenario_p_at_horizon(forecast(without)), p0);
  // The same as the forecast on the declared panel read by the use case itself.
  EXPECT_EQ(scenario_p_at_horizon(scenario_forecast(model, request)), p0);
  RecordProperty("largest_change", std::to_string(largest));
  RecordProperty("events_removed", removed);
}

}  // namespace
}  // namespace sphere::service

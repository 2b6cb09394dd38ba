// The JSON form of a backtest: written with its provenance, read back for the report.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dyad/dyad.h"
#include "testing.h"

namespace sphere::dyad {
namespace {

BacktestResult a_result() {
  BacktestResult r;
  r.target = "conflict";
  r.origins = 3;
  r.forecasts = 4;
  for (const char* name : {"sphere", "climatology"}) {
    ModelScores m;
    m.name = name;
    ModelScores::ByHorizon h;
    h.h = 1;
    h.crps_by_period.assign(6, 0.0);
    h.n_by_period.assign(6, 0);
    ForecastScore s;
    s.crps = name[0] == 's' ? 0.5 : 1.0;
    s.log = 1.2;
    s.p_fixed = 0.35;
    s.outcome_fixed = 1;
    s.pit = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    for (int i = 0; i < 4; ++i) h.add(s, 2 + i % 2, 1);
    m.horizons.push_back(h);
    r.models.push_back(m);
  }
  r.skills.push_back({"sphere", "climatology", 1, 0.5, 0.4, 0.6, 3.0, 0.003});
  return r;
}

TEST(BacktestJson, RoundTripsWhatTheReportShowsWithItsProvenance) {
  panel::Panel p;
  p.file = "panel.csv";
  BacktestProvenance prov;
  prov.command = "sphere backtest --origins 2020-01..2020-03";
  prov.created = "2026-01-01T00:00:00Z";
  prov.panel_digest = "0123456789abcdef";
  prov.panel_bytes = 1234;
  prov.data_through = "2020-06";
  prov.refit = "yearly";
  prov.fixed_threshold = 2;
  const std::string text = backtest_to_json(a_result(), p, prov);
  const BacktestSummary s = backtest_summary_from_json(text, "b.json");
  EXPECT_EQ(s.panel, "panel.csv");
  EXPECT_EQ(s.command, prov.command);
  EXPECT_EQ(s.panel_bytes, 1234u);
  EXPECT_EQ(s.fixed_threshold, 2);
  ASSERT_EQ(s.models.size(), 2u);
  EXPECT_DOUBLE_EQ(s.models[0].horizons[0].crps, 0.5);
  EXPECT_DOUBLE_EQ(s.models[1].horizons[0].crps, 1.0);
  // The histogram is the differences of the averaged PIT distribution function.
  for (double v : s.models[0].horizons[0].pit) EXPECT_NEAR(v, 0.1, 1e-12);
  ASSERT_EQ(s.models[0].horizons[0].reliability.size(), 1u);  // every p = 0.35: one bin
  EXPECT_NEAR(s.models[0].horizons[0].reliability[0].p, 0.35, 1e-12);
  EXPECT_EQ(s.models[0].horizons[0].reliability[0].n, 4u);
  ASSERT_EQ(s.skills.size(), 1u);
  EXPECT_DOUBLE_EQ(s.skills[0].low, 0.4);
}

TEST(BacktestJson, AMissingOrMalformedPartNamesTheFileAndField) {
  panel::Panel p;
  p.file = "panel.csv";
  auto j = nlohmann::json::parse(backtest_to_json(a_result(), p, {}));
  j["models"][1]["horizons"][0].erase("crps");
  try {
    backtest_summary_from_json(j.dump(), "b.json");
    FAIL() << "a file without a CRPS was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("b.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("models[1].horizons[0].crps"), std::string::npos) << e.what();
  }
  EXPECT_THROW(backtest_summary_from_json("{", "b.json"), InputError);
  EXPECT_THROW(read_backtest_summary("/nonexistent/backtest.json"), InputError);
  // A file without the provenance block (written before it existed) still reads.
  j = nlohmann::json::parse(backtest_to_json(a_result(), p, {}));
  j.erase("provenance");
  const BacktestSummary old = backtest_summary_from_json(j.dump(), "b.json");
  EXPECT_TRUE(old.command.empty());
  EXPECT_EQ(old.fixed_threshold, -1);
}

}  // namespace
}  // namespace sphere::dyad

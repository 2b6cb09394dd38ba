// The JSON form of a backtest: written with its provenance, read back for the report.
#include <cmath>

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
    h.reset(1, 6);
    ForecastScore s;
    s.crps = name[0] == 's' ? 0.5 : 1.0;
    s.log = 1.2;
    s.p_fixed = 0.35;
    s.outcome_fixed = 1;
    s.pit = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    s.rps = name[0] == 's' ? 0.25 : 0.5;
    for (int i = 0; i < 4; ++i) h.add(s, 2 + i % 2, 1);
    m.horizons.push_back(h);
    r.models.push_back(m);
  }
  Skill skill;
  skill.model = "sphere";
  skill.baseline = "climatology";
  skill.h = 1;
  skill.skill = 0.5;
  skill.low = 0.4;
  skill.high = 0.6;
  skill.dm = 3.0;
  skill.p_value = 0.003;
  skill.periods = 2;
  r.skills.push_back(skill);
  // A skill over a single target period has no interval.
  Skill lone = skill;
  lone.low = lone.high = lone.dm = lone.p_value = std::nan("");
  lone.periods = 1;
  lone.no_interval = kNoIntervalReason;
  lone.score = "rps";
  r.rps_skills.push_back(lone);
  NbArBaseline nbar;
  nbar.exposure_scale = 30.5;
  nbar.horizons.push_back({3, -1.25, 0.5, 0.25, 1.5});
  r.nb_ar.push_back(nbar);
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
  EXPECT_TRUE(s.skills[0].has_interval());
  EXPECT_DOUBLE_EQ(s.models[0].horizons[0].rps, 0.25);
  // No interval: null in the file, with the reason; NaN and the reason when read back.
  const auto j = nlohmann::json::parse(text);
  ASSERT_EQ(j["rps_skill"].size(), 1u);
  EXPECT_TRUE(j["rps_skill"][0]["low"].is_null());
  EXPECT_TRUE(j["rps_skill"][0]["p_value"].is_null());
  EXPECT_EQ(j["rps_skill"][0]["no_interval"], kNoIntervalReason);
  EXPECT_EQ(j["rps_classes"].size(), kOrdinalNames.size());
  // The NB-AR baseline's coefficients, so that its forecasts can be recomputed.
  ASSERT_EQ(j["nb_ar"].size(), 1u);
  EXPECT_DOUBLE_EQ(j["nb_ar"][0]["exposure_scale"].get<double>(), 30.5);
  EXPECT_EQ(j["nb_ar"][0]["horizons"][0]["horizon"], 3);
  EXPECT_DOUBLE_EQ(j["nb_ar"][0]["horizons"][0]["a"].get<double>(), -1.25);
  EXPECT_DOUBLE_EQ(j["nb_ar"][0]["horizons"][0]["log_r"].get<double>(), 1.5);
  ASSERT_EQ(s.rps_skills.size(), 1u);
  EXPECT_EQ(s.rps_skills[0].score, "rps");
  EXPECT_FALSE(s.rps_skills[0].has_interval());
  EXPECT_TRUE(std::isnan(s.rps_skills[0].low));
  EXPECT_DOUBLE_EQ(s.rps_skills[0].skill, 0.5);
}

TEST(BacktestJson, ANullIntervalWithoutAReasonIsRefused) {
  panel::Panel p;
  p.file = "panel.csv";
  auto j = nlohmann::json::parse(backtest_to_json(a_result(), p, {}));
  j["skill"][0]["low"] = nullptr;
  EXPECT_THROW(backtest_summary_from_json(j.dump(), "b.json"), InputError);
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
  // A number beyond a double is the JSON library's out_of_range, not a parse error: still an
  // InputError (found by fuzz/fuzz_backtest, where it escaped).
  EXPECT_THROW(backtest_summary_from_json("{\"origins\": -7.1e4959464184590255}", "b.json"), InputError);
  EXPECT_THROW(backtest_summary_from_json("[1e999]", "b.json"), InputError);
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

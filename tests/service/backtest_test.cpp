// The backtest use case in process: a request's problems named by its fields, the level and count
// branches, and the forecasts file written whole.
#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

using sphere::testing::TempDir;

// Three pairs over 24 months in the GDELT monthly layout.
ResolvedPanel backtest_panel(const TempDir& dir) {
  const std::string path = sphere::testing::write_small_gdelt_panel(dir.path(), true);
  PanelRequest request;
  request.file = path;
  return resolve_panel(nullptr, request);
}

BacktestRequest quick_backtest(const std::string& origins) {
  BacktestRequest r;
  r.origins = origins;
  r.horizons = "1,2";
  r.bootstrap = 50;
  r.paths = 16;
  r.threads = 1;
  return r;
}

TEST(Backtest, ARequestsProblemsNameItsFieldsNeutrally) {
  TempDir dir;
  const ResolvedPanel p = backtest_panel(dir);
  EXPECT_EQ(field_of([&] { backtest(p, quick_backtest("")); }), "origins");
  EXPECT_EQ(field_of([&] { backtest(p, quick_backtest("2019-01..2021-06")); }), "origins");
  EXPECT_EQ(field_of([&] { backtest(p, quick_backtest("2021-01")); }), "origins");
  BacktestRequest r = quick_backtest("2021-01..2021-03");
  r.horizons = "0";
  EXPECT_EQ(field_of([&] { backtest(p, r); }), "horizons");
  r = quick_backtest("2021-01..2021-03");
  r.pairs = "GEO:RUS";
  EXPECT_EQ(field_of([&] { backtest(p, r); }), "pairs");
  r = quick_backtest("2021-01..2021-03");
  r.refit = "monthly";
  EXPECT_EQ(field_of([&] { backtest(p, r); }), "refit");
}

TEST(Backtest, ALevelTargetTakesTheLevelModelsAndRefusesTheStore) {
  TempDir dir;
  ResolvedPanel p = backtest_panel(dir);
  p.target = "sum_score";
  BacktestRequest r = quick_backtest("2021-06..2021-09");
  r.forecasts_out = (dir.path() / "f.csv").string();
  const BacktestOutcome out = backtest(p, r);
  ASSERT_TRUE(out.level);
  ASSERT_TRUE(out.levels.has_value());
  EXPECT_FALSE(out.counts.has_value());
  EXPECT_EQ(out.levels->models.front().name, "sphere-level");
  const std::string csv = sphere::testing::read_file(r.forecasts_out);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 4 * 2 * 3);  // origins x horizons x pairs
  EXPECT_EQ(csv.rfind("origin,month,horizon,country1,country2,mean,q05,", 0), 0u);
  r.db = (dir.path() / "bt.sqlite").string();
  EXPECT_EQ(field_of([&] { backtest(p, r); }), "db");
  EXPECT_FALSE(std::filesystem::exists(r.db));
}

TEST(Backtest, ACountTargetScoresTheModelAndTheBaselinesAndStoresThem) {
  TempDir dir;
  const ResolvedPanel p = backtest_panel(dir);
  BacktestRequest r = quick_backtest("2021-06..2021-09");
  r.db = (dir.path() / "bt.sqlite").string();
  r.command = "sphere backtest (test)";
  const BacktestOutcome out = backtest(p, r);
  ASSERT_TRUE(out.counts.has_value());
  EXPECT_EQ(out.counts->models.front().name, "sphere");
  EXPECT_EQ(out.counts->models.front().horizons.front().n, 4u * 3);
  EXPECT_TRUE(std::filesystem::exists(r.db));
  const auto json = nlohmann::json::parse(out.to_json(p.panel));
  EXPECT_EQ(json["provenance"]["command"], "sphere backtest (test)");
  // The stored forecasts scored against the same panel reproduce the backtest's scores.
  const auto scorings = rescore(p, r.db, "sphere backtest --score-only (test)");
  ASSERT_EQ(scorings.size(), 1u);
  EXPECT_EQ(scorings.front().result.models.front().horizons.front().crps,
            out.counts->models.front().horizons.front().crps);
}

}  // namespace
}  // namespace sphere::service

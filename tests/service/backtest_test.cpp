// The backtest use case in process: a request's problems named by its fields, the level and count
// branches, and the forecasts file written whole.
#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

using sphere::testing::TempDir;

// Three pairs over 24 months in the GDELT monthly layout.
ResolvedPanel small_panel(const TempDir& dir) {
  const auto path = (dir.path() / "small.csv").string();
  {
    std::ofstream out(path);
    out << "month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score\n";
    for (int m = 0; m < 24; ++m) {
      const std::string month = (m < 12 ? "2020-" : "2021-") + std::string(m % 12 < 9 ? "0" : "") +
                                std::to_string(m % 12 + 1);
      out << month << ",ARM,AZE,30," << 10 + m % 5 << "," << 5 + (m * 7) % 6 << ",5," << -100 + 37 * ((m * 5) % 7) << "\n";
      out << month << ",AZE,RUS,30,8," << (m * 3) % 4 << ",7," << 50 + 11 * ((m * 3) % 5) << "\n";
      if (m % 3 == 0) out << month << ",ARM,RUS,30,2,1,1," << 4 * (m % 4) - 3 << "\n";
    }
  }
  PanelRequest request;
  request.file = path;
  return resolve_panel(nullptr, request);
}

std::string field_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    const auto& d = e.diagnostics().items().front();
    return d.file == kRequest ? d.field : "file " + d.file;
  }
  return "no error";
}

BacktestRequest quick(const std::string& origins) {
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
  const ResolvedPanel p = small_panel(dir);
  EXPECT_EQ(field_of([&] { backtest(p, quick("")); }), "origins");
  EXPECT_EQ(field_of([&] { backtest(p, quick("2019-01..2021-06")); }), "origins");
  EXPECT_EQ(field_of([&] { backtest(p, quick("2021-01")); }), "origins");
  BacktestRequest r = quick("2021-01..2021-03");
  r.horizons = "0";
  EXPECT_EQ(field_of([&] { backtest(p, r); }), "horizons");
  r = quick("2021-01..2021-03");
  r.pairs = "GEO:RUS";
  EXPECT_EQ(field_of([&] { backtest(p, r); }), "pairs");
  r = quick("2021-01..2021-03");
  r.refit = "monthly";
  EXPECT_EQ(field_of([&] { backtest(p, r); }), "refit");
}

TEST(Backtest, ALevelTargetTakesTheLevelModelsAndRefusesTheStore) {
  TempDir dir;
  ResolvedPanel p = small_panel(dir);
  p.target = "sum_score";
  BacktestRequest r = quick("2021-06..2021-09");
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
  const ResolvedPanel p = small_panel(dir);
  BacktestRequest r = quick("2021-06..2021-09");
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

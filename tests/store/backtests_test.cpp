// Backtests in the result store: forecasts with their vintage, scored again against newer data.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store.h"
#include "testing.h"

namespace sphere::store {
namespace {

using sphere::testing::TempDir;

// A dyad-csv panel of monthly counts (conflict, coop) for six pairs from 2018-01, `months` long;
// the same months have the same values whatever the length, so a longer file is a newer vintage.
std::string write_panel(const std::filesystem::path& path, int months) {
  std::ofstream out(path);
  out << "period,actor1,actor2,conflict,coop\n";
  const char* pairs[][2] = {{"ARM", "AZE"}, {"AZE", "RUS"}, {"ARM", "RUS"},
                            {"GEO", "RUS"}, {"AZE", "TUR"}, {"IRN", "ISR"}};
  std::uint64_t state = 7;
  for (int m = 0; m < months; ++m) {
    for (int p = 0; p < 6; ++p) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const int noise = static_cast<int>((state >> 33) % 4);
      const int conflict = (p + 1) * (1 + (m / 5) % 3) / 2 + noise;
      const int coop = 1 + (p * 3 + m + noise) % 5;
      out << fmt::format("{}-{:02},{},{},{},{}\n", 2018 + m / 12, m % 12 + 1, pairs[p][0],
                         pairs[p][1], conflict, coop);
    }
  }
  return path.string();
}

panel::Panel read(const std::string& path) {
  return panel::read_panel(path, panel::Format::kDyadCsv, {});
}

dyad::BacktestOptions options(const panel::Panel& p) {
  dyad::BacktestOptions o;
  o.spec.target = "conflict";
  o.origin_from = 24;
  o.origin_to = p.periods;  // the last origin forecasts the months after the panel
  o.horizons = {1, 3};
  o.refit = dyad::Refit::kOnce;
  o.bootstrap = 50;
  o.forecast.paths = 16;
  o.threads = 1;
  return o;
}

BacktestVintage vintage_of(const panel::Panel& p, const dyad::BacktestOptions& o,
                           const std::string& path) {
  BacktestVintage v;
  v.command = "test";
  v.panel_file = p.file;
  v.panel_format = panel::format_name(p.format);
  v.panel_digest = dyad::file_digest(path);
  v.panel_bytes = std::filesystem::file_size(path);
  v.data_from = p.period_name(0);
  v.data_through = p.period_name(p.periods - 1);
  v.target = o.spec.target;
  v.partner = dyad::default_partner(p, o.spec.target);
  v.refit = "once";
  v.horizons = o.horizons;
  v.models = dyad::backtest_model_names(o);
  v.seed = o.forecast.seed;
  v.paths = o.forecast.paths;
  v.bootstrap = o.bootstrap;
  return v;
}

// Runs a backtest of `panel_path` into the database `db`.
dyad::BacktestResult store_backtest(const std::string& db, const std::string& panel_path) {
  const panel::Panel p = read(panel_path);
  dyad::BacktestOptions o = options(p);
  BacktestWriter writer(db, vintage_of(p, o, panel_path));
  o.on_record = [&](const dyad::ForecastRecord& r) { writer.add(r, p); };
  const dyad::BacktestResult result = dyad::backtest(p, o);
  writer.commit(result, p, "{}");
  return result;
}

std::int64_t count(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  std::int64_t n = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(h);
  return n;
}

TEST(BacktestStore, ScoringAgainstTheSamePanelReproducesTheBacktestExactly) {
  TempDir dir;
  const auto panel = write_panel(dir.path() / "p.csv", 30);
  const auto db = (dir.path() / "b.sqlite").string();
  const dyad::BacktestResult original = store_backtest(db, panel);
  // 7 origins (24..30), 6 pairs, 2 horizons, 11 models; the forecasts past the panel's end too.
  EXPECT_EQ(count(db, "SELECT count(*) FROM backtest_forecasts"), 7 * 6 * 2 * 11);
  EXPECT_EQ(count(db, "SELECT count(*) FROM backtest_scores"),
            static_cast<std::int64_t>(original.forecasts) * 11);
  EXPECT_EQ(count(db, "SELECT count(*) FROM backtest_fits"), 1);
  EXPECT_EQ(count(db, "SELECT count(*) FROM backtest_forecasts WHERE data_through = '2020-05' "
                      "AND origin = '2020-06' AND fitted_before = '2020-01'"),
            6 * 2 * 11);

  const auto again = rescore_backtests(db, read(panel), dyad::file_digest(panel), 0, "test", "now");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].scored, original.forecasts);
  EXPECT_EQ(again[0].pending, 7u * 6 * 2 - original.forecasts);
  ASSERT_EQ(again[0].result.models.size(), original.models.size());
  for (std::size_t m = 0; m < original.models.size(); ++m)
    for (std::size_t h = 0; h < 2; ++h) {
      EXPECT_EQ(again[0].result.models[m].horizons[h].n, original.models[m].horizons[h].n);
      EXPECT_EQ(again[0].result.models[m].horizons[h].crps, original.models[m].horizons[h].crps);
      EXPECT_EQ(again[0].result.models[m].horizons[h].pit, original.models[m].horizons[h].pit);
    }
  ASSERT_EQ(again[0].result.skills.size(), original.skills.size());
  for (std::size_t k = 0; k < original.skills.size(); ++k) {
    EXPECT_EQ(again[0].result.skills[k].skill, original.skills[k].skill);
    EXPECT_EQ(again[0].result.skills[k].low, original.skills[k].low);
  }
  EXPECT_EQ(count(db, "SELECT count(*) FROM backtest_scorings"), 2);
}

TEST(BacktestStore, NewerDataScoreTheTrueFutureForecastsAsABacktestOnThemWould) {
  TempDir dir;
  const auto old_panel = write_panel(dir.path() / "old.csv", 30);
  const auto new_panel = write_panel(dir.path() / "new.csv", 36);
  const auto db = (dir.path() / "b.sqlite").string();
  const dyad::BacktestResult stored = store_backtest(db, old_panel);
  const auto scored = rescore_backtests(db, read(new_panel), "", 0, "test", "now");
  ASSERT_EQ(scored.size(), 1u);
  EXPECT_EQ(scored[0].pending, 0u);
  EXPECT_EQ(scored[0].scored, 7u * 6 * 2);
  EXPECT_GT(scored[0].scored, stored.forecasts);

  // The same origins run on the newer panel: the same forecasts (only data before each origin),
  // so the same scores, but for the tail mass folded at the end of each pmf (when the outcome
  // was not yet known).
  const panel::Panel p = read(new_panel);
  dyad::BacktestOptions o = options(p);
  o.origin_to = 30;
  const dyad::BacktestResult direct = dyad::backtest(p, o);
  for (std::size_t m = 0; m < direct.models.size(); ++m)
    for (std::size_t h = 0; h < 2; ++h) {
      const auto& a = scored[0].result.models[m].horizons[h];
      const auto& b = direct.models[m].horizons[h];
      ASSERT_EQ(a.n, b.n) << direct.models[m].name;
      EXPECT_NEAR(a.crps / a.n, b.crps / b.n, 1e-9) << direct.models[m].name;
    }
}

TEST(BacktestStore, ADatabaseOfAnotherTargetOrKindIsRefusedAndLeftAsItWas) {
  TempDir dir;
  const auto panel = write_panel(dir.path() / "p.csv", 30);
  const auto db = (dir.path() / "b.sqlite").string();
  store_backtest(db, panel);
  const std::int64_t rows = count(db, "SELECT count(*) FROM backtest_forecasts");
  const panel::Panel p = read(panel);
  dyad::BacktestOptions o = options(p);
  o.spec.target = "coop";
  try {
    BacktestWriter writer(db, vintage_of(p, o, panel));
    FAIL() << "a database of another target was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("target 'conflict', not 'coop'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count(db, "SELECT count(*) FROM backtest_forecasts"), rows);
  EXPECT_EQ(count(db, "SELECT count(*) FROM backtests"), 1);

  // A panel of another format cannot score it; nothing is recorded.
  const auto gdelt = (dir.path() / "g.csv").string();
  std::ofstream(gdelt) << "month,country1,country2,days_in_data,days_nonzero,days_negative,"
                          "days_positive,sum_score\n2018-01,ARM,AZE,31,3,1,2,0\n";
  const panel::Panel g = panel::read_panel(gdelt, panel::Format::kGdeltMonthly, {});
  EXPECT_THROW(rescore_backtests(db, g, "", 0, "test", "now"), InputError);
  EXPECT_EQ(count(db, "SELECT count(*) FROM backtest_scorings"), 1);

  // Not a database at all; and a database with no backtest.
  const auto text = (dir.path() / "notes.txt").string();
  std::ofstream(text) << "not a database, but a text file long enough to be read as one\n";
  EXPECT_THROW(BacktestWriter(text, vintage_of(p, options(p), panel)), InputError);
  EXPECT_THROW(rescore_backtests(text, p, "", 0, "test", "now"), InputError);
  EXPECT_THROW(rescore_backtests((dir.path() / "absent.sqlite").string(), p, "", 0, "t", "n"), InputError);
}

TEST(BacktestStore, AWriterDestroyedBeforeCommitLeavesNoFile) {
  TempDir dir;
  const auto panel = write_panel(dir.path() / "p.csv", 30);
  const auto db = (dir.path() / "b.sqlite").string();
  const panel::Panel p = read(panel);
  {
    dyad::BacktestOptions o = options(p);
    BacktestWriter writer(db, vintage_of(p, o, panel));
    o.on_record = [&](const dyad::ForecastRecord& r) { writer.add(r, p); };
    dyad::backtest(p, o);  // no commit: as if the run had failed
  }
  EXPECT_FALSE(std::filesystem::exists(db));
}

}  // namespace
}  // namespace sphere::store

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "store/store.h"
#include "testing.h"

namespace sphere::store {
namespace {

// Number of rows in `table`, or -1 when the table does not exist.
int count_rows(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  int n = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, ("SELECT COUNT(*) FROM " + table).c_str(), -1, &st, nullptr) ==
        SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(db);
  return n;
}

struct Fixture : ::testing::Test {
  kb::Model model = kb::load_builtin_model();
  sim::Engine engine = sim::Engine::build(model, [] {
    sim::EngineOptions o;
    o.horizon = Date{2026, 12, 0};
    return o;
  }());
  testing::TempDir dir;
  std::string path = (dir.path() / "out.sqlite").string();
};

TEST_F(Fixture, CommittedForecastHasEveryRunAndSummary) {
  std::int64_t id = 0;
  {
    ForecastWriter w(path, {"builtin", "test", 7, 50}, engine);
    auto f = sim::run_ensemble(engine, {7, 50, 2, 16},
                               [&](std::span<const sim::RunOutcome> runs) { w.add_runs(runs); });
    w.commit(f);
    id = w.forecast_id();
  }
  EXPECT_EQ(count_rows(path, "forecasts"), 1);
  EXPECT_EQ(count_rows(path, "runs"), 50);
  EXPECT_EQ(count_rows(path, "scenarios"), static_cast<int>(engine.scenarios().size()));
  EXPECT_EQ(count_rows(path, "quantiles"), sim::kIndicators * engine.months());
  EXPECT_EQ(count_rows(path, "parameters"), static_cast<int>(engine.parameters().size()));
  // The stored scenario of a run is the one the engine gives that run.
  sim::Classifier c(engine.scenarios(), engine.state_names());
  const int s = c.classify(engine.simulate(7, 13).state);
  EXPECT_EQ(stored_run_scenario(path, id, 13), engine.scenarios()[s].id);
}

TEST_F(Fixture, UncommittedForecastLeavesNothing) {
  {
    ForecastWriter w(path, {"builtin", "test", 7, 20}, engine);
    sim::run_ensemble(engine, {7, 20, 1, 8},
                      [&](std::span<const sim::RunOutcome> runs) { w.add_runs(runs); });
    // destroyed before commit(), as when the process is interrupted
  }
  EXPECT_LE(count_rows(path, "forecasts"), 0);
  EXPECT_LE(count_rows(path, "runs"), 0);
}

TEST_F(Fixture, SecondForecastAppendsWithNewId) {
  std::int64_t first = 0, second = 0;
  for (auto* id : {&first, &second}) {
    ForecastWriter w(path, {"builtin", "test", 1, 5}, engine);
    auto f = sim::run_ensemble(engine, {1, 5, 1, 8},
                               [&](std::span<const sim::RunOutcome> runs) { w.add_runs(runs); });
    w.commit(f);
    *id = w.forecast_id();
  }
  EXPECT_NE(first, second);
  EXPECT_EQ(count_rows(path, "forecasts"), 2);
  EXPECT_EQ(count_rows(path, "runs"), 10);
}

TEST(ForecastWriter, UnwritablePathThrows) {
  kb::Model model = kb::load_builtin_model();
  sim::Engine engine = sim::Engine::build(model);
  EXPECT_THROW(ForecastWriter("/nonexistent-dir/x/y.sqlite", {}, engine), std::runtime_error);
}

}  // namespace
}  // namespace sphere::store

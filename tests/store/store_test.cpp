#include <sqlite3.h>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

// A small, consistent forecast part: 3 runs in one block, 2 scenarios, one month.
Partial small_part() {
  Partial p;
  p.runs = 3;
  p.model = "m";
  p.start = p.horizon = "2026-01";
  p.digest = "0";
  p.part.first_block = 0;
  p.part.end_block = 1;
  p.part.counts = {2, 1};
  p.part.bins.assign(sim::kIndicators * sim::kHistogramBins, 0);
  for (int k = 0; k < sim::kIndicators; ++k) p.part.bins[k * sim::kHistogramBins + 7] = 3;
  p.part.sums = {std::vector<double>(sim::kIndicators, 1.5)};
  p.part.driver_sums = {std::vector<double>(2 * 3, 0.25)};
  for (std::uint32_t r = 0; r < 3; ++r) p.outcomes.push_back({r, r == 2 ? 1 : 0, {1, 2, 3, 4}});
  return p;
}

// The file text of `data` with a correct checksum: what a writer's bug or another build makes.
std::string with_checksum(const nlohmann::json& data) {
  const std::string text = data.dump();
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, ~0ULL, ~0ULL, true, true> crc;
  crc.process_bytes(text.data(), text.size());
  return nlohmann::json{{"format", "sphere-partial/1"},
                        {"checksum", fmt::format("{:016x}", crc.checksum())},
                        {"data", nlohmann::json::parse(text)}}
      .dump();
}

// The field an InputError names when `text` is read, or "" when it reads.
std::string rejected_field(const std::string& text) {
  try {
    partial_from_text(text, "part.json");
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items().at(0).file, "part.json");
    return e.diagnostics().items().at(0).field;
  }
  return "";
}

TEST(Partial, AConsistentPartReadsBack) {
  const Partial p = small_part();
  const auto back = std::get<Partial>(partial_from_text(partial_to_text(p), "part.json"));
  EXPECT_EQ(back.part.counts, p.part.counts);
  EXPECT_EQ(back.part.bins, p.part.bins);
  ASSERT_EQ(back.outcomes.size(), 3u);
  EXPECT_EQ(back.outcomes[2].scenario, 1);
}

TEST(Partial, EveryFieldIsCheckedBeforeUse) {
  const nlohmann::json good = nlohmann::json::parse(partial_to_text(small_part()))["data"];
  ASSERT_EQ(rejected_field(with_checksum(good)), "");
  const auto with = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json j = good;
    j[key] = value;
    return rejected_field(with_checksum(j));
  };
  // Scenario indices out of range (a crash or an unnamed run in `merge --db`).
  EXPECT_EQ(with("outcome_scenario", {0, 0, 1000000}), "outcome_scenario");
  EXPECT_EQ(with("outcome_scenario", {0, -5, 1}), "outcome_scenario");
  EXPECT_EQ(with("outcome_scenario", {0, 1, 1}), "outcome_scenario");  // does not tally
  EXPECT_EQ(with("outcome_scenario", {0, 0}), "outcome_scenario");
  // Sizes that do not follow from the header are rejected before anything is allocated.
  EXPECT_EQ(with("bins_size", 3000000000ULL), "bins_size");
  EXPECT_EQ(with("horizon", "9999-12"), "horizon");
  EXPECT_EQ(with("bins", {0, 3, 8000, 3}), "bins");             // beyond bins_size
  EXPECT_EQ(with("bins", {7, 3, 2007, 3, 4007, 3}), "bins");    // a cell without its runs
  EXPECT_EQ(with("bins", {7, 3, 2007}), "bins");                // not pairs
  EXPECT_EQ(with("counts", {2, 2}), "counts");                  // more runs than the blocks hold
  EXPECT_EQ(with("sums", nlohmann::json::array()), "sums");
  EXPECT_EQ(with("sums", {{1.0}}), "sums");
  EXPECT_EQ(with("driver_sums", {{1.0}, {1.0}}), "driver_sums");  // two blocks in a part of one
  EXPECT_EQ(with("end_block", 5), "end_block");
  EXPECT_EQ(with("shard", 1), "shard");  // shard 2 of 1
  EXPECT_EQ(with("runs", 5000000000ULL), "runs");
  EXPECT_EQ(with("start", "2026"), "start");
  EXPECT_EQ(with("seed", "1"), "seed");
  nlohmann::json missing = good;
  missing.erase("counts");
  EXPECT_EQ(rejected_field(with_checksum(missing)), "counts");
  // Not an object at all, or a format that is not a string: still a clear error.
  EXPECT_EQ(rejected_field("[1,2]"), "format");
  EXPECT_EQ(rejected_field(R"({"format": 7})"), "format");
}

TEST(Partial, SensitivityPartsAreCheckedAgainstTheirDesign) {
  SensitivityPartial p;
  p.method = "morris";
  p.output = "escalation";
  p.n = 2;
  p.levels = 4;
  p.runs = 1;
  p.factors = {{"a", 0, 1}, {"b", 0, 1}};
  p.points = 6;  // 2 trajectories of 3 points
  p.outputs.assign(6, 0.5);
  ASSERT_NO_THROW(partial_from_text(partial_to_text(p), "s.json"));
  p.points = 7;
  EXPECT_THROW(partial_from_text(partial_to_text(p), "s.json"), InputError);
  p.points = 6;
  p.outputs.assign(5, 0.5);
  EXPECT_THROW(partial_from_text(partial_to_text(p), "s.json"), InputError);
  p.outputs.assign(6, 0.5);
  p.bootstrap = 2000000000;
  EXPECT_THROW(partial_from_text(partial_to_text(p), "s.json"), InputError);
}

}  // namespace
}  // namespace sphere::store

// SQLite output. One transaction per forecast, prepared statements for the rows.
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

#include "store/internal.h"
#include "store/store.h"

namespace sphere::store {
namespace {

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS forecasts (
  id INTEGER PRIMARY KEY, created TEXT, model TEXT, command TEXT, start TEXT, horizon TEXT,
  seed TEXT, runs INTEGER, shocks TEXT);
CREATE TABLE IF NOT EXISTS parameters (forecast_id INTEGER, name TEXT, value REAL);
CREATE TABLE IF NOT EXISTS runs (
  forecast_id INTEGER, run INTEGER, scenario TEXT, relation REAL, gas REAL, trade REAL,
  leverage REAL, PRIMARY KEY (forecast_id, run));
CREATE TABLE IF NOT EXISTS scenarios (
  forecast_id INTEGER, scenario TEXT, name TEXT, runs INTEGER, probability REAL,
  low95 REAL, high95 REAL);
CREATE TABLE IF NOT EXISTS quantiles (
  forecast_id INTEGER, indicator TEXT, month TEXT, mean REAL, q025 REAL, q25 REAL, q50 REAL,
  q75 REAL, q975 REAL);
CREATE TABLE IF NOT EXISTS drivers (forecast_id INTEGER, scenario TEXT, driver TEXT, mean REAL);
)";

}  // namespace

ForecastWriter::ForecastWriter(const std::string& path, const ForecastMeta& meta,
                               const sim::Engine& engine)
    : engine_(engine) {
  // A file this forecast creates is removed again when it ends without a commit (an error or an
  // interruption), so that no empty database or journal is left behind.
  if (!std::filesystem::exists(path)) created_ = path;
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(fmt::format("cannot open database {}: {}", path, why));
  }
  try {
    exec("BEGIN IMMEDIATE");
    exec(kSchema);
    std::string shocks;
    for (const auto& s : engine.shocks()) shocks += (shocks.empty() ? "" : " ") + s.text;
    Statement(db_,
              "INSERT INTO forecasts (created, model, command, start, horizon, seed, runs, shocks) "
              "VALUES (datetime('now'), ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, meta.model)
        .bind(2, meta.command)
        .bind(3, engine.start().to_string())
        .bind(4, engine.horizon().to_string())
        .bind(5, std::to_string(meta.seed))
        .bind(6, static_cast<std::int64_t>(meta.runs))
        .bind(7, shocks)
        .step();
    id_ = sqlite3_last_insert_rowid(db_);
    Statement p(db_, "INSERT INTO parameters VALUES (?, ?, ?)");
    for (const auto& [name, value] : engine.parameters()) p.bind(1, id_).bind(2, name).bind(3, value).step();
  } catch (...) {
    sqlite3_close(db_);  // closing with an open transaction rolls it back
    db_ = nullptr;
    throw;
  }
}

ForecastWriter::~ForecastWriter() {
  if (db_ && !committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db_);
  if (!committed_ && !created_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(created_ + "-journal", ignored);
    std::filesystem::remove(created_, ignored);
  }
}

void ForecastWriter::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string why = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error(fmt::format("SQLite: {}", why));
  }
}

void ForecastWriter::add_runs(std::span<const sim::RunOutcome> runs) {
  Statement s(db_, "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)");
  const auto& scenarios = engine_.scenarios();
  for (const auto& r : runs) {
    if (r.scenario < 0 || static_cast<std::size_t>(r.scenario) >= scenarios.size())
      throw std::out_of_range(fmt::format("run {}: scenario index {} of {}", r.run, r.scenario,
                                          scenarios.size()));
    s.bind(1, id_).bind(2, static_cast<std::int64_t>(r.run)).bind(3, scenarios[r.scenario].id);
    for (int k = 0; k < sim::kIndicators; ++k) s.bind(4 + k, r.final_indicators[k]);
    s.step();
  }
}

void ForecastWriter::commit(const sim::ForecastSummary& summary) {
  const auto& scenarios = engine_.scenarios();
  Statement sc(db_, "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    const auto& p = summary.scenarios[k];
    sc.bind(1, id_).bind(2, scenarios[k].id).bind(3, scenarios[k].name)
        .bind(4, static_cast<std::int64_t>(p.count)).bind(5, p.p).bind(6, p.low).bind(7, p.high)
        .step();
  }
  Statement q(db_, "INSERT INTO quantiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (std::size_t k = 0; k < summary.indicators.size(); ++k)
    for (const auto& m : summary.indicators[k]) {
      q.bind(1, id_).bind(2, engine_.indicator_names()[k]).bind(3, m.month.to_string()).bind(4, m.mean);
      for (int i = 0; i < 5; ++i) q.bind(5 + i, m.q[i]);
      q.step();
    }
  Statement d(db_, "INSERT INTO drivers VALUES (?, ?, ?, ?)");
  for (std::size_t k = 0; k < scenarios.size(); ++k)
    for (std::size_t i = 0; i < engine_.driver_names().size(); ++i)
      d.bind(1, id_).bind(2, scenarios[k].id).bind(3, engine_.driver_names()[i])
          .bind(4, summary.driver_means[k][i]).step();
  exec("COMMIT");
  committed_ = true;
}

std::string stored_run_scenario(const std::string& path, std::int64_t forecast_id,
                                std::uint32_t run) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT scenario FROM runs WHERE forecast_id = ? AND run = ?", -1,
                           &st, nullptr) == SQLITE_OK) {
      sqlite3_bind_int64(st, 1, forecast_id);
      sqlite3_bind_int64(st, 2, run);
      if (sqlite3_step(st) == SQLITE_ROW)
        result = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(db);
  return result;
}

}  // namespace sphere::store

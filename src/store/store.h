// Sphere's result store: forecasts written to SQLite (runs, parameters, scenario summaries,
// monthly quantiles, drivers), each forecast in one transaction; and the partial results of
// sharded forecasts and sensitivity analyses, written atomically with a checksum.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "dyad/dyad.h"
#include "sim/sim.h"

struct sqlite3;

namespace sphere::store {

// Describes a forecast for the `forecasts` table.
struct ForecastMeta {
  std::string model;    // model location
  std::string command;  // the command line that made it
  std::uint64_t seed = 0;
  std::uint32_t runs = 0;
};

// Writes one forecast into a SQLite database (created when missing). Everything is written in
// a single transaction opened by the constructor: commit() makes it visible; destroying the
// writer before commit(), or the process dying, leaves the database as it was.
// Throws std::runtime_error when the database cannot be opened or written. Not thread-safe.
class ForecastWriter {
 public:
  ForecastWriter(const std::string& path, const ForecastMeta& meta, const sim::Engine& engine);
  ~ForecastWriter();
  ForecastWriter(const ForecastWriter&) = delete;
  ForecastWriter& operator=(const ForecastWriter&) = delete;

  // Adds each run's scenario and final indicators (call in run order, batch by batch).
  void add_runs(std::span<const sim::RunOutcome> runs);
  // Writes the summary and commits.
  void commit(const sim::ForecastSummary& summary);
  // The id of this forecast in the `forecasts` table.
  std::int64_t forecast_id() const { return id_; }

 private:
  void exec(const std::string& sql);
  sqlite3* db_ = nullptr;
  const sim::Engine& engine_;
  std::int64_t id_ = 0;
  bool committed_ = false;
  std::string created_;  // the path, when this writer created the file
};

// One shard's partial result of a forecast (`sphere forecast --shard K/N`): which ensemble it
// belongs to, the exact totals of its blocks of runs and each run's outcome.
struct Partial {
  std::uint32_t shard = 0, shards = 1;  // 0-based shard of `shards`
  std::uint64_t seed = 0;
  std::uint32_t runs = 0;  // runs of the whole ensemble
  std::string model, start, horizon;
  std::vector<std::string> shocks;
  std::vector<std::string> settings;  // NAME=VALUE parameter settings (--set)
  std::string digest;  // engine_digest() of the engine that made it
  sim::EnsemblePart part;
  std::vector<sim::RunOutcome> outcomes;  // runs of the part's blocks, in run order
};

// Months a forecast part may span: a century of monthly steps. Longer is not a use of Sphere,
// and the bound keeps a part's header from sizing its histograms at will.
inline constexpr int kMaxPartMonths = 1200;

// A CRC-64 of everything a trajectory depends on besides (seed, run): calibrated intensities,
// initial state, parameters, event pools, shocks, months, scenarios and histogram ranges.
std::string engine_digest(const sim::Engine& engine);

// One shard's partial result of a sensitivity analysis (`sphere sensitivity --shard K/N`): the
// design it belongs to and the model's outputs at its contiguous range of the design's points.
struct SensitivityPartial {
  std::uint32_t shard = 0, shards = 1;  // 0-based shard of `shards`
  std::uint64_t seed = 0;
  std::string method, output;  // morris or sobol; a scenario id or an indicator
  int n = 0, levels = 0, bootstrap = 0;
  std::uint32_t runs = 0;  // trajectories per point
  std::string model, horizon;
  std::vector<std::string> shocks;
  std::vector<std::string> settings;  // NAME=VALUE parameter settings (--set), not varied
  std::vector<sim::Factor> factors;
  std::string digest;  // sensitivity_digest() of the engine and design that made it
  std::uint64_t points = 0, first_point = 0;  // points of the design; this shard's first
  std::vector<double> outputs;  // at points first_point, first_point + 1, ... in order
};

// A CRC-64 of engine_digest(engine) and of `p`'s design: factors, method, output, n, levels,
// bootstrap, runs per point and seed (not its shard or outputs).
std::string sensitivity_digest(const sim::Engine& engine, const SensitivityPartial& p);

// What a partial result file holds.
using AnyPartial = std::variant<Partial, SensitivityPartial>;

// A partial as one line of JSON text with a checksum of its contents (what a file holds).
std::string partial_to_text(const Partial& partial);
std::string partial_to_text(const SensitivityPartial& partial);
// Reads partial_to_text's output; throws InputError naming `name` when it is corrupt.
AnyPartial partial_from_text(const std::string& text, const std::string& name);

// Writes a partial as JSON with a checksum of its contents, through a temporary file renamed
// into place, so that `path` is either absent or complete. Throws std::runtime_error.
void write_partial(const std::string& path, const Partial& partial);
void write_partial(const std::string& path, const SensitivityPartial& partial);

// Reads a partial written by write_partial. Throws InputError naming the file when it cannot be
// read, is truncated or corrupt (checksum), or is not a partial.
AnyPartial read_partial(const std::string& path);

// Backtests in the result store (tables backtests, backtest_fits, backtest_forecasts,
// backtest_scorings, backtest_scores, backtest_summary, backtest_skill): every forecast of every
// model with its vintage, and every scoring of them, the first by the backtest itself and each
// later one against a newer vintage of the panel (true-future logging).

// What a backtest is: the model and panel it belongs to, and how it was run.
struct BacktestVintage {
  std::string command;     // the command line
  std::string model;       // the model directory (empty: a panel given alone)
  std::string panel_file, panel_format, panel_digest;  // digest: dyad::file_digest
  std::uintmax_t panel_bytes = 0;
  std::string data_from, data_through;  // the panel's first and last periods
  std::string target, partner, refit;
  std::vector<int> horizons;
  std::vector<std::string> models;  // BacktestResult::models names, in order
  std::uint64_t seed = 0;
  int paths = 0, fixed_threshold = 0, bootstrap = 0;
};

// Writes one backtest into a SQLite database (created when missing) in a single transaction:
// commit() makes it visible; destroying the writer before, or the process dying, leaves the
// database as it was (and removes one the writer created). A database that holds backtests of
// another model, panel format, target or partner is refused with an InputError naming it, as is
// a file that is not a SQLite database. Not thread-safe.
class BacktestWriter {
 public:
  BacktestWriter(const std::string& path, const BacktestVintage& vintage);
  ~BacktestWriter();
  BacktestWriter(const BacktestWriter&) = delete;
  BacktestWriter& operator=(const BacktestWriter&) = delete;

  // Adds a forecast (BacktestOptions::on_record) and its score when the panel holds its outcome.
  void add(const dyad::ForecastRecord& record, const panel::Panel& panel);
  // Writes the fits, the scores' summary and skills and the results' JSON form, and commits.
  void commit(const dyad::BacktestResult& result, const panel::Panel& panel,
              const std::string& results_json);
  std::int64_t backtest_id() const { return id_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::int64_t id_ = 0;
};

// The backtests a database holds, in order; throws InputError naming it when it is not a
// database or holds none.
std::vector<BacktestVintage> stored_backtests(const std::string& path);

// One backtest of a database scored again.
struct Rescoring {
  std::int64_t backtest_id = 0;
  BacktestVintage vintage;          // as stored
  std::string created;              // when the backtest was made
  std::size_t forecasts = 0;        // stored forecasts of each model
  std::size_t scored = 0, pending = 0;  // of each model: scored now; targets beyond the panel
  dyad::BacktestResult result;      // the scores (no fits)
};

// Scores every backtest stored in `path` against `panel` (a newer vintage of the one it was made
// on): each forecast whose target period the panel holds (a pair the panel does not name had 0);
// records the scoring of each backtest, all in one transaction. Scoring against the panel the
// backtest was made on reproduces its scores exactly. Throws InputError naming the database when
// it holds no backtest, and naming the panel when it is of another format or lacks the target;
// nothing is written then.
std::vector<Rescoring> rescore_backtests(const std::string& path, const panel::Panel& panel,
                                         const std::string& panel_digest,
                                         std::uintmax_t panel_bytes, const std::string& command,
                                         const std::string& created);

// The scenario id stored for run `run` of forecast `forecast_id`, or "" when absent.
std::string stored_run_scenario(const std::string& path, std::int64_t forecast_id,
                                std::uint32_t run);

}  // namespace sphere::store

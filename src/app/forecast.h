// Helpers shared by the scenario-engine commands (forecast, merge, replay, hindcast, sensitivity,
// run).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "app/app.h"
#include "sim/sim.h"

namespace sphere::app {

// Options of the commands that run the engine.
struct EngineCliOptions {
  ModelOptions model;
  std::uint32_t runs = 2000;
  std::string horizon;  // YYYY-MM; empty: model.toml's
  std::uint64_t seed = 1;
  int threads = 0;  // 0: every core
  std::vector<std::string> shocks;
  std::vector<std::string> settings;  // --set NAME=VALUE
};

// Adds --horizon, --seed, --threads, --shock, --set (and --runs when `with_runs`) to `command`.
void add_engine_options(CLI::App& command, EngineCliOptions& options, bool with_runs = true);
// Adds --set NAME=VALUE (repeatable) to `command`.
void add_set_option(CLI::App& command, std::vector<std::string>& settings);
// The typed request the options describe (the horizon parsed); throws InputError naming it.
service::ForecastRequest forecast_request(const EngineCliOptions& options);
// Builds the engine the options describe; throws InputError on a bad horizon or shock.
sim::Engine build_engine(const kb::Model& model, const EngineCliOptions& options);
// Threads to use: the option, or every core.
int thread_count(const EngineCliOptions& options);
// Parses a YYYY-MM option; throws InputError naming `option`.
Date parse_month_option(const std::string& text, const char* option);

// Runs a forecast, optionally into a SQLite file, and prints it (table, JSON, or the monthly
// quantiles as CSV). Shows a progress bar on stderr when stderr is a terminal.
int run_engine_forecast(const Output& output, const kb::Model& model,
                        const EngineCliOptions& options, const std::string& db,
                        const std::string& command_line);

// Prints a computed forecast (table, JSON or CSV) with where it was stored (`db`, empty: not
// stored). Shared by forecast and merge, so their outputs are the same.
int present_forecast(const Output& output, const kb::Model& model, const sim::Engine& engine,
                     const sim::ForecastSummary& summary, const std::string& db,
                     std::int64_t forecast_id);

// --shard K/N as the service's shard; throws CLI::ValidationError naming --shard.
service::Shard parse_shard(const std::string& text);
// `sphere forecast --shard K/N`: computes the shard's blocks of runs and writes its partial
// result to `out` (default part-K-of-N.json) atomically; prints what it wrote.
int run_forecast_shard(const Output& output, const kb::Model& model,
                       const EngineCliOptions& options, service::Shard shard,
                       const std::string& file);

// Under `mpirun -n R` (R > 1) in a build with SPHERE_WITH_MPI: rank r computes shard r+1 of R,
// rank 0 folds them in order and prints or stores the forecast, bitwise identical to one
// process; other ranks print nothing. Returns -1 in a single process (run the ordinary path).
int run_forecast_mpi(const Output& output, const kb::Model& model,
                     const EngineCliOptions& options, const std::string& db,
                     const std::string& command_line);

// Prints a sensitivity analysis's indices as a table or JSON (sensitivity and merge).
int present_sensitivity(const Output& output, const service::SensitivityResult& result);

#ifdef SPHERE_WITH_MPI
// This process's rank of `size` under mpirun.
struct MpiRank {
  int rank = 0, size = 1;
};
// Under `mpirun -n R` with R > 1: initialises MPI and returns the rank. In a single process
// returns nullopt and leaves MPI alone (so that the MPI build behaves like the default one).
std::optional<MpiRank> mpi_start();
// Sends `mine` to rank 0, which returns every rank's text in rank order (its own first); the
// other ranks return {}. A rank that dies aborts the job (MPI_ERRORS_ARE_FATAL).
std::vector<std::string> mpi_gather(const MpiRank& me, const std::string& mine);
// Ends MPI; every rank calls it once, after its last MPI call.
void mpi_finish();
#endif

// A forecast as Sphere states it everywhere: service::to_json (service/service.h).
inline nlohmann::json forecast_json(const sim::Engine& engine, const sim::ForecastSummary& summary) {
  return service::to_json(engine, summary);
}

// A computed forecast with the engine that made it.
using ComputedForecast = service::ComputedForecast;
// The default forecast (model's horizon, 2000 runs, seed 1, every core; the same as `sphere
// forecast` with no options): prints its tables to `print` unless null.
ComputedForecast default_forecast(const kb::Model& model, std::ostream* print);

// The engine commands: each one's options and the function that runs it (app.h: Commands).
struct ForecastOptions {
  EngineCliOptions engine;
  std::string db;
  bool csv = false;
  std::string shard, out;               // K/N and the partial result's file
  std::vector<std::string> arguments;  // the command line's words, recorded with a stored forecast
};
int run_forecast(const ForecastOptions& options, std::ostream& out);

struct MergeOptions {
  std::vector<std::string> files;
  ModelOptions model;
  std::string db;
  bool csv = false;
};
int run_merge(const MergeOptions& options, std::ostream& out);

struct HindcastOptions {
  HindcastOptions() { questions.hindcast = "2019-01..2022-01"; }
  EngineCliOptions engine;
  std::vector<std::string> as_of;  // structural: months to forecast from
  std::string which;               // estimated, structural, or empty (structural with --as-of)
  ScenarioOptions questions;       // estimated: the window (hindcast), lead and step
};
int run_hindcast(const HindcastOptions& options, std::ostream& out);

struct ReplayOptions {
  EngineCliOptions engine;
  std::uint32_t run = 0;
  bool calibration = false;
  std::string which = "estimated";
  ScenarioOptions scenarios;  // estimated: runs, draws, parameters
};
int run_replay(const ReplayOptions& options, std::ostream& out);

struct SensitivityOptions {
  EngineCliOptions engine;
  service::SensitivityRequest analysis;  // method, output, n, levels, bootstrap
  std::string shard, out;                // K/N and the partial result's file
};
int run_sensitivity(const SensitivityOptions& options, std::ostream& out);

}  // namespace sphere::app

// Helpers shared by the scenario-engine commands (forecast, replay, hindcast, sensitivity, run).
#pragma once

#include <cstdint>
#include <iosfwd>
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
};

// Adds --horizon, --seed, --threads, --shock (and --runs when `with_runs`) to `command`.
void add_engine_options(CLI::App& command, EngineCliOptions& options, bool with_runs = true);
// Builds the engine the options describe; throws InputError on a bad horizon or shock.
sim::Engine build_engine(const kb::Model& model, const EngineCliOptions& options);
// Threads to use: the option, or every core.
int thread_count(const EngineCliOptions& options);
// Parses a YYYY-MM option; throws InputError naming `option`.
Date parse_month_option(const std::string& text, const char* option);

// Runs a forecast, optionally into a SQLite file, and prints it (table, JSON, or the monthly
// quantiles as CSV). Shows a progress bar on stderr when stderr is a terminal.
int run_forecast(const kb::Model& model, const EngineCliOptions& options, const std::string& db,
                 const std::string& command_line, bool json, bool csv = false);

// The default forecast (model's horizon, 2000 runs, seed 1, every core): prints its tables when
// `print` and returns its JSON.
nlohmann::json default_forecast(const kb::Model& model, bool print);

}  // namespace sphere::app

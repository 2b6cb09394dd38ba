// The `sphere` command line: one function per command registers it on the CLI11 app.
// Commands load models through kb, run their use cases through service, print tables for people
// and JSON/CSV for programs, and return the exit code (kExitOk ... kExitCorruption from core.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <set>
#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kb/kb.h"
#include "panel/panel.h"
#include "service/service.h"

namespace sphere::app {

// The command chosen on the command line, run after parsing succeeds.
using Action = std::function<int()>;

// Options every model-reading command shares.
struct ModelOptions {
  std::string model_dir;  // empty: the built-in model
  std::string data_root;  // the folder cited shared/ files stand for; empty: found (kb::shared_folder)
  bool json = false;
};

// Adds --model (and --json when `with_json`) to `command`.
void add_model_options(CLI::App& command, ModelOptions& options, bool with_json = true);
// Loads the model the options name; throws InputError when it is invalid.
kb::Model load_model(const ModelOptions& options);

void add_check_command(CLI::App& app, Action& action);
void add_timeline_command(CLI::App& app, Action& action);
void add_facts_command(CLI::App& app, Action& action);
void add_actors_command(CLI::App& app, Action& action);
void add_sources_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_forecast_command(CLI::App& app, Action& action);
void add_merge_command(CLI::App& app, Action& action);
void add_replay_command(CLI::App& app, Action& action);
void add_hindcast_command(CLI::App& app, Action& action);
void add_sensitivity_command(CLI::App& app, Action& action);
void add_network_command(CLI::App& app, Action& action);
void add_leverage_command(CLI::App& app, Action& action);
void add_events_command(CLI::App& app, Action& action);
void add_bargain_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);
void add_calibrate_command(CLI::App& app, Action& action);
void add_backtest_command(CLI::App& app, Action& action);
void add_scenarios_command(CLI::App& app, Action& action);
// `sphere scenarios` with these options (also the estimated-model part of `sphere run`).
struct ScenarioOptions {
  ModelOptions model;
  std::string horizon = "2030-12", calibration;
  int runs = 4000, draws = 40, threads = 0;
  std::uint64_t seed = 1;
  std::string parameters = "sampled";
  bool no_attribution = false, no_conditioning = false;
  std::string hindcast;
  int lead = 12, step = 3;
};
int run_scenarios(const ScenarioOptions& options);
// The scenario forecast the options ask for, on the model's declared panel and calibration.
service::ScenarioRequest scenario_request(const ScenarioOptions& options);
service::ScenarioForecast compute_scenarios(const kb::Model& model, const ScenarioOptions& options);
// Its text form: definitions, curves at every December with both intervals, the conditioning,
// the robustness range and the attribution.
void print_scenarios(std::ostream& out, const service::ScenarioForecast& forecast);

// The observation panel a command reads: --panel FILE, or the one the model declares.
struct PanelOptions {
  std::string file, format, target;
  bool directed = false, strict = false;
};
void add_panel_options(CLI::App& command, PanelOptions& options);
using ResolvedPanel = service::ResolvedPanel;
// Reads the panel (rows of periods before `until`, a month index; 0: all). Throws InputError.
ResolvedPanel resolve_panel(const ModelOptions& model, const PanelOptions& options, int until);
// The directory of the model the options name (the built-in model's source folder when known).
std::string model_directory(const ModelOptions& options);
// "N bad rows skipped" with reasons and first lines, when there were any.
void print_bad_rows(std::ostream& out, const panel::Panel& panel);


// What `sphere report` and the last step of `sphere run` put in the HTML report.
struct ReportOptions {
  std::string out = "report.html";  // the HTML file written
  service::ReportRequest request;
};
// Adds the report's options except --out; `dyads` receives the A:B texts for
// service::parse_dyads().
void add_report_options(CLI::App& command, service::ReportRequest& request,
                        std::vector<std::string>& dyads);
// Throws InputError naming `option` when `out` cannot be a report file: a folder, or in a folder
// that does not exist (checked before the long computations).
void check_report_out(const std::string& out, const char* option);
// Writes the report of `model` to options.out (whole or not at all), with a progress bar over
// its runs; throws on a write error or an interruption.
void write_report(const kb::Model& model, const ReportOptions& options);
void add_serve_command(CLI::App& app, Action& action);

// Long runs.

// Ctrl-C or SIGTERM while a guard lives: the handler only sets a flag, which the command's
// progress checks between batches (throw_if_interrupted), so that the command unwinds and removes
// whatever it had begun to write. main() turns Interrupted into exit 130 ("nothing written").
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};
struct Interrupted {};
// Throws Interrupted when a signal arrived under a guard. Safe from any thread.
void throw_if_interrupted();

// A one-line progress bar on stderr, drawn only when stderr is a terminal. At the first update
// (the first batch, a short timed sample of the work) it prints the estimated time of the whole
// run; the bar then shows the time left at the rate so far. Thread-safe.
class ProgressBar {
 public:
  ProgressBar(std::uint64_t total, std::string unit);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  void update(std::uint64_t done);
  // Adds `count` to what is done (for work counted from several threads).
  void add(std::uint64_t count = 1);

 private:
  struct State;
  std::unique_ptr<State> state_;
};
// A duration to the precision an estimate supports: "under a second", "about 40 s",
// "about 3 min", "about 2.5 h".
std::string duration_text(double seconds);

// Output helpers.

// A plain-text table: columns padded to their widest cell (counted in UTF-8 code points).
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// One CSV field, quoted when needed (RFC 4180).
std::string csv_field(const std::string& text);
// Prints JSON as the API sends it (service::encode): two-space indentation, a final newline.
void print_json(std::ostream& out, const nlohmann::json& value);
// The model's records and the results both front ends share (service/service.h).
using service::actor_family;
using service::conflicts_by_event;
using service::idle_changes;
using service::rerouted;
using service::resolve_actor;
using service::timeline_before;
using service::timeline_events;
using service::to_json;

// After a failed parse: for each word the command line reached but did not expect, the closest
// subcommand or option of the command it reached ("'forcast': did you mean 'forecast'?").
void suggest_names(CLI::App& app, std::ostream& out);
// A request field's name on the command line ("cut" -> "--cut", "blocked" -> "--block-country").
std::string flag_of(std::string_view field);
// Prints `error` to stderr as the CLI reports it (request fields as flags) and returns its exit
// code (one per kind of error: service::exit_code; a CLI11 error raised by a running command,
// an option wrong only against the loaded model, is a usage error).
int report_error(const std::exception& error);

}  // namespace sphere::app

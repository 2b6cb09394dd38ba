// The `sphere` command line: one function per command registers its flags on the CLI11 app, and
// one named function per command (run_check, run_leverage, ...) runs it: it loads the model
// through kb, runs the use case through service, writes tables for people and JSON/CSV for
// programs to the stream it is given, and returns the exit code (kExitOk ... kExitCorruption
// from core.h). Progress, warnings and errors go to stderr.
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

// The command chosen on the command line, run after parsing succeeds; it writes its result to
// `out` (main passes std::cout, tests a string stream).
using Action = std::function<int(std::ostream& out)>;

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
int run_scenarios(const ScenarioOptions& options, std::ostream& out);
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
  // The same cells as CSV: the header line, then one line per row (each cell csv_field).
  void print_csv(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// One CSV field, quoted when needed (RFC 4180).
std::string csv_field(const std::string& text);
// Prints JSON as the API sends it (service::encode): two-space indentation, a final newline.
void print_json(std::ostream& out, const nlohmann::json& value);

// The form a command writes its result in: a table (text for people), CSV or JSON (programs).
enum class OutputMode { kTable, kCsv, kJson };
// The mode a command's --json and --csv flags choose: a table when neither (a command with both
// flags refuses both together while parsing).
OutputMode output_mode(bool json, bool csv = false);

// A command's result: the stream it writes to and the form chosen once from its flags. JSON is
// written as the API sends it (service::encode), so that the CLI and the API give the same bytes.
struct Output {
  std::ostream& out;
  OutputMode mode = OutputMode::kTable;

  bool json() const { return mode == OutputMode::kJson; }
  bool csv() const { return mode == OutputMode::kCsv; }
  bool table() const { return mode == OutputMode::kTable; }
  // `value` as service::encode writes it.
  void write_json(const nlohmann::json& value) const;
  // `table` as padded text, or in CSV mode as CSV (Table::print_csv).
  void write_table(const Table& table) const;
};

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

// Commands: each one's options (what its flags fill in) and the function that runs it, writing
// its result to `out` in the form its flags choose (tests call these directly).

struct CheckOptions {
  ModelOptions model;
  std::string sources_dir;  // --sources
};
int run_check(const CheckOptions& options, std::ostream& out);

struct TimelineOptions {
  ModelOptions model;
  std::string text, actor, from, to;
  bool csv = false, quotes = false, only = false;
};
int run_timeline(const TimelineOptions& options, std::ostream& out);

struct FactsOptions {
  ModelOptions model;
  std::string text, actor;
  bool conflicts = false;
};
int run_facts(const FactsOptions& options, std::ostream& out);

struct ActorsOptions {
  ModelOptions model;
  std::string kind;
};
int run_actors(const ActorsOptions& options, std::ostream& out);
int run_sources(const ModelOptions& options, std::ostream& out);

struct LeverageOptions {
  ModelOptions model;
  std::string channel, actor, cell;
  int year = 0;
};
int run_leverage(const LeverageOptions& options, std::ostream& out);

// `sphere network` (the what-if) and `sphere network links`.
struct NetworkOptions {
  ModelOptions model;
  int year = 0;  // 0: the model's [view] year
  std::string carrier = "gas";
  std::vector<std::string> cut, block, open;
};
int run_network(const NetworkOptions& options, std::ostream& out);
int run_network_links(const NetworkOptions& options, std::ostream& out);
struct NetworkContingencyOptions {
  NetworkOptions what_if;
  service::ContingencyRequest request;
};
int run_network_contingency(const NetworkContingencyOptions& options, std::ostream& out);
struct NetworkN1Options {
  ModelOptions model;
  service::N1Request request;
};
int run_network_n1(const NetworkN1Options& options, std::ostream& out);
struct NetworkValidateOptions {
  ModelOptions model;
  std::string iea;
  double tolerance = 0.15;
};
int run_network_validate(const NetworkValidateOptions& options, std::ostream& out);

// `sphere bargain` and `sphere bargain validate`.
struct EuFlags {  // the expected-utility model's options
  int rounds = 10;
  std::string probability = "scholz-code";
  double q = 1.0;
  double tolerance = 0.0;  // 0: play every round
};
struct BargainOptions {
  ModelOptions model;
  std::string issue, method = "all";
  EuFlags eu;
  int draws = 1000;
  std::uint64_t seed = 1;
  // validate
  std::string deu;
  EuFlags validate_eu;
  bool validate_json = false, forecasts = false;
  int threads = 0;
  std::string capability = "gdp", cases;
};
int run_bargain(const BargainOptions& options, std::ostream& out);
int run_bargain_validate(const BargainOptions& options, std::ostream& out);

// `sphere events series|import|fit`.
// Where events come from: the model's log (actors rolled up to their states) or an event CSV.
struct EventSourceOptions {
  ModelOptions model;
  std::string events_file, scheme = "gdelt";
  bool no_rollup = false, no_dedup = false;
};
struct EventSeriesOptions {
  EventSourceOptions source;
  std::string dyad, from, to;  // A:B; YYYY or YYYY-MM
  bool csv = false;
};
int run_event_series(const EventSeriesOptions& options, std::ostream& out);
struct EventImportOptions {
  std::string input, format = "gdelt", out, scheme = "gdelt", from, to, into_model, source_id;
  std::vector<std::string> actors, dyads;
  bool strict = false, root_only = false, series = false, csv = false, json = false,
       no_dedup = false;
  bool actor_types = false;
};
// The kept events go to options.out ("-": standard output); the series or the report as JSON
// to `out`; the import report to stderr.
int run_event_import(const EventImportOptions& options, std::ostream& out);
struct EventFitOptions {
  EventSourceOptions source;
  std::string dyad, from, to;
  int quad = -1;
  std::uint64_t seed = 1;
};
int run_event_fit(const EventFitOptions& options, std::ostream& out);

struct CalibrateOptions {
  ModelOptions model;
  PanelOptions panel;
  std::string until, out, partner;  // out: the calibration file written
  std::vector<std::string> dyads;
  int threads = 0, replicates = 200;
  std::uint64_t seed = 1;
  bool no_write = false;
};
int run_calibrate(const CalibrateOptions& options, std::ostream& out);

struct BacktestOptions {
  ModelOptions model;
  PanelOptions panel;
  std::string origins, horizons = "1,3,6,12", pairs = "all", refit = "yearly", forecasts_out,
                                    partner, db;
  bool score_only = false;
  int threads = 0, paths = 64, threshold = 0, bootstrap = 500;
  std::uint64_t seed = 1;
  bool no_ablations = false;
};
int run_backtest(const BacktestOptions& options, std::ostream& out);

struct ReportCommandOptions {
  ModelOptions model;
  ReportOptions report;
  std::vector<std::string> dyads;     // A:B
  std::vector<std::string> settings;  // --set NAME=VALUE
};
int run_report(const ReportCommandOptions& options, std::ostream& out);

// `sphere run`: the summary, the main forecast and the report (`report` empty: none).
struct RunOptions {
  ModelOptions model;
  std::string report = "report.html";
};
int run_run(const RunOptions& options, std::ostream& out);

}  // namespace sphere::app

// `sphere report`: one self-contained HTML file with the timeline, dyadic series, leverage,
// the infrastructure map with a what-if, the scenario forecasts and the bargaining outcomes. The
// report's model is the service's (service::report_model); this file holds its flags, its
// progress bar and the atomic write.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "app/app.h"
#include "app/forecast.h"
#include "network/network.h"
#include "sim/sim.h"

namespace sphere::app {

void check_report_out(const std::string& out, const char* option) {
  const std::filesystem::path folder = std::filesystem::path(out).parent_path();
  std::error_code ec;
  if (out.empty() || std::filesystem::is_directory(out, ec))
    throw InputError(option, 0, "", fmt::format("'{}' is not a file name", out));
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec))
    throw InputError(option, 0, "",
                     fmt::format("cannot write {}: the folder {} does not exist", out, folder.string()));
}

void write_report(const kb::Model& model, const ReportOptions& options) {
  service::ReportRequest request = options.request;
  // One bar over every run the report makes; Ctrl-C stops between batches.
  std::optional<ProgressBar> bar;
  request.progress = [&bar](std::uint64_t done, std::uint64_t total) {
    if (!bar) bar.emplace(total, "runs");
    bar->update(done);
    throw_if_interrupted();
  };
  const std::string html = service::render_report(model, request);
  // Written beside the target and renamed, so that a reader never sees half a report.
  write_file_atomically(options.out, html);
}

void add_report_options(CLI::App& cmd, service::ReportRequest& o, std::vector<std::string>& dyads) {
  cmd.add_option("--dyad", dyads, "Dyads whose series are shown, A:B (repeatable; default: the "
                                  "model's [view] dyads)");
  cmd.add_option("--cut", o.cut, "Links cut in the map's what-if (repeatable)");
  cmd.add_option("--year", o.year, "Year of the network shown on the map (default: the model's [view] year)");
  cmd.add_option("--runs", o.runs, "Forecast trajectories (0: no forecast)")->capture_default_str();
  cmd.add_option("--sensitivity-runs", o.sensitivity_runs,
                 "Trajectories per parameter end in the tornado (0: no tornado)")
      ->capture_default_str();
  cmd.add_option("--seed", o.seed, "Ensemble seed")->capture_default_str();
  cmd.add_option("--threads", o.threads, "Worker threads (0: every core); results do not depend on it")
      ->capture_default_str();
}

int run_report(const ReportCommandOptions& o, std::ostream& out) {
  check_report_out(o.report.out, "--out");
  // Ctrl-C or SIGTERM: the runs stop between batches; the report is written whole or not.
  const InterruptGuard guard;
  kb::Model model = load_model(o.model);
  ReportOptions report = o.report;
  service::ReportRequest& request = report.request;
  request.settings = service::parse_settings(o.settings);
  if (model.simulation && !request.settings.empty()) {
    sim::EngineOptions eo;  // a bad --set stops here, before anything runs or is written
    eo.overrides = request.settings;
    sim::Engine::build(model, eo);
  }
  request.dyads = service::parse_dyads(model, o.dyads);
  request.model_dir = model_directory(o.model);
  request.data_root = o.model.data_root;
  network::Scenario check;
  check.year = service::network_year(model, request.year);
  check.cut = request.cut;
  if (!model.infrastructure.links.empty()) network::validate(model.infrastructure, check);
  write_report(model, report);
  out << fmt::format("wrote {}\n", report.out);
  return kExitOk;
}

void add_report_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ReportCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write one self-contained HTML report: timeline, series, map, forecast, "
                "sensitivity, bargaining");
  add_model_options(*cmd, opts->model, false);
  cmd->add_option("--out", opts->report.out, "The HTML file to write")->capture_default_str();
  add_report_options(*cmd, opts->report.request, opts->dyads);
  add_set_option(*cmd, opts->settings);
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_report(*opts, out); };
  });
}

}  // namespace sphere::app

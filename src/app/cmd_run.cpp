// `sphere run`: the main job on a model: load, validate, summarise, then forecast with defaults.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "app/app.h"
#include "app/forecast.h"

namespace sphere::app {
namespace {

struct DyadActivity {
  std::string from, to;
  int events = 0;
  double goldstein = 0.0;
};

// Events per ordered dyad, most active first (ties by id for a stable order).
std::vector<DyadActivity> most_active_dyads(const kb::Model& model, std::size_t limit) {
  std::map<std::pair<std::string, std::string>, DyadActivity> by_dyad;
  for (const auto& e : model.events) {
    auto& d = by_dyad[{e.actor1, e.actor2}];
    d.from = e.actor1;
    d.to = e.actor2;
    ++d.events;
    d.goldstein += e.goldstein;
  }
  std::vector<DyadActivity> dyads;
  for (auto& [key, d] : by_dyad) dyads.push_back(d);
  std::stable_sort(dyads.begin(), dyads.end(),
                   [](const auto& a, const auto& b) { return a.events > b.events; });
  if (dyads.size() > limit) dyads.resize(limit);
  return dyads;
}

// The main forecast: the scenario questions on the estimated model when the model defines them
// (questions.toml); else the structural engine's forecast with the defaults. One of them.
struct Forecasts {
  std::optional<service::ScenarioForecast> scenarios;
  std::optional<ComputedForecast> structural;
};
// Prints the forecast's tables to `print` unless null (errors then go to stderr).
Forecasts main_forecast(const kb::Model& model, const ModelOptions& options, std::ostream* print) {
  Forecasts f;
  const std::string dir = model_directory(options);
  if (!dir.empty() && std::filesystem::exists(dir + "/questions.toml")) {
    ScenarioOptions so;
    so.model = options;
    so.model.json = false;
    try {
      f.scenarios.emplace(compute_scenarios(model, so));
    } catch (const InputError& e) {
      // The observation panel or the calibration is missing: say so, and fall back to the
      // structural engine rather than show nothing.
      (print ? *print : std::cerr) << "The scenario forecast on the estimated model cannot run: "
                                      << e.diagnostics().to_string()
                                      << "The structural engine's forecast (assumed parameters) follows.\n\n";
    }
    if (f.scenarios && print) {
      print_scenarios(*print, *f.scenarios);
      *print << "\nWhat-ifs on pipelines, corridors, trade and leverage run on the structural "
                   "engine (assumed parameters, docs/MODEL.md): sphere forecast --shock …\n";
    }
  }
  if (!f.scenarios && model.simulation) f.structural.emplace(default_forecast(model, print));
  return f;
}

}  // namespace

int run_run(const RunOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  if (!o.report.empty()) check_report_out(o.report, "--report");
  kb::Model model = load_model(o.model);
  auto dyads = most_active_dyads(model, 8);
  const Date first = model.events.empty() ? Date{} : model.events.front().date;
  const Date last = model.events.empty() ? Date{} : model.events.back().date;
  if (output.json()) {
    nlohmann::json j_dyads = nlohmann::json::array();
    for (const auto& d : dyads)
      j_dyads.push_back({{"actor1", d.from}, {"actor2", d.to}, {"events", d.events},
                         {"goldstein_sum", d.goldstein}});
    nlohmann::json j_conflicts = nlohmann::json::array();
    for (const auto& c : model.conflicts) j_conflicts.push_back(to_json(c));
    nlohmann::json summary = {{"model", model.location},
                           {"name", model.info.name},
                           {"events_from", first.to_string()},
                           {"events_to", last.to_string()},
                           {"counts",
                            {{"sources", model.sources.size()},
                             {"actors", model.actors.size()},
                             {"events", model.events.size()},
                             {"facts", model.facts.size()},
                             {"conflicts", model.conflicts.size()}}},
                           {"most_active_dyads", j_dyads},
                           {"conflicts", j_conflicts}};
    const Forecasts f = main_forecast(model, o.model, nullptr);
    if (f.scenarios) summary["scenarios"] = service::to_json(*f.scenarios);
    if (f.structural) summary["forecast"] = forecast_json(f.structural->engine, f.structural->summary);
    if (!o.report.empty()) {
      ReportOptions report;
      report.out = o.report;
      report.request.model_dir = model_directory(o.model);
      report.request.data_root = o.model.data_root;
      report.request.forecast = f.structural ? &*f.structural : nullptr;
      report.request.scenarios = f.scenarios ? &*f.scenarios : nullptr;
      write_report(model, report);
      summary["report"] = report.out;
    }
    output.write_json(summary);
    return kExitOk;
  }
  out << fmt::format("Sphere · {} ({})\n", model.info.name, model.location);
  out << fmt::format("Model valid. Events from {} to {}.\n", first.to_string(),
                     last.to_string());
  out << fmt::format(
      "{} sources · {} actors · {} events · {} facts · {} disagreements between sources\n\n",
      model.sources.size(), model.actors.size(), model.events.size(), model.facts.size(),
      model.conflicts.size());
  out << "Most active dyads (actor1 → actor2: events, Goldstein sum)\n";
  Table table({"dyad", "events", "goldstein"});
  for (const auto& d : dyads)
    table.add({d.from + " → " + d.to, std::to_string(d.events),
               fmt::format("{:+.1f}", d.goldstein)});
  output.write_table(table);
  out << "\nWhere the sources disagree (sphere facts --conflicts for the quotes)\n";
  for (const auto& c : model.conflicts) {
    std::string sides;
    for (const auto& cl : c.claims)
      sides += fmt::format("{}{}: {}", sides.empty() ? "" : " · ", cl.quote.source, cl.claim);
    out << fmt::format("  ⚑ {}\n      {}\n", c.topic, sides);
  }
  out << "\n";
  const Forecasts f = main_forecast(model, o.model, &out);
  if (!o.report.empty()) {
    ReportOptions report;
    report.out = o.report;
    report.request.model_dir = model_directory(o.model);
    report.request.data_root = o.model.data_root;
    report.request.forecast = f.structural ? &*f.structural : nullptr;  // the report shows these
    report.request.scenarios = f.scenarios ? &*f.scenarios : nullptr;
    write_report(model, report);
    out << fmt::format("\nReport: {} (open it in a browser; it needs no network)\n",
                       report.out);
  }
  return kExitOk;
}

void add_run_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "The main job: load and validate the model, "
                                            "summarise it, and forecast its scenarios");
  add_model_options(*cmd, opts->model);
  // The last step: the HTML report (sphere report), written here unless --report "".
  cmd->add_option("--report", opts->report, "HTML report written at the end (\"\": none)")
      ->capture_default_str();
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_run(*opts, out); };
  });
}

}  // namespace sphere::app

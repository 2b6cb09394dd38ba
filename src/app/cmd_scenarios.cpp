// `sphere scenarios`: the model's scenario questions forecast by the estimated dyadic model, from
// the observation panel's last month to the horizon, conditioned on the documented events since,
// with Monte Carlo and parameter intervals, interventional attribution and a leave-one-out range.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "app/app.h"
#include "app/forecast.h"
#include "dyad/dyad.h"

namespace sphere::app {
namespace {

std::string pct(double p) { return fmt::format("{:.0f}%", 100 * p); }

int run_scenario_hindcast(const Output& output, const ScenarioOptions& opts) {
  std::ostream& out = output.out;
  const kb::Model model = load_model(opts.model);
  service::ScenarioHindcastRequest request;
  request.model_dir = model_directory(opts.model);
  request.data_root = opts.model.data_root;
  request.as_of = opts.hindcast;
  request.lead = opts.lead;
  request.step = opts.step;
  request.runs = opts.runs;
  request.seed = opts.seed;
  request.threads = opts.threads;
  const bool tty = isatty(STDERR_FILENO) != 0;
  request.progress = [tty](const std::string& what, int done, int total) {
    if (tty) std::cerr << fmt::format("\r\033[K[{}/{}] {}", done, total, what) << std::flush;
  };
  const service::ScenarioHindcast h = service::scenario_hindcast(model, request);
  if (tty) std::cerr << "\r\033[K";
  if (output.json()) {
    output.write_json(service::to_json(h));
    return kExitOk;
  }
  const dyad::HindcastResult& r = h.result;
  const dyad::QuestionSet& qs = h.questions;
  out << fmt::format(
      "Hindcast of the scenario questions on {} · as-of {} every {} months · class of the 12-month "
      "window ending {} months later · {} pairs · {} forecasts\n"
      "Each as-of month uses only data before it (model refitted each year). Lower is better.\n\n",
      h.panel_file, opts.hindcast, opts.step, opts.lead - 1, h.pairs, r.rows.size());
  static const char* names[] = {"model", "uniform", "climatology", "persistence"};
  Table t({"forecaster", "ranked probability score [95%, bootstrap over as-of months]", "Brier [95%]"});
  for (int f = 0; f < 4; ++f)
    t.add({names[f], fmt::format("{:.3f} [{:.3f}, {:.3f}]", r.rps[f], r.rps_interval[f][0], r.rps_interval[f][1]),
           fmt::format("{:.3f} [{:.3f}, {:.3f}]", r.brier[f], r.brier_interval[f][0], r.brier_interval[f][1])});
  output.write_table(t);
  std::vector<int> seen(qs.questions.size(), 0);
  for (const auto& row : r.rows) ++seen[row.observed];
  out << "Outcomes:";
  for (std::size_t k = 0; k < seen.size(); ++k) out << " " << qs.questions[k].id << " " << seen[k];
  out << "\n";
  return kExitOk;
}

}  // namespace

void add_scenarios_command(CLI::App& app, Action& action) {
  using Options = ScenarioOptions;
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "scenarios", "Scenario questions (questions.toml) forecast by the estimated dyadic model, "
                   "conditioned on documented events, with both intervals, attribution and robustness");
  add_model_options(*cmd, opts->model);
  cmd->add_option("--horizon", opts->horizon, "Last month, YYYY-MM");
  cmd->add_option("--runs", opts->runs, "Trajectories")->check(CLI::Range(100, 10000000));
  cmd->add_option("--draws", opts->draws, "Parameter draws (batches of runs)")->check(CLI::Range(1, 10000));
  cmd->add_option("--parameters", opts->parameters, "sampled (from the calibration's covariance) or fixed")
      ->check(CLI::IsMember({"sampled", "fixed"}));
  cmd->add_option("--calibration", opts->calibration, "Calibration file (default: the model's calibration.json)");
  cmd->add_flag("--no-attribution", opts->no_attribution, "Skip the interventional attribution");
  cmd->add_flag("--no-conditioning", opts->no_conditioning,
                "Leave the documented events out (the forecast from the panel alone)");
  cmd->add_option("--hindcast", opts->hindcast,
                  "Instead: hindcast on the panel from as-of months FROM..TO (every --step months), "
                  "each using only data before it, for every pair of the model's actors");
  cmd->add_option("--lead", opts->lead, "Hindcast: months from the as-of month to the end of the scored window")
      ->check(CLI::Range(1, 120));
  cmd->add_option("--step", opts->step, "Hindcast: months between as-of months")->check(CLI::Range(1, 120));
  cmd->add_option("--seed", opts->seed, "Seed");
  cmd->add_option("--threads", opts->threads, "Threads (0: every core; same numbers for any count)");
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_scenarios(*opts, out); };
  });
}

service::ScenarioRequest scenario_request(const ScenarioOptions& opts) {
  service::ScenarioRequest request;
  request.model_dir = model_directory(opts.model);
  request.data_root = opts.model.data_root;
  request.calibration = opts.calibration;
  request.horizon = opts.horizon;
  request.runs = opts.runs;
  request.draws = opts.draws;
  request.sampled_parameters = opts.parameters == "sampled";
  request.attribution = !opts.no_attribution;
  request.conditioning = !opts.no_conditioning;
  request.seed = opts.seed;
  request.threads = opts.threads;
  return request;
}

service::ScenarioForecast compute_scenarios(const kb::Model& model, const ScenarioOptions& opts) {
  return service::scenario_forecast(model, scenario_request(opts));
}

void print_scenarios(std::ostream& out, const service::ScenarioForecast& f) {
  const dyad::Outlook& r = f.outlook;
  const dyad::QuestionSet& qs = f.questions;
  const int K = static_cast<int>(r.ids.size());
  const int last = r.periods - 1;
  out << fmt::format(
      "Scenarios for {}–{} · estimated dyadic model (calibrated on {} to {}) · {} runs, {} parameter draws ({})\n",
      qs.pair_a, qs.pair_b, f.panel_file, f.calibrated_through, r.runs, r.draws,
      f.sampled_parameters ? "sampled" : "fixed");
  out << "Each scenario is a question on the panel's observable over 12-month windows:\n";
  for (const auto& q : qs.questions) {
    out << "  " << q.id << ": " << q.resolution << "\n";
    if (!q.not_modelled.empty()) out << "    Not modelled: " << q.not_modelled << "\n";
  }
  out << fmt::format(
      "\nConditioned on {} documented {}–{} events dated after {} to {} (each: at least one hostile, or "
      "friendly, day in its month or year, true with probability 0.9/0.7/0.5 for high/medium/low "
      "confidence; importance weights, ESS {:.0f} of {} runs).\n",
      f.evidence.size(), qs.pair_a, qs.pair_b, f.calibrated_through, f.last_evidence_month,
      r.effective_runs, r.runs);
  out << "\nP(scenario at the month) · [Monte Carlo 95%] · {parameter uncertainty 95%}\n";
  std::vector<std::string> header{"month"};
  for (const auto& id : r.ids) header.push_back(id);
  Table t(header);
  for (int i = 0; i < r.periods; ++i) {
    if (f.months[i].substr(5) != "12" && i != last) continue;  // every December and the horizon
    std::vector<std::string> row{f.months[i]};
    for (int k = 0; k < K; ++k)
      row.push_back(fmt::format("{} [{}–{}] {{{}–{}}}", pct(r.probability[k][i]), pct(r.mc_low[k][i]),
                                pct(r.mc_high[k][i]), pct(r.param_low[k][i]), pct(r.param_high[k][i])));
    t.add(row);
  }
  t.print(out);
  out << fmt::format(
      "\nAt {}: without the conditioning, and the robustness range over {} readings of the "
      "record (each documented event left out in turn; each of {} disputed points, "
      "conflicts.toml, in each source's reading):\n",
      f.horizon, f.evidence.size() + f.readings.size(), f.disputed_points);
  Table c({"scenario", "conditioned", "unconditioned", "robustness range"});
  for (int k = 0; k < K; ++k)
    c.add({r.ids[k], pct(r.probability[k][last]), pct(f.unconditioned[k]),
           fmt::format("{}–{}", pct(f.robust_low[k]), pct(f.robust_high[k]))});
  c.print(out);
  const dyad::Attribution& attribution = f.attribution;
  if (!attribution.mechanisms.empty()) {
    out << "\nAttribution at " << f.horizon
        << " (Shapley values: each mechanism switched off with the same random numbers; "
           "percentage points):\n";
    std::vector<std::string> head{"mechanism"};
    for (int k = 0; k < K; ++k) head.push_back(r.ids[k]);
    Table a(head);
    for (std::size_t m = 0; m < attribution.mechanisms.size(); ++m) {
      std::vector<std::string> row{attribution.mechanisms[m]};
      for (int k = 0; k < K; ++k) row.push_back(fmt::format("{:+.1f}", 100 * attribution.shapley[m][k]));
      a.add(row);
    }
    std::vector<std::string> row{"all off (baseline)"};
    for (int k = 0; k < K; ++k) row.push_back(pct(attribution.all_off[k]));
    a.add(row);
    a.print(out);
    out << "Leverage tools, bargaining feedback and network shocks are not part of the "
           "estimated model: they move nothing here.\n";
  }
  if (!f.skipped.empty())
    out << f.skipped.size() << " documented event(s) dated after the horizon were not used.\n";
}

int run_scenarios(const ScenarioOptions& options, std::ostream& out) {
  const Output output{out, output_mode(options.model.json)};
  if (!options.hindcast.empty()) return run_scenario_hindcast(output, options);
  const kb::Model model = load_model(options.model);
  const service::ScenarioForecast f = compute_scenarios(model, options);
  if (output.json()) output.write_json(service::to_json(f));
  else print_scenarios(out, f);
  return kExitOk;
}

}  // namespace sphere::app

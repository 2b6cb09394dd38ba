// `sphere replay --run K`: one trajectory of a forecast, alone. By default a run of the scenario
// forecast (the estimated model, as `sphere run` and `sphere scenarios` print it): its simulated
// months and the documented events it matched. With --engine structural, a run of the
// structural what-if engine (`sphere forecast`) with its full event history.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/forecast.h"

namespace sphere::app {
namespace {

int replay_estimated(const Output& output, const kb::Model& model, const ScenarioOptions& so,
                     int run) {
  std::ostream& out = output.out;
  const ResolvedPanel rp = resolve_panel(so.model, PanelOptions{}, 0);
  const service::ScenarioRun r =
      service::replay_scenario_run(model, rp.panel, rp.target, scenario_request(so), run);
  if (output.json()) {
    output.write_json(service::to_json(r));
    return kExitOk;
  }
  const auto& qs = r.setting.questions;
  const dyad::ReplayedRun& path = r.run;
  out << fmt::format(
      "Run {} of the scenario forecast (seed {}, {} runs; parameter draw {} of {}) · {}–{} · "
      "estimated dyadic model\n",
      path.run, so.seed, r.runs, path.draw + 1, r.draws, qs.pair_a, qs.pair_b);
  out << fmt::format(
      "Observed to {} ({}); simulated from {}. Each month: the simulated {} and {} of the pair, "
      "and the scenario its 12 months to then reach.\n\n",
      r.setting.calibrated_through, r.setting.panel_file, r.period_names[path.first_simulated],
      r.target, r.partner);
  Table t({"month", r.target, r.partner, "scenario"});
  for (std::size_t i = static_cast<std::size_t>(path.first_simulated); i < path.target.size(); ++i)
    t.add({r.period_names[i], fmt::format("{:.0f}", path.target[i]), fmt::format("{:.0f}", path.partner[i]),
           path.classes[i] >= 0 ? qs.questions[path.classes[i]].id : ""});
  output.write_table(t);
  int matched = 0;
  std::string missed;
  for (std::size_t e = 0; e < r.setting.evidence.size(); ++e) {
    if (path.evidence_log_lik[e] == 0.0) {
      ++matched;
      continue;
    }
    missed += fmt::format("\n  {} ({}{}, {})", r.setting.evidence[e].id, r.setting.evidence_from[e],
                          r.setting.evidence_to[e] == r.setting.evidence_from[e] ? "" : "–" + r.setting.evidence_to[e],
                          r.setting.evidence[e].cooperative ? "friendly" : "hostile");
  }
  out << fmt::format(
      "\nDocumented events matched: {} of {} (a run without a matching day in an event's months "
      "keeps 1 − its reliability of weight).{}{}\n",
      matched, r.setting.evidence.size(), missed.empty() ? "" : " Not matched:", missed);
  const int last = static_cast<int>(path.classes.size()) - 1;
  out << fmt::format("Scenario at {}: {}.\n", r.period_names[last], qs.questions[path.classes[last]].id);
  return kExitOk;
}

}  // namespace

int run_replay(const ReplayOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.engine.model.json)};
  if (o.which == "estimated") {
    if (!o.engine.shocks.empty())
      throw InputError("--shock", 0, "",
                       "shocks act on the structural what-if engine, which the estimated model "
                       "does not contain: add --engine structural");
    if (!o.engine.settings.empty())
      throw InputError("--set", 0, "",
                       "--set gives model.toml's parameters, which drive the structural "
                       "what-if engine, not the estimated model: add --engine structural");
    const kb::Model model = load_model(o.engine.model);
    ScenarioOptions so = o.scenarios;
    so.model = o.engine.model;
    so.seed = o.engine.seed;
    if (!o.engine.horizon.empty()) so.horizon = o.engine.horizon;
    return replay_estimated(output, model, so, static_cast<int>(o.run));
  }
  const kb::Model model = load_model(o.engine.model);
  const sim::Engine engine = build_engine(model, o.engine);
  const sim::Trajectory tr = engine.simulate(o.engine.seed, o.run, true);
  sim::Classifier classifier(engine.scenarios(), engine.state_names());
  const auto& scenario = engine.scenarios()[classifier.classify(tr.state)];
  const auto& actors = engine.actors();
  auto month = [](int m) { return Date{m / 12, m % 12 + 1, 0}.to_string(); };
  if (output.json()) {
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : tr.events)
      events.push_back({{"month", month(e.month)}, {"actor1", actors[e.from]},
                        {"actor2", actors[e.to]}, {"cameo", e.cameo},
                        {"goldstein", e.goldstein}, {"cause", e.cause}});
    nlohmann::json monthly = nlohmann::json::array();
    for (int t = 0; t < engine.months(); ++t) {
      nlohmann::json row = {{"month", month(engine.start().month_index() + t)}};
      for (int k = 0; k < sim::kIndicators; ++k)
        row[engine.indicator_names()[k]] = tr.indicators[t * sim::kIndicators + k];
      monthly.push_back(row);
    }
    nlohmann::json settlements = nlohmann::json::array();
    for (const auto& st : tr.settlements)
      settlements.push_back({{"month", month(st.month)},
                             {"issue", engine.settled_issues()[st.issue]},
                             {"outcome", st.outcome}});
    nlohmann::json state = nlohmann::json::object();
    for (std::size_t i = 0; i < tr.state.size(); ++i) state[engine.state_names()[i]] = tr.state[i];
    nlohmann::json replay = {{"seed", o.engine.seed}, {"run", o.run},
                          {"scenario", scenario.id}, {"events", events},
                          {"settlements", settlements},
                          {"indicators", monthly}, {"state_at_horizon", state}};
    if (o.calibration) replay["calibration"] = nlohmann::json::parse(engine.calibration_json());
    output.write_json(replay);
    return kExitOk;
  }
  out << fmt::format("Run {} of seed {} · {} → {} · scenario: {} ({})\n\n", o.run,
                     o.engine.seed, engine.start().to_string(),
                     engine.horizon().to_string(), scenario.name, scenario.id);
  for (const auto& e : tr.events) {
    const kb::CodebookEntry* code = model.codebook.find(e.cameo);
    out << fmt::format("{}  {} → {}  [{} {}, {:+.1f}]  {}\n", month(e.month),
                       actors[e.from], actors[e.to], e.cameo,
                       code ? code->description : "", e.goldstein, e.cause);
  }
  if (!tr.settlements.empty())
    out << fmt::format("\nIssues settled by bargaining ({} model, 0-100 scale):\n",
                       engine.bargaining_model());
  for (const auto& st : tr.settlements)
    out << fmt::format("{}  {:<28} {:6.1f}\n", month(st.month),
                       engine.settled_issues()[st.issue], st.outcome);
  out << fmt::format("\n{} events. Indicators at the horizon:", tr.events.size());
  const int last = engine.months() - 1;
  for (int k = 0; k < sim::kIndicators; ++k)
    out << fmt::format(" {} = {:.2f}", engine.indicator_names()[k],
                       tr.indicators[last * sim::kIndicators + k]);
  out << "\n";
  return kExitOk;
}

void add_replay_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ReplayOptions>();
  CLI::App* cmd = app.add_subcommand(
      "replay", "Re-run one trajectory of a forecast alone: a run of the scenario forecast "
                "(same --seed, --horizon, --runs, --draws), or with --engine structural one of "
                "`sphere forecast` (same --seed, --horizon, --shock) with its event history");
  cmd->add_option("--run", opts->run, "Run index K (0-based)")->required();
  cmd->add_option("--engine", opts->which,
                  "estimated (the scenario forecast) or structural (the what-if engine)")
      ->check(CLI::IsMember({"estimated", "structural"}))
      ->capture_default_str();
  add_engine_options(*cmd, opts->engine, false);
  cmd->add_option("--runs", opts->scenarios.runs, "estimated: the forecast's trajectories")
      ->check(CLI::Range(100, 10000000))
      ->capture_default_str();
  cmd->add_option("--draws", opts->scenarios.draws, "estimated: the forecast's parameter draws")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--parameters", opts->scenarios.parameters, "estimated: sampled or fixed")
      ->check(CLI::IsMember({"sampled", "fixed"}))
      ->capture_default_str();
  cmd->add_flag("--calibration", opts->calibration,
                "structural, with --json: add the calibrated engine (intensities, initial state, "
                "parameters)");
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_replay(*opts, out); };
  });
}

}  // namespace sphere::app

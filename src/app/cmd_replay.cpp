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

int replay_estimated(const kb::Model& model, const ScenarioOptions& so, int run) {
  const ResolvedPanel rp = resolve_panel(so.model, PanelOptions{}, 0);
  const service::ScenarioRun r =
      service::replay_scenario_run(model, rp.panel, rp.target, scenario_request(so), run);
  if (so.model.json) {
    print_json(std::cout, service::to_json(r));
    return kExitOk;
  }
  const auto& qs = r.setting.questions;
  const dyad::ReplayedRun& path = r.run;
  std::cout << fmt::format(
      "Run {} of the scenario forecast (seed {}, {} runs; parameter draw {} of {}) · {}–{} · "
      "estimated dyadic model\n",
      path.run, so.seed, r.runs, path.draw + 1, r.draws, qs.pair_a, qs.pair_b);
  std::cout << fmt::format(
      "Observed to {} ({}); simulated from {}. Each month: the simulated {} and {} of the pair, "
      "and the scenario its 12 months to then reach.\n\n",
      r.setting.calibrated_through, r.setting.panel_file, r.period_names[path.first_simulated],
      r.target, r.partner);
  Table t({"month", r.target, r.partner, "scenario"});
  for (std::size_t i = static_cast<std::size_t>(path.first_simulated); i < path.target.size(); ++i)
    t.add({r.period_names[i], fmt::format("{:.0f}", path.target[i]), fmt::format("{:.0f}", path.partner[i]),
           path.classes[i] >= 0 ? qs.questions[path.classes[i]].id : ""});
  t.print(std::cout);
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
  std::cout << fmt::format(
      "\nDocumented events matched: {} of {} (a run without a matching day in an event's months "
      "keeps 1 − its reliability of weight).{}{}\n",
      matched, r.setting.evidence.size(), missed.empty() ? "" : " Not matched:", missed);
  const int last = static_cast<int>(path.classes.size()) - 1;
  std::cout << fmt::format("Scenario at {}: {}.\n", r.period_names[last], qs.questions[path.classes[last]].id);
  return kExitOk;
}

}  // namespace

void add_replay_command(CLI::App& app, Action& action) {
  struct Options {
    EngineCliOptions engine;
    std::uint32_t run = 0;
    bool calibration = false;
    std::string which = "estimated";
    ScenarioOptions scenarios;
  };
  auto opts = std::make_shared<Options>();
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
    action = [opts] {
      if (opts->which == "estimated") {
        if (!opts->engine.shocks.empty())
          throw InputError("--shock", 0, "",
                           "shocks act on the structural what-if engine, which the estimated model "
                           "does not contain: add --engine structural");
        if (!opts->engine.settings.empty())
          throw InputError("--set", 0, "",
                           "--set gives model.toml's parameters, which drive the structural "
                           "what-if engine, not the estimated model: add --engine structural");
        const kb::Model model = load_model(opts->engine.model);
        ScenarioOptions so = opts->scenarios;
        so.model = opts->engine.model;
        so.seed = opts->engine.seed;
        if (!opts->engine.horizon.empty()) so.horizon = opts->engine.horizon;
        return replay_estimated(model, so, static_cast<int>(opts->run));
      }
      const kb::Model model = load_model(opts->engine.model);
      const sim::Engine engine = build_engine(model, opts->engine);
      const sim::Trajectory tr = engine.simulate(opts->engine.seed, opts->run, true);
      sim::Classifier classifier(engine.scenarios(), engine.state_names());
      const auto& scenario = engine.scenarios()[classifier.classify(tr.state)];
      const auto& actors = engine.actors();
      auto month = [](int m) { return Date{m / 12, m % 12 + 1, 0}.to_string(); };
      if (opts->engine.model.json) {
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
        nlohmann::json out = {{"seed", opts->engine.seed}, {"run", opts->run},
                              {"scenario", scenario.id}, {"events", events},
                              {"settlements", settlements},
                              {"indicators", monthly}, {"state_at_horizon", state}};
        if (opts->calibration) out["calibration"] = nlohmann::json::parse(engine.calibration_json());
        print_json(std::cout, out);
        return kExitOk;
      }
      std::cout << fmt::format("Run {} of seed {} · {} → {} · scenario: {} ({})\n\n", opts->run,
                               opts->engine.seed, engine.start().to_string(),
                               engine.horizon().to_string(), scenario.name, scenario.id);
      for (const auto& e : tr.events) {
        const kb::CodebookEntry* code = model.codebook.find(e.cameo);
        std::cout << fmt::format("{}  {} → {}  [{} {}, {:+.1f}]  {}\n", month(e.month),
                                 actors[e.from], actors[e.to], e.cameo,
                                 code ? code->description : "", e.goldstein, e.cause);
      }
      if (!tr.settlements.empty())
        std::cout << fmt::format("\nIssues settled by bargaining ({} model, 0-100 scale):\n",
                                 engine.bargaining_model());
      for (const auto& st : tr.settlements)
        std::cout << fmt::format("{}  {:<28} {:6.1f}\n", month(st.month),
                                 engine.settled_issues()[st.issue], st.outcome);
      std::cout << fmt::format("\n{} events. Indicators at the horizon:", tr.events.size());
      const int last = engine.months() - 1;
      for (int k = 0; k < sim::kIndicators; ++k)
        std::cout << fmt::format(" {} = {:.2f}", engine.indicator_names()[k],
                                 tr.indicators[last * sim::kIndicators + k]);
      std::cout << "\n";
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

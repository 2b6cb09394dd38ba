// `sphere replay --run K`: one trajectory of an ensemble, alone, with its full event history.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/forecast.h"

namespace sphere::app {

void add_replay_command(CLI::App& app, Action& action) {
  struct Options {
    EngineCliOptions engine;
    std::uint32_t run = 0;
    bool calibration = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "replay", "Re-run one trajectory of a forecast (same --seed, --horizon, --shock) with its "
                "full event history");
  cmd->add_option("--run", opts->run, "Run index K (0-based, as in the forecast's runs table)")
      ->required();
  add_engine_options(*cmd, opts->engine, false);
  cmd->add_flag("--calibration", opts->calibration,
                "With --json: add the calibrated engine (intensities, initial state, parameters)");
  cmd->callback([opts, &action] {
    action = [opts] {
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

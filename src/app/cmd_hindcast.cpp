// `sphere hindcast --as-of YYYY-MM`: forecasts from a past month, scored against what the
// sources say happened (model.toml [[outcome]]), beside uniform and persistence baselines.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/forecast.h"

namespace sphere::app {

void add_hindcast_command(CLI::App& app, Action& action) {
  struct Options {
    EngineCliOptions engine;
    std::vector<std::string> as_of;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "hindcast", "Calibrate on events before a month only, forecast forward, and score against "
                  "the outcomes the sources report (Brier, log score; uniform and persistence "
                  "baselines)");
  cmd->add_option("--as-of", opts->as_of, "Month(s) to forecast from, YYYY-MM (repeatable)")
      ->required();
  add_engine_options(*cmd, opts->engine);
  cmd->callback([opts, &action] {
    action = [opts] {
      const kb::Model model = load_model(opts->engine.model);
      std::vector<Date> months;
      for (const auto& a : opts->as_of) months.push_back(parse_month_option(a, "--as-of"));
      std::vector<sim::HindcastScore> scores;
      for (const Date& m : months) {
        sim::EngineOptions eo;
        eo.shocks = opts->engine.shocks;
        eo.overrides = forecast_request(opts->engine).settings;
        auto s = sim::hindcast(model, m, {opts->engine.seed, opts->engine.runs,
                                          thread_count(opts->engine), 512}, eo);
        scores.insert(scores.end(), s.begin(), s.end());
      }
      std::vector<std::string> ids;
      for (const auto& s : model.scenarios) ids.push_back(s.id);
      if (opts->engine.model.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : scores) {
          nlohmann::json forecast = nlohmann::json::object();
          for (std::size_t k = 0; k < ids.size(); ++k) forecast[ids[k]] = s.forecast[k];
          out.push_back({{"as_of", s.as_of.to_string()}, {"outcome_month", s.outcome_date.to_string()},
                         {"outcome", s.outcome}, {"forecast", forecast}, {"persisted", s.persisted},
                         {"brier", {{"model", s.brier}, {"uniform", s.brier_uniform},
                                    {"persistence", s.brier_persistence}}},
                         {"log_score", {{"model", s.log_score}, {"uniform", s.log_uniform},
                                        {"persistence", s.log_persistence}}}});
        }
        print_json(std::cout, {{"runs", opts->engine.runs}, {"seed", opts->engine.seed},
                               {"scores", out}});
        return kExitOk;
      }
      std::cout << fmt::format("Hindcast · {} runs · seed {} · lower scores are better\n\n",
                               opts->engine.runs, opts->engine.seed);
      Table t({"as of", "outcome", "what happened", "model forecast", "Brier model/unif/pers",
               "log model/unif/pers"});
      for (const auto& s : scores) {
        std::string f;
        for (std::size_t k = 0; k < ids.size(); ++k)
          f += fmt::format("{}{} {:.2f}", k ? " " : "", ids[k].substr(0, 5), s.forecast[k]);
        t.add({s.as_of.to_string(), s.outcome_date.to_string(), s.outcome, f,
               fmt::format("{:.3f} / {:.3f} / {:.3f}", s.brier, s.brier_uniform, s.brier_persistence),
               fmt::format("{:.3f} / {:.3f} / {:.3f}", s.log_score, s.log_uniform, s.log_persistence)});
      }
      t.print(std::cout);
      std::cout << "\nPersistence forecasts the scenario of the observed state at the as-of month ("
                   "0.98 on it); uniform gives each scenario 1/" << ids.size() << ".\n";
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

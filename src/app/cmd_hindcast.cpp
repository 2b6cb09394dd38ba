// `sphere hindcast`: the scenario questions hindcast on the observation panel (as `sphere
// scenarios --hindcast`: as-of months every quarter, each using only data before it, scored with
// the ranked probability score against uniform, climatology and persistence). With --as-of (or
// --engine structural): the structural engine's forecasts from a past month, scored against what
// the sources say happened (model.toml [[outcome]]).
#include <algorithm>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/forecast.h"

namespace sphere::app {

int run_hindcast(const HindcastOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.engine.model.json)};
  const bool structural = o.which == "structural" || (o.which.empty() && !o.as_of.empty());
  if (!structural) {
    if (!o.as_of.empty())
      throw InputError("--as-of", 0, "", "--as-of belongs to --engine structural; the "
                                         "estimated model's hindcast takes --window FROM..TO");
    if (!o.engine.settings.empty())
      throw InputError("--set", 0, "",
                       "--set gives model.toml's parameters, which drive the structural "
                       "engine, not the estimated model: add --as-of YYYY-MM");
    ScenarioOptions so = o.questions;
    so.model = o.engine.model;
    so.seed = o.engine.seed;
    so.threads = o.engine.threads;
    so.runs = static_cast<int>(std::min<std::uint32_t>(o.engine.runs, 2000));
    return run_scenarios(so, out);
  }
  if (o.as_of.empty())
    throw InputError("--as-of", 0, "", "the structural engine's hindcast needs --as-of YYYY-MM");
  const kb::Model model = load_model(o.engine.model);
  service::StructuralHindcastRequest request;
  for (const auto& a : o.as_of) request.as_of.push_back(parse_month_option(a, "--as-of"));
  request.forecast = forecast_request(o.engine);
  const service::StructuralHindcast hindcast = service::structural_hindcast(model, request);
  if (output.json()) {
    output.write_json(to_json(hindcast));
    return kExitOk;
  }
  const std::vector<std::string>& ids = hindcast.scenarios;
  out << fmt::format("Hindcast of the structural engine (assumed parameters) · {} runs · "
                     "seed {} · lower scores are better\n\n",
                     o.engine.runs, o.engine.seed);
  Table t({"as of", "outcome", "what happened", "model forecast", "Brier model/unif/pers",
           "log model/unif/pers"});
  for (const auto& s : hindcast.scores) {
    std::string f;
    for (std::size_t k = 0; k < ids.size(); ++k)
      f += fmt::format("{}{} {:.2f}", k ? " " : "", ids[k].substr(0, 5), s.forecast[k]);
    t.add({s.as_of.to_string(), s.outcome_date.to_string(), s.outcome, f,
           fmt::format("{:.3f} / {:.3f} / {:.3f}", s.brier, s.brier_uniform, s.brier_persistence),
           fmt::format("{:.3f} / {:.3f} / {:.3f}", s.log_score, s.log_uniform, s.log_persistence)});
  }
  output.write_table(t);
  out << "\nPersistence forecasts the scenario of the observed state at the as-of month ("
         "0.98 on it); uniform gives each scenario 1/" << ids.size() << ".\n";
  return kExitOk;
}

void add_hindcast_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<HindcastOptions>();
  CLI::App* cmd = app.add_subcommand(
      "hindcast", "Score forecasts made from past months against what happened: the scenario "
                  "questions on the observation panel (default), or with --as-of the structural "
                  "engine against the outcomes the sources report");
  cmd->add_option("--engine", opts->which,
                  "estimated (the scenario questions; default) or structural (needs --as-of)")
      ->check(CLI::IsMember({"estimated", "structural"}));
  cmd->add_option("--window", opts->questions.hindcast,
                  "estimated: as-of months FROM..TO (each needs 12 months of panel after it)")
      ->capture_default_str();
  cmd->add_option("--step", opts->questions.step, "estimated: months between as-of months")
      ->check(CLI::Range(1, 120))
      ->capture_default_str();
  cmd->add_option("--lead", opts->questions.lead,
                  "estimated: months from the as-of month to the end of the scored window")
      ->check(CLI::Range(1, 120))
      ->capture_default_str();
  cmd->add_option("--as-of", opts->as_of,
                  "structural: month(s) to forecast from, YYYY-MM (repeatable)");
  add_engine_options(*cmd, opts->engine);
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_hindcast(*opts, out); };
  });
}

}  // namespace sphere::app

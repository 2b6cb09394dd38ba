// Hindcasts: forecasts made from a past month with only the events before it, scored against
// the outcomes the sources report (model.toml [[outcome]]).
#include <cmath>

#include <fmt/format.h>

#include "sim/sim.h"

namespace sphere::sim {
namespace {

constexpr double kPersistenceSpread = 0.02;  // probability persistence leaves to other scenarios

}  // namespace

std::vector<HindcastScore> hindcast(const kb::Model& model, Date as_of, const RunPlan& plan) {
  std::vector<HindcastScore> scores;
  for (const kb::Outcome& o : model.outcomes) {
    if (o.date.month_index() < as_of.month_index()) continue;
    const auto [engine, f] = run_plan(model, plan.over(as_of, o.date));
    const auto& sc = engine.scenarios();
    const int k = static_cast<int>(sc.size());
    int outcome = 0;
    while (outcome < k && sc[outcome].id != o.scenario) ++outcome;
    HindcastScore s;
    s.as_of = as_of;
    s.outcome_date = o.date;
    s.outcome = o.scenario;
    for (const auto& p : f.scenarios) s.forecast.push_back(p.p);
    s.brier = brier_score(s.forecast, outcome);
    // Log score with add-half smoothing, so that a scenario no run reached is not infinite.
    const double smoothed = (static_cast<double>(f.scenarios[outcome].count) + 0.5) /
                            (static_cast<double>(f.runs) + 0.5 * k);
    s.log_score = -std::log(smoothed);
    const std::vector<double> uniform(k, 1.0 / k);
    s.brier_uniform = brier_score(uniform, outcome);
    s.log_uniform = std::log(static_cast<double>(k));
    Classifier classifier(sc, engine.state_names());
    const int persisted = classifier.classify(engine.initial_state());
    s.persisted = sc[persisted].id;
    std::vector<double> persistence(k, kPersistenceSpread / (k - 1));
    persistence[persisted] = 1.0 - kPersistenceSpread;
    s.brier_persistence = brier_score(persistence, outcome);
    s.log_persistence = -std::log(persistence[outcome]);
    scores.push_back(std::move(s));
  }
  if (scores.empty())
    throw InputError(kRequest, 0, "as_of",
                     fmt::format("no [[outcome]] in model.toml lies at or after {}",
                                 as_of.to_string()));
  return scores;
}

}  // namespace sphere::sim

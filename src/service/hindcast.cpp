// The structural engine's hindcast: forecasts from past months, each calibrated on the events
// before it, scored against the outcomes the sources report; its JSON form.
#include "service/service.h"

namespace sphere::service {

StructuralHindcast structural_hindcast(const kb::Model& model,
                                       const StructuralHindcastRequest& request) {
  if (request.as_of.empty())
    throw InputError(kRequest, 0, "as_of", "give at least one month to forecast from");
  StructuralHindcast out;
  out.runs = request.forecast.runs;
  out.seed = request.forecast.seed;
  for (const auto& s : model.scenarios) out.scenarios.push_back(s.id);
  // The forecast's plan; each outcome's months replace its horizon.
  const sim::RunPlan plan = forecast_plan(request.forecast);
  for (const Date& month : request.as_of) {
    auto scores = sim::hindcast(model, month, plan);
    out.scores.insert(out.scores.end(), scores.begin(), scores.end());
  }
  return out;
}

nlohmann::json to_json(const StructuralHindcast& hindcast) {
  nlohmann::json scores = nlohmann::json::array();
  for (const auto& s : hindcast.scores) {
    nlohmann::json forecast = nlohmann::json::object();
    for (std::size_t k = 0; k < hindcast.scenarios.size(); ++k)
      forecast[hindcast.scenarios[k]] = s.forecast[k];
    scores.push_back({{"as_of", s.as_of.to_string()}, {"outcome_month", s.outcome_date.to_string()},
                      {"outcome", s.outcome}, {"forecast", forecast}, {"persisted", s.persisted},
                      {"brier", {{"model", s.brier}, {"uniform", s.brier_uniform},
                                 {"persistence", s.brier_persistence}}},
                      {"log_score", {{"model", s.log_score}, {"uniform", s.log_uniform},
                                     {"persistence", s.log_persistence}}}});
  }
  return {{"runs", hindcast.runs}, {"seed", hindcast.seed}, {"scores", scores}};
}

}  // namespace sphere::service

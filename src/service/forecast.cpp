// A forecast: the request's engine and ensemble, stored when asked; its JSON form, shared by
// `sphere forecast --json`, the API's finished job and the report.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {

int thread_count(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Date parse_month(const std::string& text, const std::string& field) {
  std::string why;
  auto d = Date::parse(text, &why);
  if (!d || d->precision() != Date::Precision::kMonth)
    throw InputError(kRequest, 0, field,
                     fmt::format("'{}' is not a month; expected YYYY-MM{}", text,
                                 why.empty() ? "" : " (" + why + ")"));
  return *d;
}

std::map<std::string, double> parse_settings(const std::vector<std::string>& texts) {
  std::map<std::string, double> out;
  for (const auto& text : texts) {
    auto fail = [&](const std::string& why) {
      return InputError(kRequest, 0, "set", fmt::format("'{}': {}", text, why));
    };
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
      throw fail("expected NAME=VALUE with a parameter of model.toml (theta=0.1)");
    const std::string name = text.substr(0, eq), value = text.substr(eq + 1);
    double v = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
        !std::isfinite(v))
      throw fail(fmt::format("'{}' is not a number", value));
    if (!out.emplace(name, v).second) throw fail(fmt::format("'{}' is set twice", name));
  }
  return out;
}

sim::RunPlan forecast_plan(const ForecastRequest& request) {
  sim::RunPlan plan;
  plan.engine.horizon = request.horizon;
  plan.engine.shocks = request.shocks;
  plan.engine.overrides = request.settings;
  plan.ensemble.seed = request.seed;
  plan.ensemble.runs = request.runs;
  plan.ensemble.threads = thread_count(request.threads);
  plan.ensemble.batch = 512;
  return plan;
}

sim::Engine forecast_engine(const kb::Model& model, const ForecastRequest& request) {
  return sim::build_engine(model, forecast_plan(request));
}

sim::EnsembleOptions ensemble_options(const ForecastRequest& request) {
  return forecast_plan(request).ensemble;
}

nlohmann::json to_json(const kb::Model& model, const sim::Engine& engine,
                       const sim::ForecastSummary& summary) {
  nlohmann::json j = to_json(engine, summary);
  j["model"] = model.location;
  return j;
}

sim::ForecastSummary forecast(const sim::Engine& engine, const ForecastRequest& request,
                              const std::function<void(std::span<const sim::RunOutcome>)>& on_runs,
                              const std::function<void(std::uint32_t)>& progress) {
  return sim::run_ensemble(engine, ensemble_options(request), on_runs, progress);
}

StoredForecast stored_forecast(const kb::Model& model, const ForecastRequest& request,
                               const ForecastStore& store,
                               const std::function<void(std::uint32_t)>& progress) {
  StoredForecast out{{forecast_engine(model, request), {}}, store.db, 0};
  const sim::Engine& engine = out.forecast.engine;
  if (store.db.empty()) {
    out.forecast.summary = forecast(engine, request, {}, progress);
    return out;
  }
  // The writer removes a file it created unless it commits.
  store::ForecastWriter writer(
      store.db, store::ForecastMeta{model.location, store.command_line, request.seed, request.runs},
      engine);
  out.forecast.summary = forecast(
      engine, request, [&](std::span<const sim::RunOutcome> runs) { writer.add_runs(runs); },
      progress);
  writer.commit(out.forecast.summary);
  out.forecast_id = writer.forecast_id();
  return out;
}

nlohmann::json to_json(const sim::Engine& engine, const sim::ForecastSummary& f) {
  nlohmann::json scenarios = nlohmann::json::array();
  for (std::size_t k = 0; k < f.scenarios.size(); ++k) {
    const auto& s = engine.scenarios()[k];
    const auto& p = f.scenarios[k];
    scenarios.push_back({{"id", s.id}, {"name", s.name}, {"when", s.when}, {"runs", p.count},
                         {"probability", p.p}, {"low95", p.low}, {"high95", p.high}});
  }
  nlohmann::json indicators = nlohmann::json::object();
  for (std::size_t k = 0; k < f.indicators.size(); ++k) {
    nlohmann::json series = nlohmann::json::array();
    for (const auto& m : f.indicators[k])
      series.push_back({{"month", m.month.to_string()}, {"mean", m.mean}, {"q025", m.q[0]},
                        {"q25", m.q[1]}, {"q50", m.q[2]}, {"q75", m.q[3]}, {"q975", m.q[4]}});
    indicators[engine.indicator_names()[k]] = series;
  }
  // The tool and force counts, then the settled issues' outcomes ("issue:ID"), by scenario.
  nlohmann::json drivers = nlohmann::json::object(), issues = nlohmann::json::object();
  for (std::size_t i = 0; i < engine.driver_names().size(); ++i) {
    nlohmann::json by = {{"all", f.driver_overall[i]}};
    for (std::size_t k = 0; k < f.scenarios.size(); ++k)
      by[engine.scenarios()[k].id] = f.driver_means[k][i];
    if (i < static_cast<std::size_t>(sim::kDrivers)) drivers[engine.driver_names()[i]] = by;
    else issues[engine.settled_issues()[i - sim::kDrivers]] = by;
  }
  const sim::Intensities& in = engine.intensities();
  const nlohmann::json calibration = {
      {"intensities", {{"method", in.method}, {"branching", in.branching},
                       {"omega_per_month", in.omega}, {"note", in.note}}},
      {"leverage", {{"ab", engine.leverage_notes()[0]}, {"ba", engine.leverage_notes()[1]}}},
      {"bargaining", engine.bargaining_model()}};
  nlohmann::json shocks = nlohmann::json::array();
  for (const auto& s : engine.shocks()) shocks.push_back(s.text);
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, value] : engine.parameters()) params[name] = value;
  return {{"seed", f.seed},
          {"runs", f.runs},
          {"start", engine.start().to_string()},
          {"horizon", engine.horizon().to_string()},
          {"shocks", shocks},
          {"scenarios", scenarios},
          {"indicators", indicators},
          {"drivers_mean_per_run", drivers},
          {"issues_mean_outcome", issues},
          {"calibration", calibration},
          {"parameters", params}};
}

}  // namespace sphere::service

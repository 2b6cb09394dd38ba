// Sensitivity analyses: Morris screening or Sobol indices of one forecast output (a scenario's
// probability or an indicator's mean at the horizon) over the ranges of model.toml's
// parameters, in one process, as shards or across cooperating processes.
#include <algorithm>
#include <atomic>
#include <variant>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {
namespace {

// The design's points in evaluation order.
std::vector<std::vector<double>> design_points(const store::SensitivityPartial& d) {
  return d.method == "morris" ? sim::morris_points(d.factors, d.n, d.levels, d.seed)
                              : sim::sobol_points(d.factors, d.n, d.seed);
}

// Evaluates shard `shard` of the design `d` made by `engine`.
store::SensitivityPartial evaluate_shard(const kb::Model& model,
                                         const SensitivityRequest& request,
                                         const sim::Engine& engine, store::SensitivityPartial d,
                                         Shard shard, const PointProgress& progress) {
  const sim::Function f =
      sensitivity_output(model, request.forecast, engine, d.factors, d.output);
  const std::vector<std::vector<double>> points = design_points(d);
  const auto [first, end] = sim::shard_points(points.size(), shard.index, shard.count);
  d.shard = shard.index;
  d.shards = shard.count;
  d.first_point = first;
  // Each point is R runs: progress counts points, and may stop the workers at the next one.
  const std::uint64_t total = end - first;
  std::atomic<std::uint64_t> done{0};
  if (progress) progress(0, total);
  const sim::Function watched = [&](const std::vector<double>& x) {
    const double y = f(x);
    if (progress) progress(++done, total);
    return y;
  };
  d.outputs = sim::evaluate_all(
      watched, std::vector<std::vector<double>>(points.begin() + first, points.begin() + end),
      thread_count(request.forecast.threads));
  return d;
}

// The outputs of shards 0..N-1 in point order; throws InputError unless they cover every point
// exactly once.
std::vector<double> joined_outputs(const std::vector<store::SensitivityPartial>& parts) {
  std::vector<double> outputs;
  for (const auto& p : parts) {
    if (p.first_point != outputs.size())
      throw InputError(fmt::format("shard {}/{}", p.shard + 1, p.shards), 0, "first_point",
                       fmt::format("starts at point {}, expected {}", p.first_point,
                                   outputs.size()));
    outputs.insert(outputs.end(), p.outputs.begin(), p.outputs.end());
  }
  if (outputs.size() != parts.at(0).points)
    throw InputError("merge", 0, "points",
                     fmt::format("{} of {} points evaluated", outputs.size(), parts[0].points));
  return outputs;
}

std::string point_range(std::size_t first, std::size_t end) {
  return end > first ? fmt::format("points {}–{}", first, end - 1) : "no points";
}

}  // namespace

std::vector<sim::Factor> model_factors(const kb::Model& model,
                                       const std::map<std::string, double>& settings) {
  std::vector<sim::Factor> factors;
  for (const auto& p : model.parameters)
    if (p.high > p.low && !settings.contains(p.name)) factors.push_back({p.name, p.low, p.high});
  if (factors.empty())
    throw InputError(model.location + "/model.toml", 0, "parameter",
                     settings.empty() ? "no parameter has a range to vary"
                                      : "no parameter with a range is left to vary");
  return factors;
}

sim::Function sensitivity_output(const kb::Model& model, const ForecastRequest& request,
                                 const sim::Engine& base, const std::vector<sim::Factor>& factors,
                                 const std::string& output) {
  int scenario = -1, indicator = -1;
  std::vector<std::string> names;
  for (std::size_t k = 0; k < base.scenarios().size(); ++k) {
    if (base.scenarios()[k].id == output) scenario = static_cast<int>(k);
    names.push_back(base.scenarios()[k].id);
  }
  for (std::size_t k = 0; k < base.indicator_names().size(); ++k) {
    if (base.indicator_names()[k] == output) indicator = static_cast<int>(k);
    names.push_back(base.indicator_names()[k]);
  }
  if (scenario < 0 && indicator < 0) {
    std::string listed;
    for (const auto& n : names) listed += " " + n;
    throw InputError(kRequest, 0, "output",
                     fmt::format("unknown output '{}'; expected one of:{}{}", output, listed,
                                 did_you_mean(output, names)));
  }
  // Each point is the request's plan with the factors set, on one thread (the design's points
  // are spread over the threads).
  sim::RunPlan plan = forecast_plan(request);
  plan.ensemble.threads = 1;
  return [&model, plan, factors, scenario, indicator](const std::vector<double>& x) {
    std::map<std::string, double> values;
    for (std::size_t i = 0; i < factors.size(); ++i) values[factors[i].name] = x[i];
    const sim::ForecastSummary s = sim::run_plan(model, plan.with_overrides(values)).summary;
    return scenario >= 0 ? s.scenarios[scenario].p : s.indicators[indicator].back().mean;
  };
}

store::SensitivityPartial sensitivity_design(const kb::Model& model, const sim::Engine& engine,
                                             const SensitivityRequest& request) {
  if (request.method != "morris" && request.method != "sobol")
    throw InputError(kRequest, 0, "method",
                     fmt::format("'{}' is not morris or sobol", request.method));
  const ForecastRequest& f = request.forecast;
  store::SensitivityPartial d;
  d.seed = f.seed;
  d.method = request.method;
  d.output = request.output;
  d.n = request.n ? request.n : (request.method == "morris" ? 10 : 64);
  d.levels = request.levels;
  d.bootstrap = request.bootstrap;
  d.runs = f.runs;
  d.model = model.location;
  d.horizon = f.horizon ? f.horizon->to_string() : "";
  d.shocks = shock_texts(f.shocks);
  d.settings = setting_texts(f.settings);
  d.factors = model_factors(model, f.settings);
  d.digest = store::sensitivity_digest(engine, d);
  d.points = design_points(d).size();
  return d;
}

store::SensitivityPartial sensitivity_shard(const kb::Model& model,
                                            const SensitivityRequest& request, Shard shard,
                                            const PointProgress& progress) {
  const sim::Engine engine = forecast_engine(model, request.forecast);
  return evaluate_shard(model, request, engine, sensitivity_design(model, engine, request), shard,
                        progress);
}

SensitivityResult sensitivity_indices(const store::SensitivityPartial& d,
                                      const std::vector<double>& outputs) {
  SensitivityResult result{d.method, d.output, d.n, d.runs, d.seed, {}};
  const auto& factors = d.factors;
  std::vector<std::size_t> order(factors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (result.morris()) {
    const auto r = sim::morris_indices(factors, d.n, d.levels, d.seed, outputs);
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return r.mu_star[a] > r.mu_star[b]; });
    for (auto i : order) {
      SensitivityRow row{factors[i]};
      row.mu_star = r.mu_star[i];
      row.mu = r.mu[i];
      row.sigma = r.sigma[i];
      result.rows.push_back(row);
    }
  } else {
    const auto r = sim::sobol_indices(factors, d.n, d.bootstrap, d.seed, outputs);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return r.st[a] > r.st[b]; });
    for (auto i : order) {
      SensitivityRow row{factors[i]};
      row.s1 = r.s1[i];
      row.s1_low = r.s1_low[i];
      row.s1_high = r.s1_high[i];
      row.st = r.st[i];
      row.st_low = r.st_low[i];
      row.st_high = r.st_high[i];
      result.rows.push_back(row);
    }
  }
  return result;
}

SensitivityResult sensitivity(const kb::Model& model, const SensitivityRequest& request,
                              const PointProgress& progress) {
  const store::SensitivityPartial whole = sensitivity_shard(model, request, {0, 1}, progress);
  return sensitivity_indices(whole, whole.outputs);
}

WrittenShard write_sensitivity_shard(const kb::Model& model,
                                     const SensitivityShardRequest& request,
                                     const PointProgress& progress) {
  const store::SensitivityPartial p =
      sensitivity_shard(model, request.analysis, request.shard, progress);
  WrittenShard w;
  w.shard = request.shard;
  w.file = request.file.empty() ? default_part_file(request.shard) : request.file;
  store::write_partial(w.file, p);
  w.range = point_range(p.first_point, p.first_point + p.outputs.size());
  w.digest = p.digest;
  w.seed = p.seed;
  w.unit = "points";
  w.size = p.points;
  w.method = p.method;
  return w;
}

SensitivityResult merge_sensitivity(const kb::Model& model,
                                    const std::vector<store::SensitivityPartial>& parts) {
  const store::SensitivityPartial& first = parts.at(0);
  ForecastRequest request;
  if (!first.horizon.empty()) request.horizon = parse_month(first.horizon, "horizon");
  request.shocks = sim::parse_shock_specs(first.shocks);
  request.settings = parse_settings(first.settings);
  const sim::Engine engine = forecast_engine(model, request);
  store::SensitivityPartial here = first;
  here.factors = model_factors(model, request.settings);
  const std::string digest = store::sensitivity_digest(engine, here);
  if (digest != first.digest)
    throw InputError(model.location, 0, "model",
                     fmt::format("the shards were computed with another model or other parameters "
                                 "(digest {}, this model {}); merge them with the model they used",
                                 first.digest, digest));
  return sensitivity_indices(first, joined_outputs(parts));
}

std::optional<SensitivityResult> distributed_sensitivity(const kb::Model& model,
                                                         const SensitivityRequest& request,
                                                         Shard mine, const Gather& gather,
                                                         const PointProgress& progress) {
  // Every process builds the engine (the same input errors everywhere) and evaluates its points.
  const store::SensitivityPartial part = sensitivity_shard(model, request, mine, progress);
  const std::vector<std::string> texts = gather(store::partial_to_text(part));
  if (texts.empty()) return std::nullopt;  // not the first process
  std::vector<store::SensitivityPartial> parts;
  for (std::size_t r = 0; r < texts.size(); ++r) {
    const std::string name = fmt::format("rank {}", r);
    store::AnyPartial p = store::partial_from_text(texts[r], name);
    if (!std::holds_alternative<store::SensitivityPartial>(p))
      throw InputError(name, 0, "format",
                       "a forecast's part where a sensitivity part was expected");
    parts.push_back(std::move(std::get<store::SensitivityPartial>(p)));
  }
  return sensitivity_indices(part, joined_outputs(parts));
}

nlohmann::json to_json(const SensitivityResult& result) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : result.rows) {
    if (result.morris())
      rows.push_back({{"parameter", r.factor.name}, {"low", r.factor.low},
                      {"high", r.factor.high}, {"mu_star", r.mu_star}, {"mu", r.mu},
                      {"sigma", r.sigma}});
    else
      rows.push_back({{"parameter", r.factor.name}, {"low", r.factor.low},
                      {"high", r.factor.high}, {"S1", r.s1}, {"S1_low95", r.s1_low},
                      {"S1_high95", r.s1_high}, {"ST", r.st}, {"ST_low95", r.st_low},
                      {"ST_high95", r.st_high}});
  }
  return {{"method", result.method}, {"output", result.output}, {"n", result.n},
          {"runs_per_point", result.runs}, {"seed", result.seed}, {"factors", rows}};
}

}  // namespace sphere::service

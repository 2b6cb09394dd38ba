// `sphere sensitivity`: Morris screening or Sobol indices of one forecast output over the
// ranges of model.toml's parameters; in one process, as shards (`--shard K/N`, then `sphere
// merge`) or across MPI ranks. Every path evaluates the same points (a pure function of the
// seed) and computes the indices from all outputs in point order, so the results are identical.
#include <algorithm>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/forecast.h"
#include "store/store.h"

namespace sphere::app {
namespace {

struct Options {
  EngineCliOptions engine;
  std::string method = "morris", output;
  int n = 0, levels = 4, bootstrap = 200;
  std::string shard, out;  // K/N and the partial result's file
};

using service::model_factors;

// The design's points in evaluation order.
std::vector<std::vector<double>> design_points(const store::SensitivityPartial& d) {
  return d.method == "morris" ? sim::morris_points(d.factors, d.n, d.levels, d.seed)
                              : sim::sobol_points(d.factors, d.n, d.seed);
}

// The design the options describe (no shard, no outputs yet), with its digest.
store::SensitivityPartial make_design(const kb::Model& model, const sim::Engine& engine,
                                      const Options& o) {
  store::SensitivityPartial d;
  d.seed = o.engine.seed;
  d.method = o.method;
  d.output = o.output;
  d.n = o.n ? o.n : (o.method == "morris" ? 10 : 64);
  d.levels = o.levels;
  d.bootstrap = o.bootstrap;
  d.runs = o.engine.runs;
  d.model = model.location;
  d.horizon = o.engine.horizon;
  d.shocks = o.engine.shocks;
  d.settings = o.engine.settings;
  d.factors = model_factors(model, service::parse_settings(o.engine.settings));
  d.digest = store::sensitivity_digest(engine, d);
  d.points = design_points(d).size();
  return d;
}

// Evaluates shard `shard` (0-based) of `shards` of the design: its contiguous range of points.
store::SensitivityPartial compute_shard(const kb::Model& model, const EngineCliOptions& o,
                                        const sim::Engine& engine, store::SensitivityPartial d,
                                        std::uint32_t shard, std::uint32_t shards) {
  const sim::Function f =
      service::sensitivity_output(model, forecast_request(o), engine, d.factors, d.output);
  const std::vector<std::vector<double>> points = design_points(d);
  const auto [first, end] = sim::shard_points(points.size(), shard, shards);
  d.shard = shard;
  d.shards = shards;
  d.first_point = first;
  // Each point is R runs: the bar counts points (the first one timed gives the estimate), and a
  // Ctrl-C stops the workers at their next point, before anything is written.
  ProgressBar bar(end - first, "points");
  const sim::Function watched = [&](const std::vector<double>& x) {
    throw_if_interrupted();
    const double y = f(x);
    bar.add();
    return y;
  };
  d.outputs = sim::evaluate_all(
      watched, std::vector<std::vector<double>>(points.begin() + first, points.begin() + end),
      thread_count(o));
  return d;
}

std::string point_range(std::size_t first, std::size_t end) {
  return end > first ? fmt::format("points {}–{}", first, end - 1) : "no points";
}

// Prints the indices computed from `outputs` (every point's, in order) as a table or JSON.
int present(const store::SensitivityPartial& d, const std::vector<double>& outputs, bool json) {
  const auto& factors = d.factors;
  const bool morris = d.method == "morris";
  nlohmann::json rows = nlohmann::json::array();
  Table table(morris ? std::vector<std::string>{"parameter", "range", "mu*", "mu", "sigma"}
                     : std::vector<std::string>{"parameter", "range", "S1 [95%]", "ST [95%]"});
  std::vector<std::size_t> order(factors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (morris) {
    const auto r = sim::morris_indices(factors, d.n, d.levels, d.seed, outputs);
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return r.mu_star[a] > r.mu_star[b]; });
    for (auto i : order) {
      rows.push_back({{"parameter", factors[i].name}, {"low", factors[i].low},
                      {"high", factors[i].high}, {"mu_star", r.mu_star[i]}, {"mu", r.mu[i]},
                      {"sigma", r.sigma[i]}});
      table.add({factors[i].name, fmt::format("[{}, {}]", factors[i].low, factors[i].high),
                 fmt::format("{:.4f}", r.mu_star[i]), fmt::format("{:+.4f}", r.mu[i]),
                 fmt::format("{:.4f}", r.sigma[i])});
    }
  } else {
    const auto r = sim::sobol_indices(factors, d.n, d.bootstrap, d.seed, outputs);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return r.st[a] > r.st[b]; });
    for (auto i : order) {
      rows.push_back({{"parameter", factors[i].name}, {"low", factors[i].low},
                      {"high", factors[i].high}, {"S1", r.s1[i]}, {"S1_low95", r.s1_low[i]},
                      {"S1_high95", r.s1_high[i]}, {"ST", r.st[i]}, {"ST_low95", r.st_low[i]},
                      {"ST_high95", r.st_high[i]}});
      table.add({factors[i].name, fmt::format("[{}, {}]", factors[i].low, factors[i].high),
                 fmt::format("{:.3f} [{:.3f}, {:.3f}]", r.s1[i], r.s1_low[i], r.s1_high[i]),
                 fmt::format("{:.3f} [{:.3f}, {:.3f}]", r.st[i], r.st_low[i], r.st_high[i])});
    }
  }
  if (json) {
    print_json(std::cout, {{"method", d.method}, {"output", d.output}, {"n", d.n},
                           {"runs_per_point", d.runs}, {"seed", d.seed}, {"factors", rows}});
  } else {
    std::cout << fmt::format("{} sensitivity of '{}' · {} {} · {} runs per point · seed {}\n\n",
                             morris ? "Morris" : "Sobol", d.output, d.n,
                             morris ? "trajectories" : "base points", d.runs, d.seed);
    table.print(std::cout);
  }
  return kExitOk;
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

int run_shard(const kb::Model& model, const Options& o, service::Shard spec) {
  const struct { std::uint32_t index, count; } shard{spec.index + 1, spec.count};
  const sim::Engine engine = build_engine(model, o.engine);
  const store::SensitivityPartial p = compute_shard(model, o.engine, engine,
                                                    make_design(model, engine, o),
                                                    shard.index - 1, shard.count);
  const std::string file = o.out.empty() ? service::default_part_file(spec) : o.out;
  store::write_partial(file, p);
  const std::string range = point_range(p.first_point, p.first_point + p.outputs.size());
  if (o.engine.model.json)
    print_json(std::cout, {{"shard", shard.index}, {"shards", shard.count}, {"seed", p.seed},
                           {"points", p.points}, {"range", range}, {"file", file},
                           {"digest", p.digest}});
  else
    std::cout << fmt::format("Shard {}/{} of the {} design of {} points (seed {}): {} written "
                             "to {}\n",
                             shard.index, shard.count, p.method, p.points, p.seed, range, file);
  return kExitOk;
}

#ifdef SPHERE_WITH_MPI
store::SensitivityPartial sensitivity_part(const store::AnyPartial& partial,
                                           const std::string& name) {
  if (const auto* p = std::get_if<store::SensitivityPartial>(&partial)) return *p;
  throw InputError(name, 0, "format", "a forecast's part where a sensitivity part was expected");
}

// Under `mpirun -n R` (R > 1): rank r evaluates shard r+1 of R, rank 0 receives the outputs in
// rank order and alone prints the indices. Returns -1 in a single process.
int run_mpi(const kb::Model& model, const Options& o) {
  const std::optional<MpiRank> me = mpi_start();
  if (!me) return -1;
  // Every rank builds the engine (the same input errors everywhere) and evaluates its points.
  const sim::Engine engine = build_engine(model, o.engine);
  const store::SensitivityPartial mine =
      compute_shard(model, o.engine, engine, make_design(model, engine, o),
                    static_cast<std::uint32_t>(me->rank), static_cast<std::uint32_t>(me->size));
  const std::vector<std::string> texts = mpi_gather(*me, store::partial_to_text(mine));
  int code = kExitOk;
  if (me->rank == 0) {
    std::vector<store::SensitivityPartial> parts;
    for (std::size_t r = 0; r < texts.size(); ++r) {
      const std::string name = fmt::format("rank {}", r);
      parts.push_back(sensitivity_part(store::partial_from_text(texts[r], name), name));
    }
    code = present(mine, joined_outputs(parts), o.engine.model.json);
  }
  mpi_finish();
  return code;
}
#endif

int run_sensitivity(const kb::Model& model, const Options& o) {
#ifdef SPHERE_WITH_MPI
  if (const int code = run_mpi(model, o); code >= 0) return code;
#endif
  const sim::Engine engine = build_engine(model, o.engine);
  const store::SensitivityPartial whole =
      compute_shard(model, o.engine, engine, make_design(model, engine, o), 0, 1);
  return present(whole, whole.outputs, o.engine.model.json);
}

}  // namespace

int merge_sensitivity(const kb::Model& model, const std::vector<store::SensitivityPartial>& parts,
                      bool json) {
  const store::SensitivityPartial& first = parts.at(0);
  EngineCliOptions o;
  o.horizon = first.horizon;
  o.shocks = first.shocks;
  o.settings = first.settings;
  const sim::Engine engine = build_engine(model, o);
  store::SensitivityPartial here = first;
  here.factors = model_factors(model, service::parse_settings(first.settings));
  const std::string digest = store::sensitivity_digest(engine, here);
  if (digest != first.digest)
    throw InputError(model.location, 0, "model",
                     fmt::format("the shards were computed with another model or other parameters "
                                 "(digest {}, this model {}); pass the --model they used",
                                 first.digest, digest));
  return present(first, joined_outputs(parts), json);
}

void add_sensitivity_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<Options>();
  opts->engine.runs = 200;
  CLI::App* cmd = app.add_subcommand(
      "sensitivity", "Which parameters drive an output: Morris screening or Sobol indices over "
                     "the parameter ranges in model.toml");
  cmd->add_option("--method", opts->method, "morris or sobol")
      ->capture_default_str()
      ->check(CLI::IsMember({"morris", "sobol"}));
  cmd->add_option("--output", opts->output,
                  "A scenario id (its probability) or an indicator (its mean at the horizon)")
      ->required();
  cmd->add_option("--n", opts->n, "Morris trajectories (default 10) or Sobol base points "
                                  "(default 64; n·(k+2) evaluations)")
      ->check(CLI::Range(2, 1000000));
  cmd->add_option("--levels", opts->levels, "Morris grid levels")->capture_default_str()
      ->check(CLI::Range(2, 100));
  cmd->add_option("--bootstrap", opts->bootstrap, "Sobol bootstrap resamples")
      ->capture_default_str()->check(CLI::Range(0, 100000));
  add_engine_options(*cmd, opts->engine);
  cmd->get_option("--runs")->description(
      "Trajectories per parameter point (same seeds at every point)");
  cmd->add_option("--shard", opts->shard,
                  "Evaluate only shard K of N (K = 1..N) of the points and write a partial "
                  "result for `sphere merge`");
  cmd->add_option("--out", opts->out,
                  "With --shard: the partial result's file (default part-K-of-N.json)");
  cmd->callback([opts, &action] {
    if (opts->shard.empty() && !opts->out.empty())
      throw CLI::ValidationError("--out", "--out needs --shard");
    const std::optional<service::Shard> shard =
        opts->shard.empty() ? std::nullopt : std::optional(parse_shard(opts->shard));
    action = [opts, shard] {
      const kb::Model model = load_model(opts->engine.model);
      const InterruptGuard guard;
      return shard ? run_shard(model, *opts, *shard) : run_sensitivity(model, *opts);
    };
  });
}

}  // namespace sphere::app

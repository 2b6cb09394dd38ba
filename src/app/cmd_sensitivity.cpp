// `sphere sensitivity`: the flags and the printing of the service's sensitivity analyses
// (service/sensitivity.cpp), in one process, as shards (`--shard K/N`, then `sphere merge`) or
// across MPI ranks; every path gives the same indices.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/forecast.h"

namespace sphere::app {
namespace {

service::SensitivityRequest sensitivity_request(const SensitivityOptions& o) {
  service::SensitivityRequest r = o.analysis;
  r.forecast = forecast_request(o.engine);
  return r;
}

// A progress bar over the points (the first one timed gives the estimate); a Ctrl-C stops the
// workers at their next point, before anything is written.
class PointBar {
 public:
  service::PointProgress callback() {
    return [this](std::uint64_t done, std::uint64_t total) {
      if (done == 0) bar_ = std::make_unique<ProgressBar>(total, "points");
      else bar_->add();
      throw_if_interrupted();
    };
  }

 private:
  std::unique_ptr<ProgressBar> bar_;
};

int run_shard(const Output& output, const kb::Model& model, const SensitivityOptions& o,
              service::Shard shard) {
  PointBar bar;
  const service::WrittenShard w = service::write_sensitivity_shard(
      model, {sensitivity_request(o), shard, o.out}, bar.callback());
  if (output.json())
    output.write_json(service::to_json(w));
  else
    output.out << fmt::format("Shard {}/{} of the {} design of {} points (seed {}): {} written "
                              "to {}\n",
                              shard.index + 1, shard.count, w.method, w.size, w.seed, w.range,
                              w.file);
  return kExitOk;
}

#ifdef SPHERE_WITH_MPI
// Under `mpirun -n R` (R > 1): rank r evaluates shard r+1 of R, rank 0 receives the outputs in
// rank order and alone prints the indices. Returns -1 in a single process.
int run_mpi(const Output& output, const kb::Model& model, const SensitivityOptions& o) {
  const std::optional<MpiRank> me = mpi_start();
  if (!me) return -1;
  PointBar bar;
  const auto result = service::distributed_sensitivity(
      model, sensitivity_request(o),
      {static_cast<std::uint32_t>(me->rank), static_cast<std::uint32_t>(me->size)},
      [&](const std::string& mine) { return mpi_gather(*me, mine); }, bar.callback());
  const int code = result ? present_sensitivity(output, *result) : kExitOk;
  mpi_finish();
  return code;
}
#endif

int run_whole_sensitivity(const Output& output, const kb::Model& model,
                          const SensitivityOptions& o) {
#ifdef SPHERE_WITH_MPI
  if (const int code = run_mpi(output, model, o); code >= 0) return code;
#endif
  PointBar bar;
  return present_sensitivity(output,
                             service::sensitivity(model, sensitivity_request(o), bar.callback()));
}

}  // namespace

int present_sensitivity(const Output& output, const service::SensitivityResult& r) {
  if (output.json()) {
    output.write_json(service::to_json(r));
    return kExitOk;
  }
  const bool morris = r.morris();
  Table table(morris ? std::vector<std::string>{"parameter", "range", "mu*", "mu", "sigma"}
                     : std::vector<std::string>{"parameter", "range", "S1 [95%]", "ST [95%]"});
  for (const auto& row : r.rows) {
    const std::string range = fmt::format("[{}, {}]", row.factor.low, row.factor.high);
    if (morris)
      table.add({row.factor.name, range, fmt::format("{:.4f}", row.mu_star),
                 fmt::format("{:+.4f}", row.mu), fmt::format("{:.4f}", row.sigma)});
    else
      table.add({row.factor.name, range,
                 fmt::format("{:.3f} [{:.3f}, {:.3f}]", row.s1, row.s1_low, row.s1_high),
                 fmt::format("{:.3f} [{:.3f}, {:.3f}]", row.st, row.st_low, row.st_high)});
  }
  output.out << fmt::format("{} sensitivity of '{}' · {} {} · {} runs per point · seed {}\n\n",
                             morris ? "Morris" : "Sobol", r.output, r.n,
                             morris ? "trajectories" : "base points", r.runs, r.seed);
  output.write_table(table);
  return kExitOk;
}

int run_sensitivity(const SensitivityOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.engine.model.json)};
  const kb::Model model = load_model(o.engine.model);
  const InterruptGuard guard;
  return o.shard.empty() ? run_whole_sensitivity(output, model, o)
                         : run_shard(output, model, o, parse_shard(o.shard));
}

void add_sensitivity_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<SensitivityOptions>();
  opts->engine.runs = 200;
  CLI::App* cmd = app.add_subcommand(
      "sensitivity", "Which parameters drive an output: Morris screening or Sobol indices over "
                     "the parameter ranges in model.toml");
  cmd->add_option("--method", opts->analysis.method, "morris or sobol")
      ->capture_default_str()
      ->check(CLI::IsMember({"morris", "sobol"}));
  cmd->add_option("--output", opts->analysis.output,
                  "A scenario id (its probability) or an indicator (its mean at the horizon)")
      ->required();
  cmd->add_option("--n", opts->analysis.n, "Morris trajectories (default 10) or Sobol base points "
                                           "(default 64; n·(k+2) evaluations)")
      ->check(CLI::Range(2, 1000000));
  cmd->add_option("--levels", opts->analysis.levels, "Morris grid levels")->capture_default_str()
      ->check(CLI::Range(2, 100));
  cmd->add_option("--bootstrap", opts->analysis.bootstrap, "Sobol bootstrap resamples")
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
    if (!opts->shard.empty()) parse_shard(opts->shard);  // a usage error while parsing
    action = [opts](std::ostream& out) { return run_sensitivity(*opts, out); };
  });
}

}  // namespace sphere::app

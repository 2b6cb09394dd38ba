// `sphere sensitivity`: Morris screening or Sobol indices of one forecast output over the
// ranges of model.toml's parameters.
#include <algorithm>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/forecast.h"

namespace sphere::app {
namespace {

// The output a model evaluation returns: a scenario's probability or an indicator's mean at
// the horizon, over `runs` trajectories with the same seeds at every point (common random
// numbers).
sim::Function model_output(const kb::Model& model, const EngineCliOptions& o,
                           const std::vector<sim::Factor>& factors, const std::string& output) {
  const sim::Engine probe = build_engine(model, o);
  int scenario = -1, indicator = -1;
  for (std::size_t k = 0; k < probe.scenarios().size(); ++k)
    if (probe.scenarios()[k].id == output) scenario = static_cast<int>(k);
  for (std::size_t k = 0; k < probe.indicator_names().size(); ++k)
    if (probe.indicator_names()[k] == output) indicator = static_cast<int>(k);
  if (scenario < 0 && indicator < 0) {
    std::string names;
    for (const auto& s : probe.scenarios()) names += " " + s.id;
    for (const auto& n : probe.indicator_names()) names += " " + n;
    throw InputError("command line", 0, "--output",
                     fmt::format("unknown output '{}'; expected one of:{}", output, names));
  }
  return [&model, o, factors, scenario, indicator](const std::vector<double>& x) {
    sim::EngineOptions eo;
    if (!o.horizon.empty()) eo.horizon = parse_month_option(o.horizon, "--horizon");
    eo.shocks = o.shocks;
    for (std::size_t i = 0; i < factors.size(); ++i) eo.overrides[factors[i].name] = x[i];
    const sim::Engine engine = sim::Engine::build(model, eo);
    sim::Classifier classifier(engine.scenarios(), engine.state_names());
    const int last = engine.months() - 1;
    double sum = 0;
    for (std::uint32_t r = 0; r < o.runs; ++r) {
      const sim::Trajectory tr = engine.simulate(o.seed, r);
      sum += scenario >= 0 ? (classifier.classify(tr.state) == scenario ? 1.0 : 0.0)
                           : tr.indicators[last * sim::kIndicators + indicator];
    }
    return sum / o.runs;
  };
}

}  // namespace

void add_sensitivity_command(CLI::App& app, Action& action) {
  struct Options {
    EngineCliOptions engine;
    std::string method = "morris", output;
    int n = 0, levels = 4, bootstrap = 200;
  };
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
  cmd->get_option("--runs")->description("Trajectories per parameter point (same seeds at every point)");
  cmd->callback([opts, &action] {
    action = [opts] {
      const kb::Model model = load_model(opts->engine.model);
      std::vector<sim::Factor> factors;
      for (const auto& p : model.parameters)
        if (p.high > p.low) factors.push_back({p.name, p.low, p.high});
      if (factors.empty())
        throw InputError(model.location + "/model.toml", 0, "parameter",
                         "no parameter has a range to vary");
      const sim::Function f = model_output(model, opts->engine, factors, opts->output);
      const int threads = thread_count(opts->engine);
      const bool morris = opts->method == "morris";
      const int n = opts->n ? opts->n : (morris ? 10 : 64);
      nlohmann::json rows = nlohmann::json::array();
      Table table(morris ? std::vector<std::string>{"parameter", "range", "mu*", "mu", "sigma"}
                         : std::vector<std::string>{"parameter", "range", "S1 [95%]", "ST [95%]"});
      std::vector<std::size_t> order(factors.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      if (morris) {
        const auto r = sim::morris(factors, f, n, opts->levels, opts->engine.seed, threads);
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
        const auto r = sim::sobol(factors, f, n, opts->bootstrap, opts->engine.seed, threads);
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
      if (opts->engine.model.json) {
        print_json(std::cout, {{"method", opts->method}, {"output", opts->output}, {"n", n},
                               {"runs_per_point", opts->engine.runs}, {"seed", opts->engine.seed},
                               {"factors", rows}});
      } else {
        std::cout << fmt::format("{} sensitivity of '{}' · {} {} · {} runs per point · seed {}\n\n",
                                 morris ? "Morris" : "Sobol", opts->output, n,
                                 morris ? "trajectories" : "base points", opts->engine.runs,
                                 opts->engine.seed);
        table.print(std::cout);
      }
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

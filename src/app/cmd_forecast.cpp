// `sphere forecast`: Monte Carlo forecast of the model's scenarios, with monthly indicator
// quantiles and drivers, to the terminal, JSON and SQLite.

#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/forecast.h"

namespace sphere::app {
namespace {

void print_summary(std::ostream& out, const sim::Engine& engine, const sim::ForecastSummary& f) {
  out << fmt::format("Forecast {} → {} · structural what-if engine (assumed parameters) · "
                     "{} runs · seed {}{}\n",
                     engine.start().to_string(), engine.horizon().to_string(), f.runs,
                     f.seed, engine.shocks().empty() ? "" : " · with shocks");
  out << "Its classes and probabilities compare what-ifs with each other; the scenario "
         "forecast estimated from data is `sphere scenarios` (and `sphere run`).\n\n";
  Table scen({"scenario", "probability", "95% interval (Wilson)", "runs"});
  for (std::size_t k = 0; k < f.scenarios.size(); ++k) {
    const auto& p = f.scenarios[k];
    scen.add({engine.scenarios()[k].name, fmt::format("{:.3f}", p.p),
              fmt::format("{:.3f} – {:.3f}", p.low, p.high), std::to_string(p.count)});
  }
  scen.print(out);
  const sim::Intensities& in = engine.intensities();
  out << fmt::format("\nIntensities: {} (branching {:.3f}, omega {:.3f} per month){}\n",
                     in.method, in.branching, in.omega, in.note.empty() ? "" : "; " + in.note);
  out << fmt::format("Leverage at the start: {}; {}\n", engine.leverage_notes()[0],
                     engine.leverage_notes()[1]);
  // What each network shock does to the gas the network can deliver (the bound on gas).
  for (const auto& s : engine.shocks())
    if (std::isfinite(s.gas_before))
      out << fmt::format("{}: the gas network can deliver {:.2f} bcm/y to the buyer ({}) in "
                         "{}, against {:.2f} without it{}\n",
                         s.text, s.gas_after, engine.indicator_names()[sim::kGas],
                         s.month / 12, s.gas_before,
                         s.gas_after == s.gas_before ? ": no change to what reaches the buyer" : "");
  out << "\nIndicators: median [95% of runs]\n";
  std::vector<std::string> header = {"month"};
  for (const auto& n : engine.indicator_names()) header.push_back(n);
  Table ind(header);
  const int months = engine.months();
  for (int t = 0; t < months; ++t) {
    if (t % 12 != 11 && t != months - 1 && t != 0) continue;
    std::vector<std::string> row = {f.indicators[0][t].month.to_string()};
    for (const auto& series : f.indicators)
      row.push_back(fmt::format("{:.2f} [{:.2f}, {:.2f}]", series[t].q[2], series[t].q[0],
                                series[t].q[4]));
    ind.add(row);
  }
  ind.print(out);
  out << "\nDrivers: mean uses per run, by scenario reached\n";
  std::vector<std::string> dh = {"driver", "all runs"};
  for (const auto& s : engine.scenarios()) dh.push_back(s.id);
  Table drv(dh);
  std::vector<std::string> ih = dh;
  ih[0] = "issue";
  Table iss(ih);
  for (std::size_t i = 0; i < engine.driver_names().size(); ++i) {
    std::vector<std::string> row = {engine.driver_names()[i],
                                    fmt::format("{:.2f}", f.driver_overall[i])};
    for (std::size_t k = 0; k < f.scenarios.size(); ++k)
      row.push_back(f.scenarios[k].count ? fmt::format("{:.2f}", f.driver_means[k][i]) : "–");
    if (i < static_cast<std::size_t>(sim::kDrivers)) {
      drv.add(row);
    } else {
      row[0] = engine.settled_issues()[i - sim::kDrivers];
      iss.add(row);
    }
  }
  drv.print(out);
  if (engine.settled_issues().empty()) return;
  out << fmt::format("\nIssues settled by bargaining ({} model, {}): mean outcome at the "
                     "horizon (0-100 scale of issues.toml), by scenario reached\n",
                     engine.bargaining_model(),
                     engine.samples_issue_inputs()
                         ? "inputs drawn over their ranges in each run"
                         : "inputs as stated");
  iss.print(out);
}

}  // namespace

Date parse_month_option(const std::string& text, const char* option) {
  std::string why;
  auto d = Date::parse(text, &why);
  if (!d || d->precision() != Date::Precision::kMonth)
    throw InputError("command line", 0, option,
                     fmt::format("'{}' is not a month; expected YYYY-MM{}", text,
                                 why.empty() ? "" : " (" + why + ")"));
  return *d;
}

void add_engine_options(CLI::App& command, EngineCliOptions& o, bool with_runs) {
  add_model_options(command, o.model);
  if (with_runs)
    command.add_option("--runs", o.runs, "Trajectories to simulate")
        ->capture_default_str()
        ->check(CLI::Range(1u, 100000000u));
  command.add_option("--horizon", o.horizon, "Last simulated month, YYYY-MM (default: model's)");
  command.add_option("--seed", o.seed, "Master seed; same seed, same numbers")->capture_default_str();
  command.add_option("--threads", o.threads, "Worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));
  command.add_option("--shock", o.shocks,
                     "Imposed change, repeatable: event:RUS>AZE:173@2026-01 (an event), "
                     "block:LINK@2026-03 or open:LINK@2027-01 (any link of infrastructure.toml; `sphere "
                     "network links` lists them)");
  add_set_option(command, o.settings);
}

void add_set_option(CLI::App& command, std::vector<std::string>& settings) {
  command.add_option("--set", settings,
                     "Give a model.toml parameter another value within its stated range, "
                     "NAME=VALUE (repeatable; `sphere sensitivity` lists the ranges)");
}

service::ForecastRequest forecast_request(const EngineCliOptions& o) {
  service::ForecastRequest r;
  r.seed = o.seed;
  r.runs = o.runs;
  r.threads = o.threads;
  if (!o.horizon.empty()) r.horizon = service::parse_month(o.horizon, "horizon");
  r.shocks = sim::parse_shock_specs(o.shocks);
  r.settings = service::parse_settings(o.settings);
  return r;
}

int thread_count(const EngineCliOptions& o) { return service::thread_count(o.threads); }

sim::Engine build_engine(const kb::Model& model, const EngineCliOptions& o) {
  return service::forecast_engine(model, forecast_request(o));
}

namespace {

// The monthly quantiles, one row per indicator and month (the CSV form of a forecast).
Table quantile_table(const sim::Engine& engine, const sim::ForecastSummary& f) {
  Table t({"indicator", "month", "mean", "q025", "q25", "q50", "q75", "q975"});
  for (std::size_t k = 0; k < f.indicators.size(); ++k)
    for (const auto& m : f.indicators[k])
      t.add({engine.indicator_names()[k], m.month.to_string(), fmt::format("{}", m.mean),
             fmt::format("{}", m.q[0]), fmt::format("{}", m.q[1]), fmt::format("{}", m.q[2]),
             fmt::format("{}", m.q[3]), fmt::format("{}", m.q[4])});
  return t;
}

}  // namespace

int run_engine_forecast(const Output& output, const kb::Model& model, const EngineCliOptions& o,
                        const std::string& db, const std::string& command_line) {
#ifdef SPHERE_WITH_MPI
  if (const int code = run_forecast_mpi(output, model, o, db, command_line); code >= 0)
    return code;
#endif
  // Ctrl-C or a kill: the ensemble stops between batches and unwinds, so that a database the
  // forecast created is removed instead of being left empty or half-written.
  const InterruptGuard guard;
  ProgressBar bar(o.runs, "runs");
  const service::StoredForecast f =
      service::stored_forecast(model, forecast_request(o), {db, command_line}, [&](std::uint32_t done) {
        bar.update(done);
        throw_if_interrupted();  // between batches: the threads are idle
      });
  return present_forecast(output, model, f.forecast.engine, f.forecast.summary, f.db,
                          f.forecast_id);
}

int present_forecast(const Output& output, const kb::Model& model, const sim::Engine& engine,
                     const sim::ForecastSummary& f, const std::string& db,
                     std::int64_t forecast_id) {
  switch (output.mode) {
    case OutputMode::kCsv:
      output.write_table(quantile_table(engine, f));
      break;
    case OutputMode::kJson: {
      nlohmann::json j = service::to_json(model, engine, f);
      if (!db.empty()) j["db"] = {{"file", db}, {"forecast_id", forecast_id}};
      output.write_json(j);
      break;
    }
    case OutputMode::kTable:
      print_summary(output.out, engine, f);
      if (!db.empty())
        output.out << fmt::format("\nWritten to {} (forecast id {}).\n", db, forecast_id);
      break;
  }
  return kExitOk;
}

ComputedForecast default_forecast(const kb::Model& model, std::ostream* print) {
  const EngineCliOptions o;
  ComputedForecast c{build_engine(model, o), {}};
  ProgressBar bar(o.runs, "runs");
  c.summary = service::forecast(c.engine, forecast_request(o), {}, [&](std::uint32_t done) {
    bar.update(done);
    throw_if_interrupted();
  });
  if (print) print_summary(*print, c.engine, c.summary);
  return c;
}

int run_forecast(const ForecastOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.engine.model.json, o.csv)};
  const kb::Model model = load_model(o.engine.model);
  if (!o.shard.empty())
    return run_forecast_shard(output, model, o.engine, parse_shard(o.shard), o.out);
  std::string line = "sphere forecast";
  for (const auto& arg : o.arguments) line += " " + arg;
  line += fmt::format(" --runs {} --seed {}", o.engine.runs, o.engine.seed);
  return run_engine_forecast(output, model, o.engine, o.db, line);
}

void add_forecast_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ForecastOptions>();
  CLI::App* cmd = app.add_subcommand(
      "forecast", "Monte Carlo forecast of the model's scenarios at the horizon, with 95% "
                  "intervals, monthly indicator quantiles and drivers");
  add_engine_options(*cmd, opts->engine);
  cmd->add_option("--db", opts->db, "Also write runs and summaries to this SQLite file");
  cmd->add_flag("--csv", opts->csv, "Print the monthly indicator quantiles as CSV");
  cmd->add_option("--shard", opts->shard,
                  "Compute only shard K of N (K = 1..N) and write a partial result for "
                  "`sphere merge`");
  cmd->add_option("--out", opts->out,
                  "With --shard: the partial result's file (default part-K-of-N.json)");
  cmd->callback([opts, &action, cmd] {
    if (opts->csv && opts->engine.model.json)
      throw CLI::ValidationError("--csv", "choose one of --csv and --json");
    if (!opts->shard.empty() && (opts->csv || !opts->db.empty()))
      throw CLI::ValidationError("--shard", "--db and --csv belong to `sphere merge`");
    if (opts->shard.empty() && !opts->out.empty())
      throw CLI::ValidationError("--out", "--out needs --shard");
    if (!opts->shard.empty()) parse_shard(opts->shard);  // a usage error while parsing
    action = [opts, cmd](std::ostream& out) {
      opts->arguments = cmd->remaining();  // recorded with a stored forecast
      return run_forecast(*opts, out);
    };
  });
}

}  // namespace sphere::app

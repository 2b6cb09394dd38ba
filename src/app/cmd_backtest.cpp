// `sphere backtest`: rolling-origin forecasts of every pair of a panel by the dyadic model, its
// ablations and the baselines, scored with proper scores (the dyad layer does the work).
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <tuple>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "app/app.h"
#include "app/forecast.h"
#include "dyad/dyad.h"
#include "store/store.h"

namespace sphere::app {
namespace {

// Skills with their intervals; "none" and the reason where there is no interval.
void print_skills(std::ostream& out, const std::vector<dyad::Skill>& skills) {
  Table s({"against", "horizon", "skill [95% interval]", "DM p"});
  std::string reason;
  for (const auto& k : skills) {
    if (!k.has_interval()) {
      reason = k.no_interval;
      s.add({k.baseline, std::to_string(k.h), fmt::format("{:+.3f} [none]", k.skill), "none"});
      continue;
    }
    s.add({k.baseline, std::to_string(k.h), fmt::format("{:+.3f} [{:+.3f}, {:+.3f}]", k.skill, k.low, k.high),
           !std::isfinite(k.p_value) ? "none (h ≥ target months)"
           : k.p_value < 0.001       ? "< 0.001"
                                     : fmt::format("{:.3f}", k.p_value)});
  }
  s.print(out);
  if (!reason.empty()) out << "none: " << reason << ".\n";
}

// The tables people read: mean scores by model and horizon, skills, the PIT histogram at h=1.
void print_scores(std::ostream& out, const dyad::BacktestResult& r, const std::vector<int>& horizons,
                  int threshold) {
  std::vector<std::string> header{"model"};
  for (int h : horizons) header.push_back(fmt::format("CRPS h={}", h));
  header.push_back("log score h=1");
  header.push_back(fmt::format("Brier(>{}) h=1", threshold));
  Table t(header);
  for (const auto& m : r.models) {
    std::vector<std::string> row{m.name};
    for (const auto& h : m.horizons) row.push_back(h.n ? fmt::format("{:.4f}", h.crps / h.n) : "–");
    const auto& h1 = m.horizons.front();
    row.push_back(!h1.n ? "–"
                  : h1.log_infinite ? fmt::format("∞ ({} outcomes at p=0)", h1.log_infinite)
                                    : fmt::format("{:.4f}", h1.log / h1.n));
    row.push_back(h1.n ? fmt::format("{:.4f}", h1.brier_fixed / h1.n) : "–");
    t.add(row);
  }
  t.print(out);
  out << "\nSkill of sphere's CRPS against each model (1 − CRPS_sphere / CRPS_other; "
         "95% block-bootstrap interval by target period; Diebold–Mariano p):\n";
  print_skills(out, r.skills);
  out << "\nRanked probability score of the count's class (";
  for (std::size_t k = 0; k < dyad::kOrdinalNames.size(); ++k)
    out << (k ? ", " : "") << dyad::kOrdinalNames[k];
  out << "; lower is better):\n";
  std::vector<std::string> rheader{"model"};
  for (int h : horizons) rheader.push_back(fmt::format("RPS h={}", h));
  Table rt(rheader);
  for (const auto& m : r.models) {
    std::vector<std::string> row{m.name};
    for (const auto& h : m.horizons) row.push_back(h.n ? fmt::format("{:.4f}", h.rps / h.n) : "–");
    rt.add(row);
  }
  rt.print(out);
  out << "\nSkill of sphere's RPS against each model (1 − RPS_sphere / RPS_other; same intervals):\n";
  print_skills(out, r.rps_skills);
  const auto& h1 = r.models.front().horizons.front();
  if (!h1.n) return;
  out << "\nPIT histogram of sphere at h=" << h1.h << " (10 bins; flat is calibrated):\n ";
  double prev = 0;
  for (int i = 0; i < 10; ++i) {
    const double F = h1.pit[i] / h1.n;
    out << fmt::format(" {:.3f}", F - prev);
    prev = F;
  }
  out << "\n";
}

// A level target (GDELT's sum_score): the robust level model against the Gaussian AR and the level
// baselines.
int print_levels(std::ostream& out, const panel::Panel& p, const dyad::LevelBacktestResult& r,
                 const std::vector<int>& horizons, const std::string& origins,
                 const std::string& horizons_text, const std::string& refit,
                 const std::string& forecasts_out) {
  out << fmt::format(
      "Backtest · {} (a level) on {} · origins {} ({}) · horizons {} · {} forecasts per model · refit {}\n"
      "Every forecast uses only data before its origin. Mean CRPS, lower is better.\n\n",
      r.target, p.file, origins, r.origins, horizons_text, r.forecasts, refit);
  std::vector<std::string> header{"model"};
  for (int h : horizons) header.push_back(fmt::format("CRPS h={}", h));
  Table t(header);
  for (const auto& m : r.models) {
    std::vector<std::string> row{m.name};
    for (const auto& h : m.horizons) row.push_back(h.n ? fmt::format("{:.1f}", h.crps / h.n) : "–");
    t.add(row);
  }
  t.print(out);
  out << "\nSkill of the level model's CRPS against each baseline (1 − CRPS_model / CRPS_other; "
         "95% block-bootstrap interval by target period; Diebold–Mariano p):\n";
  print_skills(out, r.skills);
  const auto& h1 = r.models.front().horizons.front();
  if (h1.n) {
    out << "\nPIT histogram of the robust level model at h=" << h1.h << " (10 bins; flat is calibrated):\n ";
    double prev = 0;
    for (int i = 0; i < 10; ++i) {
      const double F = h1.pit[i] / h1.n;
      out << fmt::format(" {:.3f}", F - prev);
      prev = F;
    }
    out << "\n";
  }
  out << "\nRobust level model fits (minimum one-step CRPS, ± one standard error clustered by pair; "
         "lambda: the grid value of least CRPS, in brackets the grid values inside the 95% "
         "profile-likelihood region):\n";
  Table hf({"fitted before", "lambda", "nu", "log c", "log k", "P(non-zero)", "pairs", "one-step CRPS"});
  for (const auto& fit : r.hurdle_fits) {
    const auto se = [&](int i) { return fit.covariance[i][i] > 0 ? std::sqrt(fit.covariance[i][i]) : std::nan(""); };
    hf.add({p.period_name(fit.until - p.first),
            fmt::format("{:.2f} [{:.2f}, {:.2f}]", fit.lambda, fit.lambda_low, fit.lambda_high),
            fmt::format("{:.2f} (log {:.3f} ± {:.3f})", std::exp(fit.params.log_nu), fit.params.log_nu, se(0)),
            fmt::format("{:.3f} ± {:.3f}", fit.params.log_c, se(1)),
            fmt::format("{:.2f} ± {:.2f}", fit.params.log_k, se(2)),
            fmt::format("{:.3f}", fit.nonzero_share), std::to_string(fit.pairs), fmt::format("{:.2f}", fit.crps)});
  }
  hf.print(out);
  out << "\nGaussian AR fits (jackknife bias-corrected; ± one standard error; in brackets the uncorrected maximum):\n";
  Table f({"fitted before", "phi", "log c", "log k", "pairs", "log-likelihood"});
  for (const auto& fit : r.fits) {
    const auto se = [&](int i) { return fit.covariance[i][i] > 0 ? std::sqrt(fit.covariance[i][i]) : std::nan(""); };
    f.add({p.period_name(fit.until - p.first),
           fmt::format("{:.3f} ± {:.3f} ({:.3f})", fit.params.phi, se(0), fit.uncorrected.phi),
           fmt::format("{:.3f} ± {:.3f} ({:.3f})", fit.params.log_c, se(1), fit.uncorrected.log_c),
           fmt::format("{:.2f} ± {:.2f} ({:.2f})", fit.params.log_k, se(2), fit.uncorrected.log_k),
           std::to_string(fit.pairs),
           fmt::format("{:.0f}", fit.loglik)});
  }
  f.print(out);
  out << "\nNot applicable to a level: the count model's ablations (excitation, cross-excitation, "
         "pooling, relation state), the log score, Brier scores and the ranked probability score.\n";
  if (!forecasts_out.empty()) out << "Wrote " << forecasts_out << "\n";
  return kExitOk;
}

// `--score-only`: every backtest of the database scored against the (newer) panel.
int score_only(const Output& output, const std::string& db, const ResolvedPanel& rp,
               const std::string& command) {
  std::ostream& out = output.out;
  const panel::Panel& p = rp.panel;
  const auto scorings = service::rescore(rp, db, command);
  if (output.json()) {
    out << service::rescore_to_json(scorings, p, command);  // service::encode's bytes
    return kExitOk;
  }
  for (const auto& r : scorings) {
    out << fmt::format(
        "Backtest {} of {} ({} on {}, data through {}, made {}) scored against {} (data through {}):\n"
        "{} of {} forecasts per model scored; {} await later data.\n\n",
        r.backtest_id, db, r.vintage.target, r.vintage.panel_file, r.vintage.data_through, r.created,
        p.file, p.period_name(p.periods - 1), r.scored, r.forecasts, r.pending);
    if (r.scored) print_scores(out, r.result, r.vintage.horizons, r.vintage.fixed_threshold);
    out << "\n";
  }
  out << "Recorded the scoring in " << db << "\n";
  return kExitOk;
}

}  // namespace

int run_backtest(const BacktestOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  // The command line as given, for the vintage of what is stored.
  std::string command = "sphere backtest";
  const auto arg = [&](const char* flag, const std::string& value) {
    if (!value.empty()) command += std::string(" ") + flag + " " + value;
  };
  arg("--model", o.model.model_dir);
  arg("--panel", o.panel.file);
  arg("--format", o.panel.format);
  arg("--target", o.panel.target);
  if (o.panel.directed) command += " --directed";
  if (o.score_only) {
    if (o.db.empty()) throw InputError("--score-only", 0, "--db", "--score-only needs --db FILE");
    command += " --score-only";
    arg("--db", o.db);
    // The target is the stored backtests' unless one is given.
    PanelOptions po = o.panel;
    if (po.target.empty()) po.target = store::stored_backtests(o.db).front().target;
    return score_only(output, o.db, resolve_panel(o.model, po, 0), command);
  }
  arg("--origins", o.origins);
  arg("--horizons", o.horizons);
  arg("--pairs", o.pairs);
  arg("--refit", o.refit);
  arg("--partner", o.partner);
  if (o.no_ablations) command += " --no-ablations";
  command += fmt::format(" --paths {} --threshold {} --bootstrap {} --seed {}", o.paths,
                         o.threshold, o.bootstrap, o.seed);
  const ResolvedPanel rp = resolve_panel(o.model, o.panel, 0);
  const panel::Panel& p = rp.panel;
  print_bad_rows(std::cerr, p);
  service::BacktestRequest request;
  request.origins = o.origins;
  request.horizons = o.horizons;
  request.pairs = o.pairs;
  request.refit = o.refit;
  request.partner = o.partner;
  request.forecasts_out = o.forecasts_out;
  request.db = o.db;
  request.paths = o.paths;
  request.threshold = o.threshold;
  request.bootstrap = o.bootstrap;
  request.seed = o.seed;
  request.threads = o.threads;
  request.ablations = !o.no_ablations;
  request.command = command;
  request.model_dir = o.panel.file.empty() ? model_directory(o.model) : "";
  // Ctrl-C or SIGTERM: the backtest stops at its next step and unwinds; the store rolls
  // back (removing a file it created) and the forecasts CSV's temporary file is removed.
  const InterruptGuard guard;
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto started = std::chrono::steady_clock::now();
  bool estimated = false;
  request.progress = [tty, started, &estimated](const std::string& what, int done, int total) {
    throw_if_interrupted();
    if (!tty) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double left = done > 0 ? elapsed / done * (total - done) : 0.0;
    if (!estimated && done > 0 && done < total) {
      std::cerr << fmt::format("\r\033[Kestimated time: {} for {} steps (from the first {} "
                               "in {:.2g} s)\n",
                               duration_text(elapsed + left), total, done, elapsed);
      estimated = true;
    }
    std::cerr << fmt::format("\r\033[K[{:>3}/{}] {}{}", done, total, what,
                             done > 0 ? " · " + duration_text(left) + " left" : "")
              << std::flush;
  };
  const service::BacktestOutcome outcome = service::backtest(rp, request);
  if (tty) std::cerr << "\r\033[K";
  if (output.json()) {
    out << outcome.to_json(p);  // service::encode's bytes
    return kExitOk;
  }
  if (outcome.levels)
    return print_levels(out, p, *outcome.levels, outcome.horizons, o.origins, o.horizons, o.refit,
                        o.forecasts_out);
  const dyad::BacktestResult& r = *outcome.counts;
  out << fmt::format(
      "Backtest · {} on {} · origins {} ({}) · horizons {} · {} forecasts per model · refit {}\n"
      "Every forecast uses only data before its origin. Lower scores are better.\n\n",
      r.target, p.file, o.origins, r.origins, o.horizons, r.forecasts, o.refit);
  print_scores(out, r, outcome.horizons, o.threshold);
  if (!o.db.empty()) out << "Stored every forecast and score in " << o.db << "\n";
  if (!o.forecasts_out.empty()) out << "Wrote " << o.forecasts_out << "\n";
  return kExitOk;
}

void add_backtest_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<BacktestOptions>();
  CLI::App* cmd = app.add_subcommand(
      "backtest", "Rolling-origin forecasts of every pair of a panel, scored against persistence, "
                  "climatology, recent and NB-autoregression baselines (CRPS, log, Brier, RPS, PIT); "
                  "a level target (sum_score) takes the robust level model, the Gaussian AR and level baselines");
  add_model_options(*cmd, opts->model);
  add_panel_options(*cmd, opts->panel);
  cmd->add_option("--origins", opts->origins,
                  "First..last origin, YYYY-MM..YYYY-MM (years for yearly panels); the last may be "
                  "the period after the panel's end");
  cmd->add_option("--horizons", opts->horizons, "Horizons in periods, comma-separated");
  cmd->add_option("--pairs", opts->pairs,
                  "all (every pair with a row before the origin), active (non-zero target in the "
                  "12 periods before), or A:B,C:D");
  cmd->add_option("--refit", opts->refit, "every, yearly or once")
      ->check(CLI::IsMember({"every", "yearly", "once"}));
  cmd->add_option("--partner", opts->partner, "Cross-excitation partner (default: as calibrate)");
  cmd->add_option("--forecasts-out", opts->forecasts_out,
                  "CSV of every forecast of the model: origin,month,horizon,country1,country2,mean,q05..q95");
  cmd->add_option("--db", opts->db,
                  "SQLite file: every forecast of every model with its vintage, and every score");
  cmd->add_flag("--score-only", opts->score_only,
                "Score the forecasts stored in --db against --panel (newer data) instead of running");
  cmd->add_option("--paths", opts->paths, "Simulated paths per forecast beyond one period")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--threshold", opts->threshold, "Brier score of P(count > threshold)");
  cmd->add_option("--bootstrap", opts->bootstrap, "Block-bootstrap resamples")->check(CLI::Range(20, 100000));
  cmd->add_flag("--no-ablations", opts->no_ablations, "Skip the model with each mechanism off");
  cmd->add_option("--seed", opts->seed, "Seed");
  cmd->add_option("--threads", opts->threads, "Threads (0: every core; same numbers for any count)");
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_backtest(*opts, out); };
  });
}

}  // namespace sphere::app

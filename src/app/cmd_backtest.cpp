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

#include <boost/math/special_functions/erf.hpp>
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
           k.p_value < 0.001 ? "< 0.001" : fmt::format("{:.3f}", k.p_value)});
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

// A level target (GDELT's sum_score): the Gaussian level model against the level baselines.
int run_levels(const ResolvedPanel& rp, const dyad::BacktestOptions& bo, const std::string& origins,
               const std::string& horizons_text, const std::string& refit, const std::string& forecasts_out,
               const dyad::BacktestProvenance& prov, bool json) {
  const panel::Panel& p = rp.panel;
  dyad::LevelBacktestOptions lo;
  lo.target = rp.target;
  lo.origin_from = bo.origin_from;
  lo.origin_to = bo.origin_to;
  lo.horizons = bo.horizons;
  lo.pairs = bo.pairs;
  lo.active_only = bo.active_only;
  lo.refit = bo.refit;
  lo.bootstrap = bo.bootstrap;
  lo.seed = bo.forecast.seed;
  lo.threads = bo.threads;
  lo.progress = bo.progress;
  std::unique_ptr<std::ofstream> out;
  std::string tmp;
  if (!forecasts_out.empty()) {
    tmp = forecasts_out + ".partial." + std::to_string(::getpid());
    out = std::make_unique<std::ofstream>(tmp);
    if (!*out) throw std::runtime_error("cannot write " + forecasts_out);
    *out << "origin,month,horizon,country1,country2,mean";
    for (int q = 5; q <= 95; q += 5) *out << fmt::format(",q{:02}", q);
    *out << "\n";
    lo.on_forecast = [&p, &out](int origin, int h, std::size_t pair, const dyad::Normal& g) {
      std::string line = fmt::format("{},{},{},{},{},{:.6g}", p.period_name(origin),
                                     p.period_name(origin + h - 1), h, p.codes[p.pairs[pair].a],
                                     p.codes[p.pairs[pair].b], g.mean);
      // Gaussian quantiles: mean + sd sqrt(2) erfinv(2q - 1).
      for (int q = 5; q <= 95; q += 5)
        line += fmt::format(",{:.6g}", g.mean + g.sd * std::sqrt(2.0) * boost::math::erf_inv(2 * q / 100.0 - 1));
      *out << line << "\n";
    };
  }
  dyad::LevelBacktestResult r;
  try {
    r = dyad::backtest_levels(p, lo);
    if (out) {
      out->close();
      if (!*out || std::rename(tmp.c_str(), forecasts_out.c_str()) != 0)
        throw std::runtime_error("writing " + forecasts_out + " failed");
    }
  } catch (...) {
    if (out) std::remove(tmp.c_str());
    throw;
  }
  if (isatty(STDERR_FILENO)) std::cerr << "\r\033[K";
  if (json) {
    std::cout << dyad::level_backtest_to_json(r, p, prov);
    return kExitOk;
  }
  std::cout << fmt::format(
      "Backtest · {} (a level) on {} · origins {} ({}) · horizons {} · {} forecasts per model · refit {}\n"
      "Every forecast uses only data before its origin. Mean CRPS, lower is better.\n\n",
      r.target, p.file, origins, r.origins, horizons_text, r.forecasts, refit);
  std::vector<std::string> header{"model"};
  for (int h : lo.horizons) header.push_back(fmt::format("CRPS h={}", h));
  Table t(header);
  for (const auto& m : r.models) {
    std::vector<std::string> row{m.name};
    for (const auto& h : m.horizons) row.push_back(h.n ? fmt::format("{:.1f}", h.crps / h.n) : "–");
    t.add(row);
  }
  t.print(std::cout);
  std::cout << "\nSkill of the level model's CRPS against each baseline (1 − CRPS_model / CRPS_other; "
               "95% block-bootstrap interval by target period; Diebold–Mariano p):\n";
  print_skills(std::cout, r.skills);
  const auto& h1 = r.models.front().horizons.front();
  if (h1.n) {
    std::cout << "\nPIT histogram of the level model at h=" << h1.h << " (10 bins; flat is calibrated):\n ";
    double prev = 0;
    for (int i = 0; i < 10; ++i) {
      const double F = h1.pit[i] / h1.n;
      std::cout << fmt::format(" {:.3f}", F - prev);
      prev = F;
    }
    std::cout << "\n";
  }
  std::cout << "\nFits (jackknife bias-corrected; ± one standard error; in brackets the uncorrected maximum):\n";
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
  f.print(std::cout);
  std::cout << "\nNot applicable to a level: the count model's ablations (excitation, cross-excitation, "
               "pooling, relation state), the log score, Brier scores and the ranked probability score.\n";
  if (!forecasts_out.empty()) std::cout << "Wrote " << forecasts_out << "\n";
  return kExitOk;
}

std::string utc_now() { return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr))); }

// `--score-only`: every backtest of the database scored against the (newer) panel.
int score_only(const std::string& db, const ResolvedPanel& rp, const std::string& command, bool json) {
  const panel::Panel& p = rp.panel;
  const auto scorings = store::rescore_backtests(db, p, dyad::file_digest(rp.path),
                                                 std::filesystem::file_size(rp.path), command, utc_now());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : scorings) {
      dyad::BacktestProvenance prov;
      prov.command = command;
      prov.data_through = p.period_name(p.periods - 1);
      prov.refit = r.vintage.refit;
      prov.fixed_threshold = r.vintage.fixed_threshold;
      out.push_back({{"backtest", r.backtest_id}, {"made", r.created},
                     {"made_on", {{"panel", r.vintage.panel_file}, {"data_through", r.vintage.data_through},
                                  {"panel_digest", r.vintage.panel_digest}}},
                     {"forecasts", r.forecasts}, {"scored", r.scored}, {"pending", r.pending},
                     {"results", nlohmann::json::parse(dyad::backtest_to_json(r.result, p, prov))}});
    }
    print_json(std::cout, out);
    return kExitOk;
  }
  for (const auto& r : scorings) {
    std::cout << fmt::format(
        "Backtest {} of {} ({} on {}, data through {}, made {}) scored against {} (data through {}):\n"
        "{} of {} forecasts per model scored; {} await later data.\n\n",
        r.backtest_id, db, r.vintage.target, r.vintage.panel_file, r.vintage.data_through, r.created,
        p.file, p.period_name(p.periods - 1), r.scored, r.forecasts, r.pending);
    if (r.scored) print_scores(std::cout, r.result, r.vintage.horizons, r.vintage.fixed_threshold);
    std::cout << "\n";
  }
  std::cout << "Recorded the scoring in " << db << "\n";
  return kExitOk;
}

}  // namespace

void add_backtest_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    PanelOptions panel;
    std::string origins, horizons = "1,3,6,12", pairs = "all", refit = "yearly", forecasts_out,
                                      partner, db;
    bool score_only = false;
    int threads = 0, paths = 64, threshold = 0, bootstrap = 500;
    std::uint64_t seed = 1;
    bool no_ablations = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "backtest", "Rolling-origin forecasts of every pair of a panel, scored against persistence, "
                  "climatology, recent and NB-autoregression baselines (CRPS, log, Brier, RPS, PIT); "
                  "a level target (sum_score) takes the Gaussian level model and level baselines");
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
    action = [opts] {
      // The command line as given, for the vintage of what is stored.
      std::string command = "sphere backtest";
      const auto arg = [&](const char* flag, const std::string& value) {
        if (!value.empty()) command += std::string(" ") + flag + " " + value;
      };
      arg("--model", opts->model.model_dir);
      arg("--panel", opts->panel.file);
      arg("--format", opts->panel.format);
      arg("--target", opts->panel.target);
      if (opts->panel.directed) command += " --directed";
      if (opts->score_only) {
        if (opts->db.empty()) throw InputError("--score-only", 0, "--db", "--score-only needs --db FILE");
        command += " --score-only";
        arg("--db", opts->db);
        // The target is the stored backtests' unless one is given.
        PanelOptions po = opts->panel;
        if (po.target.empty()) po.target = store::stored_backtests(opts->db).front().target;
        return score_only(opts->db, resolve_panel(opts->model, po, 0), command, opts->model.json);
      }
      if (opts->origins.empty()) throw InputError("--origins", 0, "--origins", "give --origins FROM..TO");
      arg("--origins", opts->origins);
      arg("--horizons", opts->horizons);
      arg("--pairs", opts->pairs);
      arg("--refit", opts->refit);
      arg("--partner", opts->partner);
      if (opts->no_ablations) command += " --no-ablations";
      command += fmt::format(" --paths {} --threshold {} --bootstrap {} --seed {}", opts->paths,
                             opts->threshold, opts->bootstrap, opts->seed);
      const std::vector<int> horizons = dyad::parse_horizons(opts->horizons, "--horizons");
      const ResolvedPanel rp = resolve_panel(opts->model, opts->panel, 0);
      const panel::Panel& p = rp.panel;
      print_bad_rows(std::cerr, p);
      dyad::BacktestOptions bo;
      bo.spec.target = rp.target;
      bo.spec.partner = opts->partner;
      std::tie(bo.origin_from, bo.origin_to) = p.period_range(opts->origins, "--origins");
      if (bo.origin_from < 3 || bo.origin_to > p.periods || bo.origin_from > bo.origin_to)
        throw InputError("--origins", 0, "--origins",
                         fmt::format("origins {} must lie inside the panel, from its 4th period ({}) "
                                     "to the period after its last ({})",
                                     opts->origins, p.period_name(3), p.period_name(p.periods)));
      bo.horizons = horizons;
      bo.refit = opts->refit == "every" ? dyad::Refit::kEvery
                 : opts->refit == "once" ? dyad::Refit::kOnce
                                         : dyad::Refit::kYearly;
      if (opts->pairs == "active") {
        bo.active_only = true;
      } else if (opts->pairs != "all") {
        bo.pairs = p.pairs_of(opts->pairs, "--pairs");
      }
      bo.ablations = !opts->no_ablations;
      bo.fixed_threshold = opts->threshold;
      bo.bootstrap = opts->bootstrap;
      bo.forecast.paths = opts->paths;
      bo.forecast.seed = opts->seed;
      bo.threads = opts->threads > 0 ? opts->threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      const int target_measure = p.measure_index(rp.target);
      const bool level = target_measure >= 0 && !p.measures[target_measure].count;
      if (level && !opts->db.empty())
        throw InputError("--db", 0, "--db",
                         "'" + rp.target + "' is a level: the result store holds count forecasts (pmfs) only");
      if (level && !opts->partner.empty())
        throw InputError("--partner", 0, "--partner",
                         "'" + rp.target + "' is a level: the level model has no partner series");
      dyad::BacktestProvenance prov;
      prov.command = command;
      prov.created = utc_now();
      prov.panel_digest = dyad::file_digest(rp.path);
      prov.panel_bytes = std::filesystem::file_size(rp.path);
      prov.data_through = p.period_name(p.periods - 1);
      prov.refit = opts->refit;
      prov.horizons = opts->horizons;
      prov.fixed_threshold = opts->threshold;
      if (level) {
        const bool tty = isatty(STDERR_FILENO) != 0;
        bo.progress = [tty](const std::string& what, int done, int total) {
          if (!tty) return;
          std::cerr << fmt::format("\r\033[K[{:>3}/{}] {}", done, total, what) << std::flush;
        };
        return run_levels(rp, bo, opts->origins, opts->horizons, opts->refit, opts->forecasts_out, prov,
                          opts->model.json);
      }
      // The store is opened (and checked against what it holds) before the long computation.
      std::unique_ptr<store::BacktestWriter> db;
      if (!opts->db.empty()) {
        store::BacktestVintage v;
        v.command = command;
        v.model = opts->panel.file.empty() ? model_directory(opts->model) : "";
        v.panel_file = p.file;
        v.panel_format = panel::format_name(p.format);
        v.panel_digest = prov.panel_digest;
        v.panel_bytes = prov.panel_bytes;
        v.data_from = p.period_name(0);
        v.data_through = prov.data_through;
        v.target = rp.target;
        v.partner = opts->partner.empty() ? dyad::default_partner(p, rp.target) : opts->partner;
        v.refit = opts->refit;
        v.horizons = horizons;
        v.models = dyad::backtest_model_names(bo);
        v.seed = opts->seed;
        v.paths = opts->paths;
        v.fixed_threshold = opts->threshold;
        v.bootstrap = opts->bootstrap;
        db = std::make_unique<store::BacktestWriter>(opts->db, v);
        bo.on_record = [&db, &p](const dyad::ForecastRecord& r) { db->add(r, p); };
      }
      // Ctrl-C or SIGTERM: the backtest stops at its next step and unwinds; the store rolls
      // back (removing a file it created) and the forecasts CSV's temporary file is removed.
      const InterruptGuard guard;
      const bool tty = isatty(STDERR_FILENO) != 0;
      const auto started = std::chrono::steady_clock::now();
      bool estimated = false;
      bo.progress = [tty, started, &estimated](const std::string& what, int done, int total) {
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
      // The forecasts CSV is written to a temporary file and renamed at the end.
      std::string csv;
      std::unique_ptr<std::ofstream> out;
      std::string tmp;
      if (!opts->forecasts_out.empty()) {
        tmp = opts->forecasts_out + ".partial." + std::to_string(::getpid());
        out = std::make_unique<std::ofstream>(tmp);
        if (!*out) throw std::runtime_error("cannot write " + opts->forecasts_out);
        *out << "origin,month,horizon,country1,country2,mean";
        for (int q = 5; q <= 95; q += 5) *out << fmt::format(",q{:02}", q);
        *out << "\n";
        bo.on_forecast = [&p, &out](int origin, int h, std::size_t pair, const dyad::Pmf& pmf) {
          double mean = 0;
          for (std::size_t k = 0; k < pmf.size(); ++k) mean += k * pmf[k];
          std::string line = fmt::format("{},{},{},{},{},{:.4g}", p.period_name(origin),
                                         p.period_name(origin + h - 1), h, p.codes[p.pairs[pair].a],
                                         p.codes[p.pairs[pair].b], mean);
          for (int q = 5; q <= 95; q += 5) line += fmt::format(",{}", dyad::quantile(pmf, q / 100.0));
          *out << line << "\n";
        };
      }
      dyad::BacktestResult r;
      try {
        r = dyad::backtest(p, bo);
        if (db) db->commit(r, p, dyad::backtest_to_json(r, p, prov));
        if (out) {
          out->close();
          if (!*out || std::rename(tmp.c_str(), opts->forecasts_out.c_str()) != 0)
            throw std::runtime_error("writing " + opts->forecasts_out + " failed");
        }
      } catch (...) {
        if (out) std::remove(tmp.c_str());
        throw;
      }
      if (tty) std::cerr << "\r\033[K";

      if (opts->model.json) {
        std::cout << dyad::backtest_to_json(r, p, prov);
        return kExitOk;
      }
      std::cout << fmt::format(
          "Backtest · {} on {} · origins {} ({}) · horizons {} · {} forecasts per model · refit {}\n"
          "Every forecast uses only data before its origin. Lower scores are better.\n\n",
          r.target, p.file, opts->origins, r.origins, opts->horizons, r.forecasts, opts->refit);
      print_scores(std::cout, r, horizons, opts->threshold);
      if (db) std::cout << "Stored every forecast and score in " << opts->db << "\n";
      if (!opts->forecasts_out.empty()) std::cout << "Wrote " << opts->forecasts_out << "\n";
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

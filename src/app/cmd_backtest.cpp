// `sphere backtest`: rolling-origin forecasts of every pair of a panel by the dyadic model, its
// ablations and the baselines, scored with proper scores (the dyad layer does the work).
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "app/app.h"
#include "app/forecast.h"
#include "dyad/dyad.h"

namespace sphere::app {
namespace {

std::vector<int> parse_horizons(const std::string& text) {
  std::vector<int> out;
  for (const auto& part : split_trimmed(text, ',')) {
    int h = 0;
    try {
      h = std::stoi(part);
    } catch (const std::exception&) {
      h = 0;
    }
    if (h < 1 || h > 120)
      throw InputError("--horizons", 0, "--horizons", "'" + part + "' is not a horizon of 1 to 120 periods");
    out.push_back(h);
  }
  if (out.empty()) throw InputError("--horizons", 0, "--horizons", "no horizon given");
  return out;
}

nlohmann::json scores_json(const dyad::ModelScores& m) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : m.horizons) {
    nlohmann::json pit = nlohmann::json::array(), rel = nlohmann::json::array();
    double prev = 0;
    for (int i = 0; i < 10; ++i) {
      const double F = h.n ? h.pit[i] / h.n : 0;
      pit.push_back(F - prev);
      prev = F;
      if (h.rel_n[i])
        rel.push_back({{"p", h.rel_p[i] / h.rel_n[i]}, {"observed", h.rel_y[i] / h.rel_n[i]},
                       {"n", h.rel_n[i]}});
    }
    nlohmann::json activity = nlohmann::json::array();
    static const char* bins[] = {"0", "(0,1]", "(1,5]", ">5"};
    for (int a = 0; a < 4; ++a)
      activity.push_back({{"mean_before_origin", bins[a]}, {"n", h.n_by_activity[a]},
                          {"crps", h.n_by_activity[a] ? h.crps_by_activity[a] / h.n_by_activity[a] : 0.0}});
    out.push_back({{"horizon", h.h},
                   {"n", h.n},
                   {"crps", h.n ? h.crps / h.n : 0.0},
                   {"log_score", h.log_infinite ? nlohmann::json(nullptr) : nlohmann::json(h.log / h.n)},
                   {"zero_probability_outcomes", h.log_infinite},
                   {"brier_q90", h.n ? h.brier_q90 / h.n : 0.0},
                   {"brier_fixed", h.n ? h.brier_fixed / h.n : 0.0},
                   {"pit_histogram", pit},
                   {"reliability", rel},
                   {"by_activity", activity}});
  }
  return out;
}

}  // namespace

void add_backtest_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    PanelOptions panel;
    std::string origins, horizons = "1,3,6,12", pairs = "all", refit = "yearly", forecasts_out,
                                      partner;
    int threads = 0, paths = 64, threshold = 0, bootstrap = 500;
    std::uint64_t seed = 1;
    bool no_ablations = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "backtest", "Rolling-origin forecasts of every pair of a panel, scored against persistence, "
                  "climatology, recent and NB-autoregression baselines (CRPS, log, Brier, PIT)");
  add_model_options(*cmd, opts->model);
  add_panel_options(*cmd, opts->panel);
  cmd->add_option("--origins", opts->origins, "First..last origin, YYYY-MM..YYYY-MM (years for yearly panels)")
      ->required();
  cmd->add_option("--horizons", opts->horizons, "Horizons in periods, comma-separated");
  cmd->add_option("--pairs", opts->pairs,
                  "all (every pair with a row before the origin), active (non-zero target in the "
                  "12 periods before), or A:B,C:D");
  cmd->add_option("--refit", opts->refit, "every, yearly or once")
      ->check(CLI::IsMember({"every", "yearly", "once"}));
  cmd->add_option("--partner", opts->partner, "Cross-excitation partner (default: as calibrate)");
  cmd->add_option("--forecasts-out", opts->forecasts_out,
                  "CSV of every forecast of the model: origin,month,horizon,country1,country2,mean,q05..q95");
  cmd->add_option("--paths", opts->paths, "Simulated paths per forecast beyond one period")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--threshold", opts->threshold, "Brier score of P(count > threshold)");
  cmd->add_option("--bootstrap", opts->bootstrap, "Block-bootstrap resamples")->check(CLI::Range(20, 100000));
  cmd->add_flag("--no-ablations", opts->no_ablations, "Skip the model with each mechanism off");
  cmd->add_option("--seed", opts->seed, "Seed");
  cmd->add_option("--threads", opts->threads, "Threads (0: every core; same numbers for any count)");
  cmd->callback([opts, &action] {
    action = [opts] {
      const auto dots = opts->origins.find("..");
      if (dots == std::string::npos)
        throw InputError("--origins", 0, "--origins", "expected FROM..TO, e.g. 2020-01..2022-12");
      const std::vector<int> horizons = parse_horizons(opts->horizons);
      const ResolvedPanel rp = resolve_panel(opts->model, opts->panel, 0);
      const panel::Panel& p = rp.panel;
      print_bad_rows(std::cerr, p);
      dyad::BacktestOptions bo;
      bo.spec.target = rp.target;
      bo.spec.partner = opts->partner;
      const std::string from = opts->origins.substr(0, dots), to = opts->origins.substr(dots + 2);
      bo.origin_from = p.period_of(from, "--origins");
      bo.origin_to = p.period_of(to, "--origins");
      if (bo.origin_from < 3 || bo.origin_to >= p.periods || bo.origin_from > bo.origin_to)
        throw InputError("--origins", 0, "--origins",
                         fmt::format("origins {} must lie inside the panel, from its 4th period ({}) "
                                     "to its last ({})",
                                     opts->origins, p.period_name(3), p.period_name(p.periods - 1)));
      bo.horizons = horizons;
      bo.refit = opts->refit == "every" ? dyad::Refit::kEvery
                 : opts->refit == "once" ? dyad::Refit::kOnce
                                         : dyad::Refit::kYearly;
      if (opts->pairs == "active") {
        bo.active_only = true;
      } else if (opts->pairs != "all") {
        for (const auto& spec : split_trimmed(opts->pairs, ',')) {
          const auto parts = split_trimmed(spec, ':');
          const long d = parts.size() == 2 ? p.find_pair(parts[0], parts[1]) : -1;
          if (d < 0)
            throw InputError("--pairs", 0, "--pairs", "the panel never names the pair '" + spec + "'");
          bo.pairs.push_back(d);
        }
      }
      bo.ablations = !opts->no_ablations;
      bo.fixed_threshold = opts->threshold;
      bo.bootstrap = opts->bootstrap;
      bo.forecast.paths = opts->paths;
      bo.forecast.seed = opts->seed;
      bo.threads = opts->threads > 0 ? opts->threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      const bool tty = isatty(STDERR_FILENO) != 0;
      bo.progress = [tty](const std::string& what, int done, int total) {
        if (!tty) return;
        std::cerr << fmt::format("\r\033[K[{:>3}/{}] {}", done, total, what) << std::flush;
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
        nlohmann::json models = nlohmann::json::array(), skills = nlohmann::json::array(),
                       fits = nlohmann::json::array();
        for (const auto& m : r.models) models.push_back({{"model", m.name}, {"horizons", scores_json(m)}});
        for (const auto& s : r.skills)
          skills.push_back({{"model", s.model}, {"baseline", s.baseline}, {"horizon", s.h},
                            {"skill", s.skill}, {"low", s.low}, {"high", s.high},
                            {"dm", s.dm}, {"p_value", s.p_value}});
        for (const auto& c : r.fits) {
          nlohmann::json f = nlohmann::json::parse(dyad::calibration_to_json(c, p, ""));
          f.erase("anchors");
          fits.push_back(f);
        }
        print_json(std::cout, {{"panel", p.file}, {"target", r.target}, {"origins", r.origins},
                               {"forecasts_per_model", r.forecasts}, {"models", models},
                               {"skill", skills}, {"fits", fits}});
        return kExitOk;
      }
      std::cout << fmt::format(
          "Backtest · {} on {} · origins {} ({}) · horizons {} · {} forecasts per model · refit {}\n"
          "Every forecast uses only data before its origin. Lower scores are better.\n\n",
          r.target, p.file, opts->origins, r.origins, opts->horizons, r.forecasts, opts->refit);
      std::vector<std::string> header{"model"};
      for (int h : horizons) header.push_back(fmt::format("CRPS h={}", h));
      header.push_back("log score h=1");
      header.push_back(fmt::format("Brier(>{}) h=1", opts->threshold));
      Table t(header);
      for (const auto& m : r.models) {
        std::vector<std::string> row{m.name};
        for (const auto& h : m.horizons) row.push_back(fmt::format("{:.4f}", h.n ? h.crps / h.n : 0.0));
        const auto& h1 = m.horizons.front();
        row.push_back(h1.log_infinite ? fmt::format("∞ ({} outcomes at p=0)", h1.log_infinite)
                                      : fmt::format("{:.4f}", h1.log / h1.n));
        row.push_back(fmt::format("{:.4f}", h1.n ? h1.brier_fixed / h1.n : 0.0));
        t.add(row);
      }
      t.print(std::cout);
      std::cout << "\nSkill of sphere's CRPS against each model (1 − CRPS_sphere / CRPS_other; "
                   "95% block-bootstrap interval by target period; Diebold–Mariano p):\n";
      Table s({"against", "horizon", "skill [95% interval]", "DM p"});
      for (const auto& k : r.skills)
        s.add({k.baseline, std::to_string(k.h), fmt::format("{:+.3f} [{:+.3f}, {:+.3f}]", k.skill, k.low, k.high),
               k.p_value < 0.001 ? "< 0.001" : fmt::format("{:.3f}", k.p_value)});
      s.print(std::cout);
      const auto& h1 = r.models.front().horizons.front();
      std::cout << "\nPIT histogram of sphere at h=" << h1.h << " (10 bins; flat is calibrated):\n ";
      double prev = 0;
      for (int i = 0; i < 10; ++i) {
        const double F = h1.pit[i] / h1.n;
        std::cout << fmt::format(" {:.3f}", F - prev);
        prev = F;
      }
      std::cout << "\n";
      if (!opts->forecasts_out.empty()) std::cout << "Wrote " << opts->forecasts_out << "\n";
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

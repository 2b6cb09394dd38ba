// `sphere calibrate`: fits the dyadic event model on an observation panel, prints the estimates
// with intervals, the likelihood-ratio test against the no-dynamics null and posterior-predictive
// checks, and writes the calibration file.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "app/app.h"
#include "app/forecast.h"
#include "dyad/dyad.h"

namespace sphere::app {
namespace {

// A value and its interval printed to the precision its standard error supports (two
// significant digits of the standard error).
std::string with_interval(double value, double se, double low, double high) {
  if (!(se > 0) || !std::isfinite(se)) return fmt::format("{:.3g}  (no interval)", value);
  const int decimals = std::max(0, 1 - static_cast<int>(std::floor(std::log10(se))));
  return fmt::format("{:.{}f}  [{:.{}f}, {:.{}f}]", value, decimals, low, decimals, high, decimals);
}

// p-value of the likelihood-ratio statistic for k parameters restricted at a boundary: the
// reference is the chi-bar-squared mixture 0.5 chi2(k-1) + 0.5 chi2(k) (Self and Liang 1987),
// computed for k <= 3 with the regularised incomplete gamma through erfc/exp.
double chi2_survival(double x, int k) {
  if (k <= 0) return x > 0 ? 0.0 : 1.0;
  if (k == 1) return std::erfc(std::sqrt(x / 2.0));
  if (k == 2) return std::exp(-x / 2.0);
  // k = 3
  return std::erfc(std::sqrt(x / 2.0)) + std::sqrt(2.0 * x / M_PI) * std::exp(-x / 2.0);
}

std::vector<long> selected_pairs(const panel::Panel& p, const std::vector<std::string>& dyads,
                                 const std::vector<std::pair<std::string, std::string>>& actors) {
  std::vector<long> out;
  if (!dyads.empty()) {
    for (const auto& spec : dyads) {
      const auto parts = split_trimmed(spec, ':');
      const long d = parts.size() == 2 ? p.find_pair(parts[0], parts[1]) : -1;
      if (d < 0)
        throw InputError("--dyads", 0, spec, "the panel has no pair '" + spec + "' (codes as A:B)");
      out.push_back(d);
    }
    return out;
  }
  // The pairs among the model's mapped actors that the panel covers.
  for (std::size_t i = 0; i < actors.size(); ++i)
    for (std::size_t j = 0; j < actors.size(); ++j) {
      if (i == j || (!p.directed && j < i)) continue;
      const long d = p.find_pair(actors[i].first, actors[j].first);
      if (d >= 0) out.push_back(d);
    }
  return out;
}

}  // namespace

void add_calibrate_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    PanelOptions panel;
    std::string until, out, partner;
    std::vector<std::string> dyads;
    int threads = 0, replicates = 200;
    std::uint64_t seed = 1;
    bool no_write = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Fit the dyadic event model (negative-binomial autoregression with a relation "
                   "state, excitation and pooling) on an observation panel");
  add_model_options(*cmd, opts->model);
  add_panel_options(*cmd, opts->panel);
  cmd->add_option("--until", opts->until, "Use only periods before this month, YYYY-MM (the vintage)");
  cmd->add_option("--dyads", opts->dyads,
                  "Pairs to check and keep anchors for, A:B (default: the model's actors; all with --panel)")
      ->delimiter(',');
  cmd->add_option("--partner", opts->partner,
                  "Cross-excitation partner: another measure, or 'reverse' (directed panels)");
  cmd->add_option("--out", opts->out,
                  "Calibration file to write (default: calibration.json in the model directory)");
  cmd->add_flag("--no-write", opts->no_write, "Print the fit only");
  cmd->add_option("--replicates", opts->replicates, "Simulated series per predictive check")
      ->check(CLI::Range(20, 100000));
  cmd->add_option("--seed", opts->seed, "Seed of the predictive checks");
  cmd->add_option("--threads", opts->threads, "Threads (0: every core; same numbers for any count)");
  cmd->callback([opts, &action] {
    action = [opts] {
      const int until = opts->until.empty() ? 0 : parse_month_option(opts->until, "--until").month_index();
      const ResolvedPanel rp = resolve_panel(opts->model, opts->panel, until);
      const panel::Panel& p = rp.panel;
      print_bad_rows(std::cerr, p);
      dyad::Spec spec;
      spec.target = rp.target;
      spec.partner = opts->partner;
      dyad::FitOptions fo;
      fo.threads = opts->threads > 0 ? opts->threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      const dyad::Calibration cal = dyad::fit(p, spec, fo);
      const bool from_model = opts->panel.file.empty();
      const auto pairs = selected_pairs(p, opts->dyads, rp.actors);
      std::vector<dyad::PredictiveCheck> checks;
      for (long d : pairs) checks.push_back(dyad::check_pair(p, cal, d, opts->replicates, opts->seed));

      // The file: anchors of the selected pairs only when a selection exists.
      std::string written;
      if (!opts->no_write) {
        std::string path = opts->out;
        if (path.empty()) {
          if (!from_model)
            throw InputError("--out", 0, "--out", "give --out FILE (or --no-write) with --panel");
          path = model_directory(opts->model) + "/calibration.json";
        }
        std::string command = "sphere calibrate";
        if (!opts->panel.file.empty()) command += " --panel " + opts->panel.file;
        if (!opts->until.empty()) command += " --until " + opts->until;
        if (!opts->panel.target.empty()) command += " --target " + opts->panel.target;
        panel::Panel kept = p;
        dyad::Calibration kept_cal = cal;
        if (!pairs.empty()) {
          kept.pairs.clear();
          for (auto& a : kept_cal.anchors) a.clear();
          for (long d : pairs) {
            kept.pairs.push_back(p.pairs[d]);
            for (std::size_t k = 0; k < cal.anchors.size(); ++k)
              kept_cal.anchors[k].push_back(cal.anchors[k][d]);
          }
        }
        std::string text = dyad::calibration_to_json(kept_cal, kept, command);
        write_file_atomically(path, text + "\n");
        written = path;
      }

      if (opts->model.json) {
        nlohmann::json out = nlohmann::json::parse(dyad::calibration_to_json(cal, p, "sphere calibrate"));
        out.erase("anchors");
        nlohmann::json jc = nlohmann::json::array();
        for (const auto& c : checks) {
          nlohmann::json stats = nlohmann::json::array();
          for (const auto& s : c.stats)
            stats.push_back({{"stat", s.name}, {"observed", s.observed}, {"low", s.low},
                             {"median", s.median}, {"high", s.high}, {"inside", s.inside()}});
          jc.push_back({{"pair", c.pair}, {"stats", stats}});
        }
        out["checks"] = jc;
        if (!checks.empty()) {
          const auto sum = dyad::summarise_checks(checks, opts->replicates);
          nlohmann::json per = nlohmann::json::array();
          for (const auto& st : sum.stats)
            per.push_back({{"stat", st.name}, {"inside", st.inside}, {"total", st.total},
                           {"expected_misses", st.expected_misses}, {"p_value", st.p_value}});
          out["checks_summary"] = {{"inside", sum.inside}, {"total", sum.total},
                                   {"miss_rate", sum.miss_rate}, {"expected_misses", sum.expected_misses},
                                   {"p_value", sum.p_value}, {"by_statistic", per}, {"pass", sum.pass}};
        }
        out["bad_rows"] = p.bad.total();
        if (!written.empty()) out["written"] = written;
        print_json(std::cout, out);
        return kExitOk;
      }
      std::cout << fmt::format(
          "Dyadic event model · {} on {} ({}, {}) · periods {}..{} · {} pairs · {} rows read\n",
          cal.target, std::filesystem::path(p.file).filename().string(), panel::format_name(p.format),
          p.directed ? "directed" : "undirected", p.period_name(0),
          p.period_name(cal.until - p.first - 1), p.pairs.size(), p.rows_read);
      if (!cal.partner.empty())
        std::cout << "Cross-excitation partner: " << cal.partner << "\n";
      for (const auto& f : cal.fits) {
        const double lr = 2.0 * (f.loglik - f.loglik_null);
        int k = 0;
        for (int i = 1; i <= 3; ++i) k += f.free[i];
        // Boundary-corrected reference: half the mass at one fewer degree of freedom.
        const double p_value = 0.5 * chi2_survival(lr, k) + 0.5 * chi2_survival(lr, k - 1);
        std::cout << fmt::format(
            "\n{} · {} observations · log-likelihood {:.1f} · {} ({} evaluations)\n", f.measure,
            f.observations, f.loglik, f.status, f.evaluations);
        std::cout << fmt::format(
            "  against no state, excitation or cross terms: 2ΔlogL = {:.1f}, p {} (χ̄² boundary-corrected)\n",
            lr, p_value < 1e-4 ? std::string("< 0.0001") : fmt::format("= {:.2g}", p_value));
        std::cout << fmt::format("  dyad rates pooled by Gamma(a = {:.3g}, b = {:.3g}) over {} pairs\n",
                                 f.prior_a, f.prior_b, p.pairs.size());
        Table t({"parameter", "estimate  [95% interval]", "what it is"});
        static const char* meaning[] = {"shift of the log rate from the pooled dyad level",
                                        "persistence of the relation state (per period)",
                                        "self-excitation: log(1 + last count)",
                                        "cross-excitation: log(1 + partner's last count)",
                                        "log NB size (overdispersion: var = μ + μ²/r)"};
        const auto values = f.params.as_array();
        for (int i = 0; i < dyad::Params::kCount; ++i) {
          const double se = std::sqrt(std::max(0.0, f.covariance[i][i]));
          t.add({dyad::Params::names()[i],
                 f.free[i] ? with_interval(values[i], se, values[i] - 1.96 * se, values[i] + 1.96 * se)
                           : "0 (switched off)",
                 meaning[i]});
        }
        t.print(std::cout);
      }
      if (!checks.empty()) {
        std::cout << "\nPosterior-predictive checks (observed vs " << opts->replicates
                  << " simulated series over the fit window; ✓ inside the simulated 95% range)\n";
        Table t({"pair", "mean", "variance", "share of zeros", "lag-1 autocorrelation"});
        int inside = 0, total = 0;
        for (const auto& c : checks) {
          std::vector<std::string> row{c.pair};
          for (const auto& s : c.stats) {
            row.push_back(fmt::format("{:.3g} vs {:.3g}–{:.3g} {}", s.observed, s.low, s.high,
                                      s.inside() ? "✓" : "✗"));
            inside += s.inside();
            ++total;
          }
          t.add(row);
        }
        t.print(std::cout);
        std::cout << fmt::format("{} of {} statistics inside their simulated range.\n", inside, total);
        // Pass or fail: each statistic's misses against what a correct model gives (binomial;
        // Bonferroni over the four statistics).
        const auto sum = dyad::summarise_checks(checks, opts->replicates);
        std::cout << fmt::format("Outside their range: {} of {}, {:.1f} expected ({:.1f}% each under the model), "
                                 "P(as many or more) = {:.2g}",
                                 total - inside, total, sum.expected_misses, 100 * sum.miss_rate, sum.p_value);
        for (const auto& st : sum.stats)
          std::cout << fmt::format("; {} {} ({:.1f} expected, p = {:.2g})", st.name, st.total - st.inside,
                                   st.expected_misses, st.p_value);
        std::cout << fmt::format(".\nThe checks {} (binomial test of each statistic's misses at 5%/4).\n",
                                 sum.pass ? "pass" : "fail");
      }
      if (!written.empty()) std::cout << "\nWrote " << written << "\n";
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

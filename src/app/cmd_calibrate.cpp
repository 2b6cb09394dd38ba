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

}  // namespace

int run_calibrate(const CalibrateOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  const int until = o.until.empty() ? 0 : parse_month_option(o.until, "--until").month_index();
  const ResolvedPanel rp = resolve_panel(o.model, o.panel, until);
  const panel::Panel& p = rp.panel;
  print_bad_rows(std::cerr, p);
  service::CalibrateRequest request;
  request.dyads = o.dyads;
  request.partner = o.partner;
  request.write = !o.no_write;
  request.out = o.out;
  request.model_dir = o.panel.file.empty() ? model_directory(o.model) : "";
  request.replicates = o.replicates;
  request.seed = o.seed;
  request.threads = o.threads;
  request.command = "sphere calibrate";
  if (!o.panel.file.empty()) request.command += " --panel " + o.panel.file;
  if (!o.until.empty()) request.command += " --until " + o.until;
  if (!o.panel.target.empty()) request.command += " --target " + o.panel.target;
  const service::CalibrateOutcome outcome = service::calibrate(rp, request);
  const dyad::Calibration& cal = outcome.calibration;
  const auto& checks = outcome.checks;
  const std::string& written = outcome.written;
  if (output.json()) {
    out << service::calibrate_to_json(outcome, p);  // service::encode's bytes
    return kExitOk;
  }
  out << fmt::format(
      "Dyadic event model · {} on {} ({}, {}) · periods {}..{} · {} pairs · {} rows read\n",
      cal.target, std::filesystem::path(p.file).filename().string(), panel::format_name(p.format),
      p.directed ? "directed" : "undirected", p.period_name(0),
      p.period_name(cal.until - p.first - 1), p.pairs.size(), p.rows_read);
  if (!cal.partner.empty())
    out << "Cross-excitation partner: " << cal.partner << "\n";
  for (const auto& f : cal.fits) {
    const double lr = 2.0 * (f.loglik - f.loglik_null);
    const double p_value = service::no_dynamics_p_value(f);
    out << fmt::format(
        "\n{} · {} observations · log-likelihood {:.1f} · {} ({} evaluations)\n", f.measure,
        f.observations, f.loglik, f.status, f.evaluations);
    out << fmt::format(
        "  against no state, excitation or cross terms: 2ΔlogL = {:.1f}, p {} (χ̄² boundary-corrected)\n",
        lr, p_value < 1e-4 ? std::string("< 0.0001") : fmt::format("= {:.2g}", p_value));
    out << fmt::format("  dyad rates pooled by Gamma(a = {:.3g}, b = {:.3g}) over {} pairs\n",
                       f.prior_a, f.prior_b, p.pairs.size());
    if (f.trend != 0.0)
      out << fmt::format("  common trend of every pair's rate (the panel's totals): {} per {}, held after {}\n",
                         with_interval(f.trend, f.trend_se, f.trend - 1.96 * f.trend_se,
                                       f.trend + 1.96 * f.trend_se),
                         p.yearly ? "period" : "year", p.period_name(cal.until - p.first - 1));
    Table t({"parameter", "estimate  [95% interval]", "what it is"});
    static const char* meaning[] = {"shift of the log rate from the pooled dyad level",
                                    "persistence of the relation state (per period)",
                                    "self-excitation: log(1 + last count)",
                                    "cross-excitation: log(1 + partner's last count)",
                                    "log NB size at the median dyad level (var = μ + μ²/r)",
                                    "slope of log NB size on the dyad's pooled log rate"};
    const auto values = f.params.as_array();
    for (int i = 0; i < dyad::Params::kCount; ++i) {
      const double se = std::sqrt(std::max(0.0, f.covariance[i][i]));
      t.add({dyad::Params::names()[i],
             f.free[i] ? with_interval(values[i], se, values[i] - 1.96 * se, values[i] + 1.96 * se)
                       : "0 (switched off)",
             meaning[i]});
    }
    output.write_table(t);
  }
  if (!checks.empty()) {
    out << "\nPosterior-predictive checks (observed vs " << o.replicates
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
    output.write_table(t);
    out << fmt::format("{} of {} statistics inside their simulated range.\n", inside, total);
    // Pass or fail: each statistic's misses against what a correct model gives (binomial;
    // Bonferroni over the four statistics).
    const auto& sum = *outcome.summary;
    out << fmt::format("Outside their range: {} of {}, {:.1f} expected ({:.1f}% each under the model), "
                       "P(as many or more) = {:.2g}",
                       total - inside, total, sum.expected_misses, 100 * sum.miss_rate, sum.p_value);
    for (const auto& st : sum.stats)
      out << fmt::format("; {} {} ({:.1f} expected, p = {:.2g})", st.name, st.total - st.inside,
                         st.expected_misses, st.p_value);
    out << fmt::format(".\nThe checks {} (binomial test of each statistic's misses at 5%/4).\n",
                       sum.pass ? "pass" : "fail");
  }
  if (!written.empty()) out << "\nWrote " << written << "\n";
  return kExitOk;
}

void add_calibrate_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Fit the dyadic event model (negative-binomial autoregression with a relation "
                   "state, excitation and pooling) on an observation panel");
  add_model_options(*cmd, opts->model);
  add_panel_options(*cmd, opts->panel);
  cmd->add_option("--until", opts->until, "Use only periods before this month, YYYY-MM (the vintage)");
  cmd->add_option("--dyads,--dyad", opts->dyads,
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
    action = [opts](std::ostream& out) { return run_calibrate(*opts, out); };
  });
}

}  // namespace sphere::app

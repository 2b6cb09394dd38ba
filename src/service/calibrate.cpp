// The calibrate use case: the dyadic event model fitted on a resolved panel, the predictive checks
// of the chosen pairs, and the calibration file written whole with its provenance.
#include <cmath>

#include "service/service.h"

namespace sphere::service {
namespace {

// Survival function of chi2(k) for k <= 3, through erfc and exp (the regularised incomplete gamma
// in closed form).
double chi2_survival(double x, int k) {
  if (k <= 0) return x > 0 ? 0.0 : 1.0;
  if (k == 1) return std::erfc(std::sqrt(x / 2.0));
  if (k == 2) return std::exp(-x / 2.0);
  return std::erfc(std::sqrt(x / 2.0)) + std::sqrt(2.0 * x / M_PI) * std::exp(-x / 2.0);
}

std::vector<long> selected_pairs(const panel::Panel& p, const std::vector<std::string>& dyads,
                                 const std::vector<std::pair<std::string, std::string>>& actors) {
  std::vector<long> out;
  if (!dyads.empty()) {
    for (const auto& spec : dyads) {
      const auto parts = split_trimmed(spec, ':');
      const long d = parts.size() == 2 ? p.find_pair(parts[0], parts[1]) : -1;
      if (d < 0) throw InputError(kRequest, 0, "dyads", "the panel has no pair '" + spec + "' (codes as A:B)");
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

double no_dynamics_p_value(const dyad::MeasureFit& fit) {
  const double lr = 2.0 * (fit.loglik - fit.loglik_null);
  int k = 0;
  for (int i = 1; i <= 3; ++i) k += fit.free[i];
  // Boundary-corrected reference: half the mass at one fewer degree of freedom.
  return 0.5 * chi2_survival(lr, k) + 0.5 * chi2_survival(lr, k - 1);
}

CalibrateOutcome calibrate(const ResolvedPanel& rp, const CalibrateRequest& request) {
  const panel::Panel& p = rp.panel;
  // The file's path is settled before the fit, so that a request that cannot be written fails at once.
  std::string path = request.out;
  if (request.write && path.empty()) {
    if (request.model_dir.empty())
      throw InputError(kRequest, 0, "out", "give the calibration file to write (or none) with a panel file");
    path = request.model_dir + "/calibration.json";
  }
  CalibrateOutcome outcome;
  outcome.replicates = request.replicates;
  dyad::Spec spec;
  spec.target = rp.target;
  spec.partner = request.partner;
  dyad::FitOptions fo;
  fo.threads = thread_count(request.threads);
  outcome.calibration = dyad::fit(p, spec, fo);
  const dyad::Calibration& cal = outcome.calibration;
  const auto pairs = selected_pairs(p, request.dyads, rp.actors);
  for (long d : pairs) outcome.checks.push_back(dyad::check_pair(p, cal, d, request.replicates, request.seed));
  if (!outcome.checks.empty()) outcome.summary = dyad::summarise_checks(outcome.checks, request.replicates);
  if (!request.write) return outcome;
  // The file keeps the anchors of the selected pairs only, when there is a selection.
  panel::Panel kept = p;
  dyad::Calibration kept_cal = cal;
  if (!pairs.empty()) {
    kept.pairs.clear();
    for (auto& a : kept_cal.anchors) a.clear();
    for (long d : pairs) {
      kept.pairs.push_back(p.pairs[d]);
      for (std::size_t k = 0; k < cal.anchors.size(); ++k) kept_cal.anchors[k].push_back(cal.anchors[k][d]);
    }
  }
  write_file_atomically(path, dyad::calibration_to_json(kept_cal, kept, request.command) + "\n");
  outcome.written = path;
  return outcome;
}

std::string calibrate_to_json(const CalibrateOutcome& outcome, const panel::Panel& p) {
  nlohmann::json out = nlohmann::json::parse(dyad::calibration_to_json(outcome.calibration, p, "sphere calibrate"));
  out.erase("anchors");
  nlohmann::json jc = nlohmann::json::array();
  for (const auto& c : outcome.checks) {
    nlohmann::json stats = nlohmann::json::array();
    for (const auto& s : c.stats)
      stats.push_back({{"stat", s.name}, {"observed", s.observed}, {"low", s.low},
                       {"median", s.median}, {"high", s.high}, {"inside", s.inside()}});
    jc.push_back({{"pair", c.pair}, {"stats", stats}});
  }
  out["checks"] = jc;
  if (outcome.summary) {
    const auto& sum = *outcome.summary;
    nlohmann::json per = nlohmann::json::array();
    for (const auto& st : sum.stats)
      per.push_back({{"stat", st.name}, {"inside", st.inside}, {"total", st.total},
                     {"expected_misses", st.expected_misses}, {"p_value", st.p_value}});
    out["checks_summary"] = {{"inside", sum.inside}, {"total", sum.total},
                             {"miss_rate", sum.miss_rate}, {"expected_misses", sum.expected_misses},
                             {"p_value", sum.p_value}, {"by_statistic", per}, {"pass", sum.pass}};
  }
  out["bad_rows"] = p.bad.total();
  if (!outcome.written.empty()) out["written"] = outcome.written;
  return encode(out);
}

}  // namespace sphere::service

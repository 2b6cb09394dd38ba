// Estimation: empirical-Bayes dyad levels, then maximum likelihood of the shared parameters
// (NLopt L-BFGS on the exact gradient), with the observed-information covariance (Eigen).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>

#include <Eigen/Dense>
#include <fmt/format.h>
#include <nlopt.hpp>
#include <boost/math/special_functions/digamma.hpp>

#include "dyad/internal.h"

namespace sphere::dyad {
namespace {

// Bounds of the shared parameters: the relation state and excitation are non-negative and below
// one (the log-linear recursion is then stable enough for the clamp to be a guard only).
using detail::kLower;
using detail::kUpper;

double exposure_scale_of(const panel::Panel& panel, int until) {
  double sum = 0;
  int n = 0;
  for (int t = 0; t < until; ++t)
    if (panel.exposure[t] > 0) sum += panel.exposure[t], ++n;
  return n > 0 ? sum / n : 1.0;
}

// The Gamma(a, b) population distribution of dyad rates, fitted by the negative-binomial
// marginal likelihood of dyad totals (each dyad's count over its exposure), on log a and log b,
// with its gradient (d/da: psi(y + a) - psi(a) + log(b / (b + e)); d/db: a / b - (a + y) / (b + e)).
std::pair<double, double> fit_prior(const std::vector<double>& totals,
                                    const std::vector<double>& exposures) {
  auto objective = [&](const std::vector<double>& x, std::vector<double>& grad) {
    const double a = std::exp(x[0]), b = std::exp(x[1]);
    double ll = 0, da = 0, db = 0;
    const double lga = std::lgamma(a), psia = boost::math::digamma(a);
    for (std::size_t d = 0; d < totals.size(); ++d) {
      const double y = totals[d], e = exposures[d];
      const double log_share = std::log(b / (b + e));
      ll += std::lgamma(y + a) - lga + a * log_share + (y > 0 ? y * std::log(e / (b + e)) : 0);
      da += (y > 0 ? boost::math::digamma(y + a) - psia : 0.0) + log_share;
      db += a / b - (a + y) / (b + e);
    }
    if (!grad.empty()) grad = {-a * da, -b * db};
    return -ll;
  };
  std::vector<double> x = {std::log(0.5), std::log(1.0)};
  double value = 0;
  detail::minimise_in_box({{-12, -12}, {12, 15}, 1e-10, 1e-15, 2000}, objective, &x, &value);
  return {std::exp(x[0]), std::exp(x[1])};
}

// The common trend of one measure: a Poisson regression of the panel's total count in each covered
// period t < until on u_t = (t - centre) / periods per year, with log exposure as offset:
//   log E[T_t] = log f_t + c + kappa u_t,
// the centre being the exposure-weighted mean period (so u and the intercept are orthogonal).
// Totals share every pair's month-to-month shocks, so the standard error is a sandwich with a
// Newey-West (Bartlett) middle of lag floor(4 (n / 100)^(2/9)). Sets fit->trend, trend_se and
// trend_center (absolute period); kappa = 0 when off, or when there are no counts to fit.
void estimate_trend(const panel::Panel& panel, int measure, int until,
                    const std::vector<double>& factor, bool on, MeasureFit* fit) {
  std::vector<double> total, exposure, period;
  double weighted = 0, weight = 0, sum = 0;
  for (int t = 0; t < until; ++t) {
    if (!(factor[t] > 0)) continue;
    double y = 0;
    for (std::size_t d = 0; d < panel.pairs.size(); ++d) y += panel.series(d, measure)[t];
    total.push_back(y);
    exposure.push_back(factor[t]);
    period.push_back(t);
    weighted += factor[t] * t;
    weight += factor[t];
    sum += y;
  }
  fit->trend = fit->trend_se = 0;
  fit->trend_center = panel.first + (weight > 0 ? weighted / weight : 0.0);
  const std::size_t n = total.size();
  if (!on || n < 3 || !(sum > 0)) return;
  const double per_year = panel.yearly ? 1.0 : 12.0;
  std::vector<double> u(n);
  for (std::size_t i = 0; i < n; ++i) u[i] = (panel.first + period[i] - fit->trend_center) / per_year;
  auto objective = [&](const std::vector<double>& x, std::vector<double>& grad) {
    double ll = 0, g0 = 0, g1 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double eta = x[0] + x[1] * u[i], mu = exposure[i] * std::exp(eta);
      ll += total[i] * eta - mu;
      g0 += total[i] - mu;
      g1 += u[i] * (total[i] - mu);
    }
    if (!grad.empty()) grad = {-g0, -g1};
    return -ll;
  };
  std::vector<double> x = {std::log(sum / weight), 0.0};
  double value = 0;
  detail::minimise_in_box({{-60, -5}, {60, 5}, 1e-12, 1e-15, 500}, objective, &x, &value);
  // Sandwich: A = sum mu (1, u)(1, u)', B = sum_l w_l sum_t s_t s_{t-l}' (both orders).
  Eigen::Matrix2d a = Eigen::Matrix2d::Zero(), b = Eigen::Matrix2d::Zero();
  std::vector<Eigen::Vector2d> score(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double mu = exposure[i] * std::exp(x[0] + x[1] * u[i]);
    const Eigen::Vector2d z(1.0, u[i]);
    a += mu * z * z.transpose();
    score[i] = (total[i] - mu) * z;
  }
  const int lag = static_cast<int>(std::floor(4.0 * std::pow(n / 100.0, 2.0 / 9.0)));
  for (int l = 0; l <= lag; ++l) {
    const double w = 1.0 - l / (lag + 1.0);
    for (std::size_t i = static_cast<std::size_t>(l); i < n; ++i) {
      const Eigen::Matrix2d term = score[i] * score[i - l].transpose();
      b += l == 0 ? term : Eigen::Matrix2d(w * (term + term.transpose()));
    }
  }
  const Eigen::Matrix2d inverse = a.inverse();
  const Eigen::Matrix2d cov = inverse * b * inverse;
  fit->trend = x[1];
  fit->trend_se = std::sqrt(std::max(0.0, cov(1, 1)));
}

// Measure `slot`'s exposure factors over periods [0, until): the panel's, times the trend's.
std::vector<double> slot_factor(const panel::Panel& panel, const Calibration& cal, int slot, int until) {
  std::vector<double> factor(until);
  for (int t = 0; t < until; ++t)
    factor[t] = panel.exposure[t] / cal.exposure_scale * trend_factor(cal, slot, t);
  return factor;
}

// Anchors (pooled log rate m, window mean of log(1 + y)) of one measure for every pair, from
// its sums over the covered periods before sums.until.
std::vector<Anchor> anchors_from(const detail::PairSums& sums, const std::vector<double>& factor,
                                 bool pooling, MeasureFit* fit) {
  const std::size_t pairs = sums.totals.size();
  double exposure = 0;
  int covered = 0;
  for (int t = 0; t < sums.until; ++t)
    if (factor[t] > 0) exposure += factor[t], ++covered;
  if (fit->prior_a <= 0) {
    const auto [a, b] = fit_prior(sums.totals, std::vector<double>(pairs, exposure));
    fit->prior_a = a;
    fit->prior_b = b;
  }
  const double a = fit->prior_a, b = fit->prior_b;
  std::vector<Anchor> out(pairs);
  for (std::size_t d = 0; d < pairs; ++d) {
    // Pooled: the posterior mean rate; unpooled: the dyad's own rate (half an event added so
    // that a dyad without events gets a finite log rate).
    const double rate = pooling ? (sums.totals[d] + a) / (exposure + b)
                                : (sums.totals[d] + 0.5) / std::max(exposure, 1e-9);
    const double level = covered > 0 ? sums.logs[d] / covered : 0.0;
    out[d] = {static_cast<float>(std::log(rate)), static_cast<float>(level)};
  }
  return out;
}

std::vector<Anchor> anchors_of(const panel::Panel& panel, int measure, int until,
                               const std::vector<double>& factor, bool pooling,
                               MeasureFit* fit) {
  detail::PairSums sums(panel, measure);
  sums.advance(panel, until);
  return anchors_from(sums, factor, pooling, fit);
}

detail::MeasureData measure_data(const panel::Panel& panel, const Calibration& cal,
                                 int measure_slot, int until) {
  detail::MeasureData data;
  data.periods = until;
  data.factor.resize(until);
  data.log_factor.resize(until);
  data.bound.resize(until);
  const int target = panel.measure_index(cal.target);
  const int measure = measure_slot == 0 ? target : panel.measure_index(cal.partner);
  const bool bounded = panel.measures[measure].bounded;
  data.dispersion_center = cal.fits[measure_slot].dispersion_center;
  const std::vector<double> factor = slot_factor(panel, cal, measure_slot, until);
  for (int t = 0; t < until; ++t) {
    data.factor[t] = factor[t];
    data.log_factor[t] = std::log(data.factor[t]);
    data.bound[t] = bounded ? static_cast<int>(std::lround(panel.exposure[t])) : -1;
  }
  data.series.reserve(panel.pairs.size());
  std::unordered_map<std::uint64_t, std::vector<std::size_t>> seen;
  for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
    detail::SeriesView s;
    s.y = panel.series(d, measure);
    s.m = cal.anchors[measure_slot][d].m;
    s.level = cal.anchors[measure_slot][d].level;
    if (cal.partner == "reverse") {
      const auto& p = panel.pairs[d];
      const long reverse = panel.find_pair(panel.codes[p.b], panel.codes[p.a]);
      s.x = reverse < 0 ? nullptr : panel.series(reverse, target);
      s.partner_level = reverse < 0 ? 0.0 : cal.anchors[0][reverse].level;
    } else if (!cal.partner.empty()) {
      const int other = measure_slot == 0 ? panel.measure_index(cal.partner) : target;
      s.x = panel.series(d, other);
      s.partner_level = cal.anchors[1 - measure_slot][d].level;
    }
    // Pairs with the very same series and anchors (sparse pairs often are) are summed once,
    // weighted by their number; the first of them keeps its place, so the order is fixed.
    std::uint64_t key = 1469598103934665603ULL;
    const auto mix = [&key](const void* bytes, std::size_t n) {
      const auto* b = static_cast<const unsigned char*>(bytes);
      for (std::size_t i = 0; i < n; ++i) key = (key ^ b[i]) * 1099511628211ULL;
    };
    mix(s.y, sizeof(float) * until);
    if (s.x) mix(s.x, sizeof(float) * until);
    mix(&s.m, sizeof s.m);
    mix(&s.level, sizeof s.level);
    mix(&s.partner_level, sizeof s.partner_level);
    bool merged = false;
    for (std::size_t i : seen[key]) {
      auto& o = data.series[i];
      if (o.m == s.m && o.level == s.level && o.partner_level == s.partner_level &&
          (o.x == nullptr) == (s.x == nullptr) && std::equal(s.y, s.y + until, o.y) &&
          (!s.x || std::equal(s.x, s.x + until, o.x))) {
        o.weight += 1;
        merged = true;
        break;
      }
    }
    if (merged) continue;
    seen[key].push_back(data.series.size());
    data.series.push_back(s);
  }
  detail::prepare_drive(&data);
  return data;
}

// The optimiser's stopping rules, shared by the fit and its null.
void set_tolerances(nlopt::opt* opt, int maxeval) {
  opt->set_xtol_rel(1e-10);
  opt->set_ftol_rel(1e-14);
  opt->set_maxeval(maxeval);
}

// Maximum likelihood of one measure's shared parameters; switched-off mechanisms stay at 0.
void estimate(const detail::MeasureData& data, const Switches& sw, bool has_partner,
              int threads, MeasureFit* fit) {
  std::array<bool, Params::kCount> free = {true, sw.state, sw.excitation, sw.cross && has_partner,
                                           true, sw.dispersion};
  fit->free = free;
  std::vector<int> index;
  for (int i = 0; i < Params::kCount; ++i)
    if (free[i]) index.push_back(i);
  const std::array<double, Params::kCount> start = {0.0, sw.state ? 0.5 : 0.0,
                                                    sw.excitation ? 0.2 : 0.0, 0.0, 0.0, 0.0};
  struct Context {
    const detail::MeasureData* data;
    std::array<double, Params::kCount> full;
    const std::vector<int>* index;
    int threads;
    int evaluations = 0;
  } context{&data, start, &index, threads};
  // The negative log-likelihood over the free parameters, with its exact gradient.
  const auto objective = [](const std::vector<double>& x, std::vector<double>& grad, void* raw) {
    auto* c = static_cast<Context*>(raw);
    auto full = c->full;
    for (std::size_t i = 0; i < x.size(); ++i) full[(*c->index)[i]] = x[i];
    ++c->evaluations;
    detail::Gradient g{};
    const double ll = detail::log_likelihood(*c->data, Params::from_array(full), c->threads,
                                             grad.empty() ? nullptr : &g);
    for (std::size_t i = 0; i < grad.size(); ++i) grad[i] = -g[(*c->index)[i]];
    return -ll;
  };
  std::vector<double> lower, upper, x;
  for (int i : index) {
    lower.push_back(kLower[i]);
    upper.push_back(kUpper[i]);
    x.push_back(start[i]);
  }
  double value = 0;
  nlopt::result result = detail::minimise(static_cast<unsigned>(index.size()), [&](nlopt::opt& opt) {
    opt.set_lower_bounds(lower);
    opt.set_upper_bounds(upper);
    set_tolerances(&opt, 3000);
    opt.set_min_objective(objective, &context);
  }, &x, &value);
  // An optimum outside the stationary region (bursty, sparse panels) is re-sought under the
  // constraint beta + alpha + |gamma| <= 0.99 (SLSQP, on the same gradient), from the
  // unconstrained optimum scaled into the region.
  const auto full_of = [&](const std::vector<double>& v) {
    auto f = start;
    for (std::size_t i = 0; i < v.size(); ++i) f[index[i]] = v[i];
    return Params::from_array(f);
  };
  if (!detail::stationary(full_of(x))) {
    struct Feedback {
      const std::vector<int>* index;
      static double apply(unsigned n, const double* v, double* grad, void* raw) {
        const auto& idx = *static_cast<Feedback*>(raw)->index;
        double sum = 0;
        for (unsigned i = 0; i < n; ++i) {
          const bool in = idx[i] >= 1 && idx[i] <= 3;
          if (in) sum += std::fabs(v[i]);
          if (grad) grad[i] = in ? (v[i] < 0 ? -1.0 : 1.0) : 0.0;
        }
        return sum - 0.99;
      }
    } feedback{&index};
    const Params at = full_of(x);
    const double shrink = 0.9 / std::max(1.0, at.beta + at.alpha + std::fabs(at.gamma));
    for (std::size_t i = 0; i < x.size(); ++i)
      if (index[i] >= 1 && index[i] <= 3) x[i] *= shrink;
    nlopt::opt constrained(nlopt::LD_SLSQP, static_cast<unsigned>(index.size()));
    constrained.set_lower_bounds(lower);
    constrained.set_upper_bounds(upper);
    constrained.set_min_objective(objective, &context);
    constrained.add_inequality_constraint(&Feedback::apply, &feedback, 1e-9);
    set_tolerances(&constrained, 20000);
    try {
      result = constrained.optimize(x, value);
    } catch (const nlopt::roundoff_limited&) {
      result = nlopt::ROUNDOFF_LIMITED;
    } catch (const std::runtime_error&) {
      result = nlopt::FAILURE;
    }
  }
  // Reaching the evaluation limit is not convergence.
  fit->converged = result == nlopt::SUCCESS || result == nlopt::FTOL_REACHED ||
                   result == nlopt::XTOL_REACHED || result == nlopt::ROUNDOFF_LIMITED;
  fit->status = result == nlopt::MAXEVAL_REACHED ? "evaluation limit reached"
                : fit->converged                 ? "converged"
                                                 : fmt::format("optimiser failed ({})", int(result));
  fit->evaluations = context.evaluations;
  if (!detail::stationary(full_of(x)))
    fit->status += "; outside the stationary region (beta + alpha + |gamma| >= 0.995)";
  auto full = start;
  for (std::size_t i = 0; i < x.size(); ++i) full[index[i]] = x[i];
  fit->params = Params::from_array(full);
  detail::Gradient g0{};
  fit->loglik = detail::log_likelihood(data, fit->params, threads, &g0);

  // Observed information: central differences of the exact gradient on the free parameters
  // (one-sided inward for a parameter at a bound), symmetrised.
  const int k = static_cast<int>(index.size());
  Eigen::MatrixXd hessian(k, k);
  for (int i = 0; i < k; ++i) {
    const int at = index[i];
    const double step = 1e-5 * std::max(1.0, std::fabs(full[at]));
    const auto gradient_at = [&](double shift) {
      auto p = full;
      p[at] += shift;
      detail::Gradient g{};
      detail::log_likelihood(data, Params::from_array(p), threads, &g);
      return g;
    };
    detail::Gradient plus, minus;
    double width;
    if (full[at] - step < kLower[at]) {
      plus = gradient_at(step), minus = g0, width = step;
    } else if (full[at] + step > kUpper[at]) {
      plus = g0, minus = gradient_at(-step), width = step;
    } else {
      plus = gradient_at(step), minus = gradient_at(-step), width = 2 * step;
    }
    for (int j = 0; j < k; ++j) hessian(j, i) = (plus[index[j]] - minus[index[j]]) / width;
  }
  hessian = (0.5 * (hessian + hessian.transpose())).eval();
  // A parameter that stopped on a bound is not at a maximum in its own direction: its curvature
  // there says nothing of its uncertainty (and often makes the matrix indefinite). The covariance
  // is that of the others with it held at the bound, as a profile would have it; its own row
  // stays zero, and its draws stay on the bound.
  std::vector<int> interior;
  std::string on_bound;
  for (int i = 0; i < k; ++i) {
    const int at = index[i];
    const double tol = 1e-7 * std::max(1.0, std::fabs(full[at]));
    if (full[at] - kLower[at] <= tol || kUpper[at] - full[at] <= tol) {
      on_bound += (on_bound.empty() ? "" : ", ") + std::string(Params::names()[at]);
    } else {
      interior.push_back(i);
    }
  }
  const int n = static_cast<int>(interior.size());
  Eigen::MatrixXd information(n, n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) information(a, b) = -hessian(interior[a], interior[b]);
  for (auto& row : fit->covariance) row.fill(0.0);
  if (!on_bound.empty()) fit->status += "; on a bound (no interval): " + on_bound;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(information);
  if (n > 0 && ldlt.info() == Eigen::Success && ldlt.isPositive()) {
    const Eigen::MatrixXd cov = ldlt.solve(Eigen::MatrixXd::Identity(n, n));
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) fit->covariance[index[interior[a]]][index[interior[b]]] = cov(a, b);
  } else if (n > 0) {
    fit->status += "; information matrix not positive definite (no intervals)";
  }

  // The null: no state, excitation or cross terms (a pooled negative binomial with exposure, its
  // dispersion slope free when the model's is).
  Params null = fit->params;
  null.beta = null.alpha = null.gamma = 0;
  auto null_context = context;
  null_context.full = null.as_array();
  const std::vector<int> null_index = sw.dispersion ? std::vector<int>{0, 4, 5} : std::vector<int>{0, 4};
  null_context.index = &null_index;
  std::vector<double> x0, lower0, upper0;
  for (int i : null_index) {
    x0.push_back(null_context.full[i]);
    lower0.push_back(kLower[i]);
    upper0.push_back(kUpper[i]);
  }
  double v0 = 0;
  detail::minimise(static_cast<unsigned>(x0.size()), [&](nlopt::opt& opt0) {
    opt0.set_lower_bounds(lower0);
    opt0.set_upper_bounds(upper0);
    set_tolerances(&opt0, 1000);
    opt0.set_min_objective(objective, &null_context);
  }, &x0, &v0);
  auto null_full = null.as_array();
  for (std::size_t i = 0; i < null_index.size(); ++i) null_full[null_index[i]] = x0[i];
  null = Params::from_array(null_full);
  fit->loglik_null = detail::log_likelihood(data, null, threads);
  std::size_t pairs = 0;
  for (const auto& s : data.series) pairs += static_cast<std::size_t>(s.weight);
  fit->observations = 0;
  for (int t = 0; t < data.periods; ++t)
    if (data.factor[t] > 0) fit->observations += pairs;
}

}  // namespace

void refresh_anchors(const panel::Panel& panel, Calibration* cal, int until) {
  detail::PairSums target(panel, panel.measure_index(cal->target));
  target.advance(panel, until);
  if (cal->fits.size() < 2) return detail::refresh_anchors(panel, cal, target, nullptr);
  detail::PairSums partner(panel, panel.measure_index(cal->partner));
  partner.advance(panel, until);
  detail::refresh_anchors(panel, cal, target, &partner);
}

namespace detail {

PairSums::PairSums(const panel::Panel& panel, int measure_index)
    : measure(measure_index), totals(panel.pairs.size(), 0.0), logs(panel.pairs.size(), 0.0) {}

void PairSums::advance(const panel::Panel& panel, int to) {
  if (to < until) throw std::logic_error("PairSums::advance: the sums cannot go back");
  for (std::size_t d = 0; d < totals.size(); ++d) {
    const float* y = panel.series(d, measure);
    double sum = totals[d], log_sum = logs[d];
    for (int t = until; t < to; ++t)
      if (panel.exposure[t] > 0) sum += y[t], log_sum += log1p_count(y[t]);  // a table: same bits
    totals[d] = sum;
    logs[d] = log_sum;
  }
  until = to;
}

void refresh_anchors(const panel::Panel& panel, Calibration* cal, const PairSums& target,
                     const PairSums* partner) {
  cal->anchors[0] = anchors_from(target, slot_factor(panel, *cal, 0, target.until),
                                 cal->switches.pooling, &cal->fits[0]);
  if (cal->fits.size() > 1)
    cal->anchors[1] = anchors_from(*partner, slot_factor(panel, *cal, 1, partner->until),
                                   cal->switches.pooling, &cal->fits[1]);
}

}  // namespace detail

Calibration fit(const panel::Panel& panel, const Spec& spec, const FitOptions& options) {
  Calibration cal;
  cal.panel_file = panel.file;
  cal.format = panel::format_name(panel.format);
  cal.directed = panel.directed;
  cal.yearly = panel.yearly;
  cal.switches = spec.switches;
  const int until = options.until > 0 ? std::min(options.until, panel.periods) : panel.periods;
  if (until < 3)
    throw InputError(panel.file, 0, "until", "fewer than 3 periods before the fit's end");
  cal.first = panel.first;
  cal.until = panel.first + until;
  cal.data_digest = rows_digest(panel, until);
  cal.target = spec.target;
  const int target = panel.measure_index(spec.target);
  if (target < 0) {
    std::string have;
    for (const auto& m : panel.measures) have += (have.empty() ? "" : ", ") + m.name;
    throw InputError(panel.file, 0, "target",
                     "the panel has no measure '" + spec.target + "' (it has " + have + ")");
  }
  if (!panel.measures[target].count)
    throw InputError(panel.file, 0, "target",
                     "'" + spec.target + "' is a level; the dyadic model fits counts");
  cal.partner = spec.partner.empty() ? default_partner(panel, spec.target) : spec.partner;
  if (cal.partner == "reverse" && !panel.directed)
    throw InputError(panel.file, 0, "partner", "'reverse' needs a directed panel");
  if (cal.partner != "reverse" && !cal.partner.empty()) {
    const int p = panel.measure_index(cal.partner);
    if (p < 0 || !panel.measures[p].count || p == target)
      throw InputError(panel.file, 0, "partner",
                       "'" + cal.partner + "' is not another count measure of the panel");
  }
  cal.exposure_scale = exposure_scale_of(panel, until);
  std::vector<double> factor(until);
  for (int t = 0; t < until; ++t) factor[t] = panel.exposure[t] / cal.exposure_scale;

  const bool two = cal.partner != "reverse" && !cal.partner.empty();
  cal.fits.resize(two ? 2 : 1);
  cal.fits[0].measure = cal.target;
  if (two) cal.fits[1].measure = cal.partner;
  for (std::size_t slot = 0; slot < cal.fits.size(); ++slot) {
    const int measure = slot == 0 ? target : panel.measure_index(cal.partner);
    estimate_trend(panel, measure, until, factor, spec.switches.trend, &cal.fits[slot]);
    cal.anchors.push_back(anchors_of(panel, measure, until,
                                     slot_factor(panel, cal, static_cast<int>(slot), until),
                                     spec.switches.pooling, &cal.fits[slot]));
  }
  const bool has_partner = !cal.partner.empty();
  for (std::size_t slot = 0; slot < cal.fits.size(); ++slot) {
    std::vector<double> m(cal.anchors[slot].size());
    for (std::size_t d = 0; d < m.size(); ++d) m[d] = cal.anchors[slot][d].m;
    cal.fits[slot].dispersion_center = detail::median_of(std::move(m));
    const auto data = measure_data(panel, cal, static_cast<int>(slot), until);
    estimate(data, spec.switches, has_partner, options.threads, &cal.fits[slot]);
  }
  std::size_t rows = 0;
  for (std::size_t d = 0; d < panel.pairs.size(); ++d)
    for (int t = 0; t < until; ++t)
      if (panel.series(d, target)[t] != 0) ++rows;
  cal.rows_used = rows;
  cache_trend(&cal);
  return cal;
}

}  // namespace sphere::dyad

// The robust level model: a hurdle (is the month's level zero?) with a Student-t body around the
// pair's recent weighted median, its estimation by the one-step predictive likelihood, and its
// closed-form CRPS (docs/MODEL.md, "Level model").
#include <algorithm>
#include <cmath>
#include <numeric>

#include <Eigen/Dense>
#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>
#include <nlopt.hpp>

#include "dyad/internal.h"

namespace sphere::dyad {
namespace {

using detail::exposure_scale_over;
using detail::factor_at;
using detail::median_of;

// Bounds of (log nu, log c, log k): nu in [1.2, 200] (a finite mean, so a finite CRPS; 200 is a
// normal body for these purposes); the scale within e^±3 of the robust one; between e^-5 and e^6
// pseudo-periods of the population's share and scale.
constexpr std::array<double, HurdleParams::kCount> kHurdleLower = {0.18232155679395462, -3.0, -5.0};
constexpr std::array<double, HurdleParams::kCount> kHurdleUpper = {5.298317366548036, 3.0, 6.0};
// The recency weights tried; 1 weighs the whole history equally.
constexpr std::array<double, 8> kLambdaGrid = {0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0};
constexpr double kMadToSd = 1.4826;  // a normal's sd over its median absolute deviation

// The weighted median of `v` (weights w, both reordered): the smallest value whose cumulative
// weight reaches half the total.
double weighted_median(std::vector<std::pair<double, double>>* vw) {
  std::sort(vw->begin(), vw->end());
  double total = 0;
  for (const auto& [v, w] : *vw) total += w;
  double cumulative = 0;
  for (const auto& [v, w] : *vw) {
    cumulative += w;
    if (cumulative >= 0.5 * total) return v;
  }
  return vw->empty() ? 0.0 : vw->back().first;
}

// What the predictive needs of a pair's history before an origin.
struct Summary {
  double nonzero_weight = 0, weight = 0;  // n, W
  double location = 0, mad = 0;           // mu, mad (0 with fewer than two non-zero values)
};

// The summary of z over periods [0, origin) with weights lambda^(origin-1-s). `scratch` is reused.
Summary summarise(const panel::Panel& panel, const float* y, int origin, double scale, double lambda,
                  std::vector<std::pair<double, double>>* scratch) {
  Summary out;
  scratch->clear();
  double w = 1;
  for (int t = origin - 1; t >= 0; --t, w *= lambda) {
    if (panel.exposure[t] <= 0) continue;
    out.weight += w;
    if (y[t] == 0) continue;
    out.nonzero_weight += w;
    scratch->push_back({y[t] / factor_at(panel, t, scale), w});
  }
  if (scratch->empty()) return out;
  out.location = weighted_median(scratch);
  if (scratch->size() < 2) return out;
  for (auto& [v, weight] : *scratch) v = std::fabs(v - out.location);
  out.mad = kMadToSd * weighted_median(scratch);
  return out;
}

// The predictive of z (not yet scaled by the exposure factor) from a summary and parameters.
HurdleForecast predictive_of(const Summary& s, const HurdleParams& p, double nonzero_share,
                             double prior_scale) {
  const double k = std::exp(p.log_k), c = std::exp(p.log_c);
  HurdleForecast f;
  f.nonzero = (s.nonzero_weight + k * nonzero_share) / (s.weight + k);
  f.location = s.location;
  f.scale = c * std::sqrt((s.nonzero_weight * s.mad * s.mad + k * prior_scale * prior_scale) /
                          (s.nonzero_weight + k));
  f.nu = std::exp(p.log_nu);
  return f;
}

// One term of the likelihood: a period's level and its pair's summary of the periods before.
struct Term {
  Summary summary;
  double z = 0, log_factor = 0;
};

double loglik(const std::vector<Term>& terms, const HurdleParams& p, double nonzero_share,
              double prior_scale) {
  const double nu = std::exp(p.log_nu);
  // log of the t density's constant, Gamma((nu + 1) / 2) / (Gamma(nu / 2) sqrt(nu pi)).
  const double log_norm = std::lgamma(0.5 * (nu + 1)) - std::lgamma(0.5 * nu) - 0.5 * std::log(nu * M_PI);
  double total = 0;
  for (const Term& term : terms) {
    const HurdleForecast f = predictive_of(term.summary, p, nonzero_share, prior_scale);
    if (term.z == 0) {
      total += std::log1p(-f.nonzero);
    } else {
      const double z = (term.z - f.location) / f.scale;
      total += std::log(f.nonzero) + log_norm - 0.5 * (nu + 1) * std::log1p(z * z / nu) -
               std::log(f.scale) - term.log_factor;
    }
  }
  return total;
}

HurdleParams params_of(const std::vector<double>& x) { return {x[0], x[1], x[2]}; }

}  // namespace

const std::array<const char*, HurdleParams::kCount>& HurdleParams::names() {
  static const std::array<const char*, kCount> n = {"log_nu", "log_c", "log_k"};
  return n;
}

HurdleFit fit_level_hurdle(const panel::Panel& panel, const std::string& measure_name, int until) {
  const std::pair<int, int> window = detail::level_fit_window(panel, measure_name, until);
  const int measure = window.first;
  until = window.second;
  HurdleFit fit;
  fit.measure = measure_name;
  fit.first = panel.first;
  fit.until = panel.first + until;
  fit.exposure_scale = exposure_scale_over(panel, until);
  const double scale = fit.exposure_scale;

  // The population's share of non-zero periods and the median pair's robust scale.
  std::vector<std::size_t> fitted;
  std::vector<double> mads, values;
  std::size_t cells = 0, nonzero = 0;
  for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
    const float* y = panel.series(d, measure);
    values.clear();
    std::size_t covered = 0;
    for (int t = 0; t < until; ++t) {
      if (panel.exposure[t] <= 0) continue;
      ++covered;
      if (y[t] != 0) values.push_back(y[t] / factor_at(panel, t, scale));
    }
    if (values.empty()) continue;
    fitted.push_back(d);
    cells += covered;
    nonzero += values.size();
    if (values.size() < 2) continue;
    const double mu = median_of(values);
    for (double& v : values) v = std::fabs(v - mu);
    const double mad = kMadToSd * median_of(values);
    if (mad > 0) mads.push_back(mad);
  }
  fit.pairs = fitted.size();
  if (fitted.empty() || mads.empty())
    throw InputError(panel.file, 0, "target",
                     "'" + measure_name + "' varies in no pair before " + panel.period_name(until) +
                         ": nothing to fit");
  fit.nonzero_share = static_cast<double>(nonzero) / static_cast<double>(cells);
  fit.prior_scale = median_of(mads);

  // Profile likelihood over the recency grid: (nu, c, k) maximised at each lambda.
  std::vector<Term> terms, best_terms;
  std::vector<std::pair<double, double>> scratch;
  std::vector<double> x = {std::log(5.0), 0.0, 0.0}, best_x = x;
  double best = -HUGE_VAL;
  nlopt::result best_result = nlopt::FAILURE;
  for (double lambda : kLambdaGrid) {
    terms.clear();
    for (std::size_t d : fitted) {
      const float* y = panel.series(d, measure);
      bool seen = false;
      for (int t = 0; t < until; ++t) {
        if (panel.exposure[t] <= 0) continue;
        if (seen) {
          const double f = factor_at(panel, t, scale);
          terms.push_back({summarise(panel, y, t, scale, lambda, &scratch), y[t] / f, std::log(f)});
        }
        seen = seen || y[t] != 0;
      }
    }
    struct Context {
      const std::vector<Term>* terms;
      double share, prior;
      int evaluations = 0;
    } context{&terms, fit.nonzero_share, fit.prior_scale};
    nlopt::opt opt(nlopt::LN_BOBYQA, HurdleParams::kCount);
    opt.set_lower_bounds(std::vector<double>(kHurdleLower.begin(), kHurdleLower.end()));
    opt.set_upper_bounds(std::vector<double>(kHurdleUpper.begin(), kHurdleUpper.end()));
    opt.set_xtol_rel(1e-7);
    opt.set_maxeval(2000);
    opt.set_min_objective(
        [](const std::vector<double>& v, std::vector<double>&, void* raw) {
          auto* c = static_cast<Context*>(raw);
          ++c->evaluations;
          return -loglik(*c->terms, params_of(v), c->share, c->prior);
        },
        &context);
    std::vector<double> start = x;
    double value = 0;
    nlopt::result result;
    try {
      result = opt.optimize(start, value);
    } catch (const nlopt::roundoff_limited&) {
      result = nlopt::ROUNDOFF_LIMITED;
      value = -loglik(terms, params_of(start), fit.nonzero_share, fit.prior_scale);
    }
    fit.evaluations += context.evaluations;
    fit.profile.push_back({lambda, -value});
    x = start;  // the next lambda starts from here
    if (-value > best) {
      best = -value;
      best_x = start;
      best_result = result;
      fit.lambda = lambda;
      best_terms.swap(terms);
    }
  }
  fit.observations = best_terms.size();
  fit.params = params_of(best_x);
  fit.loglik = best;
  fit.converged = best_result > 0 && best_result != nlopt::MAXEVAL_REACHED;
  fit.status = fit.converged ? "converged" : fmt::format("optimiser stopped ({})", static_cast<int>(best_result));
  // Grid values inside the 95% profile-likelihood region (2 (l_max - l) <= 3.84).
  fit.lambda_low = fit.lambda_high = fit.lambda;
  for (const auto& [lambda, l] : fit.profile)
    if (2 * (best - l) <= 3.841458820694124) {
      fit.lambda_low = std::min(fit.lambda_low, lambda);
      fit.lambda_high = std::max(fit.lambda_high, lambda);
    }

  // Observed information at lambda by central differences; a parameter at a bound gets none.
  constexpr int k = HurdleParams::kCount;
  std::array<double, k> step{};
  std::array<bool, k> inside{};
  for (int i = 0; i < k; ++i) {
    step[i] = 1e-4 * std::max(1.0, std::fabs(best_x[i]));
    inside[i] = best_x[i] - 2 * step[i] > kHurdleLower[i] && best_x[i] + 2 * step[i] < kHurdleUpper[i];
  }
  const auto ll = [&](int i, double si, int j, double sj) {
    auto v = best_x;
    v[i] += si;
    if (j >= 0) v[j] += sj;
    return loglik(best_terms, params_of(v), fit.nonzero_share, fit.prior_scale);
  };
  std::vector<int> free;
  for (int i = 0; i < k; ++i)
    if (inside[i]) free.push_back(i);
  const int n = static_cast<int>(free.size());
  Eigen::MatrixXd information(n, n);
  for (int a = 0; a < n; ++a)
    for (int b = a; b < n; ++b) {
      const int i = free[a], j = free[b];
      const double h = i == j ? (ll(i, step[i], -1, 0) - 2 * best + ll(i, -step[i], -1, 0)) / (step[i] * step[i])
                              : (ll(i, step[i], j, step[j]) - ll(i, step[i], j, -step[j]) -
                                 ll(i, -step[i], j, step[j]) + ll(i, -step[i], j, -step[j])) /
                                    (4 * step[i] * step[j]);
      information(a, b) = information(b, a) = -h;
    }
  if (n > 0) {
    Eigen::LDLT<Eigen::MatrixXd> ldlt(information);
    if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
      const Eigen::MatrixXd cov = ldlt.solve(Eigen::MatrixXd::Identity(n, n));
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b) fit.covariance[free[a]][free[b]] = cov(a, b);
    } else {
      fit.status += "; information matrix not positive definite (no intervals)";
    }
  }
  return fit;
}

std::vector<HurdleForecast> level_hurdle_predictives(const panel::Panel& panel, int measure,
                                                     const HurdleFit& fit, std::size_t pair, int origin,
                                                     const std::vector<int>& horizons) {
  std::vector<std::pair<double, double>> scratch;
  const Summary s = summarise(panel, panel.series(pair, measure), origin, fit.exposure_scale, fit.lambda, &scratch);
  const HurdleForecast z = predictive_of(s, fit.params, fit.nonzero_share, fit.prior_scale);
  std::vector<HurdleForecast> out;
  out.reserve(horizons.size());
  for (int h : horizons) {
    HurdleForecast f = z;
    const double factor = factor_at(panel, origin + h - 1, fit.exposure_scale);
    f.location *= factor;
    f.scale *= factor;
    out.push_back(f);
  }
  return out;
}

HurdleForecast level_hurdle_predictive(const panel::Panel& panel, int measure, const HurdleFit& fit,
                                       std::size_t pair, int origin, int h) {
  return level_hurdle_predictives(panel, measure, fit, pair, origin, {h}).front();
}

namespace {

// E|X - y| of the t body, X = location + scale T: scale [z (2F(z) - 1) + 2 f(z) (nu + z^2) / (nu - 1)].
double body_abs(const HurdleForecast& f, double y) {
  const boost::math::students_t_distribution<double> t(f.nu);
  const double z = (y - f.location) / f.scale;
  return f.scale * (z * (2 * boost::math::cdf(t, z) - 1) + 2 * boost::math::pdf(t, z) * (f.nu + z * z) / (f.nu - 1));
}

// Half E|X - X'| of the t body over its scale: 2 sqrt(nu) B(1/2, nu - 1/2) / ((nu - 1) B(1/2, nu/2)^2).
double body_half_spread(double nu) {
  const auto log_beta = [](double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); };
  return 2 * std::sqrt(nu) / (nu - 1) * std::exp(log_beta(0.5, nu - 0.5) - 2 * log_beta(0.5, 0.5 * nu));
}

}  // namespace

double crps_hurdle(const HurdleForecast& f, double y) {
  const double p = f.nonzero, q = 1 - p;
  if (!(f.scale > 0)) {  // the body is a point at the location
    const double a_y = std::fabs(y - f.location), a_0 = std::fabs(f.location);
    return q * std::fabs(y) + p * a_y - q * p * a_0;
  }
  return q * std::fabs(y) + p * body_abs(f, y) - q * p * body_abs(f, 0.0) - p * p * f.scale * body_half_spread(f.nu);
}

std::pair<double, double> hurdle_cdf(const HurdleForecast& f, double y) {
  const double q = 1 - f.nonzero;
  double body = y > f.location ? 1.0 : 0.0;
  if (f.scale > 0) body = boost::math::cdf(boost::math::students_t_distribution<double>(f.nu), (y - f.location) / f.scale);
  return {(y > 0 ? q : 0.0) + f.nonzero * body, y == 0 ? q : 0.0};
}

double hurdle_quantile(const HurdleForecast& f, double u) {
  const double p = f.nonzero, q = 1 - p;
  const auto body = [&](double v) {
    if (!(f.scale > 0)) return f.location;
    v = std::clamp(v, 1e-12, 1 - 1e-12);
    return f.location + f.scale * boost::math::quantile(boost::math::students_t_distribution<double>(f.nu), v);
  };
  const double below_zero = hurdle_cdf(f, 0.0).first;  // P(Y < 0)
  if (u < below_zero) return body(u / p);
  if (u <= below_zero + q) return 0.0;
  return body((u - q) / p);
}

}  // namespace sphere::dyad

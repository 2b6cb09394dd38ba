// The robust level model: a hurdle (is the month's level zero?) with a Student-t body around the
// pair's recent weighted median, its estimation by the one-step predictive likelihood, and its
// closed-form CRPS (docs/MODEL.md, "Level model").
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <optional>

#include <Eigen/Dense>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/interpolators/cubic_hermite.hpp>
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

// One term of the fit: a period's level and its pair's summary of the periods before.
struct Term {
  Summary summary;
  double z = 0, log_factor = 0, factor = 1;
  std::uint32_t pair = 0;  // the pairs' clusters of the CRPS fit's covariance
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

namespace detail {
// The Student-t body's functions at one nu, computed once per evaluation of the objective. With
// `tabulate`, the CDF within |u| <= kTabulatedU comes from a cubic Hermite table in atan(u) (with
// the exact density as its derivative: error below 1e-12) rather than from the incomplete beta
// function at each call: the fit evaluates it millions of times at one nu.
struct TBody {
  static constexpr double kTabulatedU = 50;
  static constexpr int kTablePoints = 2049;

  TBody(double nu_, bool tabulate)
      : nu(nu_), t(nu_),
        log_norm(std::lgamma(0.5 * (nu_ + 1)) - std::lgamma(0.5 * nu_) - 0.5 * std::log(nu_ * M_PI)) {
    const auto log_beta = [](double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); };
    half_spread = 2 * std::sqrt(nu) / (nu - 1) * std::exp(log_beta(0.5, nu - 0.5) - 2 * log_beta(0.5, 0.5 * nu));
    if (!tabulate) return;
    const double from = -std::atan(kTabulatedU), step = -2 * from / (kTablePoints - 1);
    std::vector<double> value(kTablePoints), slope(kTablePoints);
    for (int i = 0; i < kTablePoints; ++i) {
      const double u = std::tan(from + i * step);
      value[i] = boost::math::cdf(t, u);
      slope[i] = pdf(u) * (1 + u * u);  // dF/dtheta at u = tan(theta)
    }
    table.emplace(std::move(value), std::move(slope), from, step);
    theta_low = table->domain().first;
    theta_high = table->domain().second;
  }
  double pdf(double u) const { return std::exp(log_norm - 0.5 * (nu + 1) * std::log1p(u * u / nu)); }
  double cdf(double u) const {
    if (table && std::fabs(u) < kTabulatedU) return (*table)(std::clamp(std::atan(u), theta_low, theta_high));
    return boost::math::cdf(t, u);
  }
  // E|T - u| of a standard t: u (2F(u) - 1) + 2 f(u) (nu + u^2) / (nu - 1).
  double abs_from(double u) const { return u * (2 * cdf(u) - 1) + 2 * pdf(u) * (nu + u * u) / (nu - 1); }

  double nu;
  boost::math::students_t_distribution<double> t;
  double log_norm, half_spread = 0;
  std::optional<boost::math::interpolators::cardinal_cubic_hermite<std::vector<double>>> table;
  double theta_low = 0, theta_high = 0;
};
}  // namespace detail

namespace {
using detail::TBody;

// The term's CRPS in units of y (the CRPS of z times the exposure factor); as crps_hurdle.
double term_crps(const Term& term, const HurdleForecast& f, const TBody& body) {
  const double p = f.nonzero, q = 1 - p;
  double crps;
  if (!(f.scale > 0)) {
    crps = q * std::fabs(term.z) + p * std::fabs(term.z - f.location) - q * p * std::fabs(f.location);
  } else {
    const double a0 = f.scale * body.abs_from(-f.location / f.scale);
    // At z = 0 the first two terms are p A(0): the crps is p^2 (A(0) - s C).
    const double ay = term.z == 0 ? a0 : f.scale * body.abs_from((term.z - f.location) / f.scale);
    crps = q * std::fabs(term.z) + p * ay - q * p * a0 - p * p * f.scale * body.half_spread;
  }
  return crps * term.factor;
}

// The mean one-step CRPS over the terms: the objective of the fit.
double mean_crps(const std::vector<Term>& terms, const HurdleParams& p, double nonzero_share, double prior_scale) {
  const TBody body(std::exp(p.log_nu), true);
  double total = 0;
  for (const Term& term : terms) total += term_crps(term, predictive_of(term.summary, p, nonzero_share, prior_scale), body);
  return terms.empty() ? 0.0 : total / static_cast<double>(terms.size());
}

// Minimises `objective` over (log nu, log c, log k) within the bounds, by NLopt's BOBYQA.
detail::FreeMinimum minimise_hurdle(const std::function<double(const std::vector<double>&)>& objective,
                                    std::vector<double> start) {
  return detail::minimise_free({std::vector<double>(kHurdleLower.begin(), kHurdleLower.end()),
                                std::vector<double>(kHurdleUpper.begin(), kHurdleUpper.end()), 1e-7, 0.0, 2000},
                               objective, std::move(start));
}

// The covariance of the minimum-CRPS estimate: the sandwich H^-1 J H^-1, with H the Hessian of
// the mean CRPS and J the variance of its gradient summed over each pair's terms (a pair's months
// are not independent, its pairs are taken to be). Central differences; none for a parameter at
// its bound.
void hurdle_sandwich(const std::vector<Term>& terms, const std::vector<double>& x, HurdleFit* fit) {
  constexpr int k = HurdleParams::kCount;
  std::array<double, k> step{};
  std::vector<int> free;
  for (int i = 0; i < k; ++i) {
    step[i] = 1e-4 * std::max(1.0, std::fabs(x[i]));
    if (x[i] - 2 * step[i] > kHurdleLower[i] && x[i] + 2 * step[i] < kHurdleUpper[i]) free.push_back(i);
  }
  const int n = static_cast<int>(free.size());
  if (n == 0 || terms.empty()) return;
  const auto q = [&](int i, double si, int j, double sj) {
    auto v = x;
    if (i >= 0) v[i] += si;
    if (j >= 0) v[j] += sj;
    return mean_crps(terms, params_of(v), fit->nonzero_share, fit->prior_scale);
  };
  const double q0 = q(-1, 0, -1, 0);
  Eigen::MatrixXd hessian(n, n);
  for (int a = 0; a < n; ++a)
    for (int b = a; b < n; ++b) {
      const int i = free[a], j = free[b];
      hessian(a, b) = hessian(b, a) =
          i == j ? (q(i, step[i], -1, 0) - 2 * q0 + q(i, -step[i], -1, 0)) / (step[i] * step[i])
                 : (q(i, step[i], j, step[j]) - q(i, step[i], j, -step[j]) - q(i, -step[i], j, step[j]) +
                    q(i, -step[i], j, -step[j])) / (4 * step[i] * step[j]);
    }
  // Each term's gradient, summed per pair.
  std::uint32_t pairs = 0;
  for (const Term& t : terms) pairs = std::max(pairs, t.pair + 1);
  Eigen::MatrixXd per_pair = Eigen::MatrixXd::Zero(pairs, n);
  for (int a = 0; a < n; ++a) {
    const int i = free[a];
    for (double sign : {1.0, -1.0}) {
      auto v = x;
      v[i] += sign * step[i];
      const HurdleParams p = params_of(v);
      const TBody body(std::exp(p.log_nu), true);
      for (const Term& t : terms)
        per_pair(t.pair, a) += sign * term_crps(t, predictive_of(t.summary, p, fit->nonzero_share, fit->prior_scale), body) /
                               (2 * step[i]);
    }
  }
  const double count = static_cast<double>(terms.size());
  const Eigen::MatrixXd meat = per_pair.transpose() * per_pair / (count * count);
  Eigen::LDLT<Eigen::MatrixXd> ldlt(hessian);
  if (ldlt.info() != Eigen::Success || !ldlt.isPositive()) {
    fit->status += "; CRPS Hessian not positive definite (no intervals)";
    return;
  }
  const Eigen::MatrixXd bread = ldlt.solve(Eigen::MatrixXd::Identity(n, n));
  const Eigen::MatrixXd cov = bread * meat * bread;
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) fit->covariance[free[a]][free[b]] = cov(a, b);
}

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

  // At each lambda of the grid: the maximum-likelihood (nu, c, k) and the mean one-step CRPS
  // there; lambda is the grid value whose CRPS is least, and (nu, c, k) are then re-estimated there
  // by minimum CRPS from the likelihood's estimate.
  std::vector<Term> terms, best_terms;
  std::vector<std::pair<double, double>> scratch;
  std::vector<double> x = {std::log(5.0), 0.0, 0.0}, best_ml = x;
  double best_crps = HUGE_VAL, best_loglik = -HUGE_VAL;
  for (double lambda : kLambdaGrid) {
    terms.clear();
    for (std::size_t i = 0; i < fitted.size(); ++i) {
      const float* y = panel.series(fitted[i], measure);
      bool seen = false;
      for (int t = 0; t < until; ++t) {
        if (panel.exposure[t] <= 0) continue;
        if (seen) {
          const double f = factor_at(panel, t, scale);
          terms.push_back({summarise(panel, y, t, scale, lambda, &scratch), y[t] / f, std::log(f), f,
                           static_cast<std::uint32_t>(i)});
        }
        seen = seen || y[t] != 0;
      }
    }
    const detail::FreeMinimum ml = minimise_hurdle(
        [&](const std::vector<double>& v) { return -loglik(terms, params_of(v), fit.nonzero_share, fit.prior_scale); }, x);
    fit.evaluations += ml.evaluations;
    const double crps = mean_crps(terms, params_of(ml.x), fit.nonzero_share, fit.prior_scale);
    fit.profile.push_back({lambda, -ml.value, crps});
    x = ml.x;  // the next lambda starts from here
    best_loglik = std::max(best_loglik, -ml.value);
    if (crps < best_crps) {
      best_crps = crps;
      best_ml = ml.x;
      fit.lambda = lambda;
      best_terms.swap(terms);
    }
  }
  const detail::FreeMinimum cr = minimise_hurdle(
      [&](const std::vector<double>& v) { return mean_crps(best_terms, params_of(v), fit.nonzero_share, fit.prior_scale); },
      best_ml);
  fit.evaluations += cr.evaluations;
  fit.observations = best_terms.size();
  fit.likelihood_params = params_of(best_ml);
  fit.params = params_of(cr.x);
  fit.crps = cr.value;
  fit.loglik = loglik(best_terms, fit.params, fit.nonzero_share, fit.prior_scale);
  fit.converged = cr.result > 0 && cr.result != nlopt::MAXEVAL_REACHED;
  fit.status = fit.converged ? "converged" : fmt::format("optimiser stopped ({})", static_cast<int>(cr.result));
  // Grid values whose likelihood fit lies within 3.84/2 of the best (the 95% profile-likelihood
  // region): how sharply the data pin the memory down.
  fit.lambda_low = fit.lambda_high = fit.lambda;
  for (const auto& point : fit.profile)
    if (2 * (best_loglik - point.loglik) <= 3.841458820694124) {
      fit.lambda_low = std::min(fit.lambda_low, point.lambda);
      fit.lambda_high = std::max(fit.lambda_high, point.lambda);
    }
  hurdle_sandwich(best_terms, cr.x, &fit);
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

double crps_hurdle(const HurdleForecast& f, double y) {
  Term term;
  term.z = y;
  return term_crps(term, f, TBody(f.nu, false));
}

struct HurdleScorer::Body {
  TBody t;
};
HurdleScorer::HurdleScorer(double nu) : body_(std::make_unique<Body>(Body{TBody(nu, false)})) {}
HurdleScorer::~HurdleScorer() = default;

HurdleScorer::Score HurdleScorer::operator()(const HurdleForecast& f, double y) const {
  if (f.nu != body_->t.nu) {
    const auto [below, at] = hurdle_cdf(f, y);
    return {crps_hurdle(f, y), below, at};
  }
  const TBody& body = body_->t;
  const double p = f.nonzero, q = 1 - p;
  Score out;
  out.at = y == 0 ? q : 0.0;
  if (!(f.scale > 0)) {
    out.crps = q * std::fabs(y) + p * std::fabs(y - f.location) - q * p * std::fabs(f.location);
    out.below = (y > 0 ? q : 0.0) + p * (y > f.location ? 1.0 : 0.0);
    return out;
  }
  // E|T - u| = u (2F(u) - 1) + 2 f(u) (nu + u^2) / (nu - 1), with F(u) at y shared by the PIT.
  const auto abs_from = [&](double u, double cdf) {
    return u * (2 * cdf - 1) + 2 * body.pdf(u) * (body.nu + u * u) / (body.nu - 1);
  };
  const double u0 = -f.location / f.scale, uy = (y - f.location) / f.scale;
  const double f0 = body.cdf(u0), fy = y == 0 ? f0 : body.cdf(uy);
  const double a0 = f.scale * abs_from(u0, f0);
  const double ay = y == 0 ? a0 : f.scale * abs_from(uy, fy);
  out.crps = q * std::fabs(y) + p * ay - q * p * a0 - p * p * f.scale * body.half_spread;
  out.below = (y > 0 ? q : 0.0) + p * fy;
  return out;
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

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <Eigen/Dense>
#include <nlopt.hpp>

#include "events/events.h"
#include "events/internal.h"

namespace sphere::events {

namespace {

struct Tagged {
  double t;
  std::size_t stream;
};

// Every stream's events in one time-ordered sequence.
std::vector<Tagged> merge(const PointData& data) {
  std::vector<Tagged> all;
  for (std::size_t k = 0; k < data.times.size(); ++k)
    for (double t : data.times[k]) all.push_back({t, k});
  std::stable_sort(all.begin(), all.end(), [](const Tagged& a, const Tagged& b) { return a.t < b.t; });
  return all;
}

// Parameters as one vector: mu (D), alpha row by row (D*D), omega (D).
std::vector<double> flatten(const HawkesParams& p) {
  std::vector<double> x(p.mu);
  for (const auto& row : p.alpha) x.insert(x.end(), row.begin(), row.end());
  x.insert(x.end(), p.omega.begin(), p.omega.end());
  return x;
}

HawkesParams unflatten(const std::vector<double>& x, std::size_t d) {
  HawkesParams p;
  p.mu.assign(x.begin(), x.begin() + static_cast<long>(d));
  for (std::size_t k = 0; k < d; ++k)
    p.alpha.emplace_back(x.begin() + static_cast<long>(d + k * d),
                         x.begin() + static_cast<long>(d + (k + 1) * d));
  p.omega.assign(x.begin() + static_cast<long>(d + d * d), x.end());
  return p;
}

// -log L as NLopt sees it: x holds the logarithms of the parameters.
double objective(unsigned n, const double* x, double* grad, void* data) {
  (void)grad;  // derivative-free algorithm
  const auto* points = static_cast<const PointData*>(data);
  std::vector<double> natural(x, x + n);
  for (double& v : natural) v = std::exp(v);
  const double ll = hawkes_log_likelihood(unflatten(natural, points->times.size()), *points);
  return std::isfinite(ll) ? -ll : 1e300;
}

// Observed information: the Hessian of -log L in natural parameters, by central differences.
Eigen::MatrixXd information(const std::vector<double>& x, const PointData& data) {
  const std::size_t n = x.size(), d = data.times.size();
  auto f = [&](const std::vector<double>& v) { return -hawkes_log_likelihood(unflatten(v, d), data); };
  std::vector<double> h(n);
  for (std::size_t i = 0; i < n; ++i) h[i] = 1e-4 * std::max(std::fabs(x[i]), 1e-3);
  Eigen::MatrixXd H(n, n);
  const double f0 = f(x);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i; j < n; ++j) {
      auto at = [&](double si, double sj) {
        std::vector<double> v = x;
        v[i] += si * h[i];
        v[j] += sj * h[j];
        return f(v);
      };
      double value;
      if (i == j)
        value = (at(1, 0) - 2 * f0 + at(-1, 0)) / (h[i] * h[i]);
      else
        value = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j]);
      H(static_cast<long>(i), static_cast<long>(j)) = H(static_cast<long>(j), static_cast<long>(i)) = value;
    }
  }
  return H;
}

double spectral_radius(const HawkesParams& p) {
  const long d = static_cast<long>(p.dims());
  Eigen::MatrixXd a(d, d);
  for (long k = 0; k < d; ++k)
    for (long l = 0; l < d; ++l) a(k, l) = p.alpha[static_cast<std::size_t>(k)][static_cast<std::size_t>(l)];
  return a.eigenvalues().cwiseAbs().maxCoeff();
}

}  // namespace

double hawkes_log_likelihood(const HawkesParams& p, const PointData& data) {
  const std::size_t d = p.dims();
  std::vector<double> r(d, 0.0);  // r[l] = sum over past l-events of exp(-omega_l (t - t_j))
  double ll = 0.0, last = 0.0;
  for (const Tagged& e : merge(data)) {
    for (std::size_t l = 0; l < d; ++l) r[l] *= std::exp(-p.omega[l] * (e.t - last));
    last = e.t;
    double lambda = p.mu[e.stream];
    for (std::size_t l = 0; l < d; ++l) lambda += p.alpha[e.stream][l] * p.omega[l] * r[l];
    if (!(lambda > 0)) return -std::numeric_limits<double>::infinity();
    ll += std::log(lambda);
    r[e.stream] += 1.0;
  }
  // Compensator: integral of every intensity over [0, T].
  for (std::size_t k = 0; k < d; ++k) ll -= p.mu[k] * data.horizon;
  for (std::size_t l = 0; l < d; ++l) {
    double mass = 0.0;  // sum_j (1 - exp(-omega_l (T - t_j)))
    for (double t : data.times[l]) mass += -std::expm1(-p.omega[l] * (data.horizon - t));
    for (std::size_t k = 0; k < d; ++k) ll -= p.alpha[k][l] * mass;
  }
  return ll;
}

HawkesFit fit_hawkes(const PointData& data) {
  const std::size_t d = data.times.size();
  if (d == 0 || !(data.horizon > 0)) throw std::invalid_argument("no event times to fit");
  for (const auto& s : data.times)
    if (s.size() < 3)
      throw std::invalid_argument("a Hawkes fit needs at least 3 events in every stream; one has " +
                                  std::to_string(s.size()));
  const std::size_t n = d + d * d + d;
  // Bounds on the log scale: rates from 1e-8 to 1e4 per unit time, branching up to 10. A decay
  // rate below 1 / horizon would make a kernel longer than the data can show (on Poisson data
  // the fit otherwise drifts to kernels of many millennia and reports non-stationary branching).
  std::vector<double> lower(n), upper(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool alpha = i >= d && i < d + d * d;
    const bool omega = i >= d + d * d;
    lower[i] = std::log(alpha ? 1e-6 : (omega ? 1.0 / data.horizon : 1e-8));
    upper[i] = std::log(alpha ? 10.0 : 1e4);
  }
  HawkesFit best;
  best.log_likelihood = -std::numeric_limits<double>::infinity();
  std::vector<double> best_x;
  // A few starting decay rates (relative to the mean event rate): the likelihood in omega can
  // have several local optima, and each start costs only O(n) per evaluation.
  for (double scale : {0.1, 1.0, 10.0}) {
    HawkesParams start;
    for (std::size_t k = 0; k < d; ++k) {
      const double rate = static_cast<double>(data.times[k].size()) / data.horizon;
      start.mu.push_back(0.5 * rate);
      start.alpha.emplace_back(d, 0.5 / static_cast<double>(d));
      start.omega.push_back(std::clamp(scale * rate * 10, std::max(1e-3, 1.01 / data.horizon), 1e3));
    }
    std::vector<double> x = flatten(start);
    for (double& v : x) v = std::log(v);
    nlopt::opt opt(nlopt::LN_BOBYQA, static_cast<unsigned>(n));
    opt.set_lower_bounds(lower);
    opt.set_upper_bounds(upper);
    opt.set_min_objective(objective, const_cast<PointData*>(&data));
    opt.set_xtol_rel(1e-9);
    opt.set_ftol_abs(1e-10);
    opt.set_maxeval(20000);
    double value = 0.0;
    nlopt::result result;
    try {
      result = opt.optimize(x, value);
    } catch (const nlopt::roundoff_limited&) {
      result = nlopt::ROUNDOFF_LIMITED;  // x holds the best point found
      value = objective(static_cast<unsigned>(n), x.data(), nullptr, const_cast<PointData*>(&data));
    }
    if (-value > best.log_likelihood) {
      best.log_likelihood = -value;
      best.iterations = opt.get_numevals();
      // Stopping at the evaluation or time limit is not convergence.
      best.converged = (result > 0 && result != nlopt::MAXEVAL_REACHED &&
                        result != nlopt::MAXTIME_REACHED) ||
                       result == nlopt::ROUNDOFF_LIMITED;
      best_x = x;
    }
  }
  for (double& v : best_x) v = std::exp(v);
  best.params = unflatten(best_x, d);
  best.spectral_radius = spectral_radius(best.params);

  // Standard errors from the inverse observed information; a parameter at its bound, or a
  // singular information matrix, has none (NaN).
  const Eigen::MatrixXd info = information(best_x, data);
  std::vector<double> se(n, std::numeric_limits<double>::quiet_NaN());
  Eigen::LDLT<Eigen::MatrixXd> ldlt(info);
  if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
    const Eigen::MatrixXd cov = ldlt.solve(Eigen::MatrixXd::Identity(static_cast<long>(n), static_cast<long>(n)));
    for (std::size_t i = 0; i < n; ++i) {
      const double v = cov(static_cast<long>(i), static_cast<long>(i));
      const bool at_bound = std::log(best_x[i]) <= lower[i] + 1e-6 || std::log(best_x[i]) >= upper[i] - 1e-6;
      if (v > 0 && !at_bound) se[i] = std::sqrt(v);
    }
  }
  best.stderr_ = unflatten(se, d);
  for (std::size_t k = 0; k < d; ++k) {
    auto [ks, p] = ks_exponential(rescaled_times(best.params, data, k));
    best.ks_statistic.push_back(ks);
    best.ks_p_value.push_back(p);
    best.events.push_back(static_cast<int>(data.times[k].size()));
  }
  return best;
}

std::vector<double> rescaled_times(const HawkesParams& p, const PointData& data, std::size_t k) {
  // Lambda_k(t) = mu_k t + sum_l alpha_kl (N_l(t) - r_l(t)), r as in the likelihood.
  const std::size_t d = p.dims();
  std::vector<double> r(d, 0.0), count(d, 0.0), taus;
  double last = 0.0, previous = 0.0;
  for (const Tagged& e : merge(data)) {
    for (std::size_t l = 0; l < d; ++l) r[l] *= std::exp(-p.omega[l] * (e.t - last));
    last = e.t;
    if (e.stream == k) {
      double big = p.mu[k] * e.t;
      for (std::size_t l = 0; l < d; ++l) big += p.alpha[k][l] * (count[l] - r[l]);
      taus.push_back(big - previous);
      previous = big;
    }
    r[e.stream] += 1.0;
    count[e.stream] += 1.0;
  }
  return taus;
}

std::pair<double, double> ks_exponential(std::vector<double> sample) {
  if (sample.empty()) return {0.0, 1.0};
  for (double& x : sample) x = -std::expm1(-x);  // Exp(1) -> Uniform(0, 1)
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double dist = 0.0;
  for (std::size_t i = 0; i < sample.size(); ++i)
    dist = std::max({dist, (static_cast<double>(i) + 1) / n - sample[i], sample[i] - static_cast<double>(i) / n});
  // Kolmogorov's limiting distribution with Stephens' small-sample correction.
  const double lambda = (std::sqrt(n) + 0.12 + 0.11 / std::sqrt(n)) * dist;
  if (lambda < 0.2) return {dist, 1.0};
  double p = 0.0;
  for (int j = 1; j <= 100; ++j) p += 2 * ((j % 2) ? 1 : -1) * std::exp(-2.0 * j * j * lambda * lambda);
  return {dist, std::clamp(p, 0.0, 1.0)};
}

PointData simulate_hawkes(const HawkesParams& p, double horizon, std::uint64_t seed) {
  const std::size_t d = p.dims();
  PointData out;
  out.times.resize(d);
  out.horizon = horizon;
  std::vector<double> r(d, 0.0);
  auto intensity = [&](std::size_t k) {
    double lambda = p.mu[k];
    for (std::size_t l = 0; l < d; ++l) lambda += p.alpha[k][l] * p.omega[l] * r[l];
    return lambda;
  };
  double t = 0.0;
  for (std::uint64_t step = 0;; ++step) {
    // Between events every intensity decays, so the total at t bounds it until the next event.
    double bound = 0.0;
    for (std::size_t k = 0; k < d; ++k) bound += intensity(k);
    const auto [u1, u2] = detail::philox_uniforms(seed, 0, step);
    const double wait = -std::log(u1) / bound;
    t += wait;
    if (t > horizon) break;
    for (std::size_t l = 0; l < d; ++l) r[l] *= std::exp(-p.omega[l] * wait);
    double cumulative = 0.0, target = u2 * bound;
    for (std::size_t k = 0; k < d; ++k) {
      cumulative += intensity(k);
      if (target <= cumulative) {  // accepted, as an event of stream k
        out.times[k].push_back(t);
        r[k] += 1.0;
        break;
      }
    }
  }
  return out;
}

}  // namespace sphere::events

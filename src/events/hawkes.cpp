#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <Eigen/Dense>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/special_functions/binomial.hpp>
#include <boost/math/tools/roots.hpp>
#include <fmt/format.h>
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

// log L over `events`, the data's events merged in time order (merge(data)): a fit evaluates it
// thousands of times on the same data, so the merge (a sort) is done once per fit.
double log_likelihood(const HawkesParams& p, const std::vector<Tagged>& events, const PointData& data) {
  const std::size_t d = p.dims();
  std::vector<double> r(d, 0.0);  // r[l] = sum over past l-events of exp(-omega_l (t - t_j))
  double ll = 0.0, last = 0.0;
  for (const Tagged& e : events) {
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

// The optimisation problem: the data (and its events in time order), and optionally one
// parameter held at a fixed log value (a profile), the optimiser seeing the others only.
struct Problem {
  const PointData* data;
  const std::vector<Tagged>* events;
  long fixed = -1;
  double fixed_log = 0.0;
  // Full log-parameter vector of the optimiser's reduced one.
  std::vector<double> full(const double* x, unsigned n) const {
    std::vector<double> v(x, x + n);
    if (fixed >= 0) v.insert(v.begin() + fixed, fixed_log);
    return v;
  }
};

// -log L as NLopt sees it: x holds the logarithms of the free parameters.
double objective(unsigned n, const double* x, double* grad, void* data) {
  (void)grad;  // derivative-free algorithm
  const auto* problem = static_cast<const Problem*>(data);
  std::vector<double> natural = problem->full(x, n);
  for (double& v : natural) v = std::exp(v);
  const double ll =
      log_likelihood(unflatten(natural, problem->data->times.size()), *problem->events, *problem->data);
  return std::isfinite(ll) ? -ll : 1e300;
}

struct Optimum {
  std::vector<double> x;  // full log-parameter vector
  double value = 0.0;     // -log L
  nlopt::result result = nlopt::FAILURE;
  int evaluations = 0;
};

// How closely an optimisation is run: the fit itself tightly; each point of a profile, which
// starts next to its optimum and needs the log-likelihood to about 1e-4, more loosely.
struct Tolerance {
  double x_rel = 1e-9, f_abs = 1e-10;
  int evaluations = 20000;
};
constexpr Tolerance kProfileTolerance{1e-6, 1e-6, 4000};

// Minimises -log L by BOBYQA from the log-parameters `start` within [lower, upper] (the fixed
// parameter, if any, left out of all three).
Optimum minimise(const Problem& problem, std::vector<double> start, std::vector<double> lower,
                 std::vector<double> upper, const Tolerance& tolerance = {}) {
  if (problem.fixed >= 0)
    for (auto* v : {&start, &lower, &upper}) v->erase(v->begin() + problem.fixed);
  const auto n = static_cast<unsigned>(start.size());
  nlopt::opt opt(nlopt::LN_BOBYQA, n);
  opt.set_lower_bounds(lower);
  opt.set_upper_bounds(upper);
  opt.set_min_objective(objective, const_cast<Problem*>(&problem));
  opt.set_xtol_rel(tolerance.x_rel);
  opt.set_ftol_abs(tolerance.f_abs);
  opt.set_maxeval(tolerance.evaluations);
  for (std::size_t i = 0; i < start.size(); ++i) start[i] = std::clamp(start[i], lower[i], upper[i]);
  Optimum out;
  try {
    out.result = opt.optimize(start, out.value);
  } catch (const nlopt::roundoff_limited&) {
    out.result = nlopt::ROUNDOFF_LIMITED;  // `start` holds the best point found
    out.value = objective(n, start.data(), nullptr, const_cast<Problem*>(&problem));
  }
  out.evaluations = opt.get_numevals();
  out.x = problem.full(start.data(), n);
  return out;
}

// Log-likelihood of the Poisson process with each stream at its maximum-likelihood rate.
double poisson_log_likelihood(const PointData& data) {
  double ll = 0.0;
  for (const auto& stream : data.times) {
    const double n = static_cast<double>(stream.size());
    if (n > 0) ll += n * std::log(n / data.horizon) - n;
  }
  return ll;
}

// P(X >= lr) for X ~ sum_j C(m, j) 2^-m chi2(j), chi2(0) a point mass at 0.
double chi_bar_squared_survival(double lr, int m) {
  if (!(lr > 0)) return 1.0;
  double p = 0.0;
  for (int j = 1; j <= m; ++j)
    p += boost::math::binomial_coefficient<double>(static_cast<unsigned>(m), static_cast<unsigned>(j)) *
         std::ldexp(1.0, -m) * boost::math::cdf(boost::math::complement(boost::math::chi_squared(j), lr));
  return std::clamp(p, 0.0, 1.0);
}

// Observed information: the Hessian of -log L in natural parameters, by central differences.
Eigen::MatrixXd information(const std::vector<double>& x, const std::vector<Tagged>& events,
                            const PointData& data) {
  const std::size_t n = x.size(), d = data.times.size();
  auto f = [&](const std::vector<double>& v) { return -log_likelihood(unflatten(v, d), events, data); };
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
  return log_likelihood(p, merge(data), data);
}

HawkesFit fit_hawkes(const PointData& data, const HawkesOptions& options) {
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
  const std::vector<Tagged> events = merge(data);
  const Problem problem{&data, &events};
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
    const Optimum o = minimise(problem, x, lower, upper);
    if (-o.value > best.log_likelihood) {
      best.log_likelihood = -o.value;
      best.iterations = o.evaluations;
      // Stopping at the evaluation or time limit is not convergence.
      best.converged = (o.result > 0 && o.result != nlopt::MAXEVAL_REACHED &&
                        o.result != nlopt::MAXTIME_REACHED) ||
                       o.result == nlopt::ROUNDOFF_LIMITED;
      best_x = o.x;
    }
  }
  const std::vector<double> best_log = best_x;

  // Excitation against none: every alpha on its bound under the null.
  best.log_likelihood_poisson = poisson_log_likelihood(data);
  best.lr_statistic = std::max(0.0, 2 * (best.log_likelihood - best.log_likelihood_poisson));
  best.lr_p_value = chi_bar_squared_survival(best.lr_statistic, static_cast<int>(d * d));

  // Profile-likelihood intervals of the excitation, from the optimum outwards: the root of
  // 2 (l_max - l_profile(alpha)) = 3.841 on each side, in log alpha, by TOMS 748.
  const double cut = boost::math::quantile(boost::math::chi_squared(1), 0.95);
  if (options.profiles) best.alpha_profile.assign(d, std::vector<std::array<double, 2>>(d));
  for (std::size_t k = 0; k < d && options.profiles; ++k)
    for (std::size_t l = 0; l < d; ++l) {
      const std::size_t i = d + k * d + l;
      auto excess = [&](double log_alpha) {
        const Problem fixed{&data, &events, static_cast<long>(i), log_alpha};
        return 2 * (best.log_likelihood + minimise(fixed, best_log, lower, upper, kProfileTolerance).value) -
               cut;
      };
      auto root = [&](double inside, double outside) {
        // Ends to about three significant digits: more than an interval can be printed with.
        boost::math::tools::eps_tolerance<double> tolerance(12);
        std::uintmax_t iterations = 30;
        try {
          const auto [a, b] = boost::math::tools::toms748_solve(
              excess, std::min(inside, outside), std::max(inside, outside), tolerance, iterations);
          return std::exp(0.5 * (a + b));
        } catch (const std::exception&) {  // no sign change: the optimum was not the maximum
          return std::numeric_limits<double>::quiet_NaN();
        }
      };
      const double at = std::clamp(best_log[i], lower[i] + 1e-9, upper[i] - 1e-9);
      const double down = excess(lower[i]), up = excess(upper[i]);
      best.alpha_profile[k][l] = {down <= 0 ? 0.0 : root(at, lower[i]),
                                  up <= 0 ? std::exp(upper[i]) : root(at, upper[i])};
    }
  for (double& v : best_x) v = std::exp(v);
  best.params = unflatten(best_x, d);
  best.spectral_radius = spectral_radius(best.params);

  // Standard errors from the inverse observed information; a parameter at its bound, or a
  // singular information matrix, has none (NaN).
  const Eigen::MatrixXd info = information(best_x, events, data);
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

std::string hawkes_shortfall(const HawkesFit& fit, const InformationRule& rule) {
  for (int n : fit.events)
    if (n < rule.min_events)
      return fmt::format("{} events in a stream, fewer than the {} the rule asks for", n, rule.min_events);
  if (!fit.converged) return "the optimiser did not converge";
  if (!(fit.lr_p_value < rule.level))
    return fmt::format("no excitation detected against a Poisson process (likelihood ratio {:.1f}, "
                       "p = {:.2f})", fit.lr_statistic, fit.lr_p_value);
  if (!(fit.spectral_radius < 1.0)) return "branching ratio not below 1 (not stationary)";
  return "";
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

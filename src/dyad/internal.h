// Private pieces of the dyadic model shared by its sources. Not part of the public API.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <nlopt.hpp>

#include "dyad/dyad.h"

namespace sphere::dyad::detail {

// Guard on the log rate: keeps exp() finite on a pathological parameter draw.
inline double clamp_eta(double eta) { return eta < -30.0 ? -30.0 : (eta > 20.0 ? 20.0 : eta); }

// Bounds of the shared parameters (delta, beta, alpha, gamma, log r, rho): the relation state and
// excitation are non-negative and below one; a dyad's log size stays within log r's bounds.
inline constexpr std::array<double, Params::kCount> kLower = {-5.0, 0.0, 0.0, -1.0, -4.6, -3.0};
inline constexpr std::array<double, Params::kCount> kUpper = {5.0, 0.99, 1.0, 1.0, 6.9, 3.0};

// A dyad's log NB size: log r + rho (m - m0), clamped to log r's bounds (where the clamp binds
// the size does not move with the parameters).
inline double log_size(const Params& p, double m, double center) {
  return std::clamp(p.log_r + p.rho * (m - center), kLower[4], kUpper[4]);
}
inline double size_of(const Params& p, double m, double center) {
  return std::exp(log_size(p, m, center));
}

// Days in the month with this month index (year * 12 + month - 1).
inline int days_in_month(int month_index) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int year = month_index / 12, month = month_index % 12;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return days[month] + (month == 1 && leap ? 1 : 0);
}

// A level's exposure scale over periods [0, until): the mean exposure of the covered periods.
inline double exposure_scale_over(const panel::Panel& panel, int until) {
  double sum = 0;
  int n = 0;
  for (int t = 0; t < until; ++t)
    if (panel.exposure[t] > 0) sum += panel.exposure[t], ++n;
  return n ? sum / n : 1.0;
}

// The exposure factor of period t (1 past the panel's end: a full period).
inline double factor_at(const panel::Panel& panel, int t, double scale) {
  return t < panel.periods ? panel.exposure[t] / scale : 1.0;
}

// The median (the mean of the two middle values of an even count); 0 for none.
inline double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const std::size_t k = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + k, v.end());
  if (v.size() % 2) return v[k];
  const double upper = v[k];
  return 0.5 * (upper + *std::max_element(v.begin(), v.begin() + k));
}

// A level fit's measure index and the end of its window [0, until) (0: the whole panel). Throws
// InputError for an unknown measure, a count, or fewer than 6 periods.
inline std::pair<int, int> level_fit_window(const panel::Panel& panel, const std::string& measure_name,
                                            int until) {
  const int measure = panel.measure_index(measure_name);
  if (measure < 0)
    throw InputError(panel.file, 0, "target", "the panel has no measure '" + measure_name + "'");
  if (panel.measures[measure].count)
    throw InputError(panel.file, 0, "target",
                     "'" + measure_name + "' is a count; the level model fits real-valued levels");
  until = until > 0 ? std::min(until, panel.periods) : panel.periods;
  if (until < 6) throw InputError(panel.file, 0, "until", "fewer than 6 periods before the fit's end");
  return {measure, until};
}

// One negative-binomial draw, censored at `bound` (-1: none): inversion for small means,
// gamma-Poisson otherwise. Used by forecasts, predictive checks and the outlook alike.
inline int draw_nb(Rng& rng, double mean, double r, int bound) {
  if (!(mean > 0)) return 0;
  int y;
  if (mean < 30.0) {
    const double u = rng.uniform(), q = mean / (r + mean);
    double p = std::exp(-r * std::log1p(mean / r)), cdf = p;
    y = 0;
    while (u > cdf && y < 100000 && (bound < 0 || y < bound)) {
      p *= (y + r) / (y + 1.0) * q;
      ++y;
      cdf += p;
    }
  } else {
    y = static_cast<int>(std::min<double>(rng.poisson(rng.gamma(r) * mean / r), 1e9));
  }
  return bound >= 0 ? std::min(y, bound) : y;
}

// Minimises with NLopt's L-BFGS on the exact gradient; where its line search fails outright
// (NLopt's generic failure, seen on tiny panels), again without derivatives (BOBYQA) from where
// it stopped. `configure` sets bounds, tolerances and the objective on either.
template <class Configure>
nlopt::result minimise(unsigned n, const Configure& configure, std::vector<double>* x, double* value) {
  for (const auto algorithm : {nlopt::LD_LBFGS, nlopt::LN_BOBYQA}) {
    nlopt::opt opt(algorithm, n);
    configure(opt);
    try {
      return opt.optimize(*x, *value);
    } catch (const nlopt::roundoff_limited&) {
      return nlopt::ROUNDOFF_LIMITED;
    } catch (const std::runtime_error&) {
      if (algorithm == nlopt::LN_BOBYQA) return nlopt::FAILURE;
    }
  }
  return nlopt::FAILURE;
}

// A box-bounded minimisation: bounds, tolerances and the evaluation limit.
struct Box {
  std::vector<double> lower, upper;
  double xtol_rel = 1e-9, ftol_rel = 1e-14;
  int maxeval = 2000;
};
inline void set_box(const Box& box, nlopt::opt* opt) {
  opt->set_lower_bounds(box.lower);
  opt->set_upper_bounds(box.upper);
  opt->set_xtol_rel(box.xtol_rel);
  opt->set_ftol_rel(box.ftol_rel);
  opt->set_maxeval(box.maxeval);
}
// minimise() in `box` of `objective(x, grad)` (grad filled when not empty; returns the value).
template <class Objective>
nlopt::result minimise_in_box(const Box& box, Objective& objective, std::vector<double>* x,
                              double* value) {
  return minimise(static_cast<unsigned>(x->size()), [&](nlopt::opt& opt) {
    set_box(box, &opt);
    opt.set_min_objective(
        [](const std::vector<double>& v, std::vector<double>& grad, void* data) {
          return (*static_cast<Objective*>(data))(v, grad);
        },
        &objective);
  }, x, value);
}

// A derivative-free minimisation in `box` (NLopt's BOBYQA) of an objective without a gradient:
// the point reached (also where round-off stopped it, with its value), the optimiser's result
// and the evaluations used.
struct FreeMinimum {
  std::vector<double> x;
  double value = 0;
  nlopt::result result = nlopt::FAILURE;
  int evaluations = 0;
};
inline FreeMinimum minimise_free(const Box& box,
                                 const std::function<double(const std::vector<double>&)>& objective,
                                 std::vector<double> start) {
  struct Counted {
    const std::function<double(const std::vector<double>&)>* objective;
    int evaluations = 0;
  } counted{&objective};
  nlopt::opt opt(nlopt::LN_BOBYQA, static_cast<unsigned>(start.size()));
  set_box(box, &opt);
  opt.set_min_objective(
      [](const std::vector<double>& v, std::vector<double>&, void* raw) {
        auto* c = static_cast<Counted*>(raw);
        ++c->evaluations;
        return (*c->objective)(v);
      },
      &counted);
  FreeMinimum out;
  try {
    out.result = opt.optimize(start, out.value);
  } catch (const nlopt::roundoff_limited&) {
    out.result = nlopt::ROUNDOFF_LIMITED;
    out.value = objective(start);
  }
  out.x = std::move(start);
  out.evaluations = counted.evaluations;
  return out;
}

// One score table per model name, each with one row per horizon over `periods` panel periods.
inline std::vector<ModelScores> score_tables(const std::vector<std::string>& names,
                                            const std::vector<int>& horizons, int periods) {
  std::vector<ModelScores> models(names.size());
  for (std::size_t m = 0; m < names.size(); ++m) {
    models[m].name = names[m];
    models[m].horizons.resize(horizons.size());
    for (std::size_t i = 0; i < horizons.size(); ++i) models[m].horizons[i].reset(horizons[i], periods);
  }
  return models;
}

// Purpose of the dyadic model's random streams (core Rng; the sim layer uses 1-5).
inline constexpr std::uint32_t kPurposeDyad = 16;

// One series as the recursion sees it: its values, its partner's, their anchors.
struct SeriesView {
  const float* y = nullptr;
  const float* x = nullptr;  // nullptr: zeros
  double m = 0, level = 0, partner_level = 0;
  double weight = 1;  // how many pairs have this very series (identical ones are summed once)
  int table = 1;      // entries of the NB tables it needs: 1 + its largest count, at most 65
};

// Everything about one measure's series that the likelihood needs, prepared once per fit.
struct MeasureData {
  std::vector<SeriesView> series;
  std::vector<double> factor;      // exposure factor per period
  std::vector<double> log_factor;  // its log (-inf where nothing was covered)
  std::vector<int> bound;      // exposure in whole days per period when bounded; -1 otherwise
  int periods = 0;             // the fit window
  double dispersion_center = 0;  // m0 of log r_d = log r + rho (m - m0)
  // What drives each series' state, prepared once (prepare_drive): for series i and period t,
  // drive[(i * periods + t) * 2 + {0, 1}] = log(1 + y_t) - L and log(1 + x_t) - C (0 where
  // nothing was covered).
  std::vector<double> drive;
};

// Fills data->drive from the series (after every series is in place).
void prepare_drive(MeasureData* data);

// Each pair's sums of y and log(1 + y) over the covered periods before `until`, carried forward
// as `until` grows: a rolling backtest reads each period once instead of once per origin.
struct PairSums {
  PairSums(const panel::Panel& panel, int measure);
  void advance(const panel::Panel& panel, int until);  // until may not decrease
  int measure;
  int until = 0;
  std::vector<double> totals, logs;
};

// refresh_anchors (dyad.h) from sums carried to the origin; `partner` for a calibration with a
// partner measure of its own.
void refresh_anchors(const panel::Panel& panel, Calibration* cal, const PairSums& target,
                     const PairSums* partner);

// The backtest's baselines (backtest.cpp). The empirical distribution of y[from..to) over
// periods with exposure, into *pmf; the pair's 90th percentile of y[0..origin).
void empirical(const panel::Panel& panel, const float* y, int from, int to, Pmf* pmf);
int q90(const float* y, int origin, std::vector<float>* scratch);
// The same two without sorting, from y[0..origin) counted by value, when every one of those
// periods is covered and every value a count below kCountCap (count_history is false otherwise);
// each gives the other's bits.
inline constexpr int kCountCap = 4096;
bool count_history(const float* y, int origin, std::vector<int>* counts);
int q90_of(const std::vector<int>& counts, int n);
void empirical_of(const std::vector<int>& counts, int n, Pmf* pmf);

// log(1 + v) of a count: a table for small values (counts are mostly small), log1p beyond.
inline double log1p_count(float v) {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = std::log1p(static_cast<double>(i));
    return t;
  }();
  return v >= 0 && v < 256 && v == static_cast<int>(v) ? table[static_cast<int>(v)]
                                                         : std::log1p(static_cast<double>(v));
}

// log NB(y; mean, r), with lgamma(y + r) - lgamma(r) - log y! from a table for small y (the
// first `table` values, at most kTable: a series needs them up to its largest count only).
class NbLogPmf {
 public:
  static constexpr int kTable = 65;
  explicit NbLogPmf(double r, int table = kTable);
  double operator()(double y, double mean) const;
  // The same with log(mean) given (saves a log in the likelihood's inner loop), and its
  // derivatives with respect to log(mean) and log(r):
  //   d/d log mean = r (y - mean) / (r + mean),
  //   d/d log r    = r [psi(y + r) - psi(r) - log(1 + mean / r) + (mean - y) / (r + mean)].
  // Inline: the likelihood's inner loop.
  double with_gradient(double y, double mean, double log_mean, double* d_log_mean,
                       double* d_log_r) const {
    // log(1 + mean / r) as log(r + mean) - log r: log is much cheaper than log1p, and the
    // cancellation when mean << r costs digits of this term only, not of the sum.
    const double l1 = std::log(r_ + mean) - log_r_, inv = 1.0 / (r_ + mean);
    double out = -r_ * l1, psi = 0;
    if (y > 0) {
      const int k = static_cast<int>(y);
      double rising;
      if (k < table_) {
        rising = rising_[k];
        psi = digamma_[k];
      } else {
        rising = rising_and_digamma(y, &psi);
      }
      out += rising + y * (log_mean - log_r_ - l1);
    }
    *d_log_mean = r_ * (y - mean) * inv;
    *d_log_r = r_ * (psi - l1 + (mean - y) * inv);
    return out;
  }
  // log P(Y >= y) for the censored top cell (1 - the cells below it, or the cells from y up
  // when that is small).
  double log_tail(int y, double mean) const;
  // The same with its derivatives (each cell's, as above, weighted by its probability).
  double log_tail_gradient(int y, double mean, double* d_log_mean, double* d_log_r) const;
  double r() const { return r_; }

 private:
  // lgamma(y + r) - lgamma(r) - log y! and psi(y + r) - psi(r) beyond the table.
  double rising_and_digamma(double y, double* psi) const;
  double r_, log_r_;
  int table_;
  std::array<double, kTable> rising_;   // sum_{k<y} log(r + k) - log y!
  std::array<double, kTable> digamma_;  // psi(y + r) - psi(r) = sum_{k<y} 1 / (r + k)
};

// Gradient with respect to (delta, beta, alpha, gamma, log_r, rho), in Params order.
using Gradient = std::array<double, Params::kCount>;

// The log-likelihood of one measure's series under `params`, summed in fixed chunks of series
// (same bits for any thread count), a true log-likelihood (with -sum log y!). With `gradient`,
// also its exact gradient, by forward sensitivities of the state recursion (zero where the
// clamp on the log rate binds).
double log_likelihood(const MeasureData& data, const Params& params, int threads,
                      Gradient* gradient = nullptr);

// The log-linear recursion is stable when the state's total feedback on itself stays below
// one: beta + alpha + |gamma| < 1 (a sufficient condition; docs/MODEL.md).
inline bool stationary(const Params& p) { return p.beta + p.alpha + std::fabs(p.gamma) < 0.995; }

// The recursion's next state given this period's observation.
inline double next_eta(const Params& p, double m, double eta, double l, double level, double c,
                       double partner_level) {
  const double base = m + p.delta;
  return clamp_eta(base + p.beta * (eta - base) + p.alpha * (l - level) +
                   p.gamma * (c - partner_level));
}

}  // namespace sphere::dyad::detail

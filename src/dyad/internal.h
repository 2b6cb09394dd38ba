// Private pieces of the dyadic model shared by its sources. Not part of the public API.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "dyad/dyad.h"

namespace sphere::dyad::detail {

// Guard on the log rate: keeps exp() finite on a pathological parameter draw.
inline double clamp_eta(double eta) { return eta < -30.0 ? -30.0 : (eta > 20.0 ? 20.0 : eta); }

// Bounds of the shared parameters (delta, beta, alpha, gamma, log r): the relation state and
// excitation are non-negative and below one.
inline constexpr std::array<double, Params::kCount> kLower = {-5.0, 0.0, 0.0, -1.0, -4.6};
inline constexpr std::array<double, Params::kCount> kUpper = {5.0, 0.99, 1.0, 1.0, 6.9};

// Days in the month with this month index (year * 12 + month - 1).
inline int days_in_month(int month_index) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int year = month_index / 12, month = month_index % 12;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return days[month] + (month == 1 && leap ? 1 : 0);
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

// Purpose of the dyadic model's random streams (core Rng; the sim layer uses 1-5).
inline constexpr std::uint32_t kPurposeDyad = 16;

// One series as the recursion sees it: its values, its partner's, their anchors.
struct SeriesView {
  const float* y = nullptr;
  const float* x = nullptr;  // nullptr: zeros
  double m = 0, level = 0, partner_level = 0;
};

// Everything about one measure's series that the likelihood needs, prepared once per fit.
struct MeasureData {
  std::vector<SeriesView> series;
  std::vector<double> factor;      // exposure factor per period
  std::vector<double> log_factor;  // its log (-inf where nothing was covered)
  std::vector<int> bound;      // exposure in whole days per period when bounded; -1 otherwise
  int periods = 0;             // the fit window
};

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

// log NB(y; mean, r) without the -log y! term, with lgamma(y + r) - lgamma(r) from a table
// for small y.
class NbLogPmf {
 public:
  explicit NbLogPmf(double r);
  double operator()(double y, double mean) const;
  // The same with log(mean) given (saves a log in the likelihood's inner loop).
  double with_log_mean(double y, double mean, double log_mean) const;
  // log P(Y >= y) for the censored top cell.
  double log_tail(int y, double mean) const;
  double r() const { return r_; }

 private:
  double r_, log_r_;
  std::vector<double> rising_;  // sum_{k<y} log(r + k)
};

// The log-likelihood of one measure's series under `params`, summed in fixed chunks of series
// (same bits for any thread count). Adds -sum log y! so that values are true log-likelihoods.
double log_likelihood(const MeasureData& data, const Params& params, int threads);

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

// Private pieces of the dyadic model shared by its sources. Not part of the public API.
#pragma once

#include <array>
#include <cmath>
#include <vector>

#include "dyad/dyad.h"

namespace sphere::dyad::detail {

// Guard on the log rate: keeps exp() finite on a pathological parameter draw.
inline double clamp_eta(double eta) { return eta < -30.0 ? -30.0 : (eta > 20.0 ? 20.0 : eta); }

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

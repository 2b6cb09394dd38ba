// Synthetic panels for the dyad tests: filled from the model itself, so that what a fit or a
// forecast should recover is known.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "dyad/dyad.h"

namespace sphere::dyad::testing {

// A synthetic undirected panel of zeros from 2000-01, exposure 1: by default two count measures
// (target, partner), unbounded.
inline panel::Panel empty_panel(int pairs, int periods,
                                std::vector<panel::Measure> measures = {{"conflict", true, false, "events"},
                                                                        {"coop", true, false, "events"}}) {
  panel::Panel p;
  p.file = "synthetic.csv";
  p.format = panel::Format::kDyadCsv;
  p.first = 2000 * 12;
  p.periods = periods;
  p.measures = std::move(measures);
  const int codes = static_cast<int>(std::ceil(std::sqrt(2.0 * pairs))) + 2;
  for (int i = 0; i < codes; ++i) p.codes.push_back(std::string("C").append(std::to_string(100 + i)));
  for (int a = 0; a < codes && static_cast<int>(p.pairs.size()) < pairs; ++a)
    for (int b = a + 1; b < codes && static_cast<int>(p.pairs.size()) < pairs; ++b) p.pairs.push_back({a, b});
  p.exposure.assign(periods, 1.0);
  p.values.assign(p.pairs.size() * p.measures.size() * periods, 0.0f);
  return p;
}

// Fills the panel from the model itself with the given parameters and dyad levels.
// `trend`: a common trend of both measures' rates, per year (12 periods), 1 at the middle period.
inline void simulate_into(panel::Panel* p, const Params& target, const Params& partner,
                   std::uint64_t seed, double trend = 0.0) {
  Calibration c;
  c.target = "conflict";
  c.partner = "coop";
  c.first = p->first;
  c.until = p->first + p->periods;
  c.fits.resize(2);
  for (auto& f : c.fits) {
    f.trend = trend;
    f.trend_center = p->first + (p->periods - 1) / 2.0;
  }
  c.anchors.assign(2, std::vector<Anchor>(p->pairs.size()));
  Rng rng(seed, 0, 0, 99, 0);
  for (std::size_t d = 0; d < p->pairs.size(); ++d) {
    const double m = -1.0 + 1.2 * rng.normal();
    c.anchors[0][d] = {static_cast<float>(m), static_cast<float>(std::log1p(std::exp(m)) * 0.8)};
    c.anchors[1][d] = {static_cast<float>(m + 0.5), static_cast<float>(std::log1p(std::exp(m + 0.5)) * 0.8)};
  }
  for (std::size_t d = 0; d < p->pairs.size(); ++d) {
    const auto sim = simulate_pair(*p, c, {target, partner}, d, p->periods, seed, 0);
    for (int t = 0; t < p->periods; ++t) {
      p->values[(d * 2 + 0) * p->periods + t] = static_cast<float>(sim.target[t]);
      p->values[(d * 2 + 1) * p->periods + t] = static_cast<float>(sim.partner[t]);
    }
  }
}

// The CRPS as its definition: the integral of (F(x) - 1{x >= y})^2, by the midpoint rule.
inline double crps_integral(const std::function<double(double)>& F, double y, double lo, double hi) {
  const int n = 400000;
  const double dx = (hi - lo) / n;
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const double x = lo + (i + 0.5) * dx;
    const double d = F(x) - (x >= y ? 1.0 : 0.0);
    total += d * d * dx;
  }
  return total;
}

}  // namespace sphere::dyad::testing

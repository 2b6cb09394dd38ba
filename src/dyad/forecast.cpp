// Predictive distributions: the state filtered up to the origin, one exact step, then simulated
// paths whose next-step pmfs are averaged (Rao-Blackwellised) at each later horizon.
#include <algorithm>
#include <cmath>

#include <boost/math/distributions/binomial.hpp>

#include "dyad/internal.h"

namespace sphere::dyad {
namespace {

// Exposure factor and bound (-1: none) of panel period t; past the panel's end a month is
// covered in full.
struct Exposure {
  double factor;
  int bound;
};
Exposure exposure_at(const panel::Panel& panel, const Calibration& cal, bool bounded, int t) {
  if (t < panel.periods) {
    const double e = panel.exposure[t];
    return {e / cal.exposure_scale, bounded ? static_cast<int>(std::lround(e)) : -1};
  }
  if (panel.yearly || cal.exposure_scale == 1.0) return {1.0, -1};
  const int days = detail::days_in_month(panel.first + t);
  return {days / cal.exposure_scale, bounded ? days : -1};
}

// Support size for a mixture of NB components with the given means.
int support(const double* means, std::size_t count, double r, int bound) {
  if (bound >= 0) return bound + 1;
  double top = 0;
  for (std::size_t i = 0; i < count; ++i) top = std::max(top, means[i]);
  const double sd = std::sqrt(top + top * top / r);
  return static_cast<int>(std::min(2e6, top + 12.0 * sd + 12.0));
}

}  // namespace

std::vector<Pmf> forecast_pair(const panel::Panel& panel, const Calibration& cal,
                               const std::vector<Params>& params, std::size_t pair, int origin,
                               const std::vector<int>& horizons, const ForecastOptions& options) {
  const PairSeries s = pair_series(panel, cal, pair);
  const int target = panel.measure_index(cal.target);
  const bool bounded = panel.measures[target].bounded;
  const bool two = cal.fits.size() > 1;
  const Anchor ay = cal.anchors[0][pair];
  const Anchor ax = partner_anchor(panel, cal, pair);
  const Params& py = params[0];
  const Params& px = two ? params[1] : params[0];
  // Filter both series up to the origin.
  double ey = detail::clamp_eta(ay.m + py.delta), ex = detail::clamp_eta(ax.m + px.delta);
  const int observed = std::min(origin, panel.periods);
  for (int t = 0; t < observed; ++t) {
    double ly = ay.level, lx = ax.level;
    if (panel.exposure[t] > 0) {  // exposure_at's factor > 0, without its bound
      ly = detail::log1p_count(s.y[t]);
      lx = s.x ? detail::log1p_count(s.x[t]) : 0.0;
    }
    const double ny = detail::next_eta(py, ay.m, ey, ly, ay.level, lx, ax.level);
    const double nx = detail::next_eta(px, ax.m, ex, lx, ax.level, ly, ay.level);
    ey = ny;
    ex = nx;
  }
  int last = 0;
  for (int h : horizons) last = std::max(last, h);
  const double ry = detail::size_of(py, ay.m, cal.fits[0].dispersion_center);
  const double rx = detail::size_of(px, ax.m, cal.fits[two ? 1 : 0].dispersion_center);
  std::vector<Pmf> out(horizons.size());
  // Each measure's exposure in period t: the panel's, times its own common trend.
  const int xs = two ? 1 : 0;
  const auto factor_y = [&](int t) { return exposure_at(panel, cal, bounded, t).factor * trend_factor(cal, 0, t); };
  // Means of the target at each horizon: one for h = 1, one per path after (horizon h's at
  // later[(h - 2) * paths + path]).
  const double first = factor_y(origin) * std::exp(ey);
  const std::size_t paths = static_cast<std::size_t>(std::max(options.paths, 0));
  std::vector<double> later(last > 1 ? static_cast<std::size_t>(last - 1) * paths : 0);
  if (last > 1) {
    for (int path = 0; path < options.paths; ++path) {
      Rng rng(options.seed, static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(origin),
              detail::kPurposeDyad, static_cast<std::uint32_t>(pair));
      double y_eta = ey, x_eta = ex;
      for (int step = 1; step < last; ++step) {
        const int t = origin + step - 1;
        const Exposure e = exposure_at(panel, cal, bounded, t);
        const int y = detail::draw_nb(rng, e.factor * trend_factor(cal, 0, t) * std::exp(y_eta), ry, e.bound);
        const int x = (s.x || two) ? detail::draw_nb(rng, e.factor * trend_factor(cal, xs, t) * std::exp(x_eta), rx, e.bound) : 0;
        const double ly = std::log1p(static_cast<double>(y)), lx = std::log1p(static_cast<double>(x));
        const double ny = detail::next_eta(py, ay.m, y_eta, ly, ay.level, lx, ax.level);
        const double nx = detail::next_eta(px, ax.m, x_eta, lx, ax.level, ly, ay.level);
        y_eta = ny;
        x_eta = nx;
        later[static_cast<std::size_t>(step - 1) * paths + static_cast<std::size_t>(path)] = factor_y(t + 1) * std::exp(y_eta);
      }
    }
  }
  for (std::size_t i = 0; i < horizons.size(); ++i) {
    const int h = horizons[i];
    const Exposure e = exposure_at(panel, cal, bounded, origin + h - 1);
    const double* m = h == 1 ? &first : later.data() + static_cast<std::size_t>(h - 2) * paths;
    const std::size_t count = h == 1 ? 1 : paths;
    const int n = e.bound >= 0 ? e.bound + 1 : std::max(support(m, count, ry, e.bound), options.min_support);
    if (count == 1) {  // one step ahead: one exact pmf (the average of one, to the bit)
      out[i].resize(n);
      nb_pmf(m[0], ry, n, true, out[i].data());
      continue;
    }
    Pmf pmf(n, 0.0), part(n);
    for (std::size_t j = 0; j < count; ++j) {
      nb_pmf(m[j], ry, n, true, part.data());
      for (int k = 0; k < n; ++k) pmf[k] += part[k];
    }
    for (double& p : pmf) p /= static_cast<double>(count);
    out[i] = std::move(pmf);
  }
  return out;
}

}  // namespace sphere::dyad

namespace sphere::dyad {

SimulatedPair simulate_pair(const panel::Panel& panel, const Calibration& cal,
                               const std::vector<Params>& params, std::size_t pair, int periods,
                               std::uint64_t seed, int rep) {
  const int target = panel.measure_index(cal.target);
  const bool bounded = panel.measures[target].bounded;
  const bool two = cal.fits.size() > 1;
  const Anchor ay = cal.anchors[0][pair];
  const Anchor ax = partner_anchor(panel, cal, pair);
  const bool has_partner = two || pair_series(panel, cal, pair).x != nullptr;
  const Params& py = params[0];
  const Params& px = two ? params[1] : params[0];
  const double ry = detail::size_of(py, ay.m, cal.fits[0].dispersion_center);
  const double rx = detail::size_of(px, ax.m, cal.fits[two ? 1 : 0].dispersion_center);
  // Streams of simulated histories are apart from forecast streams (purpose + 2).
  Rng rng(seed, static_cast<std::uint32_t>(rep), 0, detail::kPurposeDyad + 2,
          static_cast<std::uint32_t>(pair));
  double ey = detail::clamp_eta(ay.m + py.delta), ex = detail::clamp_eta(ax.m + px.delta);
  SimulatedPair out;
  out.target.resize(periods);
  out.partner.resize(periods);
  for (int t = 0; t < periods; ++t) {
    const Exposure e = exposure_at(panel, cal, bounded, t);
    const int y = detail::draw_nb(rng, e.factor * trend_factor(cal, 0, t) * std::exp(ey), ry, e.bound);
    const int x = has_partner ? detail::draw_nb(rng, e.factor * trend_factor(cal, two ? 1 : 0, t) * std::exp(ex),
                                                rx, e.bound)
                              : 0;
    out.target[t] = y;
    out.partner[t] = x;
    double ly = ay.level, lx = ax.level;
    if (e.factor > 0) ly = std::log1p(static_cast<double>(y)), lx = std::log1p(static_cast<double>(x));
    const double ny = detail::next_eta(py, ay.m, ey, ly, ay.level, lx, ax.level);
    const double nx = detail::next_eta(px, ax.m, ex, lx, ax.level, ly, ay.level);
    ey = ny;
    ex = nx;
  }
  return out;
}

namespace {

std::array<double, 4> series_stats(const std::vector<double>& y) {
  const double n = static_cast<double>(y.size());
  double mean = 0, zeros = 0;
  for (double v : y) mean += v, zeros += v == 0;
  mean /= n;
  double var = 0, cov = 0;
  for (std::size_t t = 0; t < y.size(); ++t) {
    var += (y[t] - mean) * (y[t] - mean);
    if (t > 0) cov += (y[t] - mean) * (y[t - 1] - mean);
  }
  const double acf = var > 0 ? cov / var : 0.0;
  return {mean, var / (n - 1), zeros / n, acf};
}

}  // namespace

namespace {
// The index of the q-quantile among n sorted replicates.
std::size_t rank_of(double q, std::size_t n) { return static_cast<std::size_t>(q * (n - 1)); }
}  // namespace

PredictiveCheck check_pair(const panel::Panel& panel, const Calibration& cal, std::size_t pair,
                           int replicates, std::uint64_t seed) {
  PredictiveCheck out;
  out.pair = panel.pair_name(pair);
  const int until = cal.until - panel.first;
  const float* y = panel.series(pair, panel.measure_index(cal.target));
  std::vector<double> obs(y, y + until);
  const auto observed = series_stats(obs);
  std::vector<Params> params;
  for (const auto& f : cal.fits) params.push_back(f.params);
  std::array<std::vector<double>, 4> sims;
  for (int r = 0; r < replicates; ++r) {
    const auto sim = simulate_pair(panel, cal, params, pair, until, seed, r).target;
    const auto s = series_stats(std::vector<double>(sim.begin(), sim.end()));
    for (int k = 0; k < 4; ++k) sims[k].push_back(s[k]);
  }
  static const char* names[] = {"mean", "variance", "zeros", "acf1"};
  for (int k = 0; k < 4; ++k) {
    auto& v = sims[k];
    std::sort(v.begin(), v.end());
    const auto at = [&](double q) { return v[rank_of(q, v.size())]; };
    out.stats.push_back({names[k], observed[k], at(0.025), at(0.5), at(0.975)});
  }
  return out;
}

ChecksSummary summarise_checks(const std::vector<PredictiveCheck>& checks, int replicates) {
  ChecksSummary out;
  for (const auto& c : checks)
    for (const auto& s : c.stats) {
      auto it = std::find_if(out.stats.begin(), out.stats.end(),
                             [&](const ChecksSummary::Stat& x) { return x.name == s.name; });
      if (it == out.stats.end()) it = out.stats.insert(out.stats.end(), {s.name});
      it->inside += s.inside();
      ++it->total;
      out.inside += s.inside();
      ++out.total;
    }
  if (out.total == 0 || replicates < 2) return out;
  // A new value lies below the (k+1)-th smallest of n with probability (k + 1)/(n + 1), above the
  // (j+1)-th with probability (n - j)/(n + 1).
  const auto n = static_cast<std::size_t>(replicates);
  const double low = rank_of(0.025, n) + 1.0, high = static_cast<double>(n - rank_of(0.975, n));
  out.miss_rate = (low + high) / (n + 1.0);
  const auto upper_tail = [&](int misses, int total) {
    if (misses == 0) return 1.0;
    const boost::math::binomial_distribution<double> null(total, out.miss_rate);
    return boost::math::cdf(boost::math::complement(null, misses - 1));
  };
  out.expected_misses = out.miss_rate * out.total;
  out.p_value = upper_tail(out.total - out.inside, out.total);
  for (auto& s : out.stats) {
    s.expected_misses = out.miss_rate * s.total;
    s.p_value = upper_tail(s.total - s.inside, s.total);
    if (s.p_value < 0.05 / static_cast<double>(out.stats.size())) out.pass = false;
  }
  return out;
}

}  // namespace sphere::dyad

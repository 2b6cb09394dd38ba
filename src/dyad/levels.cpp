// The Gaussian level model: a pooled autoregression of a real-valued measure (GDELT's sum_score)
// with pair anchors, its predictive distribution, the baselines on levels and the rolling-origin
// backtest of the robust level model (level_hurdle.cpp) against them all (docs/MODEL.md, "Level
// model").
#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

#include <Eigen/Dense>
#include <fmt/format.h>
#include <nlopt.hpp>

#include "dyad/internal.h"

namespace sphere::dyad {
namespace {

using detail::exposure_scale_over;
using detail::factor_at;
using detail::median_of;

constexpr double kLogTwoPi = 1.8378770664093453;
// Bounds of (phi, log c, log k): a stationary AR(1); a scale within e^±5 of the pair's; between
// e^-5 and e^8 pseudo-periods of the median pair's variance.
constexpr std::array<double, LevelParams::kCount> kLevelLower = {-0.99, -5.0, -5.0};
constexpr std::array<double, LevelParams::kCount> kLevelUpper = {0.99, 5.0, 8.0};

// What the likelihood of one pair needs: its anchors and the sums of squares of its
// deviations, so that an evaluation costs O(pairs). a_t = z_t - mu, b_t = z_{t-1} - mu.
struct PairStats {
  double n = 0, variance = 0;   // anchors
  double m = 0;                 // terms in the conditional likelihood
  double saa = 0, sab = 0, sbb = 0;
};

struct LevelData {
  std::vector<PairStats> pairs;
  double prior_variance = 0;
};

double level_loglik(const LevelData& data, const std::array<double, LevelParams::kCount>& x) {
  const double phi = x[0], c2 = std::exp(2 * x[1]), k = std::exp(x[2]);
  double total = 0;
  for (const PairStats& p : data.pairs) {
    if (p.m == 0) continue;
    const double sigma2 = (p.n * p.variance + k * data.prior_variance) / (p.n + k);
    if (!(sigma2 > 0)) continue;  // flat in a window whose median pair is flat too: no information
    const double s2 = c2 * sigma2;
    const double ss = p.saa - 2 * phi * p.sab + phi * phi * p.sbb;
    total += -0.5 * p.m * (kLogTwoPi + std::log(s2)) - 0.5 * ss / s2;
  }
  return total;
}

}  // namespace

const std::array<const char*, LevelParams::kCount>& LevelParams::names() {
  static const std::array<const char*, kCount> n = {"phi", "log_c", "log_k"};
  return n;
}

std::vector<LevelAnchor> level_anchors(const panel::Panel& panel, int measure, int until,
                                       double exposure_scale) {
  std::vector<LevelAnchor> out(panel.pairs.size());
  for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
    const float* y = panel.series(d, measure);
    double s = 0, s2 = 0;
    int n = 0;
    for (int t = 0; t < until; ++t) {
      if (panel.exposure[t] <= 0) continue;
      const double z = y[t] / (panel.exposure[t] / exposure_scale);
      s += z;
      s2 += z * z;
      ++n;
    }
    if (n == 0) continue;
    const double mean = s / n;
    out[d] = {mean, std::max(0.0, s2 / n - mean * mean), n};
  }
  return out;
}

namespace {

// The likelihood's data over periods [from, until): every pair in `fitted`, with anchors from the
// same periods.
LevelData level_data(const panel::Panel& panel, int measure, int from, int until, double scale,
                     const std::vector<std::size_t>& fitted, std::size_t* observations) {
  LevelData data;
  std::vector<double> variances;
  *observations = 0;
  for (std::size_t d : fitted) {
    const float* y = panel.series(d, measure);
    double s = 0, s2 = 0;
    int n = 0;
    for (int t = from; t < until; ++t) {
      if (panel.exposure[t] <= 0) continue;
      const double z = y[t] / (panel.exposure[t] / scale);
      s += z, s2 += z * z, ++n;
    }
    PairStats p;
    const double mean = n ? s / n : 0.0;
    p.n = n;
    p.variance = n ? std::max(0.0, s2 / n - mean * mean) : 0.0;
    for (int t = from + 1; t < until; ++t) {
      if (panel.exposure[t] <= 0 || panel.exposure[t - 1] <= 0) continue;
      const double za = y[t] / (panel.exposure[t] / scale) - mean;
      const double zb = y[t - 1] / (panel.exposure[t - 1] / scale) - mean;
      p.saa += za * za;
      p.sab += za * zb;
      p.sbb += zb * zb;
      ++p.m;
    }
    *observations += static_cast<std::size_t>(p.m);
    variances.push_back(p.variance);
    data.pairs.push_back(p);
  }
  data.prior_variance = median_of(variances);
  return data;
}

// The maximum-likelihood theta (derivative-free, within the bounds).
detail::FreeMinimum maximise(const LevelData& data) {
  return detail::minimise_free(
      {std::vector<double>(kLevelLower.begin(), kLevelLower.end()),
       std::vector<double>(kLevelUpper.begin(), kLevelUpper.end()), 1e-8, 0.0, 3000},
      [&](const std::vector<double>& x) { return -level_loglik(data, {x[0], x[1], x[2]}); },
      {0.3, 0.0, 0.0});
}

}  // namespace

LevelFit fit_levels(const panel::Panel& panel, const std::string& measure_name, int until) {
  const std::pair<int, int> window = detail::level_fit_window(panel, measure_name, until);
  const int measure = window.first;
  until = window.second;
  LevelFit fit;
  fit.measure = measure_name;
  fit.first = panel.first;
  fit.until = panel.first + until;
  fit.exposure_scale = exposure_scale_over(panel, until);
  std::vector<std::size_t> fitted;
  for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
    const float* y = panel.series(d, measure);
    bool any = false;
    for (int t = 0; t < until && !any; ++t) any = y[t] != 0;
    if (any) fitted.push_back(d);
  }
  const LevelData data = level_data(panel, measure, 0, until, fit.exposure_scale, fitted, &fit.observations);
  fit.pairs = data.pairs.size();
  if (fit.observations == 0 || !(data.prior_variance > 0))
    throw InputError(panel.file, 0, "target",
                     "'" + measure_name + "' varies in no pair before " + panel.period_name(until) +
                         ": nothing to fit");
  fit.prior_variance = data.prior_variance;
  const detail::FreeMinimum whole = maximise(data);
  const nlopt::result result = whole.result;
  const std::vector<double>& x = whole.x;
  fit.evaluations = whole.evaluations;
  fit.converged = result > 0 && result != nlopt::MAXEVAL_REACHED;
  fit.status = fit.converged ? "converged" : fmt::format("optimiser stopped ({})", static_cast<int>(result));
  fit.params = {x[0], x[1], x[2]};
  const std::array<double, 3> best = {x[0], x[1], x[2]};
  fit.loglik = level_loglik(data, best);

  // Observed information by central differences (one-sided inward at a bound).
  constexpr int k = LevelParams::kCount;
  Eigen::Matrix3d hessian;
  std::array<double, k> step{}, dir{};
  for (int i = 0; i < k; ++i) {
    step[i] = 1e-4 * std::max(1.0, std::fabs(best[i]));
    dir[i] = best[i] - 2 * step[i] < kLevelLower[i] ? 1.0 : (best[i] + 2 * step[i] > kLevelUpper[i] ? -1.0 : 0.0);
  }
  const auto ll = [&](int i, double si, int j, double sj) {
    auto p = best;
    p[i] += si;
    if (j >= 0) p[j] += sj;
    return level_loglik(data, p);
  };
  const double f0 = fit.loglik;
  for (int i = 0; i < k; ++i)
    for (int j = i; j < k; ++j) {
      double h;
      if (dir[i] == 0 && dir[j] == 0) {
        h = i == j ? (ll(i, step[i], -1, 0) - 2 * f0 + ll(i, -step[i], -1, 0)) / (step[i] * step[i])
                   : (ll(i, step[i], j, step[j]) - ll(i, step[i], j, -step[j]) -
                      ll(i, -step[i], j, step[j]) + ll(i, -step[i], j, -step[j])) /
                         (4 * step[i] * step[j]);
      } else {
        const double si = (dir[i] == 0 ? 1.0 : dir[i]) * step[i];
        const double sj = (dir[j] == 0 ? 1.0 : dir[j]) * step[j];
        h = i == j ? (ll(i, 2 * si, -1, 0) - 2 * ll(i, si, -1, 0) + f0) / (si * si)
                   : (ll(i, si, j, sj) - ll(i, si, -1, 0) - ll(j, sj, -1, 0) + f0) / (si * sj);
      }
      hessian(i, j) = hessian(j, i) = h;
    }
  const Eigen::Matrix3d information = -hessian;
  Eigen::LDLT<Eigen::Matrix3d> ldlt(information);
  if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
    const Eigen::Matrix3d cov = ldlt.solve(Eigen::Matrix3d::Identity());
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j) fit.covariance[i][j] = cov(i, j);
  } else {
    fit.status += "; information matrix not positive definite (no intervals)";
  }
  // Half-panel jackknife (Dhaene and Jochmans 2015): with each pair's mean and variance estimated
  // from its own short window, the maximum-likelihood phi is biased towards 0 by O(1/T) (the
  // Nickell bias, and the weights' dependence on the pair's own persistence). Refitting on the
  // two halves of the window and taking 2 theta - (theta_1 + theta_2) / 2 removes that term.
  std::size_t ignored = 0;
  const detail::FreeMinimum first = maximise(level_data(panel, measure, 0, until / 2, fit.exposure_scale, fitted, &ignored));
  const detail::FreeMinimum second = maximise(level_data(panel, measure, until / 2, until, fit.exposure_scale, fitted, &ignored));
  fit.evaluations += first.evaluations + second.evaluations;
  fit.uncorrected = fit.params;
  std::array<double, LevelParams::kCount> j{};
  for (int i = 0; i < LevelParams::kCount; ++i)
    j[i] = std::clamp(2 * best[i] - 0.5 * (first.x[i] + second.x[i]), kLevelLower[i], kLevelUpper[i]);
  fit.params = {j[0], j[1], j[2]};
  fit.loglik = level_loglik(data, j);
  return fit;
}

Normal level_predictive(const panel::Panel& panel, int measure, const LevelFit& fit,
                        const LevelAnchor& anchor, std::size_t pair, int origin, int h) {
  const double scale = fit.exposure_scale;
  const float* y = panel.series(pair, measure);
  const double f_last = factor_at(panel, origin - 1, scale);
  const double z_last = f_last > 0 ? y[origin - 1] / f_last : anchor.mean;
  const double phi = fit.params.phi, c2 = std::exp(2 * fit.params.log_c), k = std::exp(fit.params.log_k);
  const double sigma2 = (anchor.n * anchor.variance + k * fit.prior_variance) / (anchor.n + k);
  const double ph = std::pow(phi, h);
  // Variance of the sum of h innovations through the AR(1): c^2 sigma^2 (1 - phi^2h) / (1 - phi^2).
  const double spread = std::fabs(phi) < 1e-12 ? 1.0 : (1.0 - ph * ph) / (1.0 - phi * phi);
  const double f = factor_at(panel, origin + h - 1, scale);
  return {f * (anchor.mean + ph * (z_last - anchor.mean)), f * std::sqrt(c2 * sigma2 * spread)};
}

double crps_normal(const Normal& g, double y) {
  if (!(g.sd > 0)) return std::fabs(y - g.mean);
  const double z = (y - g.mean) / g.sd;
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
  const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  return g.sd * (z * (2 * cdf - 1) + 2 * pdf - 1 / std::sqrt(M_PI));
}

double crps_sample(const std::vector<double>& x, double y) {
  const std::size_t n = x.size();
  if (n == 0) return std::fabs(y);
  double abs = 0, spread = 0;
  for (std::size_t i = 0; i < n; ++i) {
    abs += std::fabs(x[i] - y);
    spread += (2.0 * static_cast<double>(i + 1) - static_cast<double>(n) - 1.0) * x[i];
  }
  const double nn = static_cast<double>(n);
  return abs / nn - spread / (nn * nn);
}

namespace {

double mean12(const float* y, int t_end) {
  double s = 0;
  int n = 0;
  for (int t = std::max(0, t_end - 12); t < t_end; ++t) s += y[t], ++n;
  return n ? s / n : 0.0;
}

bool has_value(const float* y, int until) {
  for (int t = 0; t < until; ++t)
    if (y[t] != 0) return true;
  return false;
}

}  // namespace

LevelArBaseline fit_level_ar(const panel::Panel& panel, int measure, int until,
                             const std::vector<int>& horizons) {
  LevelArBaseline model;
  std::vector<std::size_t> pairs;
  for (std::size_t d = 0; d < panel.pairs.size(); ++d)
    if (has_value(panel.series(d, measure), until)) pairs.push_back(d);
  for (int h : horizons) {
    LevelArBaseline::Horizon out;
    out.h = h;
    Eigen::Matrix3d xtx = Eigen::Matrix3d::Zero();
    Eigen::Vector3d xty = Eigen::Vector3d::Zero();
    for (std::size_t d : pairs) {
      const float* y = panel.series(d, measure);
      for (int t = 1; t + h - 1 < until; ++t) {
        const Eigen::Vector3d v(1.0, y[t - 1], mean12(y, t));
        xtx += v * v.transpose();
        xty += v * static_cast<double>(y[t + h - 1]);
      }
    }
    Eigen::Vector3d beta = xtx.ldlt().solve(xty);
    if (!beta.allFinite()) beta.setZero();
    out.a = beta(0);
    out.b = beta(1);
    out.c = beta(2);
    out.variance.assign(panel.pairs.size(), -1.0);
    std::vector<double> found;
    std::vector<std::pair<double, int>> sums(panel.pairs.size(), {0.0, 0});
    for (std::size_t d : pairs) {
      const float* y = panel.series(d, measure);
      for (int t = 1; t + h - 1 < until; ++t) {
        const double e = y[t + h - 1] - (out.a + out.b * y[t - 1] + out.c * mean12(y, t));
        sums[d].first += e * e;
        ++sums[d].second;
      }
      if (sums[d].second > 0) found.push_back(sums[d].first / sums[d].second);
    }
    const double prior = median_of(found);
    for (std::size_t d = 0; d < panel.pairs.size(); ++d)
      out.variance[d] = (sums[d].first + prior) / (sums[d].second + 1.0);
    model.horizons.push_back(std::move(out));
  }
  return model;
}

Normal level_ar_predictive(const LevelArBaseline& model, const panel::Panel& panel, int measure,
                           std::size_t pair, int origin, int h) {
  const auto it = std::find_if(model.horizons.begin(), model.horizons.end(),
                               [&](const LevelArBaseline::Horizon& x) { return x.h == h; });
  if (it == model.horizons.end()) throw std::invalid_argument("level_ar_predictive: horizon not fitted");
  const float* y = panel.series(pair, measure);
  return {it->a + it->b * y[origin - 1] + it->c * mean12(y, origin), std::sqrt(it->variance[pair])};
}

std::vector<std::string> level_backtest_model_names() {
  return {"sphere-level", "gaussian-ar", "persistence", "persistence+changes", "climatology", "recent", "ar"};
}

namespace {

// Nonrandomised PIT from P(Y < y) and P(Y = y) (as add_pit for counts).
void add_pit_split(double below, double at, std::array<double, 10>* bins) {
  for (int i = 0; i < 10; ++i) {
    const double u = (i + 1) / 10.0;
    (*bins)[i] += u <= below ? 0.0 : (at <= 0 || u >= below + at ? 1.0 : (u - below) / at);
  }
}

ForecastScore score_normal(const Normal& g, double y) {
  ForecastScore s;
  s.crps = crps_normal(g, y);
  if (g.sd > 0) add_pit_split(0.5 * std::erfc(-(y - g.mean) / g.sd / std::sqrt(2.0)), 0.0, &s.pit);
  else add_pit_split(y > g.mean ? 1.0 : 0.0, y == g.mean ? 1.0 : 0.0, &s.pit);
  return s;
}

ForecastScore score_hurdle(const HurdleScorer& scorer, const HurdleForecast& f, double y) {
  ForecastScore s;
  const HurdleScorer::Score score = scorer(f, y);
  s.crps = score.crps;
  add_pit_split(score.below, score.at, &s.pit);
  return s;
}

ForecastScore score_sample(const std::vector<double>& sorted, double y) {
  ForecastScore s;
  s.crps = crps_sample(sorted, y);
  const double n = static_cast<double>(sorted.size());
  const auto lo = std::lower_bound(sorted.begin(), sorted.end(), y);
  const auto hi = std::upper_bound(sorted.begin(), sorted.end(), y);
  add_pit_split(static_cast<double>(lo - sorted.begin()) / n, static_cast<double>(hi - lo) / n, &s.pit);
  return s;
}

}  // namespace

LevelBacktestResult backtest_levels(const panel::Panel& panel, const LevelBacktestOptions& options) {
  LevelBacktestResult result;
  result.target = options.target;
  const int measure = panel.measure_index(options.target);
  if (measure < 0) throw InputError(panel.file, 0, "target", "the panel has no measure '" + options.target + "'");
  if (panel.measures[measure].count)
    throw InputError(panel.file, 0, "target", "'" + options.target + "' is a count, not a level");
  if (options.origin_from < 3 || options.origin_to > panel.periods || options.origin_from > options.origin_to)
    throw InputError(panel.file, 0, "origins",
                     "origins must lie inside the panel (" + panel.period_name(3) + ".." +
                         panel.period_name(panel.periods) + ", the last the period after its end)");
  for (int h : options.horizons)
    if (h < 1) throw InputError(panel.file, 0, "horizons", "a horizon must be at least 1");
  const auto names = level_backtest_model_names();
  const int models = static_cast<int>(names.size());
  const int nh = static_cast<int>(options.horizons.size());
  result.models = detail::score_tables(names, options.horizons, panel.periods);
  HurdleFit hurdle;
  LevelFit fit;
  LevelArBaseline ar;
  int fitted_year = -1;
  bool fitted = false;
  const int total = options.origin_to - options.origin_from + 1;
  for (int origin = options.origin_from; origin <= options.origin_to; ++origin) {
    const int year = panel.yearly ? panel.first + origin : (panel.first + origin) / 12;
    if (!fitted || options.refit == Refit::kEvery || (options.refit == Refit::kYearly && year != fitted_year)) {
      if (options.progress) options.progress("fitting on data before " + panel.period_name(origin), origin - options.origin_from, total);
      hurdle = fit_level_hurdle(panel, options.target, origin);
      fit = fit_levels(panel, options.target, origin);
      result.hurdle_fits.push_back(hurdle);
      ar = fit_level_ar(panel, measure, origin, options.horizons);
      result.fits.push_back(fit);
      fitted = true;
      fitted_year = year;
    }
    if (options.progress) options.progress("forecasting from " + panel.period_name(origin), origin - options.origin_from, total);
    const auto anchors = level_anchors(panel, measure, origin, fit.exposure_scale);
    std::vector<std::size_t> pairs;
    if (!options.pairs.empty()) {
      for (long p : options.pairs) pairs.push_back(static_cast<std::size_t>(p));
    } else {
      for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
        bool any = false;
        const int from = options.active_only ? std::max(0, origin - 12) : 0;
        if (options.active_only) {
          const float* y = panel.series(d, measure);
          for (int t = from; t < origin && !any; ++t) any = y[t] != 0;
        } else {
          for (std::size_t k = 0; k < panel.measures.size() && !any; ++k) any = has_value(panel.series(d, k), origin);
        }
        if (any) pairs.push_back(d);
      }
    }
    const std::size_t stride = static_cast<std::size_t>(models) * nh;
    std::vector<ForecastScore> scores(pairs.size() * stride);
    std::vector<HurdleForecast> forecasts(options.on_forecast ? pairs.size() * nh : 0);
    const HurdleScorer scorer(std::exp(hurdle.params.log_nu));
    const auto work = [&](std::size_t from, std::size_t step) {
      std::vector<double> climate, recent, changes;
      for (std::size_t i = from; i < pairs.size(); i += step) {
        const std::size_t d = pairs[i];
        const float* y = panel.series(d, measure);
        climate.clear();
        recent.clear();
        for (int t = 0; t < origin; ++t) {
          if (panel.exposure[t] <= 0) continue;
          climate.push_back(y[t]);
          if (t >= origin - 12) recent.push_back(y[t]);
        }
        std::sort(climate.begin(), climate.end());
        std::sort(recent.begin(), recent.end());
        ForecastScore* out = scores.data() + i * stride;
        const std::vector<HurdleForecast> robust =
            level_hurdle_predictives(panel, measure, hurdle, d, origin, options.horizons);
        for (int hi = 0; hi < nh; ++hi) {
          const int h = options.horizons[hi];
          const int t = origin + h - 1;
          const HurdleForecast& model = robust[hi];
          if (options.on_forecast) forecasts[i * nh + hi] = model;
          if (t >= panel.periods) continue;
          const double outcome = y[t];
          // The pair's own h-period changes before the origin, added to its last value.
          changes.clear();
          for (int s = h; s < origin; ++s) changes.push_back(y[origin - 1] + (y[s] - y[s - h]));
          std::sort(changes.begin(), changes.end());
          out[0 * nh + hi] = score_hurdle(scorer, model, outcome);
          out[1 * nh + hi] = score_normal(level_predictive(panel, measure, fit, anchors[d], d, origin, h), outcome);
          out[2 * nh + hi] = score_normal({y[origin - 1], 0.0}, outcome);
          out[3 * nh + hi] = changes.empty() ? score_normal({y[origin - 1], 0.0}, outcome)
                                             : score_sample(changes, outcome);
          out[4 * nh + hi] = score_sample(climate, outcome);
          out[5 * nh + hi] = score_sample(recent, outcome);
          out[6 * nh + hi] = score_normal(level_ar_predictive(ar, panel, measure, d, origin, h), outcome);
        }
      }
    };
    const std::size_t n = std::max<std::size_t>(1, std::min<std::size_t>(options.threads, pairs.size()));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < n; ++t) pool.emplace_back(work, t, n);
    work(0, n);
    for (auto& t : pool) t.join();
    // Reduced in pair order: the same sums for any thread count.
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      for (int m = 0; m < models; ++m)
        for (int hi = 0; hi < nh; ++hi) {
          const int t = origin + options.horizons[hi] - 1;
          if (t < panel.periods) result.models[m].horizons[hi].add(scores[i * stride + m * nh + hi], t, 0);
        }
      if (options.on_forecast)
        for (int hi = 0; hi < nh; ++hi) options.on_forecast(origin, options.horizons[hi], pairs[i], forecasts[i * nh + hi]);
    }
    for (int hi = 0; hi < nh; ++hi)
      if (origin + options.horizons[hi] - 1 < panel.periods) result.forecasts += pairs.size();
    ++result.origins;
  }
  result.skills = skills_of(result.models, options.bootstrap, options.seed);
  return result;
}

}  // namespace sphere::dyad

// Rolling-origin backtest: at each origin every model is fitted on data before it (per the refit
// policy), forecasts every pair at every horizon, and is scored; scores stream into per-period
// sums so that memory does not grow with the number of origins.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <thread>

#include <Eigen/Dense>
#include <boost/math/distributions/students_t.hpp>
#include <nlopt.hpp>

#include "dyad/internal.h"

namespace sphere::dyad {
namespace {

double mean_log12(const float* y, int t_end) {
  double s = 0;
  int n = 0;
  for (int t = std::max(0, t_end - 12); t < t_end; ++t) s += std::log1p(static_cast<double>(y[t])), ++n;
  return n ? s / n : 0.0;
}

}  // namespace

int activity_class(const float* y, int origin) {
  double s = 0;
  int n = 0;
  for (int t = std::max(0, origin - 12); t < origin; ++t) s += y[t], ++n;
  const double m = n ? s / n : 0.0;
  return m == 0 ? 0 : (m <= 1 ? 1 : (m <= 5 ? 2 : 3));
}

ForecastScore score_forecast(const Pmf& pmf, int y, int threshold_q90, int fixed_threshold) {
  // Every score in one pass over the pmf (a backtest scores millions): each accumulates in the
  // order its own function in scores.cpp does, so the bits are theirs (tested).
  ForecastScore out;
  const int n = static_cast<int>(pmf.size());
  double F = 0, crps_sum = 0, below = 0, p90 = 0, p_fixed = 0, rps_sum = 0;
  std::size_t edge = 0;
  for (int k = 0; k < n; ++k) {
    const double p = pmf[k];
    if (k < y) below += p;
    if (k > threshold_q90) p90 += p;
    if (k > fixed_threshold) p_fixed += p;
    F += p;
    const double d = F - (y <= k ? 1.0 : 0.0);
    crps_sum += d * d;
    // F(edge - 1), the probability of the ordinal classes below the edge.
    for (; edge < kOrdinalEdges.size() && kOrdinalEdges[edge] == k + 1; ++edge) {
      const double e = std::min(F, 1.0) - (y < kOrdinalEdges[edge] ? 1.0 : 0.0);
      rps_sum += e * e;
    }
  }
  const double tail = 1.0 - (F > 1.0 ? 1.0 : F);
  for (int k = n; k < y; ++k) crps_sum += (1.0 - tail) * (1.0 - tail);
  for (; edge < kOrdinalEdges.size(); ++edge) {  // edges past the support: F is the total
    const double e = std::min(F, 1.0) - (y < kOrdinalEdges[edge] ? 1.0 : 0.0);
    rps_sum += e * e;
  }
  out.crps = crps_sum;
  out.log = y >= 0 && y < n && pmf[y] > 0 ? -std::log(pmf[y]) : std::numeric_limits<double>::infinity();
  const double o90 = y > threshold_q90 ? 1.0 : 0.0;
  out.brier_q90 = (p90 - o90) * (p90 - o90);
  out.p_fixed = p_fixed;
  out.outcome_fixed = y > fixed_threshold ? 1.0 : 0.0;
  out.brier_fixed = (out.p_fixed - out.outcome_fixed) * (out.p_fixed - out.outcome_fixed);
  const double at = y >= 0 && y < n ? pmf[y] : 0.0;
  for (int i = 0; i < 10; ++i) {
    const double u = (i + 1) / 10.0;
    out.pit[i] = u <= below ? 0.0 : (at <= 0 || u >= below + at ? 1.0 : (u - below) / at);
  }
  out.rps = rps_sum / static_cast<double>(kOrdinalEdges.size());
  return out;
}

void ModelScores::ByHorizon::reset(int horizon, int periods) {
  *this = ByHorizon{};
  h = horizon;
  crps_by_period.assign(periods, 0.0);
  rps_by_period.assign(periods, 0.0);
  n_by_period.assign(periods, 0);
}

void ModelScores::ByHorizon::add(const ForecastScore& f, int period, int activity) {
  ++n;
  crps += f.crps;
  if (std::isfinite(f.log)) log += f.log;
  else ++log_infinite;
  brier_q90 += f.brier_q90;
  brier_fixed += f.brier_fixed;
  const int bin = std::clamp(static_cast<int>(f.p_fixed * 10), 0, 9);
  rel_p[bin] += f.p_fixed;
  rel_y[bin] += f.outcome_fixed;
  ++rel_n[bin];
  for (int i = 0; i < 10; ++i) pit[i] += f.pit[i];
  rps += f.rps;
  crps_by_period[period] += f.crps;
  rps_by_period[period] += f.rps;
  ++n_by_period[period];
  crps_by_activity[activity] += f.crps;
  ++n_by_activity[activity];
}

NbArBaseline fit_nb_ar(const panel::Panel& panel, int measure, int until,
                       const std::vector<int>& horizons, int threads) {
  NbArBaseline model;
  double sum = 0;
  int n = 0;
  for (int t = 0; t < until; ++t)
    if (panel.exposure[t] > 0) sum += panel.exposure[t], ++n;
  model.exposure_scale = n ? sum / n : 1.0;
  const bool bounded = panel.measures[measure].bounded;
  // Design rows (l_last, l_mean12, y, factor, bound), built once, shared by every horizon.
  for (int h : horizons) {
    struct Row {
      double log_factor;
      float last, mean12, y, factor;
      int bound;
    };
    std::vector<Row> rows;
    for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
      const float* y = panel.series(d, measure);
      for (int t = 1; t + h - 1 < until; ++t) {
        const int target = t + h - 1;
        if (panel.exposure[target] <= 0) continue;
        const auto factor = static_cast<float>(panel.exposure[target] / model.exposure_scale);
        rows.push_back({std::log(static_cast<double>(factor)),
                        static_cast<float>(std::log1p(static_cast<double>(y[t - 1]))),
                        static_cast<float>(mean_log12(y, t)), y[target], factor,
                        bounded ? static_cast<int>(std::lround(panel.exposure[target])) : -1});
      }
    }
    // The negative log-likelihood with its exact gradient (zero through a binding clamp), summed
    // in fixed chunks: the same bits for any thread count.
    using Sums = std::array<double, 5>;
    auto objective = [&](const std::vector<double>& x, std::vector<double>& grad) {
      const detail::NbLogPmf logpmf(std::exp(x[3]));
      constexpr std::size_t kChunk = 1 << 14;
      const std::size_t chunks = (rows.size() + kChunk - 1) / kChunk;
      std::vector<Sums> sums(chunks, Sums{});
      const auto work = [&](std::size_t from, std::size_t step) {
        for (std::size_t c = from; c < chunks; c += step) {
          Sums s{};
          for (std::size_t i = c * kChunk; i < std::min(rows.size(), (c + 1) * kChunk); ++i) {
            const Row& r = rows[i];
            const double raw = x[0] + x[1] * r.last + x[2] * r.mean12;
            const double eta = detail::clamp_eta(raw);
            const double mean = r.factor * std::exp(eta);
            double de = 0, dr = 0;
            s[0] += (r.bound >= 0 && r.y >= r.bound)
                        ? logpmf.log_tail_gradient(r.bound, mean, &de, &dr)
                        : logpmf.with_gradient(r.y, mean, r.log_factor + eta, &de, &dr);
            if (eta != raw) de = 0;
            s[1] += de;
            s[2] += de * r.last;
            s[3] += de * r.mean12;
            s[4] += dr;
          }
          sums[c] = s;
        }
      };
      const std::size_t k = std::max<std::size_t>(1, std::min<std::size_t>(threads, chunks));
      std::vector<std::thread> pool;
      for (std::size_t t = 1; t < k; ++t) pool.emplace_back(work, t, k);
      work(0, k);
      for (auto& t : pool) t.join();
      Sums total{};
      for (const Sums& s : sums)
        for (int i = 0; i < 5; ++i) total[i] += s[i];
      for (std::size_t i = 0; i < grad.size(); ++i) grad[i] = -total[i + 1];
      return -total[0];
    };
    // Start from least squares of log(1 + y) on the two regressors: on panels with counts in the
    // thousands (ICEWS) a fixed start leaves the optimiser far from the optimum.
    Eigen::Matrix3d xtx = Eigen::Matrix3d::Zero();
    Eigen::Vector3d xty = Eigen::Vector3d::Zero();
    for (const Row& r : rows) {
      const Eigen::Vector3d v(1.0, r.last, r.mean12);
      xtx += v * v.transpose();
      xty += v * std::log1p(static_cast<double>(r.y) / std::max(r.factor, 1e-9f));
    }
    Eigen::Vector3d beta = xtx.ldlt().solve(xty);
    if (!beta.allFinite()) beta = Eigen::Vector3d(-3.0, 0.5, 0.5);
    std::vector<double> x = {std::clamp(beta(0), -14.0, 9.0), std::clamp(beta(1), -2.9, 2.9),
                             std::clamp(beta(2), -2.9, 2.9), 0.0};
    double value = 0;
    detail::minimise_in_box({{-15, -3, -3, -4.6}, {10, 3, 3, 6.9}, 1e-9, 1e-14, 2000}, objective,
                            &x, &value);
    model.horizons.push_back({h, x[0], x[1], x[2], x[3]});
  }
  return model;
}

Pmf nb_ar_predictive(const NbArBaseline& model, const panel::Panel& panel, int measure,
                     std::size_t pair, int origin, int h, int min_support) {
  const auto it = std::find_if(model.horizons.begin(), model.horizons.end(),
                               [&](const NbArBaseline::Horizon& x) { return x.h == h; });
  const float* y = panel.series(pair, measure);
  const double last = origin > 0 ? std::log1p(static_cast<double>(y[origin - 1])) : 0.0;
  const int target = origin + h - 1;
  // Past the panel's end a month is covered in full, as in forecast_pair: its days bound it.
  const bool past = target >= panel.periods, whole = panel.yearly || model.exposure_scale == 1.0;
  const double e = !past ? panel.exposure[target]
                         : (whole ? model.exposure_scale : detail::days_in_month(panel.first + target));
  const double mean = e / model.exposure_scale *
                      std::exp(detail::clamp_eta(it->a + it->b * last + it->c * mean_log12(y, origin)));
  const double r = std::exp(it->log_r);
  const bool bounded = panel.measures[measure].bounded && !(past && whole);
  int n;
  if (bounded) {
    n = static_cast<int>(std::lround(e)) + 1;
  } else {
    n = std::max(min_support,
                 static_cast<int>(std::min(2e6, mean + 12.0 * std::sqrt(mean + mean * mean / r) + 12.0)));
  }
  Pmf pmf(n);
  nb_pmf(mean, r, n, true, pmf.data());
  return pmf;
}

namespace detail {

// Empirical distribution of y[from..to) over periods with exposure, into *pmf (its storage
// reused: a backtest builds two per pair and origin).
void empirical(const panel::Panel& panel, const float* y, int from, int to, Pmf* pmf) {
  int top = 0, n = 0;
  for (int t = from; t < to; ++t)
    if (panel.exposure[t] > 0) top = std::max(top, static_cast<int>(y[t])), ++n;
  pmf->assign(top + 1, 0.0);
  if (n == 0) {
    (*pmf)[0] = 1;
    return;
  }
  for (int t = from; t < to; ++t)
    if (panel.exposure[t] > 0) (*pmf)[static_cast<int>(y[t])] += 1.0 / n;
}

// The pair's 90th percentile of its history before the origin.
int q90(const float* y, int origin, std::vector<float>* scratch) {
  scratch->assign(y, y + origin);
  if (scratch->empty()) return 0;
  const std::size_t k = static_cast<std::size_t>(std::ceil(0.9 * scratch->size())) - 1;
  std::nth_element(scratch->begin(), scratch->begin() + k, scratch->end());
  return static_cast<int>((*scratch)[k]);
}

// A pair's history y[0..origin) as counts of each value, for when every one of those periods
// is covered and every value a count below kCountCap (false otherwise): the climatology pmf and
// the 90th percentile both follow from it without sorting.
bool count_history(const float* y, int origin, std::vector<int>* counts) {
  counts->clear();
  for (int t = 0; t < origin; ++t) {
    const int v = static_cast<int>(y[t]);  // truncated, as empirical() and q90() do
    if (y[t] < 0 || v >= kCountCap) return false;
    if (v >= static_cast<int>(counts->size())) counts->resize(v + 1, 0);
    ++(*counts)[v];
  }
  return true;
}

// q90() from the counts: the k-th smallest value, k = ceil(0.9 n) - 1 (truncation is monotone,
// so it is the truncated k-th smallest of the values).
int q90_of(const std::vector<int>& counts, int n) {
  if (n == 0) return 0;
  const long k = static_cast<long>(std::ceil(0.9 * n)) - 1;
  long below = 0;
  for (std::size_t v = 0; v < counts.size(); ++v) {
    below += counts[v];
    if (below > k) return static_cast<int>(v);
  }
  return static_cast<int>(counts.size()) - 1;
}

// empirical(panel, y, 0, origin) from the counts: each cell adds 1/n as often as its value
// occurs, the same additions in the same order for that cell, so the same bits.
void empirical_of(const std::vector<int>& counts, int n, Pmf* pmf) {
  pmf->assign(std::max<std::size_t>(counts.size(), 1), 0.0);
  if (n == 0) {
    (*pmf)[0] = 1;
    return;
  }
  for (std::size_t v = 0; v < counts.size(); ++v)
    for (int c = 0; c < counts[v]; ++c) (*pmf)[v] += 1.0 / n;
}

}  // namespace detail

namespace {

// Skill of model a against b at one horizon: ratio of summed scores (CRPS or RPS) over the same
// forecasts, block-bootstrap by target period, Diebold–Mariano on per-period mean differences.
Skill skill_of(const ModelScores& a, const ModelScores& b, std::size_t hi, int h, int resamples,
               std::uint64_t seed, bool ranked) {
  const auto& sa = a.horizons[hi];
  const auto& sb = b.horizons[hi];
  const std::vector<double>& pa = ranked ? sa.rps_by_period : sa.crps_by_period;
  const std::vector<double>& pb = ranked ? sb.rps_by_period : sb.crps_by_period;
  const double ta = ranked ? sa.rps : sa.crps, tb = ranked ? sb.rps : sb.crps;
  Skill out;
  out.model = a.name;
  out.baseline = b.name;
  out.score = ranked ? "rps" : "crps";
  out.h = h;
  out.skill = tb > 0 ? 1.0 - ta / tb : 0.0;
  std::vector<int> periods;
  for (std::size_t t = 0; t < sa.n_by_period.size(); ++t)
    if (sa.n_by_period[t] > 0) periods.push_back(static_cast<int>(t));
  const int m = static_cast<int>(periods.size());
  out.periods = m;
  if (m < 2) {
    out.low = out.high = out.dm = out.p_value = std::nan("");
    out.no_interval = kNoIntervalReason;
    return out;
  }
  // Circular blocks of h consecutive target periods (Politis and Romano 1992): h-step
  // forecasts from successive origins share h - 1 periods of their paths, so their errors are
  // correlated up to lag h - 1 (one period a block at h = 1); wrapping around gives every period
  // the same weight, where plain moving blocks would slight the first and last h - 1.
  std::vector<double> ratios;
  Rng rng(seed, 0, static_cast<std::uint32_t>(h), detail::kPurposeDyad + 1, 0);
  const int block = std::min(h, m);
  for (int r = 0; r < resamples; ++r) {
    double num = 0, den = 0;
    for (int i = 0; i < m;) {
      const int start = static_cast<int>(rng.below(static_cast<std::uint32_t>(m)));
      for (int j = 0; j < block && i < m; ++j, ++i) {
        const int t = periods[(start + j) % m];
        num += pa[t];
        den += pb[t];
      }
    }
    ratios.push_back(den > 0 ? 1.0 - num / den : 0.0);
  }
  std::sort(ratios.begin(), ratios.end());
  out.low = ratios[static_cast<std::size_t>(0.025 * (resamples - 1))];
  out.high = ratios[static_cast<std::size_t>(0.975 * (resamples - 1))];
  // Diebold–Mariano with Newey–West variance (lag h - 1, Bartlett weights).
  std::vector<double> d(m);
  for (int i = 0; i < m; ++i) {
    const int t = periods[i];
    d[i] = (pa[t] - pb[t]) / static_cast<double>(sa.n_by_period[t]);
  }
  const double mean = std::accumulate(d.begin(), d.end(), 0.0) / m;
  const int lag = std::min(h - 1, m - 1);
  double var = 0;
  for (int i = 0; i < m; ++i) var += (d[i] - mean) * (d[i] - mean);
  var /= m;
  for (int l = 1; l <= lag; ++l) {
    double c = 0;
    for (int i = l; i < m; ++i) c += (d[i] - mean) * (d[i - l] - mean);
    var += 2.0 * (1.0 - l / (lag + 1.0)) * c / m;
  }
  // Harvey, Leybourne and Newbold's (1997) small-sample form: the statistic scaled by
  // sqrt((m + 1 - 2h + h(h - 1)/m) / m) = sqrt((m - h)(m - h + 1)) / m, against Student's t with
  // m - 1 degrees of freedom (a normal p-value from a dozen target months claims far too much).
  // It needs more target periods than h; with fewer there is no test.
  if (m <= h) {
    out.dm = out.p_value = std::nan("");
  } else if (var > 0) {
    const double scale = std::sqrt(static_cast<double>(m - h) * (m - h + 1)) / m;
    out.dm = mean / std::sqrt(var / m) * scale;
    const boost::math::students_t t(m - 1);
    out.p_value = 2.0 * boost::math::cdf(boost::math::complement(t, std::fabs(out.dm)));
  }
  return out;
}

std::vector<Switches> model_variants(const BacktestOptions& options) {
  std::vector<Switches> variants = {Switches{}};
  if (!options.ablations) return variants;
  for (bool Switches::*off : {&Switches::excitation, &Switches::cross, &Switches::pooling,
                              &Switches::state, &Switches::dispersion, &Switches::trend}) {
    Switches s;
    s.*off = false;
    variants.push_back(s);
  }
  return variants;
}

}  // namespace

std::vector<std::string> backtest_model_names(const BacktestOptions& options) {
  std::vector<std::string> names;
  for (const auto& v : model_variants(options))
    names.push_back(v.name() == "full" ? "sphere" : "sphere:" + v.name());
  for (const char* b : {"persistence", "climatology", "recent", "nb-ar"}) names.push_back(b);
  return names;
}

// Pairs scored between reductions: the scores buffer (a few hundred bytes a pair) stays in cache.
constexpr std::size_t kScoreBlock = 1024;

BacktestResult backtest(const panel::Panel& panel, const BacktestOptions& options) {
  BacktestResult result;
  result.target = options.spec.target;
  const int measure = panel.measure_index(options.spec.target);
  if (measure < 0) throw InputError(panel.file, 0, "target", "the panel has no measure '" + options.spec.target + "'");
  // The last origin may be the period after the panel's end: forecasts of the true future,
  // scored when newer data arrive.
  if (options.origin_from < 3 || options.origin_to > panel.periods ||
      options.origin_from > options.origin_to)
    throw InputError(panel.file, 0, "origins",
                     "origins must lie inside the panel (" + panel.period_name(3) + ".." +
                         panel.period_name(panel.periods) + ", the last the period after its end)");
  for (int h : options.horizons)
    if (h < 1) throw InputError(panel.file, 0, "horizons", "a horizon must be at least 1");

  // The models: Sphere's full model, its ablations, then the baselines.
  const std::vector<Switches> variants = model_variants(options);
  const std::vector<std::string> names = backtest_model_names(options);
  const int models = static_cast<int>(names.size());
  const int nh = static_cast<int>(options.horizons.size());
  result.models = detail::score_tables(names, options.horizons, panel.periods);

  std::vector<Calibration> fits;
  NbArBaseline nbar;
  std::vector<std::vector<Params>> params;
  int fitted_year = -1;
  bool fitted = false;
  const int total = options.origin_to - options.origin_from + 1;
  std::vector<double> buffer;
  detail::PairSums target_sums(panel, measure);
  std::optional<detail::PairSums> partner_sums;
  // The first period without coverage (panel.periods if none): before it, a pair's history can
  // be counted instead of sorted.
  int first_uncovered = panel.periods;
  for (int t = 0; t < panel.periods && first_uncovered == panel.periods; ++t)
    if (!(panel.exposure[t] > 0)) first_uncovered = t;
  // The first period in which each pair has a row (any measure non-zero; panel.periods if none).
  std::vector<int> first_row(panel.pairs.size(), panel.periods);
  for (std::size_t d = 0; d < panel.pairs.size(); ++d)
    for (std::size_t k = 0; k < panel.measures.size(); ++k) {
      const float* v = panel.series(d, k);
      for (int t = 0; t < first_row[d]; ++t)
        if (v[t] != 0) {
          first_row[d] = t;
          break;
        }
    }
  for (int origin = options.origin_from; origin <= options.origin_to; ++origin) {
    const int year = panel.yearly ? panel.first + origin : (panel.first + origin) / 12;
    const bool refit = !fitted || options.refit == Refit::kEvery ||
                       (options.refit == Refit::kYearly && year != fitted_year);
    if (refit) {
      fits.clear();
      params.clear();
      for (const auto& v : variants) {
        if (options.progress) options.progress("fitting " + (v.name()) + " on data before " + panel.period_name(origin), origin - options.origin_from, total);
        Spec spec = options.spec;
        spec.switches = v;
        FitOptions fo;
        fo.until = origin;
        fo.threads = options.threads;
        fits.push_back(fit(panel, spec, fo));
        std::vector<Params> p;
        for (const auto& f : fits.back().fits) p.push_back(f.params);
        params.push_back(p);
      }
      result.fits.push_back(fits[0]);
      nbar = fit_nb_ar(panel, measure, origin, options.horizons, options.threads);
      result.nb_ar.push_back(nbar);
      fitted = true;
      fitted_year = year;
    }
    if (options.progress) options.progress("forecasting from " + panel.period_name(origin), origin - options.origin_from, total);
    // Every pair's sums over the periods before the origin, carried from the last origin (the
    // same for every variant: only the prior and the exposure differ).
    target_sums.advance(panel, origin);
    if (!partner_sums && fits[0].fits.size() > 1)
      partner_sums.emplace(panel, panel.measure_index(fits[0].partner));
    if (partner_sums) partner_sums->advance(panel, origin);
    for (auto& f : fits) detail::refresh_anchors(panel, &f, target_sums, partner_sums ? &*partner_sums : nullptr);

    // The pairs forecast from this origin.
    std::vector<std::size_t> pairs;
    if (!options.pairs.empty()) {
      for (long p : options.pairs) pairs.push_back(static_cast<std::size_t>(p));
    } else {
      for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
        // A pair "has a row" when any measure is non-zero before the origin; an active one has
        // its target non-zero in the last 12 periods.
        bool any = first_row[d] < origin;
        if (options.active_only) {
          const float* y = panel.series(d, measure);
          any = false;
          for (int t = std::max(0, origin - 12); t < origin && !any; ++t) any = y[t] != 0;
        }
        if (any) pairs.push_back(d);
      }
    }
    // Score a block of pairs in parallel into a buffer, then reduce it in pair order (same bits
    // for any thread count); blocks keep the buffer in cache.
    const std::size_t stride = static_cast<std::size_t>(models) * nh;
    const std::size_t block = std::min<std::size_t>(pairs.size(), kScoreBlock);
    std::vector<ForecastScore> scores(block * stride);
    std::vector<int> thresholds(block), activity(block);
    // Every model's pmfs when they are recorded; the full model's for --forecasts-out.
    const bool keep_all = static_cast<bool>(options.on_record);
    std::vector<std::vector<Pmf>> kept(keep_all || options.on_forecast ? block : 0);
    std::size_t b0 = 0, b1 = 0;  // the block: pairs[b0, b1); buffers by place i in the block
    const auto work = [&](std::size_t from, std::size_t step) {
      std::vector<float> scratch;
      std::vector<int> counts;
      Pmf pmf;  // the baselines' pmfs, its storage reused
      for (std::size_t i = from; b0 + i < b1; i += step) {
        const std::size_t d = pairs[b0 + i];
        const float* y = panel.series(d, measure);
        const bool counted = origin <= first_uncovered && detail::count_history(y, origin, &counts);
        const int thr = counted ? detail::q90_of(counts, origin) : detail::q90(y, origin, &scratch);
        thresholds[i] = thr;
        activity[i] = activity_class(y, origin);  // here, while the pair's series is in cache
        ForecastScore* out = scores.data() + i * stride;
        if (keep_all) kept[i].resize(stride);
        // The pmfs reach past every outcome scored, so that no outcome falls in the folded tail.
        ForecastOptions fo = options.forecast;
        for (int h : options.horizons)
          if (origin + h - 1 < panel.periods)
            fo.min_support = std::max(fo.min_support, static_cast<int>(y[origin + h - 1]) + 2);
        for (int m = 0; m < static_cast<int>(variants.size()); ++m) {
          auto pmfs = forecast_pair(panel, fits[m], params[m], d, origin, options.horizons, fo);
          for (int hi = 0; hi < nh; ++hi) {
            const int t = origin + options.horizons[hi] - 1;
            if (t >= panel.periods) continue;
            out[m * nh + hi] = score_forecast(pmfs[hi], static_cast<int>(y[t]), thr, options.fixed_threshold);
          }
          if (keep_all) {
            for (int hi = 0; hi < nh; ++hi) kept[i][m * nh + hi] = std::move(pmfs[hi]);
          } else if (m == 0 && options.on_forecast) {
            kept[i] = std::move(pmfs);
          }
        }
        for (int b = 0; b < 4; ++b) {
          const int m = static_cast<int>(variants.size()) + b;
          for (int hi = 0; hi < nh; ++hi) {
            const int h = options.horizons[hi];
            const int t = origin + h - 1;
            if (t >= panel.periods && !keep_all) continue;
            if (b == 0) {
              pmf.assign(static_cast<std::size_t>(y[origin - 1]) + 1, 0.0);
              pmf.back() = 1.0;
            } else if (b == 1) {
              if (counted) detail::empirical_of(counts, origin, &pmf);
              else detail::empirical(panel, y, 0, origin, &pmf);
            } else if (b == 2) {
              detail::empirical(panel, y, std::max(0, origin - 12), origin, &pmf);
            } else {
              pmf = nb_ar_predictive(nbar, panel, measure, d, origin, h, fo.min_support);
            }
            if (t < panel.periods)
              out[m * nh + hi] = score_forecast(pmf, static_cast<int>(y[t]), thr, options.fixed_threshold);
            if (keep_all) kept[i][m * nh + hi] = std::move(pmf);
          }
        }
      }
    };
    for (b0 = 0; b0 < pairs.size(); b0 = b1) {
      b1 = std::min(pairs.size(), b0 + block);
      const std::size_t n = std::max<std::size_t>(1, std::min<std::size_t>(options.threads, b1 - b0));
      std::vector<std::thread> pool;
      for (std::size_t t = 1; t < n; ++t) pool.emplace_back(work, t, n);
      work(0, n);
      for (auto& t : pool) t.join();

      const int fitted_until = result.fits.back().until - panel.first;
      for (std::size_t i = 0; i < b1 - b0; ++i) {
        const float* y = panel.series(pairs[b0 + i], measure);
        for (int m = 0; m < models; ++m)
          for (int hi = 0; hi < nh; ++hi) {
            const int t = origin + options.horizons[hi] - 1;
            const bool scored = t < panel.periods;
            if (scored) result.models[m].horizons[hi].add(scores[i * stride + m * nh + hi], t, activity[i]);
            if (keep_all) {
              ForecastRecord r;
              r.model = m;
              r.origin = origin;
              r.horizon = options.horizons[hi];
              r.pair = pairs[b0 + i];
              r.fitted_until = fitted_until;
              r.threshold_q90 = thresholds[i];
              r.activity = activity[i];
              r.pmf = &kept[i][m * nh + hi];
              r.scored = scored;
              if (scored) {
                r.outcome = static_cast<int>(y[t]);
                r.score = scores[i * stride + m * nh + hi];
              }
              options.on_record(r);
            }
          }
        if (options.on_forecast)
          for (int hi = 0; hi < nh; ++hi)
            options.on_forecast(origin, options.horizons[hi], pairs[b0 + i], kept[i][hi]);  // model 0
      }
    }
    for (int hi = 0; hi < nh; ++hi)
      if (origin + options.horizons[hi] - 1 < panel.periods) result.forecasts += pairs.size();
    ++result.origins;
  }
  result.skills = skills_of(result.models, options.bootstrap, options.forecast.seed);
  result.rps_skills = skills_of(result.models, options.bootstrap, options.forecast.seed, "rps");
  return result;
}

std::vector<Skill> skills_of(const std::vector<ModelScores>& models, int resamples,
                             std::uint64_t seed, const std::string& score) {
  if (score != "crps" && score != "rps") throw std::invalid_argument("skills_of: unknown score " + score);
  std::vector<Skill> out;
  for (std::size_t m = 1; m < models.size(); ++m)
    for (std::size_t hi = 0; hi < models[0].horizons.size(); ++hi)
      out.push_back(skill_of(models[0], models[m], hi, models[0].horizons[hi].h, resamples, seed,
                             score == "rps"));
  return out;
}

std::vector<int> parse_horizons(const std::string& text, const std::string& field) {
  std::vector<int> out;
  for (const auto& part : split_trimmed(text, ',')) {
    int h = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), h);
    if (ec != std::errc() || end != part.data() + part.size() || h < 1 || h > 120)
      throw InputError(kRequest, 0, field, "'" + part + "' is not a horizon of 1 to 120 periods");
    out.push_back(h);
  }
  if (out.empty()) throw InputError(kRequest, 0, field, "no horizon given");
  return out;
}

}  // namespace sphere::dyad

// The negative-binomial autoregression's likelihood and pmf.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

#include <boost/math/special_functions/digamma.hpp>

#include "dyad/internal.h"

namespace sphere::dyad {

std::string Switches::name() const {
  if (excitation && cross && pooling && state && dispersion && trend) return "full";
  std::string out;
  const auto add = [&](bool on, const char* what) {
    if (!on) out += (out.empty() ? "no-" : "+no-") + std::string(what);
  };
  add(excitation, "excitation");
  add(cross, "cross");
  add(pooling, "pooling");
  add(state, "state");
  add(dispersion, "dispersion-slope");
  add(trend, "trend");
  return out;
}

const std::array<const char*, Params::kCount>& Params::names() {
  static const std::array<const char*, kCount> n = {"delta", "beta", "alpha", "gamma", "log_r", "rho"};
  return n;
}

std::string default_partner(const panel::Panel& panel, const std::string& target) {
  if (panel.directed) return "reverse";
  if (target == "days_negative") return "days_positive";
  if (target == "days_positive") return "days_negative";
  // Another count measure of the same pair, if any.
  for (const auto& m : panel.measures)
    if (m.count && m.name != target && m.name != "days_nonzero") return m.name;
  return "";
}

PairSeries pair_series(const panel::Panel& panel, const Calibration& calibration,
                       std::size_t pair) {
  const int target = panel.measure_index(calibration.target);
  PairSeries out;
  out.y = panel.series(pair, target);
  if (calibration.partner == "reverse") {
    const auto& p = panel.pairs[pair];
    const long reverse = panel.find_pair(panel.codes[p.b], panel.codes[p.a]);
    out.x = reverse < 0 ? nullptr : panel.series(reverse, target);
  } else if (!calibration.partner.empty()) {
    out.x = panel.series(pair, panel.measure_index(calibration.partner));
  }
  return out;
}

double trend_factor(const Calibration& cal, int slot, int t) {
  const MeasureFit& f = cal.fits[static_cast<std::size_t>(slot)];
  if (f.trend == 0.0) return 1.0;
  const int last = cal.until - 1 - cal.first;
  const int at = std::clamp(t, 0, last);
  if (static_cast<std::size_t>(last) + 1 == f.trend_factors.size()) return f.trend_factors[at];
  return std::exp(f.trend * (cal.first + std::min(t, last) - f.trend_center) / (cal.yearly ? 1.0 : 12.0));
}

void cache_trend(Calibration* cal) {
  const int periods = std::max(0, cal->until - cal->first);
  for (std::size_t slot = 0; slot < cal->fits.size(); ++slot) {
    auto& f = cal->fits[slot];
    f.trend_factors.clear();
    std::vector<double> factors(periods);
    for (int t = 0; t < periods; ++t) factors[t] = trend_factor(*cal, static_cast<int>(slot), t);
    f.trend_factors = std::move(factors);
  }
}

Anchor partner_anchor(const panel::Panel& panel, const Calibration& calibration, std::size_t pair) {
  if (calibration.fits.size() > 1) return calibration.anchors[1][pair];
  if (calibration.partner != "reverse") return Anchor{0, 0};
  const auto& p = panel.pairs[pair];
  const long reverse = panel.find_pair(panel.codes[p.b], panel.codes[p.a]);
  return reverse < 0 ? Anchor{0, 0} : calibration.anchors[0][reverse];
}

void nb_pmf(double mean, double r, int n, bool fold, double* out) {
  if (n <= 0) return;
  if (!(mean > 0)) {
    out[0] = 1;
    for (int k = 1; k < n; ++k) out[k] = 0;
    return;
  }
  const double q = mean / (r + mean);
  // log p0 = r log(r / (r + mean)), computed stably for small means.
  double p = std::exp(-r * std::log1p(mean / r));
  double total = 0;
  for (int k = 0; k < n; ++k) {
    out[k] = p;
    total += p;
    p *= (k + r) / (k + 1.0) * q;
  }
  if (fold) out[n - 1] += std::max(0.0, 1.0 - total);
}

namespace detail {

namespace {
// log k! for k < 65.
double log_factorial(int k) {
  static const std::array<double, 65> table = [] {
    std::array<double, 65> t{};
    for (int i = 1; i < 65; ++i) t[i] = t[i - 1] + std::log(static_cast<double>(i));
    return t;
  }();
  return table[k];
}
}  // namespace

NbLogPmf::NbLogPmf(double r, int table)
    : r_(r), log_r_(std::log(r)), table_(std::clamp(table, 1, kTable)) {
  double sum = 0;
  rising_[0] = digamma_[0] = 0;
  for (int k = 1; k < table_; ++k) {
    sum += std::log(r + k - 1);
    rising_[k] = sum - log_factorial(k);
    digamma_[k] = digamma_[k - 1] + 1.0 / (r + k - 1);
  }
}

double NbLogPmf::rising_and_digamma(double y, double* psi) const {
  *psi = boost::math::digamma(y + r_) - boost::math::digamma(r_);
  return std::lgamma(y + r_) - std::lgamma(r_) - std::lgamma(y + 1.0);
}

double NbLogPmf::operator()(double y, double mean) const {
  const double log_rm = std::log(r_ + mean);
  double out = r_ * (log_r_ - log_rm);
  if (y > 0) {
    const int k = static_cast<int>(y);
    const double rising = k < table_ ? rising_[k] : std::lgamma(y + r_) - std::lgamma(r_) - std::lgamma(y + 1.0);
    out += rising + y * (std::log(mean) - log_rm);
  }
  return out;
}

double NbLogPmf::log_tail(int y, double mean) const {
  double d_log_mean = 0, d_log_r = 0;
  return log_tail_gradient(y, mean, &d_log_mean, &d_log_r);
}

double NbLogPmf::log_tail_gradient(int y, double mean, double* d_log_mean, double* d_log_r) const {
  *d_log_mean = *d_log_r = 0;
  if (y <= 0) return 0;
  if (!(mean > 0)) return std::log(1e-300);
  const double q = mean / (r_ + mean), l1 = std::log1p(mean / r_), inv = 1.0 / (r_ + mean);
  // Cell k's probability p, with psi = psi(k + r) - psi(r); each cell's derivatives weighted by p.
  double p = std::exp(-r_ * l1), psi = 0;
  double below = 0, below_m = 0, below_r = 0;
  int k = 0;
  for (; k < y; ++k) {
    below += p;
    below_m += p * r_ * (k - mean) * inv;
    below_r += p * r_ * (psi - l1 + (mean - k) * inv);
    psi += 1.0 / (r_ + k);
    p *= (k + r_) / (k + 1.0) * q;
  }
  double tail = 1.0 - below, tail_m = -below_m, tail_r = -below_r;
  if (below > 0.999) {
    // A small tail is summed upwards from the bound: 1 - below would lose more than three of its
    // digits. (Above, the difference keeps about 13, and the sum upwards would be long where the
    // size is small: the terms fall by about mean / (r + mean) each.)
    tail = tail_m = tail_r = 0;
    for (; k < y + 100000; ++k) {
      tail += p;
      tail_m += p * r_ * (k - mean) * inv;
      tail_r += p * r_ * (psi - l1 + (mean - k) * inv);
      if (p == 0 || (k > mean && p < 1e-17 * tail)) break;
      psi += 1.0 / (r_ + k);
      p *= (k + r_) / (k + 1.0) * q;
    }
  }
  if (!(tail > 1e-300)) return std::log(1e-300);  // floored: flat
  *d_log_mean = tail_m / tail;
  *d_log_r = tail_r / tail;
  return std::log(tail);
}

namespace {

// One series' log-likelihood; with `grad`, its gradient added in, carried by the sensitivities
// of the log rate to (delta, beta, alpha, gamma) and of its log size to (log r, rho).
template <bool kGradient>
double series_loglik(const MeasureData& data, std::size_t i, const Params& p, Gradient* grad) {
  const SeriesView& s = data.series[i];
  const double raw_log_r = p.log_r + p.rho * (s.m - data.dispersion_center);
  const double log_r = log_size(p, s.m, data.dispersion_center);
  const NbLogPmf logpmf(std::exp(log_r), s.table);
  // d log r_d / d (log r, rho); zero where the clamp binds.
  const double s4 = log_r == raw_log_r ? 1.0 : 0.0, s5 = s4 * (s.m - data.dispersion_center);
  const double* drive = data.drive.data() + i * data.periods * 2;
  const double base = s.m + p.delta;
  double eta = clamp_eta(base), total = 0;
  // d eta / d (delta, beta, alpha, gamma)
  double e0 = eta == base ? 1.0 : 0.0, e1 = 0, e2 = 0, e3 = 0;
  double g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0;
  for (int t = 0; t < data.periods; ++t) {
    const double f = data.factor[t];
    if (f > 0) {
      const double y = s.y[t];
      const double mean = f * std::exp(eta);
      const int bound = data.bound[t];
      double de = 0, dr = 0;
      total += (bound >= 0 && y >= bound)
                   ? logpmf.log_tail_gradient(bound, mean, &de, &dr)
                   : logpmf.with_gradient(y, mean, data.log_factor[t] + eta, &de, &dr);
      if constexpr (kGradient) {
        g0 += de * e0;
        g1 += de * e1;
        g2 += de * e2;
        g3 += de * e3;
        g4 += dr;
      }
    }
    const double a = drive[2 * t], b = drive[2 * t + 1];
    const double raw = base + p.beta * (eta - base) + p.alpha * a + p.gamma * b;
    const double next = clamp_eta(raw);
    if constexpr (kGradient) {
      if (next == raw) {
        const double n0 = (1.0 - p.beta) + p.beta * e0, n1 = (eta - base) + p.beta * e1,
                     n2 = a + p.beta * e2, n3 = b + p.beta * e3;
        e0 = n0, e1 = n1, e2 = n2, e3 = n3;
      } else {
        e0 = e1 = e2 = e3 = 0;
      }
    }
    eta = next;
  }
  const double w = s.weight;
  if constexpr (kGradient) {
    (*grad)[0] += w * g0;
    (*grad)[1] += w * g1;
    (*grad)[2] += w * g2;
    (*grad)[3] += w * g3;
    (*grad)[4] += w * g4 * s4;
    (*grad)[5] += w * g4 * s5;
  }
  return w * total;
}

}  // namespace

void prepare_drive(MeasureData* data) {
  const std::size_t n = data->series.size(), periods = static_cast<std::size_t>(data->periods);
  data->drive.assign(n * periods * 2, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    SeriesView& s = data->series[i];
    double* out = data->drive.data() + i * periods * 2;
    float top = 0;
    for (std::size_t t = 0; t < periods; ++t)
      if (data->factor[t] > 0) top = std::max(top, s.y[t]);
    s.table = static_cast<int>(std::min<float>(top, NbLogPmf::kTable - 1)) + 1;
    for (std::size_t t = 0; t < periods; ++t) {
      if (!(data->factor[t] > 0)) continue;
      out[2 * t] = log1p_count(s.y[t]) - s.level;
      out[2 * t + 1] = (s.x ? log1p_count(s.x[t]) : 0.0) - s.partner_level;
    }
  }
}

double log_likelihood(const MeasureData& data, const Params& params, int threads,
                      Gradient* gradient) {
  if (data.drive.size() != data.series.size() * data.periods * 2)
    throw std::logic_error("log_likelihood: prepare_drive was not called");
  constexpr std::size_t kChunk = 512;
  const std::size_t chunks = (data.series.size() + kChunk - 1) / kChunk;
  std::vector<double> sums(chunks, 0.0);
  std::vector<Gradient> grads(gradient ? chunks : 0, Gradient{});
  const auto work = [&](std::size_t from, std::size_t step) {
    for (std::size_t c = from; c < chunks; c += step) {
      double sum = 0;
      const std::size_t end = std::min(data.series.size(), (c + 1) * kChunk);
      for (std::size_t i = c * kChunk; i < end; ++i)
        sum += gradient ? series_loglik<true>(data, i, params, &grads[c])
                        : series_loglik<false>(data, i, params, nullptr);
      sums[c] = sum;
    }
  };
  const std::size_t n = std::max<std::size_t>(1, std::min<std::size_t>(threads, chunks));
  if (n == 1) {
    work(0, 1);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < n; ++t) pool.emplace_back(work, t, n);
    for (auto& t : pool) t.join();
  }
  double total = 0;
  for (double s : sums) total += s;  // fixed order: the same bits for any thread count
  if (gradient) {
    gradient->fill(0.0);
    for (const auto& g : grads)
      for (int i = 0; i < Params::kCount; ++i) (*gradient)[i] += g[i];
  }
  return total;
}

}  // namespace detail
}  // namespace sphere::dyad

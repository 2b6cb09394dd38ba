// The negative-binomial autoregression's likelihood and pmf.
#include <algorithm>
#include <cmath>
#include <thread>

#include "dyad/internal.h"

namespace sphere::dyad {

std::string Switches::name() const {
  if (excitation && cross && pooling && state) return "full";
  std::string out;
  const auto add = [&](bool on, const char* what) {
    if (!on) out += (out.empty() ? "no-" : "+no-") + std::string(what);
  };
  add(excitation, "excitation");
  add(cross, "cross");
  add(pooling, "pooling");
  add(state, "state");
  return out;
}

const std::array<const char*, Params::kCount>& Params::names() {
  static const std::array<const char*, kCount> n = {"delta", "beta", "alpha", "gamma", "log_r"};
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

NbLogPmf::NbLogPmf(double r) : r_(r), log_r_(std::log(r)), rising_(65) {
  rising_[0] = 0;
  for (int k = 1; k < 65; ++k) rising_[k] = rising_[k - 1] + std::log(r + k - 1);
}

double NbLogPmf::operator()(double y, double mean) const {
  const double log_rm = std::log(r_ + mean);
  double out = r_ * (log_r_ - log_rm);
  if (y > 0) {
    const int k = static_cast<int>(y);
    const double rising = k < 65 ? rising_[k] : std::lgamma(y + r_) - std::lgamma(r_);
    out += rising - std::lgamma(y + 1.0) + y * (std::log(mean) - log_rm);
  }
  return out;
}

double NbLogPmf::with_log_mean(double y, double mean, double log_mean) const {
  const double log_rm = std::log(r_ + mean);
  double out = r_ * (log_r_ - log_rm);
  if (y > 0) {
    const int k = static_cast<int>(y);
    const double rising = k < 65 ? rising_[k] - log_factorial(k) : std::lgamma(y + r_) - std::lgamma(r_) - std::lgamma(y + 1.0);
    out += rising + y * (log_mean - log_rm);
  }
  return out;
}

double NbLogPmf::log_tail(int y, double mean) const {
  if (y <= 0) return 0;
  double pmf[64];
  const int n = std::min(y, 64);
  nb_pmf(mean, r_, n, false, pmf);
  double below = 0;
  for (int k = 0; k < n; ++k) below += pmf[k];
  return std::log(std::max(1e-300, 1.0 - below));
}

namespace {

double series_loglik(const MeasureData& data, const SeriesView& s, const Params& p,
                     const NbLogPmf& logpmf) {
  double eta = clamp_eta(s.m + p.delta), total = 0;
  for (int t = 0; t < data.periods; ++t) {
    const double f = data.factor[t];
    double l = s.level, c = s.partner_level;
    if (f > 0) {
      const double y = s.y[t];
      const double mean = f * std::exp(eta);
      const int bound = data.bound[t];
      total += (bound >= 0 && y >= bound) ? logpmf.log_tail(bound, mean)
                                          : logpmf.with_log_mean(y, mean, data.log_factor[t] + eta);
      l = log1p_count(s.y[t]);
      c = s.x ? log1p_count(s.x[t]) : 0.0;
    }
    eta = next_eta(p, s.m, eta, l, s.level, c, s.partner_level);
  }
  return total;
}

}  // namespace

double log_likelihood(const MeasureData& data, const Params& params, int threads) {
  const NbLogPmf logpmf(std::exp(params.log_r));
  constexpr std::size_t kChunk = 512;
  const std::size_t chunks = (data.series.size() + kChunk - 1) / kChunk;
  std::vector<double> sums(chunks, 0.0);
  const auto work = [&](std::size_t from, std::size_t step) {
    for (std::size_t c = from; c < chunks; c += step) {
      double sum = 0;
      const std::size_t end = std::min(data.series.size(), (c + 1) * kChunk);
      for (std::size_t i = c * kChunk; i < end; ++i)
        sum += series_loglik(data, data.series[i], params, logpmf);
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
  return total;
}

}  // namespace detail
}  // namespace sphere::dyad

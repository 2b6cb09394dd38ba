// Sensitivity analysis: Morris elementary effects and Sobol indices (Saltelli sampling),
// generic over any thread-safe function of the factors. docs/MODEL.md gives the estimators.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "sim/internal.h"
#include "sim/sim.h"

namespace sphere::sim {
namespace {

std::vector<double> scale(const std::vector<Factor>& factors, const std::vector<double>& unit) {
  std::vector<double> x(unit.size());
  for (std::size_t i = 0; i < unit.size(); ++i)
    x[i] = factors[i].low + unit[i] * (factors[i].high - factors[i].low);
  return x;
}

double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

// S1 (Saltelli 2010) and ST (Jansen) of every factor from the rows in `rows`.
void indices(const std::vector<double>& fa, const std::vector<double>& fb,
             const std::vector<std::vector<double>>& fab, const std::vector<std::uint32_t>& rows,
             std::vector<double>& s1, std::vector<double>& st) {
  const std::size_t k = fab.size();
  const double n = static_cast<double>(rows.size());
  double m = 0;
  for (auto r : rows) m += fa[r] + fb[r];
  m /= 2 * n;
  double var = 0;
  for (auto r : rows) var += (fa[r] - m) * (fa[r] - m) + (fb[r] - m) * (fb[r] - m);
  var /= 2 * n;
  s1.assign(k, 0.0);
  st.assign(k, 0.0);
  if (!(var > 0)) return;
  for (std::size_t i = 0; i < k; ++i) {
    double a = 0, b = 0;
    for (auto r : rows) {
      a += fb[r] * (fab[i][r] - fa[r]);
      b += (fa[r] - fab[i][r]) * (fa[r] - fab[i][r]);
    }
    s1[i] = a / n / var;
    st[i] = 0.5 * b / n / var;
  }
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

// Morris's sample: the points in evaluation order (trajectory by trajectory, k + 1 points
// each) and the order in which each trajectory moves the factors.
struct MorrisDesign {
  std::vector<std::vector<double>> points;
  std::vector<std::vector<std::size_t>> orders;
};

MorrisDesign morris_design(const std::vector<Factor>& factors, int trajectories, int levels,
                           std::uint64_t seed) {
  const std::size_t k = factors.size();
  const double delta = levels / (2.0 * (levels - 1));
  // Base points on the grid {0, 1/(p−1), …, 1}; factor i moves by +Δ when it stays ≤ 1, else −Δ;
  // the order of the moves is a random permutation (Fisher–Yates with our uniform integers).
  MorrisDesign d;
  for (int t = 0; t < trajectories; ++t) {
    Rng rng(seed, static_cast<std::uint32_t>(t), 0, Purpose::kSample, 0);
    std::vector<double> x(k);
    for (auto& xi : x) xi = static_cast<double>(rng.below(levels)) / (levels - 1);
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = k; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    d.points.push_back(scale(factors, x));
    for (std::size_t i : order) {
      x[i] += x[i] + delta <= 1.0 + 1e-12 ? delta : -delta;
      d.points.push_back(scale(factors, x));
    }
    d.orders.push_back(order);
  }
  return d;
}

// Outputs come from elsewhere (shards, ranks): one per point or the indices would be wrong.
void check_outputs(std::size_t points, std::size_t outputs) {
  if (points != outputs)
    throw std::invalid_argument("sensitivity: " + std::to_string(outputs) +
                                " outputs for a design of " + std::to_string(points) + " points");
}

}  // namespace

std::vector<std::vector<double>> morris_points(const std::vector<Factor>& factors,
                                               int trajectories, int levels, std::uint64_t seed) {
  return morris_design(factors, trajectories, levels, seed).points;
}

MorrisResult morris_indices(const std::vector<Factor>& factors, int trajectories, int levels,
                            std::uint64_t seed, const std::vector<double>& y) {
  const std::size_t k = factors.size();
  const double delta = levels / (2.0 * (levels - 1));
  const MorrisDesign d = morris_design(factors, trajectories, levels, seed);
  check_outputs(d.points.size(), y.size());
  const auto& points = d.points;
  std::vector<std::vector<double>> effects(k);
  for (int t = 0; t < trajectories; ++t) {
    const std::size_t base = static_cast<std::size_t>(t) * (k + 1);
    for (std::size_t step = 0; step < k; ++step) {
      const std::size_t i = d.orders[t][step];
      const double unit_before =
          (points[base + step][i] - factors[i].low) / (factors[i].high - factors[i].low);
      const double unit_after =
          (points[base + step + 1][i] - factors[i].low) / (factors[i].high - factors[i].low);
      const double sign = unit_after > unit_before ? 1.0 : -1.0;
      effects[i].push_back(sign * (y[base + step + 1] - y[base + step]) / delta);
    }
  }
  MorrisResult r;
  for (std::size_t i = 0; i < k; ++i) {
    const double mu = mean(effects[i]);
    double abs_sum = 0, sq = 0;
    for (double e : effects[i]) {
      abs_sum += std::fabs(e);
      sq += (e - mu) * (e - mu);
    }
    r.mu.push_back(mu);
    r.mu_star.push_back(abs_sum / effects[i].size());
    r.sigma.push_back(effects[i].size() > 1 ? std::sqrt(sq / (effects[i].size() - 1)) : 0.0);
  }
  return r;
}

MorrisResult morris(const std::vector<Factor>& factors, const Function& f, int trajectories,
                    int levels, std::uint64_t seed, int threads) {
  return morris_indices(
      factors, trajectories, levels, seed,
      evaluate_all(f, morris_points(factors, trajectories, levels, seed), threads));
}

std::vector<std::vector<double>> sobol_points(const std::vector<Factor>& factors, int n,
                                              std::uint64_t seed) {
  const std::size_t k = factors.size();
  // A and B: n rows each of 2k independent uniforms (row r: Philox stream (seed, r)).
  std::vector<std::vector<double>> a(n, std::vector<double>(k)), b = a;
  for (int r = 0; r < n; ++r) {
    Rng rng(seed, static_cast<std::uint32_t>(r), 0, Purpose::kSample, 1);
    for (std::size_t i = 0; i < k; ++i) a[r][i] = rng.uniform();
    for (std::size_t i = 0; i < k; ++i) b[r][i] = rng.uniform();
  }
  // Rows in SALib's order for each base point: A, AB_1..AB_k, B.
  std::vector<std::vector<double>> points;
  points.reserve(static_cast<std::size_t>(n) * (k + 2));
  for (int r = 0; r < n; ++r) {
    points.push_back(scale(factors, a[r]));
    for (std::size_t i = 0; i < k; ++i) {
      std::vector<double> ab = a[r];
      ab[i] = b[r][i];
      points.push_back(scale(factors, ab));
    }
    points.push_back(scale(factors, b[r]));
  }
  return points;
}

SobolResult sobol_indices(const std::vector<Factor>& factors, int n, int bootstrap,
                          std::uint64_t seed, const std::vector<double>& y) {
  const std::size_t k = factors.size();
  check_outputs(static_cast<std::size_t>(n) * (k + 2), y.size());
  std::vector<double> fa(n), fb(n);
  std::vector<std::vector<double>> fab(k, std::vector<double>(n));
  for (int r = 0; r < n; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * (k + 2);
    fa[r] = y[base];
    for (std::size_t i = 0; i < k; ++i) fab[i][r] = y[base + 1 + i];
    fb[r] = y[base + k + 1];
  }
  std::vector<std::uint32_t> all(n);
  std::iota(all.begin(), all.end(), 0u);
  SobolResult out;
  indices(fa, fb, fab, all, out.s1, out.st);
  std::vector<std::vector<double>> s1_boot(k), st_boot(k);
  std::vector<std::uint32_t> rows(n);
  for (int rep = 0; rep < bootstrap; ++rep) {
    Rng rng(seed, static_cast<std::uint32_t>(rep), 0, Purpose::kBootstrap, 0);
    for (auto& row : rows) row = rng.below(static_cast<std::uint32_t>(n));
    std::vector<double> s1, st;
    indices(fa, fb, fab, rows, s1, st);
    for (std::size_t i = 0; i < k; ++i) {
      s1_boot[i].push_back(s1[i]);
      st_boot[i].push_back(st[i]);
    }
  }
  for (std::size_t i = 0; i < k; ++i) {
    const bool have = !s1_boot[i].empty();
    out.s1_low.push_back(have ? percentile(s1_boot[i], 0.025) : out.s1[i]);
    out.s1_high.push_back(have ? percentile(s1_boot[i], 0.975) : out.s1[i]);
    out.st_low.push_back(have ? percentile(st_boot[i], 0.025) : out.st[i]);
    out.st_high.push_back(have ? percentile(st_boot[i], 0.975) : out.st[i]);
  }
  return out;
}

SobolResult sobol(const std::vector<Factor>& factors, const Function& f, int n, int bootstrap,
                  std::uint64_t seed, int threads) {
  return sobol_indices(factors, n, bootstrap, seed,
                       evaluate_all(f, sobol_points(factors, n, seed), threads));
}

std::pair<std::size_t, std::size_t> shard_points(std::size_t count, std::uint32_t shard,
                                                 std::uint32_t shards) {
  const auto at = [&](std::uint64_t s) { return static_cast<std::size_t>(count * s / shards); };
  return {at(shard), at(std::uint64_t{shard} + 1)};
}

}  // namespace sphere::sim

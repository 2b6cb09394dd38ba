#include <cmath>
#include <numbers>
#include <stdexcept>

#include <gtest/gtest.h>

#include "sim/sim.h"

namespace sphere::sim {
namespace {

const double kPi = std::numbers::pi;

double ishigami(const std::vector<double>& x) {
  return std::sin(x[0]) + 7.0 * std::sin(x[1]) * std::sin(x[1]) +
         0.1 * std::pow(x[2], 4) * std::sin(x[0]);
}

std::vector<Factor> ishigami_factors() {
  return {{"x1", -kPi, kPi}, {"x2", -kPi, kPi}, {"x3", -kPi, kPi}};
}

TEST(Sobol, IshigamiMatchesAnalyticIndices) {
  // Exact values (shared/reference/engines.md §2.3): a = 7, b = 0.1.
  const double s1[] = {0.3139051911, 0.4424111448, 0.0};
  const double st[] = {0.5575888552, 0.4424111448, 0.2436836641};
  const auto r = sobol(ishigami_factors(), ishigami, 1 << 15, 100, 2024, 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(r.s1[i], s1[i], 0.02) << "S1 of x" << i + 1;
    EXPECT_NEAR(r.st[i], st[i], 0.02) << "ST of x" << i + 1;
    EXPECT_LE(r.s1_low[i], r.s1[i]);
    EXPECT_GE(r.s1_high[i], r.s1[i]);
    EXPECT_LE(r.st_low[i], r.st_high[i]);
  }
}

TEST(Sobol, ErrorShrinksWithMorePoints) {
  const double st2 = 0.4424111448;
  const auto small = sobol(ishigami_factors(), ishigami, 1 << 9, 0, 7, 2);
  const auto large = sobol(ishigami_factors(), ishigami, 1 << 16, 0, 7, 2);
  EXPECT_LT(std::fabs(large.st[1] - st2), std::fabs(small.st[1] - st2) + 1e-3);
  EXPECT_LT(std::fabs(large.st[1] - st2), 0.01);
}

TEST(Sobol, ConstantOutputGivesZeroIndices) {
  const auto r = sobol(ishigami_factors(), [](const std::vector<double>&) { return 3.0; }, 64, 10,
                       1, 1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.s1[i], 0.0);
    EXPECT_EQ(r.st[i], 0.0);
  }
}

TEST(Sobol, SameResultForAnyThreadCount) {
  const auto a = sobol(ishigami_factors(), ishigami, 512, 20, 3, 1);
  const auto b = sobol(ishigami_factors(), ishigami, 512, 20, 3, 4);
  EXPECT_EQ(a.s1, b.s1);
  EXPECT_EQ(a.st_high, b.st_high);
}

TEST(Morris, IshigamiX2MuStarIsExactlySevenPointEight75) {
  // With 4 levels every move of x2 joins a point where sin² = 0 to one where sin² = 3/4:
  // |EE| = 7 · 0.75 / (2/3) = 7.875 whatever the trajectories.
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const auto r = morris(ishigami_factors(), ishigami, 20, 4, seed, 2);
    EXPECT_NEAR(r.mu_star[1], 7.875, 1e-9) << "seed " << seed;
  }
}

TEST(Morris, LinearModelEffectsAreItsCoefficientsTimesRange) {
  const std::vector<Factor> f = {{"a", 0, 1}, {"b", 0, 2}, {"c", -1, 1}};
  auto linear = [](const std::vector<double>& x) { return 3 * x[0] - 2 * x[1] + 0.5 * x[2]; };
  const auto r = morris(f, linear, 10, 4, 5, 1);
  const double expected[] = {3.0, -4.0, 1.0};  // β·(high − low)
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(r.mu[i], expected[i], 1e-9);
    EXPECT_NEAR(r.mu_star[i], std::fabs(expected[i]), 1e-9);
    EXPECT_NEAR(r.sigma[i], 0.0, 1e-9);
  }
}

// Outputs at the points of shards 1..n, concatenated in shard order.
std::vector<double> sharded_outputs(const std::vector<std::vector<double>>& points,
                                    std::uint32_t n) {
  std::vector<double> y;
  std::size_t next = 0;
  for (std::uint32_t k = 0; k < n; ++k) {
    const auto [first, end] = shard_points(points.size(), k, n);
    EXPECT_EQ(first, next);
    EXPECT_LE(end - first, points.size() / n + 1);
    for (std::size_t i = first; i < end; ++i) y.push_back(ishigami(points[i]));
    next = end;
  }
  EXPECT_EQ(next, points.size());
  return y;
}

TEST(Sensitivity, ShardedEvaluationsGiveTheBitsOfOneCall) {
  const auto factors = ishigami_factors();
  const auto sobol_whole = sobol(factors, ishigami, 50, 30, 11, 2);
  const auto morris_whole = morris(factors, ishigami, 7, 4, 11, 2);
  for (std::uint32_t n : {1u, 2u, 3u, 7u}) {
    const auto s =
        sobol_indices(factors, 50, 30, 11, sharded_outputs(sobol_points(factors, 50, 11), n));
    EXPECT_EQ(s.s1, sobol_whole.s1) << n;
    EXPECT_EQ(s.st, sobol_whole.st) << n;
    EXPECT_EQ(s.s1_low, sobol_whole.s1_low) << n;
    EXPECT_EQ(s.st_high, sobol_whole.st_high) << n;
    const auto m =
        morris_indices(factors, 7, 4, 11, sharded_outputs(morris_points(factors, 7, 4, 11), n));
    EXPECT_EQ(m.mu, morris_whole.mu) << n;
    EXPECT_EQ(m.mu_star, morris_whole.mu_star) << n;
    EXPECT_EQ(m.sigma, morris_whole.sigma) << n;
  }
}

TEST(Sensitivity, DesignSizesAndWrongOutputCounts) {
  const auto factors = ishigami_factors();
  const auto sp = sobol_points(factors, 9, 1);
  const auto mp = morris_points(factors, 5, 4, 1);
  EXPECT_EQ(sp.size(), 9u * 5u);  // n·(k + 2)
  EXPECT_EQ(mp.size(), 5u * 4u);  // r·(k + 1)
  EXPECT_THROW(sobol_indices(factors, 9, 0, 1, std::vector<double>(sp.size() - 1)),
               std::invalid_argument);
  EXPECT_THROW(morris_indices(factors, 5, 4, 1, std::vector<double>(mp.size() + 1)),
               std::invalid_argument);
  // More shards than points: the extra shards are empty, none overlaps.
  EXPECT_EQ(shard_points(2, 0, 3).second - shard_points(2, 0, 3).first, 0u);
  EXPECT_EQ(shard_points(2, 2, 3).second, 2u);
}

}  // namespace
}  // namespace sphere::sim

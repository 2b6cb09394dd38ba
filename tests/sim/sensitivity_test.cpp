#include <cmath>
#include <numbers>

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

}  // namespace
}  // namespace sphere::sim

#include <cmath>

#include <Random123/philox.h>
#include <gtest/gtest.h>

#include "sim/sim.h"

namespace sphere::sim {
namespace {

TEST(Philox, KnownAnswerVector) {
  // Random123's tests/kat_vectors: Philox4x32-10 with zero counter and key.
  r123::Philox4x32 philox;
  auto r = philox({{0, 0, 0, 0}}, {{0, 0}});
  EXPECT_EQ(r.v[0], 0x6627e8d5u);
  EXPECT_EQ(r.v[1], 0xe169c58du);
  EXPECT_EQ(r.v[2], 0xbc57ac4cu);
  EXPECT_EQ(r.v[3], 0x9b00dbd8u);
}

TEST(Rng, DrawIsPureFunctionOfItsKey) {
  Rng a(42, 7, 3, Purpose::kEvents, 11), b(42, 7, 3, Purpose::kEvents, 11);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.uniform(), b.uniform());
  Rng c(42, 7, 3, Purpose::kEvents, 12), d(42, 7, 3, Purpose::kTools, 11), e(43, 7, 3, Purpose::kEvents, 11);
  Rng f(42, 7, 3, Purpose::kEvents, 11);
  const double x = f.uniform();
  EXPECT_NE(x, c.uniform());
  EXPECT_NE(x, d.uniform());
  EXPECT_NE(x, e.uniform());
}

TEST(Rng, UniformMomentsAndRange) {
  Rng r(1, 0, 0, Purpose::kSample, 0);
  const int n = 200000;
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sq += u * u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sq / n - (sum / n) * (sum / n), 1.0 / 12, 0.002);
}

TEST(Rng, NormalMoments) {
  Rng r(2, 0, 0, Purpose::kSample, 0);
  const int n = 200000;
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    sum += z;
    sq += z * z;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.01);
}

class PoissonMoments : public ::testing::TestWithParam<double> {};

TEST_P(PoissonMoments, MeanAndVarianceEqualLambda) {
  const double lambda = GetParam();
  Rng r(3, 0, 0, Purpose::kSample, 0);
  const int n = 100000;
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    const double k = r.poisson(lambda);
    sum += k;
    sq += k * k;
  }
  const double mean = sum / n, var = sq / n - mean * mean;
  // Five standard errors of the mean; the variance to 5%.
  EXPECT_NEAR(mean, lambda, 5 * std::sqrt(lambda / n));
  EXPECT_NEAR(var / lambda, 1.0, 0.05);
}

// Both branches: inversion (< 10) and PTRS (>= 10).
INSTANTIATE_TEST_SUITE_P(Lambdas, PoissonMoments, ::testing::Values(0.05, 1.0, 7.5, 10.0, 42.0, 500.0));

TEST(Rng, PoissonOfZeroIsZero) {
  Rng r(4, 0, 0, Purpose::kSample, 0);
  EXPECT_EQ(r.poisson(0.0), 0u);
}

TEST(Rng, BelowStaysInRangeAndCoversIt) {
  Rng r(5, 0, 0, Purpose::kSample, 0);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const auto k = r.below(7);
    ASSERT_LT(k, 7u);
    ++seen[k];
  }
  for (int c : seen) EXPECT_NEAR(c, 1000, 150);
}

}  // namespace
}  // namespace sphere::sim

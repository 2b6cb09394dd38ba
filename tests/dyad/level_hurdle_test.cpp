// The robust level model: its CRPS formula against the integral of its CDF, its quantiles against
// its CDF, its estimator on panels simulated from it, and its backtest against the Gaussian AR
// where months are often zero and sometimes extreme.
#include <algorithm>
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "dyad/dyad.h"
#include "dyad/synthetic.h"
#include "testing.h"

namespace sphere::dyad {
namespace {

using testing::crps_integral;

TEST(HurdleScores, ClosedFormCrpsMatchesTheIntegralOfTheCdf) {
  for (const HurdleForecast f : {HurdleForecast{0.7, -4.0, 2.5, 3.0}, HurdleForecast{1.0, 2.0, 1.0, 30.0},
                                 HurdleForecast{0.2, 5.0, 0.5, 1.5}}) {
    const auto F = [&](double x) {
      const auto [below, at] = hurdle_cdf(f, x);
      return below + at;
    };
    // nu = 1.5 has heavy tails: the integral needs a wide range.
    const double range = f.nu < 2 ? 20000 : 400;
    for (double y : {-9.0, 0.0, 1.0, 6.0})
      EXPECT_NEAR(crps_hurdle(f, y), crps_integral(F, y, -range, range), f.nu < 2 ? 2e-3 : 1e-4)
          << f.nonzero << " " << f.nu << " y=" << y;
  }
}

TEST(HurdleScores, TheSharedBodyScorerGivesTheSameNumbersAsEachFunction) {
  const HurdleScorer scorer(3.0);
  // nu 3 (the scorer's), a body without spread, and another nu (scored on its own).
  for (const HurdleForecast f : {HurdleForecast{0.7, -4.0, 2.5, 3.0}, HurdleForecast{0.4, 6.0, 0.0, 3.0},
                                 HurdleForecast{0.2, 5.0, 0.5, 1.5}}) {
    for (double y : {-9.0, 0.0, 1.0, 6.0, 5.0}) {
      const HurdleScorer::Score score = scorer(f, y);
      const auto [below, at] = hurdle_cdf(f, y);
      EXPECT_EQ(score.crps, crps_hurdle(f, y)) << f.scale << " " << f.nu << " y=" << y;
      EXPECT_EQ(score.below, below) << f.scale << " " << f.nu << " y=" << y;
      EXPECT_EQ(score.at, at) << f.scale << " " << f.nu << " y=" << y;
    }
  }
}

TEST(HurdleScores, QuantilesInvertTheCdfAndTheAtomHoldsItsMass) {
  const HurdleForecast f{0.6, 3.0, 2.0, 4.0};
  const double below_zero = hurdle_cdf(f, 0.0).first;
  EXPECT_NEAR(hurdle_cdf(f, 0.0).second, 0.4, 1e-15);
  for (double u : {0.01, 0.05, 0.3, 0.6, 0.95}) {
    const double x = hurdle_quantile(f, u);
    if (u > below_zero && u <= below_zero + 0.4) {
      EXPECT_EQ(x, 0.0) << u;
    } else {
      const auto [below, at] = hurdle_cdf(f, x);
      EXPECT_NEAR(below + at, u, 1e-9) << u;
    }
  }
  EXPECT_DOUBLE_EQ(f.mean(), 0.6 * 3.0);
}

// Pairs whose level is zero with probability 1 - p and otherwise mu + s t_nu, independently.
panel::Panel hurdle_panel(int pairs, int periods, double p, double nu, std::uint64_t seed) {
  panel::Panel out = testing::empty_panel(pairs, periods, {{"score", false, false, "Goldstein"}});
  for (std::size_t d = 0; d < out.pairs.size(); ++d) {
    Rng rng(seed, static_cast<std::uint32_t>(d), 0, 91, 0);
    const double mu = 30.0 * rng.normal(), s = std::exp(std::log(10.0) + rng.normal());
    for (int t = 0; t < periods; ++t) {
      if (rng.uniform() >= p) continue;
      // A t_nu draw: a normal over the root of a chi-square / nu (gamma(nu / 2) * 2).
      const double chi2 = 2 * rng.gamma(0.5 * nu);
      out.values[d * periods + t] = static_cast<float>(mu + s * rng.normal() / std::sqrt(chi2 / nu));
    }
  }
  return out;
}

TEST(HurdleFit, FindsTheZeroShareHeavierTailsWhereTheDataHaveThemAndLongMemoryWhenNothingChanges) {
  const panel::Panel heavy = hurdle_panel(400, 60, 0.55, 3.0, 5);
  const HurdleFit f = fit_level_hurdle(heavy, "score", 0);
  ASSERT_TRUE(f.converged) << f.status;
  EXPECT_NEAR(f.nonzero_share, 0.55, 0.01);
  const double se = std::sqrt(f.covariance[0][0]);
  ASSERT_GT(se, 0);
  // nu describes the one-step predictive, whose anchors come from each pair's own short history:
  // its tails are those of the data widened by that estimation, so nu is below the data's 3
  // rather than equal to it; against data with normal tails it is far heavier.
  EXPECT_LT(f.params.log_nu, std::log(3.0) + 2 * se);
  const HurdleFit g = fit_level_hurdle(hurdle_panel(400, 60, 0.55, 1000.0, 5), "score", 0);
  ASSERT_TRUE(g.converged) << g.status;
  const double se_g = std::sqrt(g.covariance[0][0]);
  EXPECT_GT(g.params.log_nu, f.params.log_nu + 4 * std::hypot(se, se_g))
      << "lambda " << g.lambda << " log c " << g.params.log_c << " log k " << g.params.log_k;
  // Nothing changes over time, so long memory wins.
  EXPECT_GE(f.lambda, 0.9);
  EXPECT_EQ(f.profile.size(), 8u);
  EXPECT_GE(f.lambda_high, f.lambda);
  EXPECT_LE(f.lambda_low, f.lambda);
}

// As hurdle_panel, but each pair's level jumps to a new value every `regime` periods.
panel::Panel shifting_panel(int pairs, int periods, int regime, std::uint64_t seed) {
  panel::Panel out = testing::empty_panel(pairs, periods, {{"score", false, false, "Goldstein"}});
  for (std::size_t d = 0; d < out.pairs.size(); ++d) {
    Rng rng(seed, static_cast<std::uint32_t>(d), 0, 92, 0);
    double mu = 0;
    for (int t = 0; t < periods; ++t) {
      if (t % regime == 0) mu = 40.0 * rng.normal();
      if (rng.uniform() < 0.7) out.values[d * periods + t] = static_cast<float>(mu + 3.0 * rng.normal());
    }
  }
  return out;
}

TEST(HurdleFit, MinimumCrpsImprovesOnTheLikelihoodAndChoosesShortMemoryWhenLevelsShift) {
  const HurdleFit f = fit_level_hurdle(shifting_panel(300, 60, 8, 3), "score", 0);
  ASSERT_TRUE(f.converged) << f.status;
  // The level jumps every 8 periods: a long memory would anchor on old regimes.
  EXPECT_LE(f.lambda, 0.8);
  // The CRPS fit starts from the likelihood's estimate at the chosen lambda and can only improve.
  const auto at = std::find_if(f.profile.begin(), f.profile.end(), [&](const auto& p) { return p.lambda == f.lambda; });
  ASSERT_NE(at, f.profile.end());
  EXPECT_LE(f.crps, at->crps);
  for (const auto& p : f.profile) EXPECT_GE(p.crps, at->crps) << p.lambda;
  // The noise is normal, but the anchors lag each jump: the one-step errors are heavy-tailed and
  // nu runs to its lower bound (no standard error there). The others have standard errors, small
  // against the estimates' scale (300 pairs x 60 periods).
  EXPECT_LT(f.params.log_nu, std::log(3.0));
  for (int i = 1; i < HurdleParams::kCount; ++i) {
    EXPECT_GT(f.covariance[i][i], 0) << HurdleParams::names()[i];
    EXPECT_LT(std::sqrt(f.covariance[i][i]), 0.5) << HurdleParams::names()[i];
  }
}

TEST(HurdleBacktest, BeatsTheGaussianArWhereMonthsAreOftenZeroAndSometimesExtreme) {
  const panel::Panel p = hurdle_panel(300, 48, 0.4, 2.0, 9);
  LevelBacktestOptions o;
  o.target = "score";
  o.origin_from = 36;
  o.origin_to = 47;
  o.horizons = {1};
  o.bootstrap = 50;
  o.threads = 2;
  const LevelBacktestResult r = backtest_levels(p, o);
  const auto names = level_backtest_model_names();
  ASSERT_EQ(names.front(), "sphere-level");
  const auto crps = [&](const std::string& name) {
    const auto& h = r.models[std::find(names.begin(), names.end(), name) - names.begin()].horizons[0];
    return h.crps / h.n;
  };
  EXPECT_LT(crps("sphere-level"), crps("gaussian-ar"));
  EXPECT_LT(crps("sphere-level"), crps("climatology"));
  // Its PIT histogram is near flat: no decile holds more than twice its share.
  const auto& h1 = r.models[0].horizons[0];
  double prev = 0;
  for (int i = 0; i < 10; ++i) {
    const double share = h1.pit[i] / h1.n - prev;
    prev = h1.pit[i] / h1.n;
    EXPECT_LT(share, 0.2) << "decile " << i;
  }
}

}  // namespace
}  // namespace sphere::dyad

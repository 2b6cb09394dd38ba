// The level model: its estimator recovers the parameters of panels simulated from it, its
// predictive matches simulation, the CRPS formulas match brute-force integrals, and the backtest
// scores it against the level baselines the same way for any thread count.
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

// Pairs whose level follows z_t = mu + phi (z_{t-1} - mu) + s e_t with pair-specific mu and s
// (lognormal, a thousandfold range as in GDELT's sum_score), started from the stationary law.
struct LevelTruth {
  std::vector<double> mu, s;
};
panel::Panel level_panel(int pairs, int periods, double phi, std::uint64_t seed, LevelTruth* truth) {
  panel::Panel p = testing::empty_panel(pairs, periods, {{"score", false, false, "Goldstein"}});
  for (std::size_t d = 0; d < p.pairs.size(); ++d) {
    Rng rng(seed, static_cast<std::uint32_t>(d), 0, 77, 0);
    const double mu = 50.0 * rng.normal(), s = std::exp(std::log(10.0) + 1.2 * rng.normal());
    if (truth) truth->mu.push_back(mu), truth->s.push_back(s);
    double z = mu + s / std::sqrt(1 - phi * phi) * rng.normal();
    for (int t = 0; t < periods; ++t) {
      p.values[d * periods + t] = static_cast<float>(z);
      z = mu + phi * (z - mu) + s * rng.normal();
    }
  }
  return p;
}

TEST(LevelFit, RecoversThePersistenceAndTheInnovationScale) {
  for (double phi : {0.6, 0.0}) {
    LevelTruth truth;
    const panel::Panel p = level_panel(600, 60, phi, 11, &truth);
    const LevelFit f = fit_levels(p, "score", 0);
    ASSERT_TRUE(f.converged) << f.status;
    const double se = std::sqrt(f.covariance[0][0]);
    ASSERT_GT(se, 0);
    EXPECT_LT(se, 0.02);
    EXPECT_NEAR(f.params.phi, phi, 4 * se) << "phi " << phi;
    // The innovation scale c sigma_d the fit implies against the true s_d: median ratio near 1.
    const auto anchors = level_anchors(p, 0, p.periods, f.exposure_scale);
    const double c = std::exp(f.params.log_c), k = std::exp(f.params.log_k);
    std::vector<double> ratio;
    for (std::size_t d = 0; d < p.pairs.size(); ++d) {
      const auto& a = anchors[d];
      ratio.push_back(c * std::sqrt((a.n * a.variance + k * f.prior_variance) / (a.n + k)) / truth.s[d]);
    }
    std::nth_element(ratio.begin(), ratio.begin() + ratio.size() / 2, ratio.end());
    EXPECT_NEAR(ratio[ratio.size() / 2], 1.0, 0.05) << "phi " << phi;
    EXPECT_EQ(f.pairs, 600u);
    EXPECT_EQ(f.observations, 600u * 59);
  }
}

TEST(LevelFit, ACountTargetOrAnUnknownOneIsRefused) {
  panel::Panel p = level_panel(20, 24, 0.5, 3, nullptr);
  EXPECT_THROW(fit_levels(p, "nothing", 0), InputError);
  p.measures[0].count = true;
  EXPECT_THROW(fit_levels(p, "score", 0), InputError);
}

TEST(LevelPredictive, MatchesSimulatedPathsOfTheModel) {
  const panel::Panel p = level_panel(50, 36, 0.7, 5, nullptr);
  const LevelFit f = fit_levels(p, "score", 0);
  const auto anchors = level_anchors(p, 0, p.periods, f.exposure_scale);
  const std::size_t d = 7;
  const auto& a = anchors[d];
  const double k = std::exp(f.params.log_k);
  const double sd = std::exp(f.params.log_c) * std::sqrt((a.n * a.variance + k * f.prior_variance) / (a.n + k));
  for (int h : {1, 4}) {
    const Normal g = level_predictive(p, 0, f, a, d, p.periods, h);
    // Simulate the recursion from the last value.
    Rng rng(9, 0, static_cast<std::uint32_t>(h), 78, 0);
    const int n = 100000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; ++i) {
      double z = p.value(d, 0, p.periods - 1);
      for (int j = 0; j < h; ++j) z = a.mean + f.params.phi * (z - a.mean) + sd * rng.normal();
      s += z;
      s2 += z * z;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    EXPECT_NEAR(g.mean, mean, 5 * std::sqrt(var / n)) << h;
    EXPECT_NEAR(g.sd, std::sqrt(var), 0.01 * std::sqrt(var)) << h;
  }
}

TEST(LevelScores, ClosedFormAndSampleCrpsMatchTheIntegral) {
  const Normal g{3.0, 2.5};
  const auto Phi = [&](double x) { return 0.5 * std::erfc(-(x - g.mean) / g.sd / std::sqrt(2.0)); };
  for (double y : {-4.0, 2.0, 3.0, 9.5})
    EXPECT_NEAR(crps_normal(g, y), crps_integral(Phi, y, -40, 40), 1e-5) << y;
  EXPECT_DOUBLE_EQ(crps_normal({1.0, 0.0}, 4.0), 3.0);  // a point forecast: the absolute error
  std::vector<double> sample = {-3.0, 0.0, 0.0, 1.5, 7.0};
  const auto step = [&](double x) {
    return static_cast<double>(std::upper_bound(sample.begin(), sample.end(), x) - sample.begin()) /
           static_cast<double>(sample.size());
  };
  for (double y : {-10.0, 0.0, 1.0, 7.0, 12.0})
    EXPECT_NEAR(crps_sample(sample, y), crps_integral(step, y, -20, 20), 1e-3) << y;
}

TEST(LevelBacktest, ThePersistentModelBeatsClimatologyAndThreadsChangeNoBit) {
  const panel::Panel p = level_panel(200, 48, 0.8, 21, nullptr);
  LevelBacktestOptions o;
  o.target = "score";
  o.origin_from = 36;
  o.origin_to = 47;
  o.horizons = {1, 3};
  o.bootstrap = 50;
  o.threads = 1;
  std::size_t seen = 0;
  o.on_forecast = [&](int, int, std::size_t, const HurdleForecast& g) {
    ++seen;
    EXPECT_GT(g.scale, 0);
  };
  const LevelBacktestResult one = backtest_levels(p, o);
  EXPECT_EQ(seen, 12u * 200 * 2);
  ASSERT_EQ(one.models.size(), level_backtest_model_names().size());
  EXPECT_EQ(one.fits.size(), 1u);  // one year of origins (2003): one fit
  EXPECT_EQ(one.hurdle_fits.size(), 1u);
  const auto mean = [&](const LevelBacktestResult& r, int m, int hi) {
    return r.models[m].horizons[hi].crps / r.models[m].horizons[hi].n;
  };
  const auto names = level_backtest_model_names();
  const auto index = [&](const std::string& name) {
    return static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  const int gaussian = index("gaussian-ar"), climatology = index("climatology");
  // On a Gaussian AR(1) the Gaussian AR beats climatology and persistence at h = 1, and so does
  // the robust model (its recent weighted median follows the persistent level).
  EXPECT_LT(mean(one, gaussian, 0), mean(one, climatology, 0));
  EXPECT_LT(mean(one, gaussian, 0), mean(one, index("persistence"), 0));
  EXPECT_LT(mean(one, 0, 0), mean(one, climatology, 0));
  // h = 3 from origin 47 falls past the panel: 12 origins at h = 1, 10 at h = 3.
  EXPECT_EQ(one.models[0].horizons[0].n, 12u * 200);
  EXPECT_EQ(one.models[0].horizons[1].n, 10u * 200);
  const auto skill = std::find_if(one.skills.begin(), one.skills.end(),
                                  [](const Skill& s) { return s.baseline == "climatology" && s.h == 1; });
  ASSERT_NE(skill, one.skills.end());
  EXPECT_GT(skill->low, 0.0);
  o.threads = 3;
  o.on_forecast = nullptr;
  const LevelBacktestResult three = backtest_levels(p, o);
  for (std::size_t m = 0; m < one.models.size(); ++m)
    for (std::size_t hi = 0; hi < 2; ++hi)
      EXPECT_EQ(one.models[m].horizons[hi].crps, three.models[m].horizons[hi].crps) << one.models[m].name;
  // Its JSON reads back as a level's summary, for the report: no Brier scores or reliability.
  const BacktestSummary s = backtest_summary_from_json(level_backtest_to_json(one, p, {}), "levels.json");
  EXPECT_EQ(s.kind, "level");
  ASSERT_EQ(s.models.size(), one.models.size());
  EXPECT_EQ(s.models[0].name, "sphere-level");
  EXPECT_NEAR(s.models[0].horizons[0].crps, mean(one, 0, 0), 1e-9 * mean(one, 0, 0));
  EXPECT_TRUE(s.models[0].horizons[0].reliability.empty());
  EXPECT_FALSE(s.skills.empty());
}

}  // namespace
}  // namespace sphere::dyad

// Hawkes processes: the O(n) likelihood against the direct double sum, simulation by thinning,
// and maximum-likelihood recovery of known parameters within their standard errors.
#include <cmath>

#include "events/events.h"
#include "testing.h"

namespace sphere::events {
namespace {

// log L by definition: O(n^2) sums and the compensator integrated term by term.
double direct_log_likelihood(const HawkesParams& p, const PointData& d) {
  double ll = 0;
  const std::size_t D = p.dims();
  for (std::size_t k = 0; k < D; ++k) {
    for (double t : d.times[k]) {
      double lambda = p.mu[k];
      for (std::size_t l = 0; l < D; ++l)
        for (double s : d.times[l])
          if (s < t) lambda += p.alpha[k][l] * p.omega[l] * std::exp(-p.omega[l] * (t - s));
      ll += std::log(lambda);
    }
    ll -= p.mu[k] * d.horizon;
    for (std::size_t l = 0; l < D; ++l)
      for (double s : d.times[l]) ll -= p.alpha[k][l] * (1 - std::exp(-p.omega[l] * (d.horizon - s)));
  }
  return ll;
}

HawkesParams univariate(double mu, double alpha, double omega) { return {{mu}, {{alpha}}, {omega}}; }

TEST(Hawkes, RecursionEqualsTheDirectSum) {
  HawkesParams p{{0.2, 0.1}, {{0.3, 0.2}, {0.4, 0.1}}, {1.5, 0.7}};
  PointData d{{{0.5, 1.2, 1.25, 4.0, 7.5}, {0.9, 1.3, 6.0}}, 10.0};
  EXPECT_NEAR(hawkes_log_likelihood(p, d), direct_log_likelihood(p, d), 1e-10);
  PointData sim = simulate_hawkes(p, 200.0, 7);
  EXPECT_NEAR(hawkes_log_likelihood(p, sim), direct_log_likelihood(p, sim), 1e-8);
}

TEST(Hawkes, SimulationIsAFunctionOfTheSeed) {
  const HawkesParams p = univariate(0.5, 0.5, 1.0);
  PointData a = simulate_hawkes(p, 500, 42), b = simulate_hawkes(p, 500, 42), c = simulate_hawkes(p, 500, 43);
  EXPECT_EQ(a.times, b.times);
  EXPECT_NE(a.times, c.times);
  // Stationary mean rate mu / (1 - alpha) = 1 per unit time.
  EXPECT_NEAR(static_cast<double>(a.times[0].size()) / 500.0, 1.0, 0.25);
}

// Recovered parameters lie within three standard errors of the truth, and the time-rescaling
// check does not reject the fitted model.
void expect_recovered(const HawkesParams& truth, const HawkesFit& fit) {
  auto check = [](double estimate, double se, double true_value, const char* what) {
    ASSERT_TRUE(std::isfinite(se)) << what;
    EXPECT_GT(se, 0) << what;
    EXPECT_LT(std::fabs(estimate - true_value), 3 * se)
        << what << ": " << estimate << " +- " << se << " vs " << true_value;
  };
  for (std::size_t k = 0; k < truth.dims(); ++k) {
    check(fit.params.mu[k], fit.stderr_.mu[k], truth.mu[k], "mu");
    check(fit.params.omega[k], fit.stderr_.omega[k], truth.omega[k], "omega");
    for (std::size_t l = 0; l < truth.dims(); ++l)
      check(fit.params.alpha[k][l], fit.stderr_.alpha[k][l], truth.alpha[k][l], "alpha");
    EXPECT_GT(fit.ks_p_value[k], 0.01);
  }
  EXPECT_TRUE(fit.converged);
}

TEST(Hawkes, UnivariateFitRecoversSimulatedParameters) {
  const HawkesParams truth = univariate(0.5, 0.6, 2.0);
  const PointData data = simulate_hawkes(truth, 3000, 2024);
  ASSERT_GT(data.times[0].size(), 2000u);
  const HawkesFit fit = fit_hawkes(data);
  expect_recovered(truth, fit);
  EXPECT_NEAR(fit.spectral_radius, fit.params.alpha[0][0], 1e-12);
  EXPECT_GE(fit.log_likelihood, hawkes_log_likelihood(truth, data));
}

TEST(Hawkes, BivariateFitRecoversRetaliation) {
  // Stream 1 (j -> i) retaliates strongly for stream 0 (i -> j); little the other way.
  const HawkesParams truth{{0.3, 0.2}, {{0.3, 0.1}, {0.5, 0.2}}, {1.0, 3.0}};
  const PointData data = simulate_hawkes(truth, 4000, 99);
  const HawkesFit fit = fit_hawkes(data);
  expect_recovered(truth, fit);
  EXPECT_LT(fit.spectral_radius, 1.0);
}

TEST(Hawkes, TimeRescalingRejectsAWrongModel) {
  const HawkesParams truth = univariate(0.2, 0.8, 1.0);
  const PointData data = simulate_hawkes(truth, 3000, 5);
  // A Poisson process with the same mean rate ignores the clustering.
  const double rate = static_cast<double>(data.times[0].size()) / data.horizon;
  auto [ks, p] = ks_exponential(rescaled_times(univariate(rate, 1e-9, 1.0), data, 0));
  EXPECT_LT(p, 0.001) << ks;
  auto [ks_true, p_true] = ks_exponential(rescaled_times(truth, data, 0));
  EXPECT_LT(ks_true, ks);
  EXPECT_GT(p_true, 0.01);
}

TEST(Hawkes, PoissonDataShowNoExcitation) {
  // On Poisson data the test against the Poisson null should reject about as often as its level:
  // out of 12 simulated data sets, at most 3 at 5% (a binomial(12, 0.05) exceeds 3 with
  // probability 0.002), and the profile interval of the excitation reaches down to 0 in most.
  int rejected = 0, reaching_zero = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    const HawkesParams poisson{{0.1, 0.08}, {{1e-6, 1e-6}, {1e-6, 1e-6}}, {1.0, 1.0}};
    const PointData data = simulate_hawkes(poisson, 2000, seed);
    const HawkesFit fit = fit_hawkes(data);
    rejected += fit.lr_p_value < 0.05;
    reaching_zero += fit.alpha_profile[1][0][0] == 0.0;
    EXPECT_GE(fit.lr_statistic, 0.0);
    EXPECT_NEAR(fit.log_likelihood_poisson,
                hawkes_log_likelihood(
                    {{static_cast<double>(data.times[0].size()) / 2000,
                      static_cast<double>(data.times[1].size()) / 2000},
                     {{0, 0}, {0, 0}}, {1.0, 1.0}},
                    data),
                1e-6);
    if (fit.lr_p_value >= 0.05) {
      EXPECT_NE(hawkes_shortfall(fit).find("no excitation detected"), std::string::npos)
          << hawkes_shortfall(fit);
    }
  }
  EXPECT_LE(rejected, 3);
  EXPECT_GE(reaching_zero, 9);
}

TEST(Hawkes, ExcitationIsDetectedAndItsProfileIntervalCoversTheTruth) {
  const HawkesParams truth{{0.3, 0.2}, {{0.3, 0.1}, {0.5, 0.2}}, {1.0, 3.0}};
  const PointData data = simulate_hawkes(truth, 4000, 99);
  const HawkesFit fit = fit_hawkes(data);
  EXPECT_LT(fit.lr_p_value, 1e-6) << fit.lr_statistic;
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t l = 0; l < 2; ++l) {
      const auto [low, high] = fit.alpha_profile[k][l];
      EXPECT_LE(low, fit.params.alpha[k][l]);
      EXPECT_GE(high, fit.params.alpha[k][l]);
      EXPECT_LT(low, truth.alpha[k][l]) << k << l;
      EXPECT_GT(high, truth.alpha[k][l]) << k << l;
    }
  // The retaliation term is well away from 0.
  EXPECT_GT(fit.alpha_profile[1][0][0], 0.2);
  EXPECT_EQ(hawkes_shortfall(fit), "");
}

TEST(Hawkes, WithoutProfilesTheEstimatesAndTheTestAreTheSame) {
  const HawkesParams truth{{0.3, 0.2}, {{0.3, 0.1}, {0.5, 0.2}}, {1.0, 3.0}};
  const PointData data = simulate_hawkes(truth, 800, 7);
  const HawkesFit full = fit_hawkes(data);
  const HawkesFit quick = fit_hawkes(data, {.profiles = false});
  ASSERT_EQ(full.alpha_profile.size(), 2u);
  EXPECT_TRUE(quick.alpha_profile.empty());
  EXPECT_EQ(quick.params.alpha, full.params.alpha);
  EXPECT_EQ(quick.params.mu, full.params.mu);
  EXPECT_EQ(quick.params.omega, full.params.omega);
  EXPECT_EQ(quick.log_likelihood, full.log_likelihood);
  EXPECT_EQ(quick.lr_statistic, full.lr_statistic);
  EXPECT_EQ(quick.lr_p_value, full.lr_p_value);
  EXPECT_EQ(quick.converged, full.converged);
  EXPECT_EQ(hawkes_shortfall(quick), hawkes_shortfall(full));
}

TEST(Hawkes, FewEventsFallShortOfTheInformationRule) {
  const PointData data{{{1.0, 5.0, 9.0, 30.0, 31.0, 60.0, 90.0}}, 100.0};
  const HawkesFit fit = fit_hawkes(data);
  EXPECT_NE(hawkes_shortfall(fit).find("7 events in a stream, fewer than the 20"), std::string::npos)
      << hawkes_shortfall(fit);
  InformationRule lax;
  lax.min_events = 5;
  lax.level = 1.1;  // every p-value passes: only convergence and stationarity remain
  EXPECT_EQ(hawkes_shortfall(fit, lax).find("fewer than"), std::string::npos);
}

TEST(Hawkes, TooFewEventsIsAnError) {
  EXPECT_THROW(fit_hawkes(PointData{{{1.0, 2.0}}, 10.0}), std::invalid_argument);
}

TEST(Hawkes, EventTimesSpreadSameDayEventsDeterministically) {
  EventTimes a("RUS", "AZE", -1, 1), b("RUS", "AZE", -1, 1);
  for (EventTimes* t : {&a, &b})
    for (const char* date : {"2024-01-05", "2024-01-05", "2024-01-09", "2024-02"}) {
      EventView v;
      v.date = *Date::parse(date);
      v.actor1 = "RUS";
      v.actor2 = "AZE";
      v.quad = 3;
      t->add(v);
    }
  PointData d = a.data(false);
  ASSERT_EQ(d.times[0].size(), 4u);
  EXPECT_EQ(d.times, b.data(false).times);
  EXPECT_LT(d.times[0][0], d.times[0][1]);  // no tie
  EXPECT_LT(d.times[0][1], 1.0);            // both within the first day
  EXPECT_GE(d.times[0][2], 4.0);
  EXPECT_GE(d.times[0][3], 41.0);           // 2024-02 placed on the 15th
  EXPECT_DOUBLE_EQ(d.horizon, 42.0);
  EXPECT_EQ(days_from_civil(Date{1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil(Date{2000, 3, 1}), 11017);
}

}  // namespace
}  // namespace sphere::events

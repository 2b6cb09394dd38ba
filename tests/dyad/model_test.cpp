#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dyad/dyad.h"
#include "dyad/internal.h"
#include "dyad/synthetic.h"
#include "testing.h"

namespace sphere::dyad {
namespace {

using testing::empty_panel;
using testing::simulate_into;

TEST(NegativeBinomial, PmfMatchesTheClosedFormAndSumsToOne) {
  const double mean = 3.7, r = 1.6;
  std::vector<double> pmf(200);
  nb_pmf(mean, r, 200, true, pmf.data());
  double total = 0;
  for (double v : pmf) total += v;
  EXPECT_NEAR(total, 1.0, 1e-12);
  for (int k : {0, 1, 5, 17}) {
    const double direct = std::exp(std::lgamma(k + r) - std::lgamma(r) - std::lgamma(k + 1.0) +
                                   r * std::log(r / (r + mean)) + k * std::log(mean / (r + mean)));
    EXPECT_NEAR(pmf[k], direct, 1e-12) << k;
  }
}

TEST(Scores, CrpsOfAPointMassIsTheAbsoluteError) {
  Pmf point(6, 0.0);
  point[5] = 1.0;
  EXPECT_DOUBLE_EQ(crps(point, 5), 0.0);
  EXPECT_DOUBLE_EQ(crps(point, 2), 3.0);
  EXPECT_DOUBLE_EQ(crps(point, 9), 4.0);
}

TEST(Scores, CrpsEqualsTheKernelFormOfAGeneralDistribution) {
  const Pmf pmf = {0.1, 0.4, 0.2, 0.0, 0.3};
  for (int y : {0, 2, 3, 7}) {
    double e1 = 0, e2 = 0;
    for (int i = 0; i < 5; ++i) {
      e1 += pmf[i] * std::abs(i - y);
      for (int j = 0; j < 5; ++j) e2 += pmf[i] * pmf[j] * std::abs(i - j);
    }
    EXPECT_NEAR(crps(pmf, y), e1 - 0.5 * e2, 1e-12) << y;
  }
  EXPECT_NEAR(exceedance(pmf, 1), 0.5, 1e-12);
  EXPECT_EQ(quantile(pmf, 0.5), 1);
  EXPECT_EQ(quantile(pmf, 0.95), 4);
  EXPECT_TRUE(std::isinf(log_score(pmf, 3)));
  EXPECT_NEAR(log_score(pmf, 1), -std::log(0.4), 1e-12);
}

TEST(Scores, PitOfACalibratedForecastIsUniform) {
  // Outcomes drawn from the forecast distribution itself give a flat PIT histogram.
  const Pmf pmf = {0.3, 0.3, 0.2, 0.2};
  std::array<double, 10> bins{};
  Rng rng(3, 0, 0, 98, 0);
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    int y = 0;
    for (double c = pmf[0]; u > c; c += pmf[++y]) {
    }
    add_pit(pmf, y, &bins);
  }
  double prev = 0;
  for (int i = 0; i < 10; ++i) {
    EXPECT_NEAR(bins[i] / n - prev, 0.1, 0.01) << i;
    prev = bins[i] / n;
  }
}

// Central differences (step 1e-6) of f(log_mean, log_r, ...) in log_mean and in log_r.
template <class F>
std::pair<double, double> central_differences(const F& f, double log_mean, double log_r) {
  const double h = 1e-6;
  double scratch = 0;
  return {(f(log_mean + h, log_r, &scratch, &scratch) - f(log_mean - h, log_r, &scratch, &scratch)) / (2 * h),
          (f(log_mean, log_r + h, &scratch, &scratch) - f(log_mean, log_r - h, &scratch, &scratch)) / (2 * h)};
}

TEST(NegativeBinomial, LogPmfAndItsDerivativesMatchTheClosedFormAndDifferences) {
  // Counts below and beyond the table (64), a mean far below r, and the censored tail.
  for (const double r : {0.7, 3.0, 800.0}) {
    for (const double mean : {0.002, 1.3, 45.0}) {
      for (const double y : {0.0, 1.0, 7.0, 90.0}) {
        const auto at = [&](double log_mean, double log_r, double* dm, double* dr) {
          return detail::NbLogPmf(std::exp(log_r)).with_gradient(y, std::exp(log_mean), log_mean, dm, dr);
        };
        double dm = 0, dr = 0;
        const double v = at(std::log(mean), std::log(r), &dm, &dr);
        const double direct = std::lgamma(y + r) - std::lgamma(r) - std::lgamma(y + 1.0) +
                              r * std::log(r / (r + mean)) + y * std::log(mean / (r + mean));
        EXPECT_NEAR(v, direct, 1e-9 * std::max(1.0, std::fabs(direct))) << r << " " << mean << " " << y;
        const auto [fm, fr] = central_differences(at, std::log(mean), std::log(r));
        EXPECT_NEAR(dm, fm, 1e-6 * std::max(1.0, std::fabs(fm))) << r << " " << mean << " " << y;
        EXPECT_NEAR(dr, fr, 1e-6 * std::max(1.0, std::fabs(fr))) << r << " " << mean << " " << y;
      }
      for (const int bound : {1, 5, 30}) {
        const auto tail = [&](double log_mean, double log_r, double* dm, double* dr) {
          return detail::NbLogPmf(std::exp(log_r)).log_tail_gradient(bound, std::exp(log_mean), dm, dr);
        };
        double dm = 0, dr = 0;
        const double v = tail(std::log(mean), std::log(r), &dm, &dr);
        std::vector<double> pmf(bound);
        nb_pmf(mean, r, bound, false, pmf.data());
        double below = 0;
        for (double x : pmf) below += x;
        // Against 1 - P(Y < bound) where that keeps its digits.
        if (below < 0.9) {
          EXPECT_NEAR(v, std::log(1.0 - below), 1e-12) << r << " " << mean << " " << bound;
        }
        if (v < -600) continue;  // the floor: flat by construction
        const auto [fm, fr] = central_differences(tail, std::log(mean), std::log(r));
        EXPECT_NEAR(dm, fm, 1e-5 * std::max(1.0, std::fabs(fm))) << r << " " << mean << " " << bound;
        EXPECT_NEAR(dr, fr, 1e-5 * std::max(1.0, std::fabs(fr))) << r << " " << mean << " " << bound;
      }
    }
  }
}

TEST(Fit, LikelihoodGradientMatchesFiniteDifferences) {
  // Series with an uncovered period, censored cells, counts beyond the pmf table and a partner.
  const int periods = 30, pairs = 40;
  std::vector<std::vector<float>> ys(pairs), xs(pairs);
  Rng rng(21, 0, 0, 97, 0);
  detail::MeasureData data;
  data.periods = periods;
  for (int t = 0; t < periods; ++t) {
    data.factor.push_back(t == 7 ? 0.0 : 0.8 + 0.02 * t);
    data.log_factor.push_back(std::log(data.factor.back()));
    data.bound.push_back(t % 2 ? 6 : -1);
  }
  for (int d = 0; d < pairs; ++d) {
    const double scale = d == 0 ? 80.0 : 0.2 * d;
    for (int t = 0; t < periods; ++t) {
      const int cap = data.bound[t] >= 0 ? data.bound[t] : 1000;
      ys[d].push_back(static_cast<float>(std::min<int>(cap, rng.poisson(scale * rng.gamma(1.5) / 1.5))));
      xs[d].push_back(static_cast<float>(rng.poisson(0.5 * scale)));
    }
    detail::SeriesView s;
    s.y = ys[d].data();
    s.x = d % 3 ? xs[d].data() : nullptr;
    s.m = std::log(scale + 0.1);
    s.level = 0.5 * std::log1p(scale);
    s.partner_level = s.x ? 0.4 * std::log1p(scale) : 0.0;
    data.series.push_back(s);
  }
  detail::prepare_drive(&data);
  // A dispersion slope too: each series' size is r exp(rho (m - m0)).
  data.dispersion_center = 0.4;
  const Params at{0.2, 0.45, 0.25, -0.12, std::log(2.5), 0.3};
  detail::Gradient g{};
  const double v = detail::log_likelihood(data, at, 1, &g);
  EXPECT_EQ(v, detail::log_likelihood(data, at, 1));  // the gradient does not move the value
  detail::Gradient g3{};
  detail::log_likelihood(data, at, 3, &g3);
  EXPECT_EQ(g, g3);  // same bits for any thread count
  for (int i = 0; i < Params::kCount; ++i) {
    const double h = 1e-6;
    auto plus = at.as_array(), minus = at.as_array();
    plus[i] += h;
    minus[i] -= h;
    const double fd = (detail::log_likelihood(data, Params::from_array(plus), 1) -
                       detail::log_likelihood(data, Params::from_array(minus), 1)) / (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-5 * std::max(1.0, std::fabs(fd))) << Params::names()[i];
  }
}

TEST(Fit, RecoversTheDynamicsOfSimulatedData) {
  panel::Panel p = empty_panel(300, 120);
  const Params target{0.0, 0.45, 0.3, 0.15, std::log(3.0)};
  const Params partner{0.0, 0.4, 0.3, 0.1, std::log(2.0)};
  simulate_into(&p, target, partner, 11);
  Spec spec;
  spec.target = "conflict";
  const Calibration c = fit(p, spec, {0, 2});
  ASSERT_EQ(c.fits.size(), 2u);
  const MeasureFit& f = c.fits[0];
  EXPECT_TRUE(f.converged) << f.status;
  const auto se = [&](int i) { return std::sqrt(f.covariance[i][i]); };
  // Anchors are re-estimated from the simulated data, so allow a small bias beyond the
  // sampling error.
  EXPECT_NEAR(f.params.alpha, target.alpha, 4 * se(2) + 0.05);
  EXPECT_NEAR(f.params.gamma, target.gamma, 4 * se(3) + 0.05);
  EXPECT_NEAR(f.params.log_r, target.log_r, 4 * se(4) + 0.15);
  // One size for every dyad and no trend were simulated: neither is found.
  EXPECT_NEAR(f.params.rho, 0.0, 4 * se(5) + 0.05);
  EXPECT_NEAR(f.trend, 0.0, 4 * f.trend_se + 0.01);
  EXPECT_GT(se(2), 0);
  EXPECT_LT(se(2), 0.1);
  // The dynamics are real: the likelihood-ratio statistic against the null is large.
  EXPECT_GT(2 * (f.loglik - f.loglik_null), 50);
}

TEST(Fit, RecoversADispersionThatFollowsTheDyadLevel) {
  // Busy dyads less overdispersed than quiet ones: log r_d = log 2 + 0.8 m_d. The fit regresses
  // on the estimated levels, not the simulated ones (noisy for quiet dyads, and shifted by the
  // excitation terms), so the slope is attenuated: it must be clearly positive, below the truth,
  // and beat the fit without it by a wide margin.
  panel::Panel p = empty_panel(300, 120);
  const Params target{0.0, 0.45, 0.3, 0.15, std::log(2.0), 0.8};
  const Params partner{0.0, 0.4, 0.3, 0.1, std::log(2.0), 0.8};
  simulate_into(&p, target, partner, 12);
  Spec spec;
  spec.target = "conflict";
  const Calibration with = fit(p, spec, {0, 2});
  spec.switches.dispersion = false;
  const Calibration without = fit(p, spec, {0, 2});
  const MeasureFit& f = with.fits[0];
  EXPECT_TRUE(f.converged) << f.status;
  const double se = std::sqrt(f.covariance[5][5]);
  EXPECT_GT(se, 0);
  EXPECT_GT(f.params.rho - 4 * se, 0.4);
  EXPECT_LT(f.params.rho, 0.8 + 4 * se);
  EXPECT_EQ(without.fits[0].params.rho, 0.0);
  EXPECT_FALSE(without.fits[0].free[5]);
  EXPECT_GT(f.loglik - without.fits[0].loglik, 10);
  EXPECT_EQ(without.switches.name(), "no-dispersion-slope");
}

TEST(Fit, RecoversACommonTrendAndHoldsItAfterTheFitWindow) {
  // Every pair's rate falls by 20% a year (log -0.223): the trend is found from the totals, with
  // an interval that covers it; switched off it is 0. Beyond the fit's last period the factor
  // stays where it ended.
  panel::Panel p = empty_panel(300, 72);
  const Params target{0.0, 0.4, 0.2, 0.1, std::log(3.0)};
  const Params partner{0.0, 0.4, 0.2, 0.1, std::log(3.0)};
  simulate_into(&p, target, partner, 13, std::log(0.8));
  Spec spec;
  spec.target = "conflict";
  const Calibration c = fit(p, spec, {60, 1});
  const MeasureFit& f = c.fits[0];
  EXPECT_GT(f.trend_se, 0);
  EXPECT_NEAR(f.trend, std::log(0.8), 4 * f.trend_se + 0.02) << f.trend << " se " << f.trend_se;
  EXPECT_LT(f.trend + 4 * f.trend_se, 0);
  EXPECT_DOUBLE_EQ(trend_factor(c, 0, 59), trend_factor(c, 0, 71));
  EXPECT_GT(trend_factor(c, 0, 0), trend_factor(c, 0, 59));
  EXPECT_NEAR(std::log(trend_factor(c, 0, 12) / trend_factor(c, 0, 0)), f.trend, 1e-12);
  spec.switches.trend = false;
  const Calibration off = fit(p, spec, {60, 1});
  EXPECT_EQ(off.fits[0].trend, 0.0);
  EXPECT_EQ(trend_factor(off, 0, 30), 1.0);
  EXPECT_GT(f.loglik, off.fits[0].loglik);
}

TEST(Fit, NoDynamicsInIndependentDataAndNoExcitationFound) {
  panel::Panel p = empty_panel(300, 60);
  const Params none{0.0, 0.0, 0.0, 0.0, std::log(2.0)};
  simulate_into(&p, none, none, 5);
  Spec spec;
  spec.target = "conflict";
  const Calibration c = fit(p, spec, {0, 1});
  const MeasureFit& f = c.fits[0];
  EXPECT_LT(f.params.alpha, 0.1);
  EXPECT_NEAR(f.params.gamma, 0.0, 0.1);
  EXPECT_LT(2 * (f.loglik - f.loglik_null), 15);
  // A parameter that stopped on a bound (here the persistence or the excitation, at 0) has no
  // interval and the status names it; every other free parameter keeps its interval.
  int on_bound = 0;
  for (int i = 0; i < Params::kCount; ++i) {
    if (!f.free[i]) continue;
    const double v = f.params.as_array()[i];
    if (v <= detail::kLower[i] + 1e-6 || v >= detail::kUpper[i] - 1e-6) {
      ++on_bound;
      for (int j = 0; j < Params::kCount; ++j) EXPECT_EQ(f.covariance[i][j], 0.0);
      EXPECT_NE(f.status.find(Params::names()[i]), std::string::npos) << f.status;
    } else {
      EXPECT_GT(f.covariance[i][i], 0.0) << Params::names()[i] << ": " << f.status;
    }
  }
  EXPECT_GT(on_bound, 0) << "with this seed beta or alpha stops at 0";
}

TEST(Fit, SameBitsForAnyThreadCount) {
  panel::Panel p = empty_panel(1200, 36);
  simulate_into(&p, {0.0, 0.5, 0.3, 0.1, 0.5}, {0.0, 0.5, 0.3, 0.1, 0.5}, 2);
  Spec spec;
  spec.target = "conflict";
  const Calibration one = fit(p, spec, {0, 1});
  const Calibration three = fit(p, spec, {0, 3});
  EXPECT_EQ(one.fits[0].params.as_array(), three.fits[0].params.as_array());
  EXPECT_EQ(one.fits[0].loglik, three.fits[0].loglik);
}

TEST(Fit, RowsAfterTheVintageChangeNothing) {
  panel::Panel p = empty_panel(200, 48);
  simulate_into(&p, {0.0, 0.5, 0.3, 0.1, 0.5}, {0.0, 0.5, 0.3, 0.1, 0.5}, 4);
  Spec spec;
  spec.target = "conflict";
  const Calibration before = fit(p, spec, {36, 1});
  for (std::size_t d = 0; d < p.pairs.size(); ++d)
    for (int t = 36; t < 48; ++t) p.values[(d * 2) * p.periods + t] = 1000.0f;
  const Calibration after = fit(p, spec, {36, 1});
  EXPECT_EQ(before.fits[0].params.as_array(), after.fits[0].params.as_array());
  // Forecasts from the origin use data before it only.
  const auto a = forecast_pair(p, before, {before.fits[0].params, before.fits[1].params}, 3, 36,
                               {1, 3}, {16, 1});
  for (int t = 36; t < 48; ++t) p.values[(3 * 2) * p.periods + t] = 0.0f;
  const auto b = forecast_pair(p, before, {before.fits[0].params, before.fits[1].params}, 3, 36,
                               {1, 3}, {16, 1});
  EXPECT_EQ(a, b);
}

TEST(Fit, SwitchedOffMechanismsStayAtZero) {
  panel::Panel p = empty_panel(200, 48);
  simulate_into(&p, {0.0, 0.5, 0.3, 0.1, 0.5}, {0.0, 0.5, 0.3, 0.1, 0.5}, 4);
  Spec spec;
  spec.target = "conflict";
  spec.switches.excitation = false;
  spec.switches.cross = false;
  const Calibration c = fit(p, spec, {0, 1});
  EXPECT_EQ(c.fits[0].params.alpha, 0.0);
  EXPECT_EQ(c.fits[0].params.gamma, 0.0);
  EXPECT_FALSE(c.fits[0].free[2]);
  spec.target = "missing";
  EXPECT_THROW(fit(p, spec, {0, 1}), InputError);
}

TEST(Backtest, TheTrueModelBeatsTheBaselinesAndThreadsDoNotMatter) {
  panel::Panel p = empty_panel(250, 60);
  simulate_into(&p, {0.0, 0.5, 0.3, 0.15, std::log(4.0)}, {0.0, 0.5, 0.3, 0.1, std::log(4.0)}, 21);
  BacktestOptions o;
  o.spec.target = "conflict";
  o.origin_from = 48;
  o.origin_to = 55;
  o.horizons = {1, 3};
  o.refit = Refit::kOnce;
  o.bootstrap = 100;
  o.forecast.paths = 32;
  o.threads = 1;
  const BacktestResult one = backtest(p, o);
  o.threads = 2;
  const BacktestResult two = backtest(p, o);
  ASSERT_EQ(one.models.size(), 11u);
  EXPECT_EQ(one.models[0].name, "sphere");
  EXPECT_EQ(one.models[0].horizons[0].crps, two.models[0].horizons[0].crps);
  EXPECT_EQ(one.skills.size(), two.skills.size());
  const auto crps = [&](const std::string& name) {
    for (const auto& m : one.models)
      if (m.name == name) return m.horizons[0].crps / m.horizons[0].n;
    return -1.0;
  };
  EXPECT_LT(crps("sphere"), crps("persistence"));
  EXPECT_LT(crps("sphere"), crps("climatology"));
  EXPECT_LT(crps("sphere"), crps("recent"));
  EXPECT_GT(one.forecasts, 0u);
  for (const auto& s : one.skills) {
    EXPECT_LE(s.low, s.skill);
    EXPECT_GE(s.high, s.skill);
  }
}

TEST(CalibrationFile, RoundTripsAndRefusesAnotherPanel) {
  panel::Panel p = empty_panel(50, 30);
  simulate_into(&p, {0.0, 0.5, 0.3, 0.1, 0.5}, {0.0, 0.5, 0.3, 0.1, 0.5}, 8);
  Spec spec;
  spec.target = "conflict";
  const Calibration c = fit(p, spec, {24, 1});
  const std::string text = calibration_to_json(c, p, "test");
  const Calibration back = calibration_from_json(text, "cal.json", p);
  EXPECT_EQ(back.fits[0].params.as_array(), c.fits[0].params.as_array());
  EXPECT_EQ(back.until, c.until);
  EXPECT_EQ(back.anchors[0][7].m, c.anchors[0][7].m);
  panel::Panel other = p;
  other.file = "another.csv";
  try {
    calibration_from_json(text, "cal.json", other);
    FAIL() << "a calibration of another panel was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "panel.file");
  }
}

// Not an object, or a number beyond a double: an InputError naming the file, never the JSON
// library's own exception (found by fuzz/fuzz_calibration, where `value()` threw on a number).
TEST(CalibrationFile, RefusesTextThatIsNotACalibrationObject) {
  const panel::Panel p = empty_panel(5, 12);
  for (const char* text : {"1", "[1]", "\"x\"", "null", "{\"sphere_calibration\": \"1\"}",
                           "{\"sphere_calibration\": 1e999}"}) {
    try {
      calibration_from_json(text, "cal.json", p);
      ADD_FAILURE() << "read " << text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.diagnostics().items()[0].file, "cal.json") << text;
    }
  }
}

TEST(CalibrationFile, AFileOfTheFirstVersionIsRefusedWithTheAdviceToRefit) {
  // Version 1 had one NB size for every pair: read as version 2 its sizes would be wrong.
  panel::Panel p = empty_panel(50, 30);
  simulate_into(&p, {0.0, 0.5, 0.3, 0.1, 0.5}, {0.0, 0.5, 0.3, 0.1, 0.5}, 8);
  Spec spec;
  spec.target = "conflict";
  auto j = nlohmann::json::parse(calibration_to_json(fit(p, spec, {24, 1}), p, "test"));
  EXPECT_EQ(j["sphere_calibration"], 2);
  j["sphere_calibration"] = 1;
  try {
    calibration_from_json(j.dump(), "cal.json", p);
    ADD_FAILURE() << "read a version 1 file";
  } catch (const InputError& e) {
    const auto& item = e.diagnostics().items()[0];
    EXPECT_EQ(item.field, "sphere_calibration");
    EXPECT_NE(item.message.find("sphere calibrate"), std::string::npos) << item.message;
  }
  // A version 2 file without the centre of its NB size is refused, naming the field.
  j["sphere_calibration"] = 2;
  j["fits"][0].erase("dispersion_center");
  try {
    calibration_from_json(j.dump(), "cal.json", p);
    ADD_FAILURE() << "read a file without dispersion_center";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "dispersion_center");
  }
}

TEST(CalibrationFile, RefusesAnotherVintageOfTheSameFile) {
  panel::Panel p = empty_panel(50, 30);
  simulate_into(&p, {0.0, 0.5, 0.3, 0.1, 0.5}, {0.0, 0.5, 0.3, 0.1, 0.5}, 8);
  Spec spec;
  spec.target = "conflict";
  const Calibration c = fit(p, spec, {24, 1});
  EXPECT_EQ(c.data_digest, rows_digest(p, 24));
  const std::string text = calibration_to_json(c, p, "test");
  // Rows after the vintage (period 24 on) are not part of it: changing them changes nothing.
  panel::Panel later = p;
  for (std::size_t d = 0; d < later.pairs.size(); ++d)
    later.values[(d * later.measures.size()) * later.periods + 27] += 3.0f;
  EXPECT_EQ(rows_digest(later, 24), c.data_digest);
  EXPECT_NO_THROW(calibration_from_json(text, "cal.json", later));
  // One count revised before the vintage, same file name: refused, naming file and field.
  panel::Panel revised = p;
  revised.values[(5 * revised.measures.size()) * revised.periods + 10] += 1.0f;
  try {
    calibration_from_json(text, "cal.json", revised);
    FAIL() << "a calibration of another vintage was accepted";
  } catch (const InputError& e) {
    const auto& item = e.diagnostics().items()[0];
    EXPECT_EQ(item.file, "cal.json");
    EXPECT_EQ(item.field, "panel.digest");
    EXPECT_NE(item.message.find("another vintage"), std::string::npos) << item.message;
  }
  // A file without the digest cannot be checked, so it is refused too.
  nlohmann::json j = nlohmann::json::parse(text);
  j["panel"].erase("digest");
  try {
    calibration_from_json(j.dump(), "cal.json", p);
    FAIL() << "a calibration without a digest was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "digest");
  }
}

}  // namespace
}  // namespace sphere::dyad

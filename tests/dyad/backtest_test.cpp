// The backtest's forecast records: every model's forecast, scored or not, in a fixed order, with
// the scores the summaries are built from.
#include <array>
#include <cmath>
#include <cstdint>
#include <map>

#include <gtest/gtest.h>

#include "dyad/dyad.h"
#include "dyad/internal.h"
#include "dyad/synthetic.h"
#include "testing.h"

namespace sphere::dyad {
namespace {

// Five undirected pairs of two count measures over `periods` months, simulated from the model.
panel::Panel small_panel(int periods) {
  panel::Panel p = testing::empty_panel(5, periods);
  p.file = "small.csv";
  const Params target{0.2, 0.4, 0.3, 0.1, std::log(3.0)}, partner{0.0, 0.5, 0.2, 0.1, std::log(4.0)};
  testing::simulate_into(&p, target, partner, 3);
  return p;
}

// Pairs with a non-zero value of either measure before the origin (what `--pairs all` forecasts).
std::size_t pairs_with_rows(const panel::Panel& p, int origin) {
  std::size_t n = 0;
  for (std::size_t d = 0; d < p.pairs.size(); ++d) {
    bool any = false;
    for (int k = 0; k < 2; ++k)
      for (int t = 0; t < origin; ++t) any = any || p.value(d, k, t) != 0;
    n += any;
  }
  return n;
}

BacktestOptions options() {
  BacktestOptions o;
  o.spec.target = "conflict";
  o.origin_from = 20;
  o.origin_to = 24;  // the period after the panel's end
  o.horizons = {1, 2};
  o.refit = Refit::kOnce;
  o.bootstrap = 30;
  o.forecast.paths = 8;
  return o;
}

TEST(ParseHorizons, ReadsACommaListOfOneTo120Periods) {
  EXPECT_EQ(parse_horizons("1, 3,6,12", "--horizons"), (std::vector<int>{1, 3, 6, 12}));
  EXPECT_EQ(parse_horizons("120", "--horizons"), std::vector<int>{120});
  for (const char* bad : {"", "0", "121", "3x", "x", "1,,3", "-1", "2147483648", "1.5"}) {
    try {
      parse_horizons(bad, "--horizons");
      ADD_FAILURE() << "'" << bad << "' was read";
    } catch (const InputError& e) {
      EXPECT_EQ(e.diagnostics().items().front().field, "--horizons");
    }
  }
}

TEST(BacktestRecords, EveryModelForecastsPastThePanelAndTheScoredOnesMakeTheSummary) {
  const panel::Panel p = small_panel(24);
  BacktestOptions o = options();
  std::vector<ForecastRecord> records;
  std::vector<double> masses, rescored;
  // The pmf lives as long as the call.
  o.on_record = [&](const ForecastRecord& r) {
    records.push_back(r);
    double total = 0;
    for (double v : *r.pmf) total += v;
    masses.push_back(total);
    rescored.push_back(r.scored ? crps(*r.pmf, r.outcome) : 0.0);
  };
  const BacktestResult result = backtest(p, o);
  const auto names = backtest_model_names(o);
  ASSERT_EQ(names.size(), result.models.size());
  for (std::size_t m = 0; m < names.size(); ++m) EXPECT_EQ(names[m], result.models[m].name);
  // 5 origins, the pairs with a row before each, 11 models, 2 horizons.
  std::size_t expected = 0, unscored_expected = 0;
  for (int origin = 20; origin <= 24; ++origin) {
    const std::size_t n = pairs_with_rows(p, origin);
    ASSERT_GT(n, 0u);
    expected += n * 11 * 2;
    unscored_expected += n * 11 * ((origin + 1 >= 24) + (origin >= 24));
  }
  ASSERT_EQ(records.size(), expected);
  for (double total : masses) EXPECT_NEAR(total, 1.0, 1e-9);
  std::map<std::pair<int, int>, double> sums;  // (model, horizon) -> summed CRPS
  std::size_t unscored = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const ForecastRecord& r = records[i];
    EXPECT_EQ(r.fitted_until, 20);
    if (!r.scored) {
      ++unscored;
      EXPECT_GE(r.origin + r.horizon - 1, p.periods);
      continue;
    }
    EXPECT_EQ(r.outcome, static_cast<int>(p.value(r.pair, 0, r.origin + r.horizon - 1)));
    EXPECT_DOUBLE_EQ(r.score.crps, rescored[i]);
    sums[{r.model, r.horizon}] += r.score.crps;
  }
  // Origin 23 at h = 2 and origin 24 (past the panel) at both horizons are unscored.
  EXPECT_EQ(unscored, unscored_expected);
  for (std::size_t m = 0; m < result.models.size(); ++m)
    for (const auto& h : result.models[m].horizons)
      EXPECT_DOUBLE_EQ(h.crps, (sums[{static_cast<int>(m), h.h}])) << result.models[m].name;
  // The records do not change the scores.
  o.on_record = nullptr;
  const BacktestResult plain = backtest(p, o);
  EXPECT_EQ(plain.models[0].horizons[0].crps, result.models[0].horizons[0].crps);
  EXPECT_EQ(plain.forecasts, result.forecasts);
}

TEST(BacktestRecords, OriginsBeyondThePeriodAfterThePanelAreRefused) {
  const panel::Panel p = small_panel(24);
  BacktestOptions o = options();
  o.origin_to = 25;
  EXPECT_THROW(backtest(p, o), InputError);
}

TEST(Scores, ScoreForecastMatchesTheSingleScores) {
  const Pmf pmf = {0.2, 0.5, 0.2, 0.1};
  const ForecastScore s = score_forecast(pmf, 2, 1, 0);
  EXPECT_DOUBLE_EQ(s.crps, crps(pmf, 2));
  EXPECT_DOUBLE_EQ(s.log, -std::log(0.2));
  EXPECT_NEAR(s.brier_q90, (0.3 - 1) * (0.3 - 1), 1e-12);  // P(Y > 1) = 0.3, it happened
  EXPECT_NEAR(s.p_fixed, 0.8, 1e-12);
  EXPECT_EQ(s.outcome_fixed, 1.0);
  EXPECT_NEAR(s.pit[6], 0.0, 1e-9);  // F(1) = 0.7: the PIT's distribution function at 0.7 is 0
  EXPECT_NEAR(s.pit[7], 0.5, 1e-9);
}

// score_forecast computes every score in one pass; each must be the single score's to the bit,
// over pmfs short and long, outcomes inside and past the support, and thresholds either side.
TEST(Scores, ScoreForecastIsEachSingleScoreToTheBit) {
  std::uint64_t state = 12345;
  const auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int trial = 0; trial < 400; ++trial) {
    Pmf pmf(1 + static_cast<int>(uniform() * 20));
    double total = 0;
    for (double& p : pmf) total += p = uniform() < 0.2 ? 0.0 : uniform();
    for (double& p : pmf) p = total > 0 ? p / total : 0.0;
    const int n = static_cast<int>(pmf.size());
    const int y = static_cast<int>(uniform() * (n + 14));
    const int q90 = static_cast<int>(uniform() * (n + 2)) - 1, fixed = static_cast<int>(uniform() * 4) - 1;
    const ForecastScore s = score_forecast(pmf, y, q90, fixed);
    EXPECT_EQ(s.crps, crps(pmf, y));
    EXPECT_EQ(s.log, log_score(pmf, y));
    const double p90 = exceedance(pmf, q90), o90 = y > q90 ? 1.0 : 0.0;
    EXPECT_EQ(s.brier_q90, (p90 - o90) * (p90 - o90));
    EXPECT_EQ(s.p_fixed, exceedance(pmf, fixed));
    EXPECT_EQ(s.outcome_fixed, y > fixed ? 1.0 : 0.0);
    std::array<double, 10> pit{};
    add_pit(pmf, y, &pit);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(s.pit[i], pit[i]);
    EXPECT_EQ(s.rps, ranked_probability_score(pmf, y)) << "trial " << trial;
  }
}

TEST(Scores, RankedProbabilityScoreMatchesTheClassProbabilities) {
  const Pmf pmf = {0.1, 0.2, 0.1, 0.2, 0.05, 0.05, 0.1, 0.0, 0.0, 0.0, 0.0, 0.1, 0.1};
  // Classes 0, 1-2, 3-5, 6-10, >10: probabilities 0.1, 0.3, 0.3, 0.1, 0.2.
  const std::array<double, 5> p = {0.1, 0.3, 0.3, 0.1, 0.2};
  for (int y : {0, 2, 4, 7, 11, 40}) {
    const int c = y < 1 ? 0 : y < 3 ? 1 : y < 6 ? 2 : y < 11 ? 3 : 4;
    double F = 0, total = 0;
    for (int k = 0; k < 4; ++k) {
      F += p[k];
      const double d = F - (c <= k ? 1.0 : 0.0);
      total += d * d;
    }
    EXPECT_NEAR(ranked_probability_score(pmf, y), total / 4, 1e-12) << y;
  }
  EXPECT_DOUBLE_EQ(ranked_probability_score({1.0}, 0), 0.0);
  EXPECT_DOUBLE_EQ(ranked_probability_score({1.0}, 20), 1.0);  // all mass four classes away
}

TEST(BacktestSkills, ASingleTargetPeriodHasNoIntervalAndSaysWhy) {
  std::vector<ModelScores> models(2);
  for (int m = 0; m < 2; ++m) {
    models[m].name = m ? "climatology" : "sphere";
    models[m].horizons.resize(1);
    models[m].horizons[0].reset(1, 4);
    ForecastScore f;
    f.crps = m ? 2.0 : 1.0;
    f.rps = m ? 0.4 : 0.3;
    models[m].horizons[0].add(f, 2, 0);
    models[m].horizons[0].add(f, 2, 0);
  }
  for (const char* score : {"crps", "rps"}) {
    const auto skills = skills_of(models, 50, 1, score);
    ASSERT_EQ(skills.size(), 1u);
    EXPECT_EQ(skills[0].score, score);
    EXPECT_EQ(skills[0].periods, 1);
    EXPECT_FALSE(skills[0].has_interval());
    EXPECT_TRUE(std::isnan(skills[0].low) && std::isnan(skills[0].high) && std::isnan(skills[0].p_value));
    EXPECT_NEAR(skills[0].skill, std::string(score) == "crps" ? 0.5 : 0.25, 1e-12);
  }
  // A second period gives an interval.
  ForecastScore f;
  f.crps = 1.5;
  models[0].horizons[0].add(f, 3, 0);
  f.crps = 2.5;
  models[1].horizons[0].add(f, 3, 0);
  const auto skills = skills_of(models, 50, 1);
  EXPECT_TRUE(skills[0].has_interval());
  EXPECT_LE(skills[0].low, skills[0].high);
}

// Two models' scores, one forecast per target period, at horizon h.
std::vector<ModelScores> per_period(const std::vector<double>& a, const std::vector<double>& b, int h) {
  std::vector<ModelScores> models(2);
  for (int m = 0; m < 2; ++m) {
    models[m].name = m ? "climatology" : "sphere";
    models[m].horizons.resize(1);
    models[m].horizons[0].reset(h, static_cast<int>(a.size()));
    for (std::size_t t = 0; t < a.size(); ++t) {
      ForecastScore f;
      f.crps = m ? b[t] : a[t];
      models[m].horizons[0].add(f, static_cast<int>(t), 0);
    }
  }
  return models;
}

// The Diebold–Mariano test in Harvey, Leybourne and Newbold's small-sample form against Student's
// t (values from scipy.stats.t): over six target months the normal p-value would be 1.3e-5.
TEST(BacktestSkills, DieboldMarianoIsTheSmallSampleFormAgainstStudentsT) {
  const auto skills = skills_of(per_period({1.0, 1.2, 0.9, 1.1, 1.0, 0.8}, {1.5, 1.4, 1.6, 1.2, 1.3, 1.5}, 1), 50, 1);
  ASSERT_EQ(skills.size(), 1u);
  EXPECT_NEAR(skills[0].dm, -3.982831174232288, 1e-12);
  EXPECT_NEAR(skills[0].p_value, 0.010501090965693266, 1e-9);
  // With no more target months than the horizon there is no test, but there is an interval.
  const auto short_run = skills_of(per_period({1.0, 1.2, 0.9}, {1.5, 1.4, 1.6}, 3), 50, 1);
  EXPECT_TRUE(short_run[0].has_interval());
  EXPECT_TRUE(std::isnan(short_run[0].dm) && std::isnan(short_run[0].p_value));
}

// The bootstrap resamples circular blocks of h consecutive target months. Scores that alternate
// so that any two consecutive months (the last and the first among them) sum alike leave no
// spread at h = 2; single months (h = 1) do.
TEST(BacktestSkills, TheBootstrapResamplesBlocksOfHConsecutiveMonths) {
  std::vector<double> a, b;
  for (int t = 0; t < 10; ++t) a.push_back(t % 2 ? 3.0 : 1.0), b.push_back(t % 2 ? 1.0 : 3.0);
  const auto blocks = skills_of(per_period(a, b, 2), 200, 1);
  EXPECT_EQ(blocks[0].low, 0.0);
  EXPECT_EQ(blocks[0].high, 0.0);
  const auto single = skills_of(per_period(a, b, 1), 200, 1);
  EXPECT_LT(single[0].low, -0.1);
  EXPECT_GT(single[0].high, 0.1);
}

}  // namespace
}  // namespace sphere::dyad

namespace sphere::dyad {
namespace {

// The climatology pmf and the 90th percentile counted by value are those found by sorting, to
// the bit, on histories of counts (some fractional, truncated alike); a negative value or one
// past the cap is not counted.
TEST(Baselines, CountedHistoryGivesTheSortedPercentileAndTheSameClimatology) {
  panel::Panel p = testing::empty_panel(1, 60);
  std::uint64_t state = 99;
  const auto next = [&](int n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % static_cast<std::uint64_t>(n));
  };
  std::vector<float> y(60), scratch;
  std::vector<int> counts;
  for (int trial = 0; trial < 300; ++trial) {
    const int spread = 1 + next(40);
    for (float& v : y) v = next(3) == 0 ? 0.0f : static_cast<float>(next(spread)) + (next(5) == 0 ? 0.5f : 0.0f);
    const int origin = 1 + next(60);
    ASSERT_TRUE(detail::count_history(y.data(), origin, &counts));
    EXPECT_EQ(detail::q90_of(counts, origin), detail::q90(y.data(), origin, &scratch)) << trial;
    Pmf counted, sorted;
    detail::empirical_of(counts, origin, &counted);
    detail::empirical(p, y.data(), 0, origin, &sorted);
    ASSERT_EQ(counted.size(), sorted.size());
    for (std::size_t k = 0; k < counted.size(); ++k) EXPECT_EQ(counted[k], sorted[k]) << trial << " " << k;
  }
  y[3] = -1.0f;
  EXPECT_FALSE(detail::count_history(y.data(), 10, &counts));
  y[3] = static_cast<float>(detail::kCountCap);
  EXPECT_FALSE(detail::count_history(y.data(), 10, &counts));
}

// The NB-AR baseline's count of days is bounded by its month's days, inside the panel and past
// its end (a month not yet observed is covered in full), not by the mean month.
TEST(NbArBaseline, ADaysCountIsBoundedByItsMonthsDaysPastThePanel) {
  panel::Panel p = testing::empty_panel(3, 24, {{"days", true, true, "days"}});
  for (int t = 0; t < p.periods; ++t) p.exposure[t] = detail::days_in_month(p.first + t);
  for (std::size_t d = 0; d < p.pairs.size(); ++d)
    for (int t = 0; t < p.periods; ++t) p.values[d * p.periods + t] = static_cast<float>((t + d) % 5);
  NbArBaseline model;
  model.exposure_scale = 30.4;
  model.horizons.push_back({1, 0.5, 0.3, 0.2, 1.0});
  // 2001-02 (28 days), inside the panel; 2002-01 (31 days), the month after its end.
  const Pmf february = nb_ar_predictive(model, p, 0, 1, 13, 1);
  EXPECT_EQ(february.size(), 29u);
  const Pmf january = nb_ar_predictive(model, p, 0, 1, 24, 1);
  ASSERT_EQ(january.size(), 32u);
  EXPECT_GT(january[31], 0.0);  // all 31 days may be counted
  double total = 0;
  for (double v : january) total += v;
  EXPECT_NEAR(total, 1.0, 1e-12);
}

}  // namespace
}  // namespace sphere::dyad

// The backtest's forecast records: every model's forecast, scored or not, in a fixed order, with
// the scores the summaries are built from.
#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "dyad/dyad.h"
#include "testing.h"

namespace sphere::dyad {
namespace {

// Five undirected pairs of two count measures over `periods` months, from a fixed recurrence.
panel::Panel small_panel(int periods) {
  panel::Panel p;
  p.file = "small.csv";
  p.format = panel::Format::kDyadCsv;
  p.first = 2018 * 12;
  p.periods = periods;
  p.measures = {{"conflict", true, false, "events"}, {"coop", true, false, "events"}};
  p.codes = {"A", "B", "C", "D"};
  p.pairs = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {2, 3}};
  p.exposure.assign(periods, 1.0);
  p.values.assign(p.pairs.size() * 2 * periods, 0.0f);
  std::uint64_t state = 3;
  for (std::size_t d = 0; d < p.pairs.size(); ++d)
    for (int k = 0; k < 2; ++k)
      for (int t = 0; t < periods; ++t) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        p.values[(d * 2 + k) * periods + t] =
            static_cast<float>((state >> 33) % (2 + d + k) + (t / 6) % 3);
      }
  return p;
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
  // 5 origins, 5 pairs, 9 models, 2 horizons.
  ASSERT_EQ(records.size(), 5u * 5 * 9 * 2);
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
  // Origin 2019-12 (period 23) at h = 2 and origin 2020-01 (24) at both horizons are unscored.
  EXPECT_EQ(unscored, (5u + 5u * 2) * 9);
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

}  // namespace
}  // namespace sphere::dyad

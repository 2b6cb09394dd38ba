// Outcome distributions: draws reproducible from the seed, percentiles that bracket the stated
// values' outcome, the inputs that move each model found by rank correlation, and the cycle and
// straddle diagnostics on hand-made issues.
#include "bargain/bargain.h"
#include "testing.h"

namespace sphere::bargain {
namespace {

kb::IssueValue ranged(double value, double low, double high) {
  kb::IssueValue v;
  v.value = value;
  v.provenance.source = "assumption";
  v.provenance.range_low = low;
  v.provenance.range_high = high;
  return v;
}

kb::IssuePosition position(std::string actor, kb::IssueValue x, kb::IssueValue s, kb::IssueValue c) {
  kb::IssuePosition p;
  p.actor = std::move(actor);
  p.position = x;
  p.salience = s;
  p.influence = c;
  return p;
}

// Two actors whose ideal points straddle the status quo; B's position is the only wide input.
kb::Issue straddled() {
  kb::Issue i;
  i.id = "test";
  i.status_quo = ranged(50, 50, 50);
  i.positions.push_back(position("A", ranged(10, 10, 10), ranged(0.8, 0.8, 0.8), ranged(0.5, 0.5, 0.5)));
  i.positions.push_back(position("B", ranged(90, 60, 100), ranged(0.8, 0.8, 0.8), ranged(0.5, 0.5, 0.5)));
  i.positions.push_back(position("C", ranged(70, 70, 70), ranged(0.3, 0.3, 0.3), ranged(0.2, 0.2, 0.2)));
  return i;
}

TEST(Sampling, SameSeedSameNumbersOtherSeedOthers) {
  const kb::Issue issue = straddled();
  const auto a = sample_issue(issue, {200, 7, {}}), b = sample_issue(issue, {200, 7, {}}),
             c = sample_issue(issue, {200, 8, {}});
  EXPECT_EQ(a.compromise.median, b.compromise.median);
  EXPECT_EQ(a.compromise.low, b.compromise.low);
  EXPECT_EQ(a.eu.high, b.eu.high);
  EXPECT_NE(a.compromise.median, c.compromise.median);
}

TEST(Sampling, PercentilesBracketTheStatedOutcomeAndNameTheInputThatMovesIt) {
  const kb::Issue issue = straddled();
  const double stated = compromise(players(issue));
  const auto d = sample_issue(issue, {1000, 1, {}});
  EXPECT_LT(d.compromise.low, stated);
  EXPECT_GT(d.compromise.high, stated);
  EXPECT_LE(d.compromise.low, d.compromise.median);
  EXPECT_LE(d.compromise.median, d.compromise.high);
  // Only B's position varies, so it is the input that moves the compromise, and it pushes it up.
  ASSERT_FALSE(d.compromise.effects.empty());
  EXPECT_EQ(d.compromise.effects.front().input, "B position");
  EXPECT_GT(d.compromise.effects.front().rank_correlation, 0.99);
  // A below and B above 50 in every draw: the Nash solution is the straddled status quo.
  EXPECT_DOUBLE_EQ(d.nash_straddle_share, 1.0);
  EXPECT_DOUBLE_EQ(d.nash.median, 50.0);
}

// draw_issue(k) is sample_issue's draw k: the compromise over 201 single draws has the
// sampler's median, to the bit. The scenario engine settles on these draws.
TEST(Sampling, SingleDrawsAreTheSamplersDraws) {
  kb::Issue issue = straddled();
  issue.status_quo = ranged(50, 40, 60);
  issue.positions[0].influence = ranged(0.5, 0.3, 0.9);
  std::vector<std::pair<double, double>> outcomes;
  for (std::uint32_t k = 0; k < 201; ++k) {
    const IssueDraw d = draw_issue(issue, 11, k);
    ASSERT_EQ(d.players.size(), 3u);
    EXPECT_GE(d.status_quo, 40.0);
    EXPECT_LE(d.status_quo, 60.0);
    EXPECT_EQ(d.players[2].position, 70.0);  // a point range stays at its value
    outcomes.push_back({compromise(d.players), 1.0});
  }
  EXPECT_EQ(weighted_quantile(outcomes, 0.5), sample_issue(issue, {201, 11, {}}).compromise.median);
  EXPECT_NE(draw_issue(issue, 11, 0).players[1].position, draw_issue(issue, 11, 1).players[1].position);
}

TEST(Sampling, RejectsNoDraws) { EXPECT_THROW(sample_issue(straddled(), {0, 1, {}}), std::invalid_argument); }

TEST(Quantile, InterpolatesBetweenWeightedValues) {
  EXPECT_DOUBLE_EQ(weighted_quantile({{0, 1}, {10, 1}}, 0.5), 5.0);
  EXPECT_DOUBLE_EQ(weighted_quantile({{0, 1}, {10, 1}}, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(weighted_quantile({{0, 1}, {10, 1}}, 1.0), 10.0);
  // Weights 1 and 3: the values sit at cumulative midpoints 0.5 and 2.5 of 4; the median (2.0)
  // lies three quarters of the way from the first to the second.
  EXPECT_DOUBLE_EQ(weighted_quantile({{0, 1}, {10, 3}}, 0.5), 7.5);
}

TEST(RankCorrelation, MonotoneTiesAndConstant) {
  const std::vector<double> x = {1, 2, 3, 4}, up = {1, 4, 9, 16}, down = {4, 3, 2, 1}, flat = {2, 2, 2, 2};
  EXPECT_DOUBLE_EQ(rank_correlation(x, up), 1.0);
  EXPECT_DOUBLE_EQ(rank_correlation(x, down), -1.0);
  EXPECT_DOUBLE_EQ(rank_correlation(x, flat), 0.0);
}

TEST(Nash, SaysWhyTheStatusQuoStands) {
  const auto p = players(straddled());
  const NashResult r = nash_bargaining(p, 50.0);
  EXPECT_FALSE(r.agreement);
  EXPECT_EQ(r.standstill, NashStandstill::kStraddle);
  EXPECT_EQ(r.below, std::vector<std::size_t>({0}));
  EXPECT_EQ(r.above, std::vector<std::size_t>({1, 2}));
  const NashResult one_side = nash_bargaining(p, 5.0);
  EXPECT_TRUE(one_side.agreement);
  EXPECT_EQ(one_side.standstill, NashStandstill::kNone);
  EXPECT_EQ(nash_bargaining(p, 10.0).standstill, NashStandstill::kIdealAtD);
}

TEST(ExpectedUtility, OutcomeSetDoesNotDependOnTheRoundCountsParity) {
  // Look for an issue of three actors on which the model cycles, over a grid of saliences, and
  // check that the outcome set is the same after an odd and an even number of rounds.
  int cycles = 0;
  for (double s0 : {0.3, 0.5, 0.7, 0.9})
    for (double s2 : {0.2, 0.4, 0.6, 0.8, 1.0})
      for (double c1 : {0.5, 1.0, 2.0}) {
        std::vector<Player> p = {{"a", 1.0, 0.0, s0}, {"b", c1, 100.0, 0.9}, {"c", 1.0, 40.0, s2},
                                 {"d", 0.5, 70.0, 0.5}};
        EuOptions odd, even;
        odd.rounds = 11;
        even.rounds = 12;
        const EuResult r11 = expected_utility(p, odd), r12 = expected_utility(p, even);
        if (r11.period > 1) {
          ++cycles;
          EXPECT_EQ(r11.period, r12.period);
          EXPECT_EQ(r11.outcome_set, r12.outcome_set);
          EXPECT_DOUBLE_EQ(r11.outcome(), r12.outcome());
        }
        if (r11.period == 1) {
          EXPECT_EQ(r11.outcome_set.size(), 1u);
        }
      }
  EXPECT_GT(cycles, 0) << "no cycling issue on the grid";
}

}  // namespace
}  // namespace sphere::bargain

// The bargaining models on cases with known answers: the utilities and risk exponents of Scholz,
// Calbert & Smith (2011), the compromise model, medians, and the Nash bargaining solution.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "bargain/bargain.h"
#include "testing.h"

namespace sphere::bargain {
namespace {

TEST(Utilities, LinearWhenRiskNeutral) {
  // With r = 1: U_s = 2d, U_f = -2d, U_b = e, U_w = -e, U_sq = 0 (eqs 15-16, 22-24).
  const double d = 0.3, e = 0.7;
  Utilities u = utilities(d, e, 1.0);
  EXPECT_NEAR(u.success, 2 * d, 1e-12);
  EXPECT_NEAR(u.failure, -2 * d, 1e-12);
  EXPECT_NEAR(u.better, e, 1e-12);
  EXPECT_NEAR(u.worse, -e, 1e-12);
  EXPECT_NEAR(u.status_quo, 0.0, 1e-12);
}

TEST(Utilities, RiskAverseActorsValueSuccessMore) {
  // r = 2 (risk-averse, concave): 2 - 4(0.5 - 0.5d)^2 = 1 + 2d - d^2 at d; status quo 1.
  const double d = 0.4;
  Utilities u = utilities(d, 0.0, 2.0);
  EXPECT_NEAR(u.success, 1 + 2 * d - d * d, 1e-12);
  EXPECT_NEAR(u.status_quo, 1.0, 1e-12);
  EXPECT_GT(u.success - u.status_quo, utilities(d, 0.0, 0.5).success -
                                          utilities(d, 0.0, 0.5).status_quo);
}

TEST(Risk, ExponentSpansHalfToTwo) {
  // eq. 34 maps the lowest security level to R = -1 (r = 2), the highest to R = +1 (r = 0.5).
  EXPECT_NEAR(risk_exponent(-3.0, -3.0, 5.0), 2.0, 1e-12);
  EXPECT_NEAR(risk_exponent(5.0, -3.0, 5.0), 0.5, 1e-12);
  EXPECT_NEAR(risk_exponent(1.0, -3.0, 5.0), 1.0, 1e-12);
  EXPECT_EQ(risk_exponent(2.0, 2.0, 2.0), 1.0);  // all equal: undefined R, neutral r
}

TEST(Compromise, IsTheCapabilitySalienceWeightedMean) {
  std::vector<Player> p = {{"A", 2.0, 10.0, 0.5}, {"B", 1.0, 70.0, 1.0}, {"C", 4.0, 40.0, 0.0}};
  // weights 1, 1, 0
  EXPECT_NEAR(compromise(p), 40.0, 1e-12);
  p[2].salience = 0.25;  // weight 1 at 40: unchanged mean
  EXPECT_NEAR(compromise(p), 40.0, 1e-12);
  p[0].capability = 4.0;  // weight 2 at 10: (20 + 70 + 40) / 4
  EXPECT_NEAR(compromise(p), 32.5, 1e-12);
}

TEST(Medians, WeightedMedianTakesTheLowestOnATie) {
  std::vector<double> x = {10, 20, 30, 40};
  EXPECT_EQ(weighted_median(x, std::vector<double>{1, 1, 1, 1}), 20);  // exact half at 20
  EXPECT_EQ(weighted_median(x, std::vector<double>{1, 1, 1, 5}), 40);
  EXPECT_EQ(weighted_median(x, std::vector<double>{3, 1, 1, 1}), 10);
  EXPECT_EQ(median({5, 1, 3}), 3);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
}

TEST(Medians, WeightedMedianIsTheLowestPositionWithHalfTheWeight) {
  // Against the definition, for small issues (insertion sort) and large ones (std::sort), with
  // repeated positions, given in scrambled order; the scratch version gives the same.
  std::vector<std::size_t> scratch;
  for (std::size_t n : {1u, 2u, 5u, 21u, 64u, 65u, 200u}) {
    std::vector<double> x(n), w(n);
    for (std::size_t k = 0; k < n; ++k) {
      x[k] = static_cast<double>((k * 37 + 11) % 13) * 7.5;  // 13 positions, scrambled
      w[k] = static_cast<double>((k * 17 + 3) % 10) / 10.0 + 0.05;
    }
    double total = 0.0;
    for (double v : w) total += v;
    double expected = *std::max_element(x.begin(), x.end());
    for (double p : x) {
      double below = 0.0;  // weight at or below p
      for (std::size_t k = 0; k < n; ++k)
        if (x[k] <= p) below += w[k];
      if (2.0 * below >= total * (1.0 - 1e-9) && p < expected) expected = p;
    }
    EXPECT_EQ(weighted_median(x, w), expected) << n << " actors";
    EXPECT_EQ(weighted_median(x, w, scratch), expected) << n << " actors";
  }
}

TEST(Nash, MaximisesTheWeightedProductOfGains) {
  // d = 0, actors at 20 and 60. Between 20 and 40 the gains are 40 - x and x; with weights 1 and
  // 3 the first-order condition 3/x = 1/(40 - x) gives x = 30.
  std::vector<Player> p = {{"A", 1.0, 20.0, 1.0}, {"B", 3.0, 60.0, 1.0}};
  NashResult r = nash_bargaining(p, 0.0);
  EXPECT_TRUE(r.agreement);
  EXPECT_NEAR(r.outcome, 30.0, 1e-6);
  // Equal weights: the optimum is the kink at the nearer actor's position.
  p[1].capability = 1.0;
  EXPECT_NEAR(nash_bargaining(p, 0.0).outcome, 20.0, 1e-6);
  // Mirrored: everyone below d.
  std::vector<Player> m = {{"A", 1.0, 80.0, 1.0}, {"B", 3.0, 40.0, 1.0}};
  EXPECT_NEAR(nash_bargaining(m, 100.0).outcome, 70.0, 1e-6);
}

TEST(Nash, DisagreementPointStandsWhenNoOutcomeHelpsEveryone) {
  std::vector<Player> both_sides = {{"A", 1.0, 20.0, 1.0}, {"B", 1.0, 80.0, 1.0}};
  NashResult r = nash_bargaining(both_sides, 50.0);
  EXPECT_FALSE(r.agreement);
  EXPECT_EQ(r.outcome, 50.0);
  std::vector<Player> at_d = {{"A", 1.0, 50.0, 1.0}, {"B", 1.0, 80.0, 1.0}};
  EXPECT_FALSE(nash_bargaining(at_d, 50.0).agreement);
}

TEST(ExpectedUtility, RejectsSalienceOutsideTheUnitInterval) {
  std::vector<Player> p = {{"A", 1.0, 0.0, 1.5}, {"B", 1.0, 100.0, 0.5}};
  EXPECT_THROW(expected_utility(p, {}), std::invalid_argument);
  p[0].salience = 0.5;
  p[1].capability = 0.0;
  EXPECT_THROW(expected_utility(p, {}), std::invalid_argument);
}

TEST(ExpectedUtility, NothingMovesWhenEveryoneAgrees) {
  std::vector<Player> p = {{"A", 1.0, 40.0, 0.5}, {"B", 2.0, 40.0, 0.9}};
  EuResult r = expected_utility(p, {});
  EXPECT_TRUE(r.rounds.empty());
  EXPECT_EQ(r.forecast(), 40.0);
}

TEST(ExpectedUtility, PositionsStayWithinTheInitialRange) {
  // Offers move an actor to another's position or part of the way there (eqs 35-36).
  std::vector<Player> p = {{"A", 3, 0, 0.9},  {"B", 1, 30, 0.4}, {"C", 2, 55, 0.7},
                           {"D", 1, 90, 0.2}, {"E", 4, 100, 0.6}};
  for (auto rule : {ProbabilityRule::kPrinted, ProbabilityRule::kScholzCode}) {
    EuOptions o;
    o.probability = rule;
    o.rounds = 12;
    EuResult r = expected_utility(p, o);
    ASSERT_EQ(r.rounds.size(), 12u);
    std::vector<double> before;
    for (const Player& pl : p) before.push_back(pl.position);
    for (const EuRound& round : r.rounds) {
      for (double x : round.positions) {
        EXPECT_GE(x, 0.0);
        EXPECT_LE(x, 100.0);
      }
      for (const Move& m : round.moves) {
        EXPECT_NE(m.actor, m.proposer);
        EXPECT_EQ(m.from, before[m.actor]);
        // A move goes toward the proposer's position and never beyond it.
        const double target = before[m.proposer];
        EXPECT_LE(std::min(m.from, target), m.to);
        EXPECT_LE(m.to, std::max(m.from, target));
        EXPECT_EQ(round.positions[m.actor], m.to);
      }
      before = round.positions;
    }
  }
}

TEST(ExpectedUtility, ConvergenceRuleStopsEarly) {
  std::vector<Player> p = {{"A", 1, 0, 0.9}, {"B", 1, 50, 0.5}, {"C", 1, 100, 0.3}};
  EuOptions o;
  o.probability = ProbabilityRule::kPrinted;
  o.rounds = 50;
  o.tolerance = 0.005;
  EuResult r = expected_utility(p, o);
  ASSERT_GE(r.rounds.size(), 2u);
  EXPECT_LT(r.rounds.size(), 50u);
  EXPECT_TRUE(r.converged);
  const auto n = r.rounds.size();
  EXPECT_LT(std::abs(r.rounds[n - 1].median - r.rounds[n - 2].median), 0.5);
}

}  // namespace
}  // namespace sphere::bargain

#include <gtest/gtest.h>

#include "dyad/dyad.h"

namespace sphere::dyad {
namespace {

// n checks of four statistics, `misses` of them outside their range.
std::vector<PredictiveCheck> checks_with(int pairs, int misses) {
  std::vector<PredictiveCheck> out(pairs);
  int left = misses;
  for (auto& c : out)
    for (const char* name : {"mean", "variance", "zeros", "acf1"}) {
      const double observed = left-- > 0 ? 9.0 : 1.0;
      c.stats.push_back({name, observed, 0.0, 1.0, 2.0});
    }
  return out;
}

TEST(PredictiveChecks, MissesAreJudgedAgainstTheModelsOwnMissRate) {
  // 200 replicates: below the 5th of 201 values or above the 195th, 11/201 of the time.
  const auto none = summarise_checks(checks_with(55, 0), 200);
  EXPECT_EQ(none.total, 220);
  EXPECT_EQ(none.inside, 220);
  EXPECT_NEAR(none.miss_rate, 11.0 / 201, 1e-12);
  EXPECT_NEAR(none.expected_misses, 220 * 11.0 / 201, 1e-9);
  EXPECT_TRUE(none.pass);
  EXPECT_DOUBLE_EQ(none.p_value, 1.0);
  // As many misses as expected, spread over the statistics, pass; many more fail.
  const auto twelve = summarise_checks(checks_with(55, 12), 200);
  EXPECT_TRUE(twelve.pass);
  EXPECT_GT(twelve.p_value, 0.4);
  ASSERT_EQ(twelve.stats.size(), 4u);
  EXPECT_EQ(twelve.stats[0].name, "mean");
  EXPECT_EQ(twelve.stats[0].total - twelve.stats[0].inside, 3);
  const auto thirty = summarise_checks(checks_with(55, 30), 200);
  EXPECT_FALSE(thirty.pass);
  EXPECT_LT(thirty.p_value, 1e-4);
  // Misses piled on one statistic fail even when the total would pass.
  auto piled = checks_with(55, 0);
  for (int i = 0; i < 10; ++i) piled[i].stats[3].observed = 9.0;
  const auto acf = summarise_checks(piled, 200);
  EXPECT_GT(acf.p_value, 0.05);
  EXPECT_LT(acf.stats[3].p_value, 0.0125);
  EXPECT_FALSE(acf.pass);
  // The p-value is the binomial upper tail: one miss out of one statistic at rate q has p = q.
  const auto one = summarise_checks(checks_with(1, 1), 200);
  EXPECT_EQ(one.total, 4);
  EXPECT_NEAR(one.p_value, 1.0 - std::pow(1.0 - 11.0 / 201, 4), 1e-12);
}

}  // namespace
}  // namespace sphere::dyad

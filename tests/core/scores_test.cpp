// Proper scores shared by the hindcasts.
#include <gtest/gtest.h>

#include "core/core.h"

namespace sphere {
namespace {

TEST(Scores, BrierOfCategoricalProbabilities) {
  EXPECT_DOUBLE_EQ(brier_score({1.0, 0.0, 0.0}, 0), 0.0);
  EXPECT_DOUBLE_EQ(brier_score({0.0, 1.0}, 0), 2.0);
  // (0.5 - 1)^2 + 0.3^2 + 0.2^2
  EXPECT_NEAR(brier_score({0.5, 0.3, 0.2}, 0), 0.25 + 0.09 + 0.04, 1e-15);
  EXPECT_NEAR(brier_score({0.5, 0.3, 0.2}, 2), 0.25 + 0.09 + 0.64, 1e-15);
}

}  // namespace
}  // namespace sphere

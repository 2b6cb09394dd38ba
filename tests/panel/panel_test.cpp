#include <sstream>

#include <gtest/gtest.h>

#include "panel/panel.h"

namespace sphere::panel {
namespace {

Panel monthly() {
  std::istringstream in(
      "month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score\n"
      "2020-01,ARM,AZE,31,10,6,4,-120.5\n"
      "2020-03,AZE,RUS,31,3,1,2,10\n");
  return read_panel(in, "m.csv", Format::kGdeltMonthly, {});
}

std::string message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.diagnostics().items().front().field + ": " + e.diagnostics().items().front().message;
  }
  return "no error";
}

TEST(Panel, PeriodRangeReadsFromDotDotTo) {
  const Panel p = monthly();
  EXPECT_EQ(p.period_range("2020-02..2020-03", "--origins"), std::make_pair(1, 2));
  EXPECT_EQ(p.period_range("2019-12..2020-04", "--origins"), std::make_pair(-1, 3));  // bounds: the caller's
  EXPECT_EQ(message([&] { p.period_range("2020-02", "--origins"); }),
            "--origins: '2020-02': expected FROM..TO, e.g. 2020-01..2020-03");
  EXPECT_NE(message([&] { p.period_range("2020..2020-03", "--hindcast"); }).find("not a YYYY-MM month"),
            std::string::npos);
  EXPECT_NE(message([&] { p.period_range("2020-01..", "--origins"); }), "no error");
  EXPECT_NE(message([&] { p.period_range("..", "--origins"); }), "no error");
}

TEST(Panel, PairsOfFindsEachPairInEitherOrder) {
  const Panel p = monthly();
  EXPECT_EQ(p.pairs_of("ARM:AZE, RUS:AZE", "--pairs"),
            (std::vector<long>{p.find_pair("ARM", "AZE"), p.find_pair("AZE", "RUS")}));
  EXPECT_EQ(message([&] { p.pairs_of("ARM:AZE,ARM:RUS", "--pairs"); }),
            "--pairs: the panel never names the pair 'ARM:RUS'");
  EXPECT_EQ(message([&] { p.pairs_of("ARM", "--pairs"); }), "--pairs: the panel never names the pair 'ARM'");
  EXPECT_EQ(message([&] { p.pairs_of("ARM:AZE:RUS", "--pairs"); }),
            "--pairs: the panel never names the pair 'ARM:AZE:RUS'");
}

}  // namespace
}  // namespace sphere::panel

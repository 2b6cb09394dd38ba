#include <fstream>

#include <gtest/gtest.h>

#include "dyad/dyad.h"
#include "testing.h"

namespace sphere::dyad {
namespace {

using sphere::testing::TempDir;

TEST(Questions, TheBuiltinClassifierReadsThePanelAsTheSourcesDescribeIt) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  const QuestionSet qs = read_questions((sphere::testing::source_dir() / "data/caucasus").string());
  ASSERT_EQ(qs.questions.size(), 3u);
  const panel::Panel p = panel::read_panel(
      (sphere::testing::shared_dir() / "data/events/gdelt-country-networks/monthly_2018_2022.csv").string(),
      panel::Format::kGdeltMonthly, {});
  const long d = p.find_pair(qs.pair_a, qs.pair_b);
  ASSERT_GE(d, 0);
  const float* neg = p.series(d, p.measure_index("days_negative"));
  const float* pos = p.series(d, p.measure_index("days_positive"));
  const std::vector<double> y(neg, neg + p.periods), x(pos, pos + p.periods);
  const auto classes = classify(qs, y, x, p.periods);  // no first passage inside the panel
  const auto id = [&](const char* month) { return qs.questions[classes[p.period_of(month, "t")]].id; };
  // S1: "pragmatic cooperation between Baku and Moscow—similar to patterns observed in the 2010s".
  for (const char* m : {"2018-12", "2019-06", "2019-12"}) EXPECT_EQ(id(m), "balancing") << m;
  EXPECT_EQ(id("2020-12"), "confrontation");  // the year of the 44-day war
  EXPECT_EQ(id("2022-12"), "balancing");
  // ARM–AZE through the same questions: never balancing, escalation-level in the war year.
  const long aa = p.find_pair("ARM", "AZE");
  const float* an = p.series(aa, p.measure_index("days_negative"));
  const float* ap = p.series(aa, p.measure_index("days_positive"));
  const auto war = classify(qs, std::vector<double>(an, an + p.periods),
                            std::vector<double>(ap, ap + p.periods), 0);
  EXPECT_EQ(qs.questions[war[p.period_of("2020-12", "t")]].id, "escalation");
}

TEST(Questions, BadDefinitionsNameFileLineAndField) {
  TempDir dir;
  const auto write = [&](const std::string& text) {
    std::ofstream(dir.path() / "questions.toml") << text;
  };
  write("pair = [\"A\", \"B\"]\n[[question]]\nid = \"x\"\nobservable = \"gdp\"\ncriterion = \">= 1\"\n"
        "resolution = \"r\"\n[[question]]\nid = \"y\"\notherwise = true\n");
  try {
    read_questions(dir.path().string());
    FAIL() << "accepted an unknown observable and a question without resolution";
  } catch (const InputError& e) {
    bool observable = false, resolution = false;
    for (const auto& d : e.diagnostics().items()) {
      observable |= d.field == "observable" && d.line == 2;
      resolution |= d.field == "resolution" && d.line == 7;
    }
    EXPECT_TRUE(observable) << e.diagnostics().to_string();
    EXPECT_TRUE(resolution) << e.diagnostics().to_string();
  }
  write("pair = [\"A\", \"B\"]\n[[question]]\nid = \"x\"\nobservable = \"target_sum\"\ncriterion = \">= 1\"\n"
        "resolution = \"r\"\n");
  EXPECT_THROW(read_questions(dir.path().string()), InputError);  // no "otherwise"
}

TEST(Questions, ClassesFollowTheOrderAndFirstPassageHolds) {
  QuestionSet qs;
  qs.window = 2;
  Question high;
  high.id = "high";
  high.observable = "target_sum";
  high.threshold = 10;
  high.any = true;
  Question low;
  low.id = "low";
  low.observable = "target_sum";
  low.at_least = false;
  low.threshold = 2;
  Question other;
  other.id = "other";
  qs.questions = {high, low, other};
  const std::vector<double> y = {0, 1, 5, 6, 0, 0, 1, 4}, x(8, 0.0);
  const auto c = classify(qs, y, x, 2);
  EXPECT_EQ(c[0], -1);
  EXPECT_EQ(c[1], 1);  // 1 <= 2
  EXPECT_EQ(c[2], 2);  // 6
  EXPECT_EQ(c[3], 0);  // 11: reached
  EXPECT_EQ(c[5], 0);  // and it stays reached (first passage)
  EXPECT_EQ(classify(qs, y, x, 8)[5], 1);  // without first passage, the state is read
}

}  // namespace
}  // namespace sphere::dyad

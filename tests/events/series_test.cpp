// Dyadic monthly series: zero-filled months, de-duplication, sums; the built-in event log.
#include <set>

#include "events/events.h"
#include "testing.h"

namespace sphere::events {
namespace {

EventView event(const char* date, const char* a1, const char* a2, const char* code, double g) {
  EventView v;
  v.date = *Date::parse(date);
  v.actor1 = a1;
  v.actor2 = a2;
  v.code = code;
  v.goldstein = g;
  v.quad = QuadScheme::gdelt().classify(code);
  return v;
}

TEST(Series, FillsEmptyMonthsWithZerosAndSums) {
  SeriesBuilder b;
  b.add(event("2024-01-05", "RUS", "AZE", "111", -2));
  b.add(event("2024-01-20", "RUS", "AZE", "036", 4));
  b.add(event("2024-04-02", "RUS", "AZE", "173", -5));
  b.add(event("2024-02-02", "AZE", "RUS", "173", -5));  // the other direction
  const int jan = Date{2024, 1, 0}.month_index();
  DyadSeries s = b.series("RUS", "AZE", jan - 1, jan + 3);
  ASSERT_EQ(s.months.size(), 5u);
  EXPECT_EQ(s.months[0].events, 0);
  EXPECT_EQ(s.months[1].events, 2);
  EXPECT_EQ(s.months[1].quad[1], 1);
  EXPECT_EQ(s.months[1].quad[3], 1);
  EXPECT_DOUBLE_EQ(s.months[1].goldstein, 2.0);
  EXPECT_DOUBLE_EQ(s.months[1].cooperation, 4.0);
  EXPECT_DOUBLE_EQ(s.months[1].conflict, -2.0);
  EXPECT_EQ(s.months[1].net(), 0);
  EXPECT_EQ(s.months[2].events, 0);  // February: only AZE -> RUS
  EXPECT_EQ(s.months[3].events, 0);
  EXPECT_EQ(s.months[4].quad[4], 1);
  EXPECT_EQ(s.months[4].net(), -1);
  auto span = b.span("AZE", "RUS");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->first, jan);
  EXPECT_EQ(span->second, jan + 3);
  EXPECT_EQ(b.all().size(), 2u);
}

TEST(Series, RemovesDuplicatesOfDateActorsAndCode) {
  SeriesBuilder dedup, raw(SeriesOptions{false, false});
  for (SeriesBuilder* b : {&dedup, &raw}) {
    b->add(event("2024-03-01", "RUS", "AZE", "173", -5));
    b->add(event("2024-03-01", "RUS", "AZE", "173", -5));  // duplicate
    b->add(event("2024-03-02", "RUS", "AZE", "173", -5));  // another day
    b->add(event("2024-03-01", "RUS", "AZE", "1731", -5)); // another code... not in codebook, fine
    b->add(event("2024-03-01", "AZE", "RUS", "173", -5));  // another direction
    b->add(event("2024-03-01", "RUS", "", "173", -5));     // one-sided
    b->add(event("2024", "RUS", "AZE", "173", -5));        // year only
  }
  EXPECT_EQ(dedup.added(), 4);
  EXPECT_EQ(dedup.duplicates(), 1);
  EXPECT_EQ(raw.added(), 5);
  EXPECT_EQ(dedup.one_sided(), 1);
  EXPECT_EQ(dedup.not_day_or_month(), 1);
  const int m = Date{2024, 3, 0}.month_index();
  EXPECT_EQ(dedup.series("RUS", "AZE", m, m).months[0].events, 3);
}

TEST(Series, DeduplicationScalesPastItsFirstTable) {
  SeriesBuilder b;
  for (int i = 0; i < 5000; ++i)
    for (int copy = 0; copy < 2; ++copy) {
      Date d{2000 + i / 300, 1 + (i / 28) % 12, 1 + i % 28};
      EventView v = event("2024-01-01", "A", "B", "010", 0);
      v.date = d;
      b.add(v);
    }
  EXPECT_EQ(b.added(), 5000);
  EXPECT_EQ(b.duplicates(), 5000);
}

// The built-in log's RUS -> AZE series, checked against a direct count over the model's events.
TEST(Series, BuiltinLogRollsActorsUpToTheirStates) {
  const kb::Model model = kb::load_builtin_model();
  EXPECT_EQ(top_affiliation(model, "PUTIN"), "RUS");
  EXPECT_EQ(top_affiliation(model, "RUS"), "RUS");
  SeriesBuilder b;
  feed_model_events(model, QuadScheme::gdelt(), true, b);
  auto span = b.span("RUS", "AZE");
  ASSERT_TRUE(span);
  DyadSeries s = b.series("RUS", "AZE", span->first, span->second);
  int events = 0;
  double goldstein = 0;
  for (const auto& c : s.months) {
    events += c.events;
    goldstein += c.goldstein;
    EXPECT_EQ(c.events, c.quad[0] + c.quad[1] + c.quad[2] + c.quad[3] + c.quad[4]);
  }
  int expected = 0;
  double expected_g = 0;
  std::set<std::string> keys;
  for (const kb::Event& e : model.events) {
    if (e.date.precision() == Date::Precision::kYear) continue;
    if (top_affiliation(model, e.actor1) != "RUS" || top_affiliation(model, e.actor2) != "AZE") continue;
    if (!keys.insert(e.date.to_string() + e.cameo).second) continue;
    ++expected;
    expected_g += e.goldstein;
  }
  ASSERT_GT(expected, 0);
  EXPECT_EQ(events, expected);
  EXPECT_NEAR(goldstein, expected_g, 1e-9);
  // Events dated to a year only are reported per year, not spread over months.
  int year_only = 0, expected_year_only = 0;
  for (const auto& [year, cell] : b.year_only("RUS", "AZE")) year_only += cell.events;
  std::set<std::string> year_keys;
  for (const kb::Event& e : model.events)
    if (e.date.precision() == Date::Precision::kYear && top_affiliation(model, e.actor1) == "RUS" &&
        top_affiliation(model, e.actor2) == "AZE" && year_keys.insert(e.date.to_string() + e.cameo).second)
      ++expected_year_only;
  EXPECT_GT(expected_year_only, 0);
  EXPECT_EQ(year_only, expected_year_only);
}

}  // namespace
}  // namespace sphere::events

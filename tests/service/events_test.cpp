// A dyad's monthly series and Hawkes fits to its event times, from the model's log or a CSV.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "testing.h"

namespace sphere::service {
namespace {

const kb::Model& events_model() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

// An event CSV (an import's output) of RUS→AZE events (CAMEO 111) on these days.
std::string rus_aze_events_csv(const testing::TempDir& dir, const std::vector<std::string>& days) {
  const auto csv = dir.path() / "events.csv";
  std::ofstream out(csv);
  out << "date,actor1,actor2,cameo,goldstein,quad\n";
  for (const auto& day : days) out << day << ",RUS,AZE,111,-2,3\n";
  return csv.string();
}

TEST(EventSeries, NamesBecomeIdsAndBothDirectionsShareTheMonths) {
  EventSeriesRequest request;
  request.a = "Russia";
  request.b = "Azerbaijan";
  const EventSeries s = event_series(&events_model(), request);
  EXPECT_EQ(s.source, events_model().location);
  EXPECT_EQ(s.scheme, "gdelt");
  EXPECT_EQ(s.dyad.a, "RUS");
  EXPECT_EQ(s.dyad.b, "AZE");
  ASSERT_TRUE(s.dyad.dated);
  ASSERT_FALSE(s.dyad.ab.series.months.empty());
  ASSERT_EQ(s.dyad.ab.series.months.size(), s.dyad.ba.series.months.size());
  int events = 0;
  for (std::size_t i = 0; i < s.dyad.ab.series.months.size(); ++i) {
    EXPECT_EQ(s.dyad.ab.series.months[i].month, s.dyad.ba.series.months[i].month);
    events += s.dyad.ab.series.months[i].events + s.dyad.ba.series.months[i].events;
  }
  EXPECT_GT(events, 0);
  // A window of one year: twelve months, and the year-only events of that year alone.
  request.from = 2024 * 12;
  request.to = 2024 * 12 + 11;
  const EventSeries year = event_series(&events_model(), request);
  EXPECT_EQ(year.dyad.ab.series.months.size(), 12u);
  for (const auto& [y, cell] : year.dyad.ab.year_only) EXPECT_EQ(y, 2024);
  const nlohmann::json j = to_json(year);
  ASSERT_EQ(j["series"].size(), 2u);
  EXPECT_EQ(j["series"][0]["months"][0]["month"], "2024-01");
  EXPECT_FALSE(j["series"][0]["months"][0]["quad"].contains("0"));  // no neutral class under gdelt
}

TEST(EventSeries, AnUnknownOrRepeatedActorNamesItsSide) {
  EventSeriesRequest request;
  request.a = "RUS";
  request.b = "AZEE";
  EXPECT_EQ(field_of([&] { event_series(&events_model(), request); }), "b");
  request.a = "";
  EXPECT_EQ(field_of([&] { event_series(&events_model(), request); }), "a");
  request.a = "AZE";
  request.b = "Azerbaijan";  // the same actor by its name
  EXPECT_EQ(field_of([&] { event_series(&events_model(), request); }), "b");
  HawkesRequest fit;
  fit.a = "AZE";
  fit.b = "AZE";
  EXPECT_EQ(field_of([&] { fit_dyad_hawkes(&events_model(), fit); }), "b");
}

TEST(EventSeries, AnEventsFileIsReadInsteadOfTheModel) {
  const testing::TempDir dir;
  const std::string csv = rus_aze_events_csv(dir, {"2024-01-05", "2024-03-05", "2024-03-05"});
  EventSeriesRequest request;
  request.source.events_file = csv;
  request.a = "RUS";
  request.b = "AZE";
  const EventSeries s = event_series(nullptr, request);
  EXPECT_EQ(s.source, csv);
  EXPECT_EQ(s.duplicates, 1);
  ASSERT_EQ(s.dyad.ab.series.months.size(), 3u);  // January to March, February empty
  EXPECT_EQ(s.dyad.ab.series.months[1].events, 0);
  EXPECT_EQ(s.dyad.ab.series.months[2].events, 1);
  request.source.dedup = false;
  EXPECT_EQ(event_series(nullptr, request).dyad.ab.series.months[2].events, 2);
}

TEST(EventHawkes, TooFewEventsAreNotFittedAndSaySo) {
  const testing::TempDir dir;
  HawkesRequest request;
  request.source.events_file = rus_aze_events_csv(dir, {"2024-01-05"});
  request.a = "RUS";
  request.b = "AZE";
  const DyadHawkes h = fit_dyad_hawkes(nullptr, request);
  EXPECT_TRUE(h.fits.empty());
  ASSERT_EQ(h.not_fitted.size(), 3u);
  EXPECT_EQ(h.not_fitted[2].rfind("RUS→AZE + AZE→RUS: ", 0), 0u) << h.not_fitted[2];
  EXPECT_EQ(to_json(h)["fits"].size(), 0u);
}

TEST(EventHawkes, TheModelsDyadIsFittedWithIntervalsAroundTheEstimates) {
  HawkesRequest request;
  request.a = "RUS";
  request.b = "AZE";
  const DyadHawkes h = fit_dyad_hawkes(&events_model(), request);
  ASSERT_FALSE(h.fits.empty()) << (h.not_fitted.empty() ? "" : h.not_fitted[0]);
  EXPECT_EQ(h.fits.size() + h.not_fitted.size(), 3u);
  for (const auto& f : h.fits) {
    EXPECT_DOUBLE_EQ(f.horizon, h.horizon);  // every fit on the same window
    for (std::size_t k = 0; k < f.fit.params.dims(); ++k) {
      const auto [low, high] = hawkes_interval(f.fit, HawkesParameter::kMu, k, k);
      if (std::isfinite(low)) {
        EXPECT_LT(low, f.fit.params.mu[k]);
        EXPECT_GT(high, f.fit.params.mu[k]);
      }
    }
  }
  const nlohmann::json j = to_json(h);
  EXPECT_EQ(j["time_unit"], "day");
  EXPECT_EQ(j["fits"].size(), h.fits.size());
  EXPECT_EQ(j["fits"][0]["mu"][0]["interval"], "Wald, log scale");
}

}  // namespace
}  // namespace sphere::service

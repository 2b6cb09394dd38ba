// The structural engine's hindcast as both front ends would run it.
#include <set>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"

namespace sphere::service {
namespace {

const kb::Model& caucasus() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

StructuralHindcastRequest request_from(std::vector<Date> as_of, int threads) {
  StructuralHindcastRequest r;
  r.as_of = std::move(as_of);
  r.forecast.runs = 40;
  r.forecast.seed = 3;
  r.forecast.threads = threads;
  return r;
}

TEST(StructuralHindcast, ScoresEveryLaterOutcomeFromEachMonthWhateverTheThreads) {
  const StructuralHindcast one = structural_hindcast(caucasus(), request_from({Date{2019, 1, 0}, Date{2022, 1, 0}}, 1));
  const StructuralHindcast two = structural_hindcast(caucasus(), request_from({Date{2019, 1, 0}, Date{2022, 1, 0}}, 2));
  EXPECT_EQ(encode(to_json(one)), encode(to_json(two)));
  ASSERT_EQ(one.scenarios.size(), caucasus().scenarios.size());
  std::size_t from_2019 = 0, from_2022 = 0;
  for (const auto& o : caucasus().outcomes) {
    from_2019 += o.date.month_index() >= Date{2019, 1, 0}.month_index();
    from_2022 += o.date.month_index() >= Date{2022, 1, 0}.month_index();
  }
  ASSERT_EQ(one.scores.size(), from_2019 + from_2022);
  const std::set<std::string> ids(one.scenarios.begin(), one.scenarios.end());
  for (const auto& s : one.scores) {
    double total = 0;
    for (double p : s.forecast) total += p;
    EXPECT_NEAR(total, 1.0, 1e-9);
    EXPECT_TRUE(ids.contains(s.outcome)) << s.outcome;
    EXPECT_LE(s.as_of.month_index(), s.outcome_date.month_index());
  }
  const nlohmann::json j = to_json(one);
  EXPECT_EQ(j["runs"], 40);
  EXPECT_EQ(j["seed"], 3);
  ASSERT_EQ(j["scores"].size(), one.scores.size());
  EXPECT_EQ(j["scores"][0]["as_of"], "2019-01");
  EXPECT_EQ(j["scores"][0]["forecast"][one.scenarios[0]], one.scores[0].forecast[0]);
  EXPECT_EQ(j["scores"][0]["brier"]["model"], one.scores[0].brier);
}

TEST(StructuralHindcast, ABadRequestNamesItsField) {
  EXPECT_EQ(field_of([] { structural_hindcast(caucasus(), request_from({}, 1)); }), "as_of");
  EXPECT_EQ(field_of([] { structural_hindcast(caucasus(), request_from({Date{2099, 1, 0}}, 1)); }),
            "as_of");
  StructuralHindcastRequest r = request_from({Date{2022, 1, 0}}, 1);
  r.forecast.settings = {{"no-such-parameter", 1.0}};
  EXPECT_EQ(field_of([&] { structural_hindcast(caucasus(), r); }), "set");
  r.forecast.settings.clear();
  r.forecast.shocks = sim::parse_shock_specs({"block:scp-eats@2022-03"});
  EXPECT_EQ(field_of([&] { structural_hindcast(caucasus(), r); }), "shock");
}

}  // namespace
}  // namespace sphere::service

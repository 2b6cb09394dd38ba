// Queries over the model's records: actors by name, link states.
#include <gtest/gtest.h>

#include "service/service.h"

namespace sphere::service {
namespace {

const kb::Model& builtin() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

std::string field_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.diagnostics().items().at(0).field + ": " + e.diagnostics().items().at(0).message;
  }
  return "accepted";
}

TEST(Actors, ResolvedByIdNameOrAliasAndAMistypedOneIsSuggested) {
  EXPECT_EQ(require_actor(builtin(), "aze", "a").id, "AZE");
  EXPECT_EQ(require_actor(builtin(), "Azerbaijan", "a").id, "AZE");
  const std::string why = field_of([] { require_actor(builtin(), "AZEE", "actor"); });
  EXPECT_EQ(why.rfind("actor: no actor 'AZEE'", 0), 0u) << why;
  EXPECT_NE(why.find("did you mean 'AZE'?"), std::string::npos) << why;
  EXPECT_EQ(field_of([] { require_actor(builtin(), "", "b"); }).rfind("b: ", 0), 0u);
}

TEST(Actors, TimelineOrderPutsCoarseDatesAfterTheirMonthsDays) {
  EXPECT_TRUE(timeline_before(Date{2024, 12, 25}, Date{2024, 0, 0}));
  EXPECT_TRUE(timeline_before(Date{2024, 3, 0}, Date{2024, 4, 1}));
  EXPECT_FALSE(timeline_before(Date{2024, 0, 0}, Date{2024, 12, 31}));
  const auto events = timeline_events(builtin());
  ASSERT_EQ(events.size(), builtin().events.size());
  for (std::size_t i = 1; i < events.size(); ++i)
    EXPECT_FALSE(timeline_before(events[i]->date, events[i - 1]->date));
}

// One rule for a link's state in a year: the one the network solves by.
TEST(Links, StateInAYearIsTheNetworksCapacity) {
  int differing_years = 0;
  for (const auto& l : builtin().infrastructure.links) {
    std::set<std::string> statuses;
    for (int year = 1990; year <= 2035; ++year) {
      network::Scenario s;
      s.year = year;
      s.carrier = l.carrier;
      const LinkState state = link_state(l, year);
      EXPECT_EQ(state.capacity, network::capacity_at(l, s)) << l.id << " " << year;
      if (state.since) {
        EXPECT_LE(state.since->year, year) << l.id;
      }
      statuses.insert(state.status);
    }
    differing_years += statuses.size() > 1;
  }
  EXPECT_GT(differing_years, 0) << "no link changes state: the test cannot tell the rules apart";
}

}  // namespace
}  // namespace sphere::service

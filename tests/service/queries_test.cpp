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

}  // namespace
}  // namespace sphere::service

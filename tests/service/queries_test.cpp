// Queries over the model's records: actors by name, link states.
#include <algorithm>

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

TEST(Facts, TextAndActorNarrowTheSearch) {
  const auto all = find_facts(builtin(), {});
  ASSERT_EQ(all.size(), builtin().facts.size());
  const auto gas = find_facts(builtin(), {"GAS", ""});
  ASSERT_FALSE(gas.empty());
  EXPECT_LT(gas.size(), all.size());
  for (const auto* f : gas) {
    const std::string text = ascii_lower(f->id + " " + f->what + " " + f->unit + " " + f->quote.text);
    EXPECT_NE(text.find("gas"), std::string::npos) << f->id;
  }
  const auto about = find_facts(builtin(), {"gas", "Azerbaijan"});
  ASSERT_FALSE(about.empty());
  EXPECT_LE(about.size(), gas.size());
  for (const auto* f : about)
    EXPECT_NE(std::find(f->actors.begin(), f->actors.end(), "AZE"), f->actors.end()) << f->id;
  EXPECT_EQ(field_of([] { find_facts(builtin(), {"", "Georgai"}); }).rfind("actor: ", 0), 0u);
  EXPECT_EQ(to_json(about).size(), about.size());
  EXPECT_EQ(find_conflicts(builtin(), "").size(), builtin().conflicts.size());
  EXPECT_TRUE(find_conflicts(builtin(), "no such words anywhere").empty());
}

}  // namespace
}  // namespace sphere::service

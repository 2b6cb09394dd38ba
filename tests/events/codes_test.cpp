// QuadClass schemes and the country table.
#include <fstream>
#include <set>
#include <map>

#include "events/events.h"
#include "testing.h"

namespace sphere::events {
namespace {

TEST(QuadScheme, GdeltMapsRootsToFourClasses) {
  const QuadScheme& g = QuadScheme::gdelt();
  EXPECT_EQ(g.classify("010"), 1);
  EXPECT_EQ(g.classify("0314"), 1);
  EXPECT_EQ(g.classify("057"), 1);
  EXPECT_EQ(g.classify("061"), 2);
  EXPECT_EQ(g.classify("094"), 2);   // INVESTIGATE counts as material cooperation in GDELT
  EXPECT_EQ(g.classify("10"), 3);    // DEMAND, not "010"
  EXPECT_EQ(g.classify("145"), 3);   // PROTEST counts as verbal conflict
  EXPECT_EQ(g.classify("15"), 4);
  EXPECT_EQ(g.classify("2042"), 4);
  EXPECT_EQ(g.classify("21"), -1);
  EXPECT_EQ(g.classify("00"), -1);
  EXPECT_EQ(g.classify("x1"), -1);
}

TEST(QuadScheme, PhoenixIsADifferentNamedScheme) {
  const QuadScheme* p = QuadScheme::find("phoenix");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->classify("010"), 0);
  EXPECT_EQ(p->classify("094"), 3);
  EXPECT_EQ(p->classify("163"), 3);
  EXPECT_EQ(p->classify("145"), 4);
  EXPECT_EQ(QuadScheme::find("nope"), nullptr);
}

TEST(CountryTable, MapsCodesAndNames) {
  const CountryTable t = CountryTable::builtin();
  EXPECT_EQ(t.actor_for_code("RUS"), "RUS");
  EXPECT_EQ(t.actor_for_code("EEC"), "EEC");
  EXPECT_EQ(t.actor_for_code("NOR"), "NOR");  // not in the table: a CAMEO code is our id
  ASSERT_NE(t.actor_for_name("Russian Federation"), nullptr);
  EXPECT_EQ(*t.actor_for_name("russian federation"), "RUS");
  EXPECT_EQ(*t.actor_for_name("Azerbaijan"), "AZE");
  EXPECT_EQ(t.actor_for_name("Atlantis"), nullptr);
}

TEST(CountryTable, RejectsDuplicatesWithTheirLine) {
  try {
    CountryTable::parse("cameo,actor,name,other_names\nRUS,RUS,Russia,\nRUS,RUS,Russia again,\n", "t.csv");
    FAIL() << "a duplicate code was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].line, 3);
    EXPECT_EQ(e.diagnostics().items()[0].field, "cameo");
  }
}

// Every row of our typed table agrees with GDELT's published CAMEO country and group lists.
TEST(CountryTable, AgreesWithTheCameoLists) {
  SPHERE_REQUIRE_SHARED("data/cameo");
  std::map<std::string, std::string> labels;
  for (const char* file : {"CAMEO.country.txt", "CAMEO.knowngroup.txt"}) {
    std::ifstream in(sphere::testing::shared_dir() / "data/cameo" / file);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto tab = line.find('\t');
      if (tab != std::string::npos) labels[line.substr(0, tab)] = line.substr(tab + 1);
    }
  }
  ASSERT_GT(labels.size(), 300u);
  const CountryTable t = CountryTable::builtin();
  ASSERT_GT(t.entries().size(), 40u);
  for (const auto& e : t.entries()) {
    ASSERT_TRUE(labels.count(e.cameo)) << e.cameo;
    EXPECT_EQ(labels[e.cameo], e.name) << e.cameo;
  }
}

// Every sub-actor of the type table is an actor of the built-in model that belongs to its
// country, and every type is one of CAMEO's published actor types.
TEST(TypeTable, NamesSubActorsOfTheBuiltinModelAndCameoTypes) {
  SPHERE_REQUIRE_SHARED("data/cameo");
  std::set<std::string> types;
  std::ifstream in(sphere::testing::shared_dir() / "data/cameo/CAMEO.type.txt");
  std::string line;
  while (std::getline(in, line)) types.insert(line.substr(0, line.find('\t')));
  ASSERT_GT(types.size(), 30u);
  const kb::Model model = kb::load_builtin_model();
  const TypeTable t = TypeTable::builtin();
  ASSERT_FALSE(t.entries().empty());
  for (const auto& e : t.entries()) {
    EXPECT_TRUE(types.count(e.type)) << e.type;
    const kb::Actor* a = model.find_actor(e.actor);
    ASSERT_NE(a, nullptr) << e.actor;
    EXPECT_EQ(a->affiliation, e.country) << e.actor;
    EXPECT_EQ(t.actor_for(e.country, e.type), e.actor);
  }
  EXPECT_EQ(t.actor_for("RUS", "MED"), "RUS_MEDIA");
  EXPECT_EQ(t.actor_for("RUS", "MIL"), "RUS");  // no military sub-actor: the country
  EXPECT_EQ(t.actor_for("ARM", "MED"), "ARM");
  EXPECT_EQ(t.actor_for("RUS", ""), "RUS");
}

TEST(TypeTable, RejectsARepeatedPairWithItsLine) {
  try {
    TypeTable::parse("country,type,actor,note\nRUS,MED,RUS_MEDIA,\nRUS,MED,OTHER,\n", "t.csv");
    FAIL() << "a repeated pair was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].line, 3);
  }
}

}  // namespace
}  // namespace sphere::events

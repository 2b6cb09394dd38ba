// The small validation cases of shared/data/bargaining: loaded with their recorded outcomes,
// every model and baseline run on them, and a missing column named with file, line and field.
#include <fstream>

#include "bargain/bargain.h"
#include "testing.h"

namespace sphere::bargain {
namespace {

std::filesystem::path dir() { return sphere::testing::shared_dir() / "data/bargaining"; }

TEST(Cases, LoadsEveryCaseWithItsRecordedOutcome) {
  SPHERE_REQUIRE_SHARED("data/bargaining/known_outcomes.csv");
  const auto cases = load_cases(dir());
  ASSERT_EQ(cases.size(), 4u);  // emission standards, Iran 2013, two KTAB China cases
  std::map<std::string, const BargainCase*> by_id;
  for (const auto& c : cases) by_id[c.id] = &c;
  ASSERT_TRUE(by_id.contains("iranian_election_2013"));
  EXPECT_DOUBLE_EQ(by_id["iranian_election_2013"]->outcome, 8.0);
  EXPECT_EQ(by_id["iranian_election_2013"]->players.size(), 8u);
  EXPECT_DOUBLE_EQ(by_id["emission_standards_bdm1994"]->outcome, 8.833);
  EXPECT_EQ(by_id["ktab_china_2014_policy"]->players.size(), 26u);
  EXPECT_EQ(by_id["ktab_china_2014_cnpc"]->players.size(), 34u);
  EXPECT_DOUBLE_EQ(by_id["ktab_china_2014_policy"]->outcome, 25.0);
  EXPECT_EQ(by_id["ktab_china_2014_policy"]->status_quo, std::optional(15.0));
  EXPECT_EQ(by_id["ktab_china_2014_cnpc"]->status_quo, std::optional(0.0));
  for (const auto& c : cases) {
    const auto f = forecast_case(c, {});
    ASSERT_EQ(f.size(), 7u);
    for (const auto& m : f)
      if (m.value) {
        EXPECT_GE(*m.value, c.scale_low) << c.id << " " << m.model;
        EXPECT_LE(*m.value, c.scale_high) << c.id << " " << m.model;
      }
  }
  // The Sultan example has inputs but no outcome: run only.
  const auto sultan = load_run_only_cases(dir());
  ASSERT_EQ(sultan.size(), 1u);
  EXPECT_EQ(sultan[0].players.size(), 17u);
}

TEST(Cases, MissingColumnNamesFileLineAndField) {
  sphere::testing::TempDir tmp;
  std::ofstream(tmp.path() / "known_outcomes.csv")
      << "case_id,input_file,outcome_scale,observed_outcome\nx,x.csv,years,8\n";
  std::ofstream(tmp.path() / "x.csv") << "Actor,Capability,Position\nA,1,4\nB,1,6\n";
  try {
    load_cases(tmp.path());
    FAIL() << "loaded a case file without Salience";
  } catch (const InputError& e) {
    const auto& d = e.diagnostics().items().at(0);
    EXPECT_EQ(d.file, (tmp.path() / "x.csv").string());
    EXPECT_EQ(d.line, 1);
    EXPECT_EQ(d.field, "Salience");
  }
}

TEST(Deu, GdpCapabilitiesComeFromTheFilesRow) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  const auto equal = load_deu(dir() / "deu3_dataset_deu_iii.tsv");
  const auto gdp = load_deu(dir() / "deu3_dataset_deu_iii.tsv", DeuCapability::kGdp);
  ASSERT_EQ(gdp.size(), equal.size());
  bool differ = false;
  for (const auto& i : gdp)
    for (const auto& p : i.players) {
      EXPECT_GT(p.capability, 0.0);
      EXPECT_LE(p.capability, 1.0);
      if (p.id == "de") {
        EXPECT_DOUBLE_EQ(p.capability, 1.0);  // the largest GDP row value
      }
      differ |= p.capability != 1.0;
    }
  EXPECT_TRUE(differ);
  const auto scores = score_deu(gdp, {});
  for (const auto& s : scores)
    if (s.model == DeuModel::kConstant50) {
      EXPECT_NEAR(s.all.mae, 27.96, 0.005);
    }
}

}  // namespace
}  // namespace sphere::bargain

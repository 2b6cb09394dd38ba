// Validation on the EC emission-standards case (Bueno de Mesquita 1994; Scholz, Calbert & Smith
// 2011, Tables 1 and 2).
#include <cmath>
#include <fstream>
#include <sstream>

#include "bargain/bargain.h"
#include "testing.h"

namespace sphere::bargain {
namespace {

std::vector<Player> emission_standards() {
  std::ifstream in(sphere::testing::shared_dir() / "data/bargaining/emission_standards_bdm1994.csv");
  std::vector<Player> players;
  std::string line;
  std::getline(in, line);  // Actor,Capability,Position,Salience
  while (std::getline(in, line)) {
    std::istringstream row(line);
    Player p;
    std::string c, x, s;
    std::getline(row, p.id, ',');
    std::getline(row, c, ',');
    std::getline(row, x, ',');
    std::getline(row, s, ',');
    p.capability = std::stod(c);
    p.position = std::stod(x);
    p.salience = std::stod(s);
    players.push_back(p);
  }
  return players;
}

// Scholz et al. print one decimal; their figures are the model's values cut, not rounded, to one
// decimal (9.962 is printed 9.9 and 7.472 as 7.4). docs/MODEL.md explains this.
double printed(double value) { return std::floor(value * 10.0 + 1e-9) / 10.0; }

TEST(EmissionStandards, ScholzTable2MediansRoundByRound) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  const auto players = emission_standards();
  ASSERT_EQ(players.size(), 10u);
  EuOptions options;  // scholz-code probability, Q = 1
  options.rounds = 8;
  EuResult r = expected_utility(players, options);
  EXPECT_EQ(r.initial_median, 7.0);
  EXPECT_NEAR(r.initial_mean, 7.39, 0.005);
  const double table2[] = {8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6};
  ASSERT_EQ(r.rounds.size(), 8u);
  for (int t = 0; t < 8; ++t) {
    SCOPED_TRACE("round " + std::to_string(t + 1));
    if (t == 1) continue;  // the one round that differs, tested below
    EXPECT_NEAR(printed(r.rounds[t].median), table2[t], 1e-9) << r.rounds[t].median;
  }
}

TEST(EmissionStandards, RoundTwoIsBelgiumsFirstCompromise) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  const auto players = emission_standards();
  EuOptions options;
  options.rounds = 3;
  EuResult r = expected_utility(players, options);
  ASSERT_EQ(r.rounds.size(), 3u);
  // Round 2's median is Belgium's position after its compromise toward France and Italy: 9.611
  // in the independent Python replication too (shared/reference/bargaining.md §1.13), where
  // Scholz print 9.9, the value Belgium reaches one round later (9.962).
  const std::size_t belgium = 1;
  ASSERT_EQ(players[belgium].id, "Belgium");
  EXPECT_EQ(r.rounds[1].median, r.rounds[1].positions[belgium]);
  EXPECT_NEAR(r.rounds[1].median, 9.611, 0.0005);
  EXPECT_NEAR(printed(r.rounds[2].median), 9.9, 1e-9);
  bool belgium_compromised = false;
  for (const Move& m : r.rounds[1].moves)
    if (m.actor == belgium && m.offer == Offer::kCompromise &&
        (players[m.proposer].id == "France" || players[m.proposer].id == "Italy"))
      belgium_compromised = true;
  EXPECT_TRUE(belgium_compromised);
}

TEST(EmissionStandards, OnlyBelgiumLuxembourgAndIrelandMove) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  const auto players = emission_standards();
  EuOptions options;
  options.rounds = 10;
  EuResult r = expected_utility(players, options);
  for (const EuRound& round : r.rounds)
    for (const Move& m : round.moves) {
      const std::string& who = players[m.actor].id;
      EXPECT_TRUE(who == "Belgium" || who == "Luxembourg" || who == "Ireland") << who;
    }
  // The weighted mean stays near its start (Scholz: 7.4-7.6 over eight rounds).
  for (const EuRound& round : r.rounds) {
    EXPECT_GT(round.mean, 7.2);
    EXPECT_LT(round.mean, 7.7);
  }
}

}  // namespace
}  // namespace sphere::bargain

// Validation on DEU III: the baselines reproduce the published replication (351 issues), the
// expected-utility runs keep their tie rule and do not depend on the thread count, and the loader
// rejects bad files with file, line and column.
#include <fstream>

#include <nlohmann/json.hpp>

#include "bargain/bargain.h"
#include "testing.h"

namespace sphere::bargain {
namespace {

std::filesystem::path deu_file() {
  return sphere::testing::shared_dir() / "data/bargaining/deu3_dataset_deu_iii.tsv";
}

const DeuScore& score_of(const std::vector<DeuScore>& scores, DeuModel m) {
  for (const auto& s : scores)
    if (s.model == m) return s;
  throw std::logic_error("model not scored");
}

TEST(Deu, LoadsTheScoreableIssues) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  const auto issues = load_deu(deu_file());
  EXPECT_EQ(issues.size(), 351u);
  int cod = 0, cns = 0;
  for (const auto& i : issues) {
    cod += i.procedure == "COD";
    cns += i.procedure == "CNS";
    EXPECT_GE(i.players.size(), 3u);
    for (const auto& p : i.players) {
      EXPECT_GE(p.salience, 0.0);
      EXPECT_LE(p.salience, 1.0);
    }
  }
  EXPECT_EQ(cod, 205);
  EXPECT_EQ(cns, 146);
}

TEST(Deu, BaselinesReproduceThePublishedReplication) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  const auto issues = load_deu(deu_file());
  EuOptions eu;
  eu.rounds = 1;  // the EU models are not what this test is about
  const auto scores = score_deu(issues, eu);
  const DeuScore& cm = score_of(scores, DeuModel::kCompromise);
  EXPECT_EQ(cm.all.n, 351);
  EXPECT_NEAR(cm.all.mae, 23.64, 0.005);
  EXPECT_NEAR(cm.all.rmse, 30.31, 0.005);
  EXPECT_NEAR(cm.all.median_ae, 18.46, 0.005);
  EXPECT_NEAR(cm.cod.mae, 23.05, 0.005);
  EXPECT_NEAR(cm.cns.mae, 24.47, 0.005);
  EXPECT_NEAR(score_of(scores, DeuModel::kUnweightedMean).all.mae, 23.63, 0.005);
  EXPECT_NEAR(score_of(scores, DeuModel::kMedian).all.mae, 28.37, 0.005);
  EXPECT_NEAR(score_of(scores, DeuModel::kWeightedMedian).all.mae, 28.31, 0.005);
  // 99 of the 351 issues have no reference point, so Nash is scored on the other 252.
  EXPECT_EQ(score_of(scores, DeuModel::kNash).all.n, 252);
}

TEST(Deu, ExpectedUtilityForecastsStayOnTheScale) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  const auto issues = load_deu(deu_file());
  EuOptions eu;
  eu.tolerance = 0.005;
  for (DeuModel m : {DeuModel::kEuPrinted, DeuModel::kEuScholzCode})
    for (const auto& issue : issues) {
      auto f = forecast(m, issue, eu);
      ASSERT_TRUE(f);
      EXPECT_GE(*f, 0.0);
      EXPECT_LE(*f, 100.0);
    }
}

TEST(Deu, TiedProposersResolveToTheFirstInInputOrder) {
  // Many DEU actors share a position and a salience, so they make the same offer; the actor
  // that accepts it must record the first of them (docs/MODEL.md).
  SPHERE_REQUIRE_SHARED("data/bargaining");
  int moves = 0;
  for (const auto& issue : load_deu(deu_file()))
    for (auto rule : {ProbabilityRule::kPrinted, ProbabilityRule::kScholzCode}) {
      EuOptions eu;
      eu.probability = rule;
      const EuResult r = expected_utility(issue.players, eu);
      std::vector<double> x;
      for (const Player& p : issue.players) x.push_back(p.position);
      for (const EuRound& round : r.rounds) {
        for (const Move& m : round.moves) {
          ++moves;
          for (std::size_t k = 0; k < m.proposer; ++k)
            EXPECT_FALSE(k != m.actor && x[k] == x[m.proposer] &&
                         issue.players[k].salience == issue.players[m.proposer].salience)
                << issue.id << " round " << round.round << ": actor " << m.actor
                << " took proposer " << m.proposer << "'s offer, but " << k << " made it first";
        }
        x = round.positions;
      }
    }
  EXPECT_GT(moves, 1000);
}

TEST(Deu, ForecastsDoNotDependOnTheThreadCount) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  auto forecasts = [](int threads) {
    const auto r = sphere::testing::run_sphere("bargain validate --deu '" + deu_file().string() +
                                               "' --forecasts --threads " +
                                               std::to_string(threads));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const auto one = forecasts(1), three = forecasts(3);
  EXPECT_EQ(one["threads"], 1);
  EXPECT_EQ(three["threads"], 3);
  ASSERT_EQ(one["issues"].size(), 351u);
  EXPECT_EQ(one["issues"], three["issues"]);  // every forecast, to the bit
}

TEST(Deu, BadFileNamesLineAndColumn) {
  sphere::testing::TempDir dir;
  const auto path = dir.path() / "deu.tsv";
  std::ofstream(path) << "\"isnr\"\t\"proc\"\t\"rp\"\t\"out\"\t\"pcom\"\t\"scom\"\t\"pfr\"\t\"sfr\"\n"
                      << "\"x1\"\t\"COD\"\t\t50\t10\t50\t150\t40\n";
  try {
    load_deu(path);
    FAIL() << "loaded a position of 150";
  } catch (const InputError& e) {
    ASSERT_FALSE(e.diagnostics().empty());
    bool found = false;
    for (const auto& d : e.diagnostics().items())
      found |= d.file == path.string() && d.line == 2 && d.field == "pfr";
    EXPECT_TRUE(found) << e.diagnostics().to_string();
  }
}

}  // namespace
}  // namespace sphere::bargain

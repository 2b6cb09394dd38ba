// `sphere bargain` and `sphere bargain validate` from the command line.
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "kb/kb.h"
#include "testing.h"

namespace {

using sphere::testing::fixtures;
using sphere::testing::run_sphere;
using sphere::testing::TempDir;

// The mini model with an issues.toml (a valid one, or a bad-input fixture's).
std::filesystem::path mini_with_issues(const TempDir& dir, const std::filesystem::path& issues) {
  const auto model = dir.path() / "model";
  std::filesystem::copy(fixtures() / "mini", model);
  std::filesystem::copy_file(issues, model / "issues.toml");
  return model;
}

TEST(BargainCli, HelpAndUsageErrors) {
  EXPECT_EQ(run_sphere("bargain --help").exit_code, 0);
  EXPECT_EQ(run_sphere("bargain validate --help").exit_code, 0);
  EXPECT_EQ(run_sphere("bargain --method median").exit_code, 1);
  EXPECT_EQ(run_sphere("bargain --issue no-such-issue").exit_code, 2);  // not in the model
  EXPECT_EQ(run_sphere("bargain validate").exit_code, 1);  // --deu or --cases is required
}

TEST(BargainCli, EveryBuiltInIssueGetsAForecast) {
  const sphere::kb::Model model = sphere::kb::load_builtin_model();
  ASSERT_GE(model.issues.size(), 6u);
  ASSERT_LE(model.issues.size(), 8u);
  auto r = run_sphere("bargain --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["issues"].size(), model.issues.size());
  for (std::size_t k = 0; k < model.issues.size(); ++k) {
    const auto& issue = j["issues"][k];
    EXPECT_EQ(issue["id"], model.issues[k].id);
    for (double v : {issue["compromise"].get<double>(), issue["nbs"]["outcome"].get<double>(),
                     issue["eu"]["forecast"].get<double>()}) {
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 100.0);
    }
  }
}

TEST(BargainCli, ExpectedUtilityShowsEveryRoundAndWhoChallengedWhom) {
  const sphere::kb::Model model = sphere::kb::load_builtin_model();
  const std::string id = model.issues.front().id;
  auto r = run_sphere("bargain --issue " + id + " --method eu --rounds 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["issues"].size(), 1u);
  const auto& eu = j["issues"][0]["eu"];
  EXPECT_FALSE(j["issues"][0].contains("compromise"));
  ASSERT_EQ(eu["rounds"].size(), 4u);
  EXPECT_EQ(eu["forecast"], eu["rounds"][3]["median"]);
  for (const auto& round : eu["rounds"]) {
    EXPECT_EQ(round["positions"].size(), model.issues.front().positions.size());
    for (const auto& m : round["moves"]) {
      EXPECT_NE(m["actor"], m["proposer"]);
      EXPECT_EQ(round["positions"][m["actor"].get<std::string>()], m["to"]);
    }
  }
  auto text = run_sphere("bargain --issue " + id + " --method eu --rounds 4");
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("Who challenged whom"), std::string::npos);
  EXPECT_NE(text.out.find(model.issues.front().title), std::string::npos);
}

TEST(BargainCli, IssueQuotesAreCheckedAgainstTheSources) {
  TempDir dir;
  auto model = mini_with_issues(dir, fixtures() / "issues/issues.toml");
  const std::string args = "check --json --model '" + model.string() + "' --sources '" +
                           (fixtures() / "texts").string() + "'";
  auto ok = run_sphere(args);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["quotes_checked"], 7 + 2);  // mini's 7, two in issues
  std::string text = sphere::testing::read_file(model / "issues.toml");
  text.replace(text.find("Moscow said it wants to talk."), 29, "Moscow said it wants to fight.");
  std::ofstream(model / "issues.toml") << text;
  auto bad = run_sphere(args);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("issues.toml:11"), std::string::npos) << bad.err;
}

TEST(BargainCli, BadIssuesExitWithFileLineAndField) {
  for (const char* name : {"issue-off-scale", "issue-salience", "issue-no-influence",
                           "issue-empty", "issue-range-reversed",
                           "issue-influence-outside-range", "issue-quote-without-range"}) {
    SCOPED_TRACE(name);
    TempDir dir;
    auto model = mini_with_issues(dir, fixtures() / "bad" / name / "issues.toml");
    std::istringstream expect(sphere::testing::read_file(fixtures() / "bad" / name / "expect"));
    std::string file, field;
    int line = 0;
    expect >> file >> line >> field;
    auto r = run_sphere("bargain --model '" + model.string() + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("issues.toml:" + std::to_string(line) + ": field '" + field + "'"),
              std::string::npos)
        << r.err;
  }
}

TEST(BargainCli, ValidateReportsOurFiguresBesideThePublishedOnes) {
  SPHERE_REQUIRE_SHARED("data/bargaining");
  const auto deu = sphere::testing::shared_dir() / "data/bargaining/deu3_dataset_deu_iii.tsv";
  auto r = run_sphere("bargain validate --json --rounds 2 --capability equal --deu '" +
                      deu.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["issues"], 351);
  bool compromise = false;
  for (const auto& m : j["models"]) {
    EXPECT_EQ(m["all"]["n"].get<int>(), m["cod"]["n"].get<int>() + m["cns"]["n"].get<int>());
    if (m["model"] == "compromise") {
      compromise = true;
      EXPECT_EQ(m["reference_mae"], "23.64");
      EXPECT_NEAR(m["all"]["mae"].get<double>(), 23.64, 0.005);
    }
  }
  EXPECT_TRUE(compromise);
  // The default: the capabilities the data set gives (its GDP row), beside the baselines.
  auto gdp = nlohmann::json::parse(
      run_sphere("bargain validate --json --rounds 2 --deu '" + deu.string() + "'").out);
  std::map<std::string, double> mae;
  for (const auto& m : gdp["models"]) mae[m["model"]] = m["all"]["mae"].get<double>();
  EXPECT_NEAR(mae["compromise"], 23.21, 0.005);  // GDP x salience-weighted mean (data README)
  EXPECT_NEAR(mae["constant_50"], 27.96, 0.005);
  EXPECT_TRUE(mae.contains("status_quo"));
  EXPECT_TRUE(mae.contains("eu_outcome_set"));
  auto table = run_sphere("bargain validate --rounds 2 --deu '" + deu.string() + "'");
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("reference MAE"), std::string::npos);
  EXPECT_NE(table.out.find("always 50"), std::string::npos);
}

TEST(BargainCli, ValidateScoresTheSmallCases) {
  SPHERE_REQUIRE_SHARED("data/bargaining/known_outcomes.csv");
  const auto dir = sphere::testing::shared_dir() / "data/bargaining";
  auto r = run_sphere("bargain validate --cases '" + dir.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* id : {"emission_standards_bdm1994", "iranian_election_2013",
                         "ktab_china_2014_policy", "ktab_china_2014_cnpc", "sultan_bdm1997"})
    EXPECT_NE(r.out.find(id), std::string::npos) << id;
  EXPECT_NE(r.out.find("baseline: middle of the scale"), std::string::npos);
}

TEST(BargainCli, DistributionsAreReproducibleAndOrdered) {
  auto run = [](const std::string& seed) {
    auto r = run_sphere("bargain --json --draws 300 --seed " + seed);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const auto a = run("5"), b = run("5");
  EXPECT_EQ(a, b);
  for (const auto& issue : a["issues"]) {
    SCOPED_TRACE(issue["id"].get<std::string>());
    const auto& d = issue["distribution"];
    EXPECT_EQ(d["draws"], 300);
    for (const char* m : {"compromise", "nbs", "eu"}) {
      EXPECT_LE(d[m]["p05"].get<double>(), d[m]["median"].get<double>());
      EXPECT_LE(d[m]["median"].get<double>(), d[m]["p95"].get<double>());
      EXPECT_FALSE(d[m]["effects"].empty());
    }
    // The outcome set is what the expected-utility model alternates between; its mean does not
    // depend on the round count's parity.
    EXPECT_FALSE(issue["eu"]["outcome_set"].empty());
    if (!issue["nbs"]["agreement"].get<bool>()) {
      EXPECT_NE(issue["nbs"]["why"].get<std::string>().find("status quo stands"), std::string::npos);
    }
  }
}

TEST(BargainCli, ValidateRejectsABadFile) {
  TempDir dir;
  const auto path = dir.path() / "deu.tsv";
  std::ofstream(path) << "isnr\tproc\trp\tout\tpcom\tscom\n"
                      << "x1\tCOD\t\t50\t10\t140\n";
  auto r = run_sphere("bargain validate --deu '" + path.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path.string() + ":2: field 'scom'"), std::string::npos) << r.err;
}

}  // namespace

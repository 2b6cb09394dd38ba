// The sphere binary as a user runs it: exit codes, messages, and machine-readable output.
#include <algorithm>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing.h"

namespace sphere {
namespace {

using sphere::testing::fixtures;
using sphere::testing::run_sphere;

std::string mini() { return "--model '" + (fixtures() / "mini").string() + "'"; }

TEST(Cli, HelpAndUsageErrors) {
  EXPECT_EQ(run_sphere("--help").exit_code, 0);
  EXPECT_EQ(run_sphere("timeline --help").exit_code, 0);
  EXPECT_EQ(run_sphere("").exit_code, 1);
  EXPECT_EQ(run_sphere("no-such-command").exit_code, 1);
  EXPECT_EQ(run_sphere("timeline --from 2024-13").exit_code, 1);
  EXPECT_EQ(run_sphere("timeline --model /no/such/dir").exit_code, 1);
}

// One exit code per kind of error, whatever the command (README, "Exit codes").
TEST(Cli, OneExitCodePerKindOfError) {
  EXPECT_EQ(run_sphere("network --cutt scp-east").exit_code, 1);   // usage
  EXPECT_EQ(run_sphere("network --cut scp-eats").exit_code, 2);    // invalid input
  EXPECT_EQ(run_sphere("leverage --actor Atlantis").exit_code, 2);
  EXPECT_EQ(run_sphere("facts --actor Atlantis").exit_code, 2);
  sphere::testing::TempDir dir;
  const auto part = dir.path() / "part.json";
  EXPECT_EQ(run_sphere("merge '" + part.string() + "'").exit_code, 3);  // cannot read
  std::ofstream(part) << R"({"format": "sphere-partial/1", "checksum": "0", "data": {}})";
  const auto damaged = run_sphere("merge '" + part.string() + "'");
  EXPECT_EQ(damaged.exit_code, 4) << damaged.err;  // a damaged file of Sphere's own
  EXPECT_NE(damaged.err.find("checksum"), std::string::npos) << damaged.err;
  // A usage error found by the service (a request field of the wrong kind) is still exit 1, and
  // names the flag.
  const auto shard = run_sphere("forecast --runs 10 --shard 3/2");
  EXPECT_EQ(shard.exit_code, 1) << shard.err;
  EXPECT_NE(shard.err.find("--shard"), std::string::npos) << shard.err;
  const auto model = dir.path() / "mini";
  std::filesystem::copy(sphere::testing::fixtures() / "mini", model);
  std::ofstream(dir.path() / "rows.tsv") << "";
  const auto text_source = run_sphere("events import '" + (dir.path() / "rows.tsv").string() +
                                      "' --into-model '" + model.string() + "' --source-id S0");
  EXPECT_EQ(text_source.exit_code, 1) << text_source.err;
  EXPECT_NE(text_source.err.find("usage error"), std::string::npos) << text_source.err;
  EXPECT_NE(text_source.err.find("--source-id: 'S0' is a text source"), std::string::npos)
      << text_source.err;
}

TEST(Cli, MistypedCommandsAndOptionsAreAnsweredWithTheClosestName) {
  auto r = run_sphere("forcast --runs 10");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'forcast': did you mean 'forecast'?"), std::string::npos) << r.err;
  r = run_sphere("network --cutt scp-east");
  EXPECT_NE(r.err.find("'--cutt': did you mean '--cut'?"), std::string::npos) << r.err;
  r = run_sphere("leverage --channel enrgy");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--channel: 'enrgy' is not a channel"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'energy'?"), std::string::npos) << r.err;
  r = run_sphere("bargain --issue zangezur-corridr");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--issue: no issue 'zangezur-corridr'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'zangezur-corridor'?"), std::string::npos) << r.err;
}

TEST(Cli, CheckValidatesAModelAndItsQuotes) {
  auto r = run_sphere("check " + mini() + " --sources '" + (fixtures() / "texts").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("quotes: 7 checked, 0 not found"), std::string::npos) << r.out;
}

// A copied model with its source texts elsewhere: its citations of shared/ files are checked once
// told where shared/ is (--data-root), and without it one problem says so, not one per citation.
TEST(Cli, CheckFindsCitedSharedFilesThroughTheDataRoot) {
  SPHERE_REQUIRE_SHARED("seeds");
  SPHERE_REQUIRE_SHARED("reference");
  sphere::testing::TempDir dir;
  const auto model = dir.path() / "model", texts = dir.path() / "texts";
  std::filesystem::copy(sphere::testing::source_dir() / "data" / "caucasus", model);
  std::filesystem::copy(sphere::testing::shared_dir() / "seeds", texts);
  const std::string base = "check --model '" + model.string() + "' --sources '" + texts.string() + "'";
  const auto lost = run_sphere(base);
  EXPECT_EQ(lost.exit_code, 2);
  EXPECT_NE(lost.err.find("cited files under shared/ cannot be checked"), std::string::npos) << lost.err;
  EXPECT_EQ(std::count(lost.err.begin(), lost.err.end(), '\n'), 1) << lost.err;
  const auto found = run_sphere(base + " --data-root '" + sphere::testing::shared_dir().string() + "'");
  EXPECT_EQ(found.exit_code, 0) << found.err;
  // A data root without the cited folders names the first one missing.
  const auto empty = run_sphere(base + " --data-root '" + dir.path().string() + "'");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("the folder " + (dir.path() / "reference").string() + " is missing"),
            std::string::npos)
      << empty.err;
  // Without --sources, --data-root only says where the model's panels are: nothing to check.
  EXPECT_EQ(run_sphere("check --data-root '" + dir.path().string() + "'").exit_code, 0);
}

// A copied model finds its declared observation panel under --data-root (the panel's path in
// observations.toml runs through shared/), and without it says which folder is missing.
TEST(Cli, ACopiedModelFindsItsPanelThroughTheDataRoot) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  sphere::testing::TempDir dir;
  const auto model = dir.path() / "model";
  std::filesystem::copy(sphere::testing::source_dir() / "data" / "caucasus", model);
  const std::string base = "scenarios --model '" + model.string() +
                           "' --runs 200 --draws 2 --horizon 2026-12 --no-attribution --json";
  const auto lost = run_sphere(base);
  EXPECT_EQ(lost.exit_code, 2);
  EXPECT_NE(lost.err.find("--data-root: give the folder"), std::string::npos) << lost.err;
  EXPECT_NE(lost.err.find("does not exist"), std::string::npos) << lost.err;
  const auto found = run_sphere(base + " --data-root '" + sphere::testing::shared_dir().string() + "'");
  ASSERT_EQ(found.exit_code, 0) << found.err;
  // The same numbers as the built-in model's from its own place.
  EXPECT_EQ(found.out, run_sphere("scenarios --runs 200 --draws 2 --horizon 2026-12 --no-attribution --json").out);
}

TEST(Cli, InvalidModelExitsTwoNamingFileLineAndField) {
  auto r = run_sphere("check --model '" + (fixtures() / "bad/unknown-actor").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  // The case folder alone lacks the other files: each is reported, none half-loaded.
  EXPECT_NE(r.err.find("model.toml: file not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("events.csv:3: field 'actor2'"), std::string::npos) << r.err;
}

TEST(Cli, TimelineFiltersByActorAndDateAndPrintsJson) {
  auto r = run_sphere("timeline " + mini() + " --actor Baku --from 2024-07 --to 2024-12 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["id"], "raid");
  EXPECT_EQ(j[0]["sources"].size(), 2u);
  EXPECT_EQ(j[0]["conflicts"][0], "arrest-count");
  // A year-only event counts for every month of its year.
  auto y = nlohmann::json::parse(run_sphere("timeline " + mini() + " --from 2025-06 --json").out);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0]["id"], "talks");
  auto csv = run_sphere("timeline " + mini() + " --csv");
  EXPECT_NE(csv.out.find("\"Baku raids a news office, arrests staff\""), std::string::npos);
  // A name the model does not have is invalid input (2), as in every command.
  EXPECT_EQ(run_sphere("timeline " + mini() + " --actor Atlantis").exit_code, 2);
  // Free text matches summaries and quotes, whatever the case.
  auto t = nlohmann::json::parse(run_sphere("timeline TALK " + mini() + " --json").out);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0]["id"], "talks");
}

TEST(Cli, FactsSearchAndConflicts) {
  auto r = run_sphere("facts arrested " + mini() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.size(), 2u);
  auto c = run_sphere("facts --conflicts " + mini());
  EXPECT_NE(c.out.find("Eight people were arrested."), std::string::npos);
  EXPECT_NE(c.out.find("About a dozen were arrested."), std::string::npos);
}

TEST(Cli, RunSummarisesTheBuiltinModel) {
  auto r = run_sphere("run --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model"], "builtin:caucasus");
  EXPECT_GE(j["counts"]["events"].get<int>(), 70);
  EXPECT_FALSE(j["most_active_dyads"].empty());
  auto text = run_sphere("run");
  EXPECT_NE(text.out.find("Most active dyads"), std::string::npos);
}

TEST(Cli, ActorsAndSourcesListTheBuiltinModel) {
  auto actors = nlohmann::json::parse(run_sphere("actors --json").out);
  EXPECT_GE(actors.size(), 60u);
  auto sources = nlohmann::json::parse(run_sphere("sources --json").out);
  ASSERT_EQ(sources.size(), 6u);  // S0-S4 and the GDELT panel
  EXPECT_EQ(sources[0]["id"], "S0");
}

}  // namespace
}  // namespace sphere

namespace {

std::vector<std::string> timeline_ids(const std::string& args) {
  auto r = sphere::testing::run_sphere("timeline " + args + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> ids;
  for (const auto& e : nlohmann::json::parse(r.out)) ids.push_back(e["id"]);
  return ids;
}

bool has(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

TEST(Timeline, AnActorIncludesItsAffiliatesUnlessOnly) {
  const auto all = timeline_ids("--actor AZE --from 2024");
  EXPECT_TRUE(has(all, "azal-downing")) << "RUS → AZAL (affiliated to AZE)";
  EXPECT_TRUE(has(all, "yekaterinburg-detentions-s2")) << "RUS → AZE_DIASPORA_RUS (counted as AZE)";
  EXPECT_TRUE(has(all, "aliyev-demands-equal-dialogue")) << "ALIYEV_I → PUTIN";
  const auto only = timeline_ids("--actor AZE --only --from 2024");
  EXPECT_FALSE(has(only, "azal-downing"));
  EXPECT_TRUE(has(only, "aze-distances-from-russia"));
  EXPECT_LT(only.size(), all.size());
}

TEST(Timeline, EventsDatedOnlyToAYearComeAfterThoseDatedWithinIt) {
  const auto ids = timeline_ids("--from 2025 --to 2025");
  const auto at = [&](const std::string& id) { return std::find(ids.begin(), ids.end(), id) - ids.begin(); };
  ASSERT_TRUE(has(ids, "aze-distances-from-russia") && has(ids, "custody-deaths-s2-s4"));
  EXPECT_GT(at("aze-distances-from-russia"), at("custody-deaths-s2-s4"));
  EXPECT_GT(at("russia-arrests-ethnic-group-s4"), at("yekaterinburg-detentions-s2"));
}

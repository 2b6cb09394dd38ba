// `sphere network` and `sphere leverage` from the command line: what-ifs, contingency, N-1,
// leverage cells, and bad arguments.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "testing.h"

namespace {

using sphere::testing::run_sphere;

std::int64_t eu_delivery(const nlohmann::json& outcome) {
  for (const auto& d : outcome["destinations"])
    if (d["node"] == "eu") return d["delivered"].get<std::int64_t>();
  return -1;
}

TEST(NetworkCli, CutReportsBeforeAndAfter) {
  auto r = run_sphere("network --year 2025 --carrier gas --cut tap --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_LT(eu_delivery(j["after"]), eu_delivery(j["before"]));
  EXPECT_EQ(j["cut"][0], "tap");
  bool eu_loses = false;
  for (const auto& c : j["changes_by_country"])
    if (c["country"] == "EEC") eu_loses = c["delivered"].get<int>() < 0;
  EXPECT_TRUE(eu_loses);
}

TEST(NetworkCli, OpeningTheRashtAstaraGapCarriesFreightOnlyAfterItOpens) {
  auto open = run_sphere("network --carrier freight --year 2028 --cut instc-east --cut instc-caspian "
                         "--open rasht-astara@2028-01 --json");
  ASSERT_EQ(open.exit_code, 0) << open.err;
  auto shut = run_sphere("network --carrier freight --year 2028 --cut instc-east --cut instc-caspian --json");
  ASSERT_EQ(shut.exit_code, 0) << shut.err;
  auto a = nlohmann::json::parse(open.out)["after"]["delivered"].get<std::int64_t>();
  auto b = nlohmann::json::parse(shut.out)["after"]["delivered"].get<std::int64_t>();
  EXPECT_GT(a, b);
  // An opening after the year shown would change nothing: refused, saying which year would do.
  auto late = run_sphere("network --carrier freight --year 2027 --cut instc-east --cut instc-caspian "
                         "--open rasht-astara@2028-01 --json");
  EXPECT_EQ(late.exit_code, 2);
  EXPECT_NE(late.err.find("--open: rasht-astara opens 2028-01"), std::string::npos) << late.err;
  EXPECT_NE(late.err.find("set the year to 2028 or later"), std::string::npos) << late.err;
}

TEST(NetworkCli, ALinkOfAnotherCarrierIsRefusedNamingTheCarrier) {
  for (const char* args : {"network --cut btc", "network --carrier oil --open rasht-astara@2025-01"}) {
    auto r = run_sphere(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.err.find("set the carrier to "), std::string::npos) << r.err;
  }
  auto ok = run_sphere("network --carrier oil --cut btc --json");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_LT(nlohmann::json::parse(ok.out)["after"]["delivered"].get<std::int64_t>(),
            nlohmann::json::parse(ok.out)["before"]["delivered"].get<std::int64_t>());
}

TEST(NetworkCli, WhatIfsShowReroutingAndSayWhyNothingChanges) {
  // With the Caspian and eastern branches closed, opening Rasht-Astara moves freight onto the
  // western branch: the re-routed links are listed before and after.
  auto r = run_sphere("network --carrier freight --year 2028 --cut instc-caspian --cut instc-east "
                      "--open rasht-astara@2028-01 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool rasht = false;
  for (const auto& m : j["rerouted"])
    if (m["link"] == "rasht-astara") rasht = m["after"].get<std::int64_t>() > 0 && m["before"] == 0;
  EXPECT_TRUE(rasht) << j["rerouted"].dump();
  auto text = run_sphere("network --carrier freight --year 2028 --cut instc-caspian --cut instc-east "
                         "--open rasht-astara@2028-01");
  EXPECT_NE(text.out.find("Flows per link, before and after"), std::string::npos) << text.out;
  // A cut of a link that carries nothing says so.
  auto idle = run_sphere("network --carrier gas --year 2025 --cut igdir-nakhchivan --json");
  ASSERT_EQ(idle.exit_code, 0) << idle.err;
  const auto k = nlohmann::json::parse(idle.out);
  ASSERT_EQ(k["no_effect"].size(), 1u) << k.dump();
  EXPECT_NE(k["no_effect"][0].get<std::string>().find("igdir-nakhchivan"), std::string::npos);
}

TEST(NetworkCli, WhatIfNamingNothingExitsTwoAndNamesTheArgument) {
  auto r = run_sphere("network --cut no-such-pipe");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--cut: unknown link 'no-such-pipe'"), std::string::npos) << r.err;
  // A mistyped id is answered with the closest one.
  r = run_sphere("network --cut scp-eats");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--cut: unknown link 'scp-eats'; did you mean 'scp-east'?"), std::string::npos)
      << r.err;
  r = run_sphere("network --block-country XXX");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--block-country"), std::string::npos) << r.err;
  r = run_sphere("network --open tap");  // no date
  EXPECT_EQ(r.exit_code, 1);
}

TEST(NetworkCli, ContingencyRanksAndIgnoresThreadCount) {
  auto one = run_sphere("network contingency --k 2 --threads 1 --top 10 --json");
  auto two = run_sphere("network contingency --k 2 --threads 2 --top 10 --json");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  auto a = nlohmann::json::parse(one.out), b = nlohmann::json::parse(two.out);
  EXPECT_EQ(a["worst"], b["worst"]);
  ASSERT_FALSE(a["worst"].empty());
  for (std::size_t i = 1; i < a["worst"].size(); ++i)
    EXPECT_GE(a["worst"][i - 1]["lost"].get<int>(), a["worst"][i]["lost"].get<int>());
  const auto n = a["elements"].get<std::uint64_t>();
  EXPECT_EQ(a["scenarios"].get<std::uint64_t>(), n * (n - 1) / 2);
}

TEST(NetworkCli, ContingencyOnADimacsFile) {
  sphere::testing::TempDir dir;
  const auto file = dir.path() / "g.max";
  std::ofstream(file) << "p max 4 4\nn 1 s\nn 4 t\na 1 2 3\na 2 4 3\na 1 3 2\na 3 4 2\n";
  auto r = run_sphere("network contingency --k 1 --json --dimacs '" + file.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["base"], 5);
  EXPECT_EQ(j["worst"][0]["lost"], 3);  // either arc of the 3-unit path
  std::ofstream(file) << "p max 4 1\nn 1 s\na 1 2 3\n";
  EXPECT_EQ(run_sphere("network contingency --dimacs '" + file.string() + "'").exit_code, 2);
}

TEST(NetworkCli, N1ForGeorgia) {
  auto r = run_sphere("network n1 --area GEO --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["Dmax"].get<int>(), 0);
  const double terms = j["EPm"].get<double>() + j["Pm"].get<double>() + j["Sm"].get<double>() +
                       j["LNGm"].get<double>() - j["Im"].get<double>();
  EXPECT_NEAR(j["n1_percent"].get<double>(), 100.0 * terms / j["Dmax"].get<double>(), 1e-9);
  EXPECT_LE(j["network_n1_percent"].get<double>(), 100.0);  // capped at Dmax
  EXPECT_LE(j["reachable_n1"].get<int>(), j["reachable"].get<int>());
  EXPECT_EQ(run_sphere("network n1 --area XYZ").exit_code, 2);
}

TEST(NetworkCli, BadInfrastructureFileExitsTwoWithFileAndLine) {
  sphere::testing::TempDir dir;
  const auto model = dir.path() / "model";
  std::filesystem::copy(sphere::testing::fixtures() / "mini", model);
  std::filesystem::copy_file(
      sphere::testing::fixtures() / "bad" / "infra-negative-capacity" / "infrastructure.toml",
      model / "infrastructure.toml");
  auto r = run_sphere("network --model '" + model.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("infrastructure.toml:20: field 'capacity'"), std::string::npos) << r.err;
}

TEST(LeverageCli, MatrixAndTheFactsBehindACell) {
  auto r = run_sphere("leverage --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_FALSE(j["cells"].empty());
  for (const auto& c : j["cells"])
    for (const auto& e : c["evidence"])
      EXPECT_TRUE(e.contains("source") || e.contains("computed")) << c["tie"];
  auto cell = run_sphere("leverage --cell aze-eu-gas-2024");
  ASSERT_EQ(cell.exit_code, 0) << cell.err;
  EXPECT_NE(cell.out.find("S0"), std::string::npos);  // the 7 per cent comes from S0
  EXPECT_NE(cell.out.find("computed"), std::string::npos);
  EXPECT_EQ(run_sphere("leverage --channel weather").exit_code, 2);
  EXPECT_EQ(run_sphere("leverage --cell nothing-here").exit_code, 2);
}

}  // namespace

// The built-in South Caucasus model: it loads, it is complete enough, its codebook matches the
// published CAMEO tables, and every quote is found verbatim in its source document.
#include <map>
#include <set>
#include <sstream>

#include "kb/kb.h"
#include "testing.h"

namespace sphere::kb {
namespace {

using sphere::testing::read_file;
using sphere::testing::shared_dir;

TEST(Builtin, LoadsAndMeetsTheCoverageTargets) {
  Model m = load_builtin_model();
  // Five texts (S0-S4) and the observation panel the dynamics are estimated on.
  ASSERT_EQ(m.sources.size(), 6u);
  EXPECT_EQ(m.sources[5].kind, "data");
  EXPECT_GE(m.actors.size(), 60u);
  EXPECT_GE(m.events.size(), 70u);
  EXPECT_GE(m.facts.size(), 45u);
  EXPECT_GE(m.conflicts.size(), 15u);
  EXPECT_EQ(m.events.front().date.year, 1920);
  EXPECT_EQ(m.events.back().date.year, 2025);
}

TEST(Builtin, StateIdsFollowCameo) {
  Model m = load_builtin_model();
  for (const char* id : {"RUS", "AZE", "ARM", "TUR", "IRN", "ISR", "GEO", "USA", "CHN", "EEC"}) {
    const Actor* a = m.find_actor(id);
    ASSERT_NE(a, nullptr) << id;
  }
  EXPECT_EQ(m.find_actor("EEC")->kind, "bloc");
  EXPECT_EQ(m.find_actor("RUS")->kind, "state");
}

TEST(Builtin, KeepsTheKnownDisagreementsSideBySide) {
  Model m = load_builtin_model();
  // S0 dates the deaths in Russian custody to 2024, S2 to late June 2025.
  bool custody = false;
  for (const Conflict& c : m.conflicts) {
    std::set<std::string> sides;
    for (const Claim& cl : c.claims) sides.insert(cl.quote.source);
    if (sides.contains("S0") && sides.contains("S2")) {
      for (const Claim& cl : c.claims)
        if (cl.quote.source == "S0" && cl.quote.text.find("2024") != std::string::npos)
          custody = true;
    }
  }
  EXPECT_TRUE(custody);
}

// Reads a two-column tab-separated GDELT lookup table into code -> value.
std::map<std::string, std::string> read_lookup(const std::filesystem::path& path) {
  std::map<std::string, std::string> table;
  std::istringstream lines(read_file(path));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string value = line.substr(tab + 1);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    table[line.substr(0, tab)] = value;
  }
  return table;
}

TEST(Codebook, MatchesThePublishedCameoTables) {
  SPHERE_REQUIRE_SHARED("data/cameo");
  Codebook book = builtin_codebook();
  auto names = read_lookup(shared_dir() / "data/cameo/CAMEO.eventcodes.txt");
  auto scale = read_lookup(shared_dir() / "data/cameo/CAMEO.goldsteinscale.txt");
  ASSERT_EQ(names.size(), 311u);
  EXPECT_EQ(book.entries().size(), names.size());
  for (const auto& [code, value] : scale) {
    const CodebookEntry* e = book.find(code);
    ASSERT_NE(e, nullptr) << code;
    EXPECT_DOUBLE_EQ(e->goldstein, std::stod(value)) << code;
  }
  // Descriptions equal the published ones except the known glitches, which ours correct.
  int differences = 0;
  for (const auto& [code, name] : names) {
    if (book.find(code)->description != name) {
      ++differences;
      EXPECT_TRUE(code == "044" || code == "033") << code << ": " << book.find(code)->description;
    }
  }
  EXPECT_EQ(differences, 2);
  // GDELT's 2014 file lost code 106 in a glued line; ours has it, with the scale's value.
  ASSERT_NE(book.find("106"), nullptr);
  EXPECT_DOUBLE_EQ(book.find("106")->goldstein, -5.0);
  auto published = read_lookup(shared_dir() / "data/cameo/gdelt-published-2014/CAMEO.goldsteinscale.txt");
  EXPECT_EQ(published.size(), 310u);
  for (const auto& [code, value] : published)
    EXPECT_DOUBLE_EQ(book.find(code)->goldstein, std::stod(value)) << code;
}

TEST(Builtin, EveryQuoteAppearsVerbatimInItsSource) {
  SPHERE_REQUIRE_SHARED("seeds");
  Model m = load_builtin_model();
  QuoteReport report = check_quotes(m, shared_dir() / "seeds");
  EXPECT_GT(report.checked, 150);
  EXPECT_TRUE(report.problems.empty()) << report.problems.to_string();
}

}  // namespace
}  // namespace sphere::kb

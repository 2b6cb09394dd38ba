// `sphere report`: one self-contained HTML file with a chart in every section whose layer runs.
#include <regex>

#include <gtest/gtest.h>

#include "testing.h"

namespace sphere::testing {
namespace {

// The HTML of <section id="ID">…</section>, or "" when absent.
std::string section(const std::string& html, const std::string& id) {
  const auto start = html.find("<section id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

class ReportCommand : public ::testing::Test {
 protected:
  TempDir dir;
  // Small ensembles keep the test quick; the numbers are not what is tested here.
  std::string write(const std::string& args,
                    const std::string& runs = "--runs 60 --sensitivity-runs 20") {
    const auto out = dir.path() / "report.html";
    auto r = run_sphere("report --out " + out.string() + " " + runs + " " + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("wrote"), std::string::npos);
    return std::filesystem::exists(out) ? read_file(out) : "";
  }
};

TEST_F(ReportCommand, WritesOneSelfContainedFile) {
  const std::string html = write("");
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex("(src|href)=\"[^#]")))
      << "only in-page links (#section) are allowed";
  EXPECT_EQ(std::filesystem::directory_iterator(dir.path())->path().filename(), "report.html")
      << "nothing else is written";
}

TEST_F(ReportCommand, EverySectionOfTheBuiltInModelHasCharts) {
  const std::string html = write("");
  for (const char* id : {"timeline", "dyads", "leverage", "map", "forecast", "sensitivity", "bargaining"}) {
    const std::string s = section(html, id);
    ASSERT_FALSE(s.empty()) << id;
    EXPECT_NE(s.find("<svg"), std::string::npos) << id;
    EXPECT_EQ(s.find("class=\"missing\""), std::string::npos) << id << ": " << s.substr(0, 400);
  }
  // Each event of the timeline is in its table with its sources; disagreements are flagged.
  const std::string timeline = section(html, "timeline");
  EXPECT_NE(timeline.find("sources disagree"), std::string::npos);
  // The forecast shows each scenario with its interval.
  EXPECT_NE(section(html, "forecast").find("95% interval"), std::string::npos);
  // The issues the forecast settles show where its runs left them, beside the one-shot models.
  EXPECT_NE(section(html, "bargaining").find("forecast 2030-12 (mean)"), std::string::npos);
}

TEST_F(ReportCommand, MapHasCountryOutlinesAndLinks) {
  const std::string map = section(write(""), "map");
  std::smatch m;
  const std::regex country("<path d=\"M[^\"]{200,}\"[^>]*class=\"country\" data-iso3=\"AZE\"");
  EXPECT_TRUE(std::regex_search(map, m, country)) << "Azerbaijan's outline";
  EXPECT_NE(map.find("data-iso3=\"ARM\""), std::string::npos);
  EXPECT_NE(map.find("data-link=\"btc\""), std::string::npos);
  EXPECT_EQ(map.find("class=\"link cut\""), std::string::npos) << "no what-if asked";
}

TEST_F(ReportCommand, CutLinksAreHighlightedAndTheirEffectStated) {
  const std::string map = section(write("--cut scp-east --cut btc"), "map");
  EXPECT_NE(map.find("class=\"link cut\" data-link=\"scp-east\""), std::string::npos);
  EXPECT_NE(map.find("class=\"link cut\" data-link=\"btc\""), std::string::npos);
  EXPECT_NE(map.find("cutting scp-east changes what is delivered"), std::string::npos);
}

TEST_F(ReportCommand, OtherDyadsAndSkippedSections) {
  const std::string html = write("--dyad ARM:AZE", "--runs 0 --sensitivity-runs 0");
  EXPECT_NE(section(html, "dyads").find("ARM ↔ AZE"), std::string::npos);
  EXPECT_NE(section(html, "forecast").find("not run (--runs 0)"), std::string::npos);
  EXPECT_NE(section(html, "sensitivity").find("not run (--sensitivity-runs 0)"), std::string::npos);
  EXPECT_EQ(section(html, "bargaining").find("forecast 2030-12"), std::string::npos);
}

TEST_F(ReportCommand, BadInputsAreRejectedAndNothingIsWritten) {
  const auto out = dir.path() / "r.html";
  auto r = run_sphere("report --out " + out.string() + " --dyad RUS");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--dyad"), std::string::npos);
  r = run_sphere("report --out " + out.string() + " --cut no-such-link");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no-such-link"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(run_sphere("report --runs many").exit_code, 1);
}

}  // namespace
}  // namespace sphere::testing

namespace sphere::testing {
namespace {

TEST(RunCommand, EndsByWritingTheReport) {
  TempDir dir;
  const auto out = dir.path() / "main.html";
  const auto r = run_sphere("run --report " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Report: " + out.string()), std::string::npos);
  const std::string html = read_file(out);
  EXPECT_NE(html.find("<section id=\"forecast\"><h2>Scenario forecast</h2><p>"), std::string::npos);
  EXPECT_EQ(run_sphere("run --report '' --json").out.find("\"report\""), std::string::npos);
}

}  // namespace
}  // namespace sphere::testing

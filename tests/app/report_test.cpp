// `sphere report`: one self-contained HTML file with a chart in every section whose layer runs.
#include <algorithm>
#include <regex>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing.h"

namespace sphere::testing {
namespace {

// The built-in model's scenario forecast runs on the estimated model when its panel is there.
bool estimated_model_runs() {
  return std::filesystem::exists(shared_dir() / "data/events/gdelt-country-networks/monthly_2018_2022.csv");
}

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
  const bool estimated = estimated_model_runs();
  std::vector<const char*> ids{"timeline", "dyads", "leverage", "map", "forecast", "bargaining"};
  ids.push_back(estimated ? "scenarios" : "sensitivity");
  for (const char* id : ids) {
    const std::string s = section(html, id);
    ASSERT_FALSE(s.empty()) << id;
    EXPECT_NE(s.find("<svg"), std::string::npos) << id;
    EXPECT_EQ(s.find("class=\"missing\""), std::string::npos) << id << ": " << s.substr(0, 400);
  }
  // Each event of the timeline is in its table with its sources; disagreements are flagged.
  const std::string timeline = section(html, "timeline");
  EXPECT_NE(timeline.find("sources disagree"), std::string::npos);
  // The forecast shows each scenario with its intervals: the estimated model's when its panel is
  // there (and then the structural engine's sensitivity gives way to its attribution).
  if (estimated) {
    EXPECT_NE(section(html, "scenarios").find("Monte Carlo 95%"), std::string::npos);
    EXPECT_NE(section(html, "scenarios").find("attribution"), std::string::npos);
    EXPECT_NE(section(html, "sensitivity").find("estimated model"), std::string::npos);
  } else {
    EXPECT_NE(section(html, "forecast").find("95% interval"), std::string::npos);
  }
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

TEST_F(ReportCommand, ABriefingNamesItsSourcesAndTheirDisagreementsWithQuotes) {
  const std::string html = write("", "--runs 60 --sensitivity-runs 0");
  const std::string sources = section(html, "sources");
  EXPECT_NE(sources.find("Standpoint:"), std::string::npos);
  EXPECT_NE(sources.find("id=\"source-S4\""), std::string::npos);
  const std::string disagreements = section(html, "disagreements");
  const auto conflicts = nlohmann::json::parse(run_sphere("facts --conflicts --json").out);
  std::size_t shown = 0;
  for (auto at = disagreements.find("id=\"conflict-"); at != std::string::npos;
       at = disagreements.find("id=\"conflict-", at + 1))
    ++shown;
  EXPECT_EQ(shown, conflicts.size()) << "every disagreement, with its claims";
  EXPECT_NE(disagreements.find("<blockquote>"), std::string::npos);
  // Quotes on hover in the timeline table, and in the printable appendix.
  EXPECT_NE(section(html, "timeline").find("<td title=\"S"), std::string::npos);
  EXPECT_NE(section(html, "quotes").find("<b>S2</b>: “"), std::string::npos);
  // Charts say what their numbers mean.
  const std::string forecast = section(html, "forecast");
  EXPECT_NE(forecast.find("bcm/y"), std::string::npos);
  EXPECT_NE(forecast.find("Relations between"), std::string::npos);
  EXPECT_EQ(forecast.find(">rel_RUS_AZE<"), std::string::npos) << "titles, not variable names";
  EXPECT_NE(forecast.find("Monte Carlo uncertainty"), std::string::npos);
  if (estimated_model_runs())  // scenario definitions: the questions' resolution criteria
    EXPECT_NE(section(html, "scenarios").find("Resolves YES if any 12-month window"), std::string::npos);
  else
    EXPECT_NE(forecast.find("rel12_RUS_AZE &lt;= -5"), std::string::npos) << "scenario definitions";
  EXPECT_NE(section(html, "dyads").find("−10 (most conflictual"), std::string::npos);
}

TEST_F(ReportCommand, MapDrawsEveryLinkAlongItsCourseWithNamedLabelsThatDoNotOverlap) {
  const std::string map = section(write("", "--runs 0 --sensitivity-runs 0"), "map");
  for (const char* link : {"tap", "tr-eu-interconnection", "instc-east", "instc-caspian", "btc"})
    EXPECT_NE(map.find(std::string("data-link=\"") + link + "\""), std::string::npos) << link;
  EXPECT_NE(map.find(">Hajigabul</text>"), std::string::npos);
  EXPECT_NE(map.find(">Alat rail hub</text>"), std::string::npos);
  EXPECT_EQ(map.find(">hajigabul</text>"), std::string::npos) << "names, not ids";
  EXPECT_NE(map.find("West of the map"), std::string::npos) << "the inset";
  EXPECT_NE(map.find("not a shortfall"), std::string::npos) << "oil: supply below terminal capacity";
  // Label boxes (estimated as the renderer does: 0.58 em per character) do not overlap.
  struct Box { double x0, y0, x1, y1; };
  std::vector<Box> boxes;
  const std::regex label("<text x=\"([0-9.]+)\" y=\"([0-9.]+)\" text-anchor=\"(start|middle|end)\" "
                         "font-size=\"9.5\"[^>]*class=\"node-label\"[^>]*>([^<]+)</text>");
  // Only the main frame's labels (the inset is a separate, translated group).
  const std::string main_frame = map.substr(0, map.find("class=\"inset\""));
  for (auto it = std::sregex_iterator(main_frame.begin(), main_frame.end(), label);
       it != std::sregex_iterator(); ++it) {
    const double x = std::stod((*it)[1]), y = std::stod((*it)[2]);
    std::size_t glyphs = 0;
    for (char c : (*it)[4].str()) glyphs += (c & 0xC0) != 0x80;
    const double w = 0.58 * 9.5 * glyphs;
    const double left = (*it)[3] == "start" ? x : (*it)[3] == "end" ? x - w : x - w / 2;
    boxes.push_back({left, y - 9.5, left + w, y});
  }
  ASSERT_GT(boxes.size(), 20u);
  for (std::size_t i = 0; i < boxes.size(); ++i)
    for (std::size_t j = i + 1; j < boxes.size(); ++j)
      EXPECT_FALSE(boxes[i].x0 < boxes[j].x1 && boxes[j].x0 < boxes[i].x1 &&
                   boxes[i].y0 < boxes[j].y1 && boxes[j].y0 < boxes[i].y1)
          << "labels " << i << " and " << j << " overlap";
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
  EXPECT_NE(section(html, "forecast").find("not run (no runs asked for)"), std::string::npos);
  EXPECT_NE(section(html, "sensitivity").find("not run (no sensitivity runs asked for)"), std::string::npos);
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
  // A missing folder is named (not a temporary file), before anything is computed.
  r = run_sphere("report --out " + (dir.path() / "no-such-folder" / "r.html").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the folder"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(".tmp"), std::string::npos) << r.err;
  r = run_sphere("run --report " + (dir.path() / "missing" / "r.html").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out.find("Forecast"), std::string::npos) << "stopped before the forecast";
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
  EXPECT_NE(html.find(estimated_model_runs() ? "<section id=\"scenarios\"><h2>Scenario forecast</h2><p>"
                                             : "<section id=\"forecast\"><h2>What-if engine"),
            std::string::npos);
  EXPECT_EQ(run_sphere("run --report '' --json").out.find("\"report\""), std::string::npos);
}

}  // namespace
}  // namespace sphere::testing

// The report layer: escaping, each chart, the embedded basemap, and the assembled document.
#include <cmath>
#include <regex>

#include <gtest/gtest.h>

#include "report/internal.h"
#include "report/report.h"

namespace sphere::report {
namespace {

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(Escape, ReplacesEveryMarkupCharacter) {
  EXPECT_EQ(escape("<a href=\"x\">R&D's</a>"), "&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;");
  EXPECT_EQ(escape("plain – ünïcode"), "plain – ünïcode");
}

TEST(Charts, EscapeTextTheyShow) {
  Timeline t;
  t.rows.push_back({"e1", "2024", 2024.5, "RUS", "AZE", "173", "Arrest", -5, "<script>alert(1)</script>",
                    {"S0"}, {"who & when"}});
  const std::string svg = svg_timeline(t);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("who &amp; when"), std::string::npos);
  EXPECT_EQ(count(svg, "<circle"), 2) << "the point and its ring marking a disagreement";
}

TEST(Charts, LineChartDrawsOneMarkPerValue) {
  LineChart c{"Events", "n", {2020.5, 2021.5, 2022.5}, {{"A → B", {1, 0, 3}}, {"B → A", {2, 2, 0}}}};
  c.bars = true;
  const std::string svg = svg_line_chart(c);
  // Legend swatches (2) + one bar per non-zero value (4).
  EXPECT_EQ(count(svg, "<rect"), 6);
  c.bars = false;
  EXPECT_EQ(count(svg_line_chart(c), "<path"), 2);
}

TEST(Charts, HeatmapColoursEveryFiniteCell) {
  Heatmap h{"energy", "", {"RUS", "AZE"}, {"RUS", "AZE"}, {{NAN, 0.4}, {0.1, NAN}}, 0, 1};
  const std::string svg = svg_heatmap(h);
  EXPECT_EQ(count(svg, "<title>RUS over AZE: 0.4</title>"), 1);
  EXPECT_EQ(count(svg, "<title>AZE over RUS: 0.1</title>"), 1);
  EXPECT_EQ(count(svg, "<rect"), 4);
}

TEST(Charts, HeatmapScaleReachesSmallShares) {
  // Leverage as shares of GDP: a few hundredths at most. The scale must reach the largest cell,
  // not stop at 1, or every cell is drawn near white.
  Heatmap h{"all", "", {"RUS", "AZE"}, {"RUS", "AZE"}, {{NAN, 0.042}, {-0.0012, NAN}}, 0, 1};
  h.percent = true;
  fit_symmetric_scale(h);
  EXPECT_DOUBLE_EQ(h.high, 0.042);
  EXPECT_DOUBLE_EQ(h.low, -0.042);
  const std::string svg = svg_heatmap(h);
  EXPECT_EQ(count(svg, "<title>RUS over AZE: 4.2%</title>"), 1);
  EXPECT_EQ(count(svg, "<title>AZE over RUS: -0.12%</title>"), 1);
  // The strongest cell takes the scale's end colour, which a fixed [-1, 1] scale never reached.
  EXPECT_NE(svg.find(heat_colour(1.0, true)), std::string::npos);
  Heatmap zeros{"none", "", {"A"}, {"B"}, {{0.0}}, 0, 1};
  fit_symmetric_scale(zeros);
  EXPECT_DOUBLE_EQ(zeros.high, 1.0);
}

TEST(Charts, FanAndProbabilitiesAndTornado) {
  Fan f;
  f.title = "gas";
  f.x = {2026, 2027};
  for (int k = 0; k < 5; ++k) f.q[k] = {double(k), double(k + 1)};
  EXPECT_EQ(count(svg_fan(f), "<path"), 3);  // two bands and the median
  const std::string p = svg_probabilities({{"a", "A", 0.25, 0.2, 0.3}, {"b", "B", 0.75, 0.7, 0.8}});
  EXPECT_NE(p.find("25.0%"), std::string::npos);
  EXPECT_NE(p.find("75.0%"), std::string::npos);
  Tornado t{"What moves P", "P(a)", 0.3, {{"theta", 0.1, 0.5, "0 … 1"}}};
  const std::string svg = svg_tornado(t);
  EXPECT_NE(svg.find("theta at its low value (0 … 1): 0.1"), std::string::npos);
  EXPECT_NE(svg.find("theta at its high value (0 … 1): 0.5"), std::string::npos);
}

TEST(Basemap, BuiltinHasTheRegionsCountriesAndNakhchivan) {
  const Basemap b = Basemap::builtin();
  ASSERT_FALSE(b.countries.empty()) << "basemap not built: run scripts/setup.sh (npm ci in web/)";
  EXPECT_NE(b.source.find("world-atlas"), std::string::npos);
  int found = 0;
  for (const auto& c : b.countries) {
    if (c.iso3 == "AZE" || c.iso3 == "ARM" || c.iso3 == "GEO" || c.iso3 == "RUS" ||
        c.iso3 == "TUR" || c.iso3 == "IRN")
      ++found;
    // Azerbaijan is drawn in several parts: the mainland and the Nakhchivan exclave.
    if (c.iso3 == "AZE") {
      EXPECT_GE(std::count(c.path.begin(), c.path.end(), 'M'), 2);
    }
    EXPECT_FALSE(c.path.empty());
  }
  EXPECT_EQ(found, 6);
  // Baku lies inside the frame, east of Tbilisi and south of it.
  auto [bx, by] = b.project(49.87, 40.41);
  auto [tx, ty] = b.project(44.79, 41.72);
  EXPECT_GT(bx, 0);
  EXPECT_LT(bx, b.width);
  EXPECT_GT(bx, tx);
  EXPECT_GT(by, ty);
}

TEST(Basemap, MalformedJsonIsAnError) {
  EXPECT_THROW(Basemap::parse("{\"countries\": 3"), std::runtime_error);
  EXPECT_THROW(Basemap::parse("{}"), std::runtime_error);
}

TEST(Map, CutLinksAreHighlightedAndUnplacedNodesListed) {
  MapData m;
  m.nodes = {{"a", "A", "hub", "AZE", 49.9, 40.4, true}, {"b", "B", "hub", "GEO", 44.8, 41.7, true},
             {"c", "C", "hub", "EEC", 0, 0, false}};
  MapLink l;
  l.id = "ab";
  l.name = "A–B";
  l.kind = "pipeline";
  l.carrier = "gas";
  l.from = "a";
  l.to = "b";
  l.status = "operating";
  l.capacity = 10;
  l.cut = true;
  m.links = {l};
  l.id = "bc";
  l.from = "b";
  l.to = "c";
  l.cut = false;
  m.links.push_back(l);
  const Basemap b = Basemap::builtin();
  const std::string svg = svg_map(m, b);
  EXPECT_NE(svg.find("class=\"link cut\" data-link=\"ab\""), std::string::npos);
  EXPECT_EQ(svg.find("data-link=\"bc\""), std::string::npos) << "c has no position";
  Report r;
  r.map.data = m;
  const std::string html = render_html(r, b);
  EXPECT_NE(html.find("Not drawn (no position in the model): c."), std::string::npos);
}

TEST(Html, IsSelfContainedAndSaysWhichSectionsAreMissing) {
  Report r;
  r.title = "T <&>";
  r.timeline.data = Timeline{};
  r.leverage.missing = "the leverage layer is not built yet.";
  const std::string html = render_html(r, Basemap::builtin());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<title>T &lt;&amp;&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("Not in this report: the leverage layer is not built yet."), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // Sources, disagreements, the ten chart sections (two backtests) and the quote appendix.
  EXPECT_EQ(count(html, "<section"), 13);
  r.sources.data = std::vector<SourceEntry>{{"S0", "A title", "An author", "", "2025", "", "partisan"}};
  const std::string with_source = render_html(r, Basemap::builtin());
  EXPECT_NE(with_source.find("<b>Standpoint:</b> partisan"), std::string::npos);
}

// The scenario section: a curve with both bands per scenario, its row at the horizon with both
// intervals, the robustness range and the question's criterion, and the attribution table.
TEST(Html, ScenarioSectionShowsCurvesIntervalsAndAttribution) {
  Report r;
  Scenarios sc;
  sc.caption = "caption";
  sc.horizon = "2030-12";
  for (int k = 0; k < 2; ++k) {
    ScenarioCurve c;
    c.id = k ? "b" : "a";
    c.name = k ? "Bee" : "Ay";
    c.resolution = k ? "otherwise" : "Resolves YES when <x>";
    c.x = {2026.04, 2026.12};
    c.p = {0.3 + 0.4 * k, 0.25 + 0.5 * k};
    c.mc_low = {c.p[0] - 0.01, c.p[1] - 0.01};
    c.mc_high = {c.p[0] + 0.01, c.p[1] + 0.01};
    c.param_low = {c.p[0] - 0.1, c.p[1] - 0.1};
    c.param_high = {c.p[0] + 0.1, c.p[1] + 0.1};
    c.unconditioned = c.p[1];
    c.robust_low = c.p[1] - 0.02;
    c.robust_high = c.p[1] + 0.02;
    sc.curves.push_back(c);
  }
  sc.mechanisms = {"self-excitation"};
  sc.shapley = {{0.05, -0.05}};
  sc.all_off = {0.2, 0.8};
  r.scenarios.data = sc;
  const std::string html = render_html(r, Basemap::builtin());
  const auto at = html.find("<section id=\"scenarios\">");
  ASSERT_NE(at, std::string::npos);
  const std::string section = html.substr(at, html.find("</section>", at) - at);
  EXPECT_NE(section.find("Ay: parameter-uncertainty 95% band"), std::string::npos);
  EXPECT_NE(section.find("Bee: Monte Carlo 95% band"), std::string::npos);
  EXPECT_NE(section.find("<td class=\"num\">25%</td><td class=\"num\">24%–26%</td><td class=\"num\">15%–35%</td>"),
            std::string::npos);
  EXPECT_NE(section.find("Resolves YES when &lt;x&gt;"), std::string::npos);
  EXPECT_NE(section.find("<td class=\"num\">+5.0</td><td class=\"num\">-5.0</td>"), std::string::npos);
}

TEST(Backtest, ChartsDrawEveryBinAndSkillAndTheSectionShowsTheTable) {
  std::vector<ReliabilityBin> bins = {{0.05, 0.04, 900}, {0.35, 0.30, 50}, {0.85, 0.9, 10}, {0.5, 0.5, 0}};
  const std::string rel = svg_reliability(bins, "P(days > 0) <&>");
  EXPECT_EQ(count(rel, "<circle"), 3) << "a bin without forecasts is not drawn";
  EXPECT_NE(rel.find("P(days &gt; 0) &lt;&amp;&gt;"), std::string::npos);
  std::array<double, 10> pit{0.12, 0.11, 0.1, 0.1, 0.1, 0.1, 0.1, 0.09, 0.09, 0.09};
  EXPECT_EQ(count(svg_pit(pit, 1), "<rect"), 10);
  std::vector<BacktestSkill> skills = {{"climatology", 1, 0.047, 0.036, 0.06, 0.001, ""},
                                       {"climatology", 3, 0.019, 0.008, 0.033, 0.01, ""},
                                       {"recent", 1, 0.026, 0.018, 0.035, 0.001, ""},
                                       {"recent", 3, 0.01, -0.001, 0.023, 0.11, ""}};
  const std::string sk = svg_skill_by_horizon(skills);
  EXPECT_EQ(count(sk, "<circle"), 4);
  EXPECT_NE(sk.find("against recent at h = 3: +1.0% [-0.1, +2.3]"), std::string::npos) << sk;

  Report r;
  Backtest b;
  b.caption = "days_negative on a panel";
  b.horizons = {1, 3};
  b.models = {{"sphere", {0.2812, 0.2921}, {0.11, 0.12}}, {"climatology", {0.2952, std::nan("")}, {0.13, std::nan("")}}};
  b.skills = skills;
  // A skill over one target period has no interval: "none", with the reason.
  b.rps_skills = {{"climatology", 1, 0.154, std::nan(""), std::nan(""), std::nan(""), "fewer than two target periods"}};
  b.rps_classes = "0, 1-2";
  b.reliability = bins;
  b.pit = pit;
  b.event = "P(days_negative > 0)";
  b.provenance = {"Made by `sphere backtest` on a day."};
  r.backtest.data = b;
  const std::string html = render_html(r, Basemap::builtin());
  EXPECT_NE(html.find("+4.7% [+3.6, +6.0]"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.2812</td>"), std::string::npos);
  EXPECT_NE(html.find("+15.4% [none]"), std::string::npos);
  EXPECT_NE(html.find("fewer than two target periods"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.1100</td>"), std::string::npos);
  EXPECT_NE(html.find("Made by `sphere backtest` on a day."), std::string::npos);
  // A level's backtest: the same tables and charts but the reliability diagram.
  Backtest level = b;
  level.level = true;
  level.caption = "sum_score (a level) on a panel";
  r.level_backtest.data = level;
  const std::string both = render_html(r, Basemap::builtin());
  const std::size_t at = both.find("<section id=\"level-backtest\">");
  ASSERT_NE(at, std::string::npos);
  const std::string section = both.substr(at, both.find("</section>", at) - at);
  EXPECT_NE(section.find("sum_score (a level) on a panel"), std::string::npos);
  EXPECT_NE(section.find("PIT histogram"), std::string::npos);
  EXPECT_EQ(section.find("Reliability at h"), std::string::npos);
  EXPECT_NE(both.find("Reliability at h"), std::string::npos);  // the count model's section has it
  Report none;
  none.backtest.missing = "no backtest.json.";
  EXPECT_NE(render_html(none, Basemap::builtin()).find("Not in this report: no backtest.json."),
            std::string::npos);
}

}  // namespace
}  // namespace sphere::report

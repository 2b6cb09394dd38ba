// The report as one HTML document: inline CSS, inline SVG, no scripts, no external references,
// so that it opens offline and can be mailed as a single file.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/internal.h"
#include "report/report.h"

namespace sphere::report {
namespace {

constexpr std::string_view kStyle = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
header{background:#1d2b36;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:2px 0;color:#cfd8df}
nav{padding:8px 32px;background:#eef1f4;border-bottom:1px solid #dde}
nav a{margin-right:16px;color:#1d4f7a;text-decoration:none}
main{padding:8px 32px 40px;max-width:1200px}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;margin:18px 0;padding:14px 18px}
section h2{margin:0 0 8px;font-size:18px}
.missing{color:#8a6d3b;background:#fcf8e3;border:1px solid #faebcc;padding:8px 12px;border-radius:4px}
.note{color:#555;font-size:13px}
svg.chart{max-width:100%;height:auto;display:block;margin:8px 0;background:#fff}
.row{display:flex;flex-wrap:wrap;gap:8px}
table{border-collapse:collapse;font-size:12.5px;width:100%}
th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.flag{color:#c77800;font-weight:600}
details summary{cursor:pointer;color:#1d4f7a;margin:6px 0}
.scroll{max-height:560px;overflow-y:auto;border:1px solid #eee}
footer{color:#777;font-size:12px;padding:0 32px 24px}
figure{margin:8px 0}
.row figure{flex:0 1 auto;max-width:560px}
figcaption{color:#444;font-size:12.5px;max-width:760px}
.claim{margin:4px 0 4px 12px}
blockquote{margin:2px 0 6px 18px;color:#333;font-style:italic}
dl.sources dt{font-weight:600;margin-top:8px}
dl.sources dd{margin:2px 0 2px 18px}
td[title]{text-decoration:underline dotted #999}
@media print{
  body{background:#fff;font-size:11pt}
  nav{display:none}
  header{background:#fff;color:#000;border-bottom:2px solid #000;padding:8px 0}
  header p{color:#333}
  main{padding:0;max-width:none}
  section{border:none;padding:0;margin:12px 0;break-inside:auto}
  figure,svg.chart,tr,.claim{break-inside:avoid}
  h2,h3{break-after:avoid}
  .scroll{max-height:none;overflow:visible;border:none}
  details>summary{list-style:none}
  a{color:#000;text-decoration:none}
}
)css";

std::string missing_block(std::string_view why) {
  return fmt::format("<p class=\"missing\">Not in this report: {}</p>", escape(why));
}

std::string sources_section(const std::vector<SourceEntry>& sources) {
  std::string html = "<p class=\"note\">The documents the model is built from. Every number and "
                     "event in this report cites one of them with its verbatim words, or is marked as "
                     "an assumption. Read each source knowing its standpoint.</p><dl class=\"sources\">";
  for (const auto& s : sources) {
    html += fmt::format("<dt id=\"source-{}\">{} · {}</dt><dd>{}{}{}</dd>", escape(s.id),
                        escape(s.id), escape(s.title),
                        escape(s.author.empty() ? "author not named" : s.author),
                        s.publisher.empty() ? "" : ", " + escape(s.publisher),
                        s.date.empty() ? (s.date_clues.empty() ? "" : " — date: " + escape(s.date_clues))
                                       : ", " + escape(s.date));
    if (!s.standpoint.empty())
      html += fmt::format("<dd><b>Standpoint:</b> {}</dd>", escape(s.standpoint));
  }
  return html + "</dl>";
}

std::string disagreements_section(const std::vector<Disagreement>& items) {
  std::string html = fmt::format(
      "<p class=\"note\">{} points on which the sources disagree. Sphere keeps every side with its "
      "quote instead of choosing one; events concerned are marked <span class=\"flag\">⚑</span> "
      "in the timeline.</p>", items.size());
  for (const auto& d : items) {
    html += fmt::format("<h3 id=\"conflict-{}\">{}</h3>", escape(d.id), escape(d.topic));
    for (const auto& c : d.claims)
      html += fmt::format("<div class=\"claim\"><b>{}</b>: {}<blockquote>“{}”</blockquote></div>",
                          escape(c.source), escape(c.claim), escape(c.quote));
  }
  return html;
}

// Every event's quotes, for reading on paper where tooltips do not show.
std::string quotes_appendix(const Timeline& t) {
  std::string html = "<p class=\"note\">The sources' own words for each event of the timeline.</p>"
                     "<table><tr><th>date</th><th>event</th><th>source: quote</th></tr>";
  for (const auto& r : t.rows) {
    std::string quotes;
    for (const auto& q : r.quotes)
      quotes += fmt::format("<div><b>{}</b>: “{}”</div>", escape(q.source), escape(q.text));
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(r.date),
                        escape(r.summary), quotes);
  }
  return html + "</table>";
}

std::string figure(const std::string& svg, std::string_view caption) {
  return caption.empty() ? svg
                         : fmt::format("<figure>{}<figcaption>{}</figcaption></figure>", svg,
                                       escape(caption));
}

std::string timeline_section(const Timeline& t) {
  std::string html = figure(
      svg_timeline(t),
      "Each mark is an event: across, its date (an event dated only to a year sits at mid-year); up "
      "and down, its Goldstein value, from −10 (most conflictual, e.g. a military attack) to +10 "
      "(most cooperative); ringed marks are events on which the sources disagree. Hover a mark "
      "for the event and its sources.");
  int disputed = 0;
  for (const auto& r : t.rows) disputed += !r.disputes.empty();
  html += fmt::format("<details open><summary>{} events, {} on which sources disagree "
                      "(<span class=\"flag\">⚑</span>)</summary><div class=\"scroll\"><table><tr><th>date</th>"
                      "<th>actors</th><th>CAMEO</th><th>Goldstein</th><th>what happened</th>"
                      "<th>sources</th></tr>",
                      t.rows.size(), disputed);
  for (const auto& r : t.rows) {
    std::string disputes;
    for (const auto& d : r.disputes)
      disputes += fmt::format("<br><span class=\"flag\">⚑ sources disagree: {}</span>", escape(d));
    std::string quotes;
    for (const auto& q : r.quotes)
      quotes += (quotes.empty() ? "" : "\n") + q.source + ": “" + q.text + "”";
    html += fmt::format(
        "<tr><td>{}</td><td>{}&nbsp;→&nbsp;{}</td><td>{} {}</td><td class=\"num\">{:+.1f}</td>"
        "<td title=\"{}\">{}{}</td><td>{}</td></tr>",
        escape(r.date), escape(r.actor1), escape(r.actor2), escape(r.cameo), escape(r.what),
        r.goldstein, escape(quotes), escape(r.summary), disputes,
        escape(fmt::format("{}", fmt::join(r.sources, ", "))));
  }
  return html + "</table></div></details>";
}

std::string dyad_section(const std::vector<DyadPanel>& panels) {
  std::string html;
  for (const auto& p : panels) {
    html += fmt::format("<h3>{} ↔ {}</h3>", escape(p.a), escape(p.b));
    for (const auto& c : p.charts) html += figure(svg_line_chart(c), c.note);
    if (!p.note.empty()) html += fmt::format("<p class=\"note\">{}</p>", escape(p.note));
  }
  return html;
}

std::string leverage_section(const std::vector<Heatmap>& maps) {
  std::string html =
      "<p class=\"note\">How to read a cell: the row's actor can cut a tie the column's actor "
      "depends on. Each tie scores what the column would lose (the share of its flow the row "
      "controls, less what it can re-route through the network or replace) minus what the row "
      "would lose itself, from −1 to +1; a cell sums the ties. Red: the row has leverage over the "
      "column; blue: cutting would hurt the row more. The same numbers as `sphere leverage`, "
      "which lists each tie with its sources.</p><div class=\"row\">";
  for (const auto& h : maps) html += figure(svg_heatmap(h), h.note);
  return html + "</div>";
}

std::string map_section(const MapData& m, const Basemap& b) {
  std::string html;
  if (!m.caption.empty()) html += fmt::format("<p>{}</p>", escape(m.caption));
  html += svg_map(m, b);
  for (const auto& n : m.notes) html += fmt::format("<p class=\"note\">{}</p>", escape(n));
  std::string unplaced;
  for (const auto& n : m.nodes)
    if (!n.placed) unplaced += (unplaced.empty() ? "" : ", ") + n.id;
  if (!unplaced.empty())
    html += fmt::format("<p class=\"note\">Not drawn (no position in the model): {}.</p>",
                        escape(unplaced));
  html += "<details><summary>Links</summary><table><tr><th>link</th><th>carrier</th>"
          "<th>from → to</th><th>status</th><th>capacity</th><th>flow</th></tr>";
  for (const auto& l : m.links)
    html += fmt::format("<tr><td>{}{}</td><td>{}</td><td>{} → {}</td><td>{}</td>"
                        "<td class=\"num\">{} {}</td><td class=\"num\">{}</td></tr>",
                        escape(l.name), l.cut ? " <span class=\"flag\">✂ cut</span>" : "",
                        escape(l.carrier), escape(l.from), escape(l.to), escape(l.status),
                        label_number(l.capacity), escape(l.unit),
                        l.flow ? label_number(*l.flow) : "—");
  return html + "</table></details>";
}

std::string structural_scenarios(const Forecast& f);

std::string forecast_section(const Forecast& f) {
  std::string html = fmt::format("<p>{}</p>", escape(f.caption));
  for (const auto& n : f.notes) html += fmt::format("<p class=\"note\">{}</p>", escape(n));
  if (!f.scenarios.empty()) html += structural_scenarios(f);
  html += "<h3>Indicators, month by month</h3><p class=\"note\">Dark line: the median run; dark "
          "band: half of the runs; light band: 95% of the runs.</p><div class=\"row\">";
  for (const auto& fan : f.fans)
    html += figure(svg_fan(fan), fan.unit.empty() ? fan.note : fan.unit + ": " + fan.note);
  return html + "</div>";
}

// The structural engine's own scenario classes, shown only for a model without scenario
// questions on an estimated model (else the report would state two probabilities for one
// question).
std::string structural_scenarios(const Forecast& f) {
  std::string html = svg_probabilities(f.scenarios);
  html += "<table><tr><th>scenario</th><th>probability (95% interval)</th><th>defined as, at the "
          "horizon</th><th>as a source describes it</th></tr>";
  for (const auto& s : f.scenarios)
    html += fmt::format("<tr><td>{}</td><td class=\"num\">{:.1f}% ({:.1f}–{:.1f}%)</td><td><code>{}"
                        "</code></td><td>{}{}</td></tr>",
                        escape(s.name), s.p * 100, s.low * 100, s.high * 100,
                        escape(s.rule == "otherwise" ? "every run that is neither of the above"
                                                     : s.rule),
                        s.description.text.empty() ? "" : "“" + escape(s.description.text) + "”",
                        s.description.source.empty() ? "" : " (" + escape(s.description.source) + ")");
  html += "</table><p class=\"note\">rel12: mean relation index over the last 12 months (−10 "
          "hostile … +10 close); force12: events of force (CAMEO 18–20) in the last 12 months.</p>";
  return html;
}

std::string pct(double p) { return fmt::format("{:.0f}%", 100 * p); }

std::string scenarios_section(const Scenarios& sc) {
  std::string html = fmt::format("<p>{}</p>", escape(sc.caption));
  html += figure(svg_scenario_curves(sc),
                 "Probability that each scenario's question resolves YES at the month. Line: the "
                 "forecast; dark band: Monte Carlo 95% interval (the finite number of runs); light "
                 "band: 95% of the per-draw probabilities (the uncertainty of the estimated "
                 "parameters).");
  html += fmt::format(
      "<table><tr><th>scenario</th><th>P at {}</th><th>Monte Carlo 95%</th><th>parameters 95%</th>"
      "<th>without the conditioning</th><th>robustness range</th><th>resolves YES when</th>"
      "<th>as a source describes it</th></tr>", escape(sc.horizon));
  for (const auto& c : sc.curves) {
    html += fmt::format(
        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}–{}</td><td class=\"num\">{}–{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}–{}</td><td>{}{}</td><td>{}{}</td></tr>",
        escape(c.name), pct(c.p.back()), pct(c.mc_low.back()), pct(c.mc_high.back()),
        pct(c.param_low.back()), pct(c.param_high.back()), pct(c.unconditioned),
        pct(c.robust_low), pct(c.robust_high), escape(c.resolution),
        c.not_modelled.empty() ? "" : "<br><em>Not modelled: " + escape(c.not_modelled) + "</em>",
        c.description.text.empty() ? "" : "“" + escape(c.description.text) + "”",
        c.description.source.empty() ? "" : " (" + escape(c.description.source) + ")");
  }
  html += "</table>";
  html += fmt::format("<p class=\"note\">{}</p>", escape(sc.conditioning));
  if (!sc.mechanisms.empty()) {
    html += fmt::format("<h3>What drives it: attribution at {}</h3><p class=\"note\">Each mechanism "
                        "switched off with the same random numbers; Shapley values in percentage "
                        "points, which add up to the forecast minus the all-off baseline.</p>"
                        "<table><tr><th>mechanism</th>", escape(sc.horizon));
    for (const auto& c : sc.curves) html += "<th>" + escape(c.id) + "</th>";
    html += "</tr>";
    for (std::size_t m = 0; m < sc.mechanisms.size(); ++m) {
      html += "<tr><td>" + escape(sc.mechanisms[m]) + "</td>";
      for (double v : sc.shapley[m]) html += fmt::format("<td class=\"num\">{:+.1f}</td>", 100 * v);
      html += "</tr>";
    }
    html += "<tr><td>all off (baseline)</td>";
    for (double v : sc.all_off) html += "<td class=\"num\">" + pct(v) + "</td>";
    html += "</tr></table>";
  }
  for (const auto& n : sc.notes) html += fmt::format("<p class=\"note\">{}</p>", escape(n));
  return html;
}

std::string bargaining_section(const Bargaining& b) {
  std::string html = "<p class=\"note\">Each issue on its 0–100 scale: ● an actor's position (size: "
                     "salience), ▼ the status quo, ▲ where each model expects it to settle.</p>";
  for (const auto& i : b.issues) html += svg_issue(i);
  return html;
}

std::string percent_cell(const BacktestSkill& s) {
  if (!s.no_interval.empty() || !std::isfinite(s.low) || !std::isfinite(s.high))
    return fmt::format("<td class=\"num\" title=\"{}\">{:+.1f}% [none]</td>",
                       escape(s.no_interval.empty() ? "no interval" : s.no_interval), s.skill * 100);
  const std::string test = std::isfinite(s.p_value) ? fmt::format("Diebold–Mariano p = {:.2g}", s.p_value)
                                                     : "no Diebold–Mariano test: h is not below the target months";
  return fmt::format("<td class=\"num\" title=\"{}\">{:+.1f}% [{:+.1f}, {:+.1f}]</td>", test, s.skill * 100,
                     s.low * 100, s.high * 100);
}

std::string skill_table(const std::vector<BacktestSkill>& skills, const std::vector<int>& horizons) {
  std::string html = "<table><tr><th>model's skill against</th>";
  for (int h : horizons) html += fmt::format("<th>h = {}</th>", h);
  html += "</tr>";
  std::vector<std::string> against;
  for (const auto& s : skills)
    if (std::find(against.begin(), against.end(), s.baseline) == against.end()) against.push_back(s.baseline);
  for (const auto& name : against) {
    html += fmt::format("<tr><td>{}</td>", escape(name));
    for (int h : horizons) {
      const auto it = std::find_if(skills.begin(), skills.end(),
                                   [&](const BacktestSkill& s) { return s.baseline == name && s.h == h; });
      html += it == skills.end() ? "<td>—</td>" : percent_cell(*it);
    }
    html += "</tr>";
  }
  return html + "</table>";
}

std::string score_table(const std::vector<BacktestModel>& models, const std::vector<int>& horizons,
                        bool ranked) {
  std::string html = "<table><tr><th>model</th>";
  for (int h : horizons) html += fmt::format("<th>h = {}</th>", h);
  html += "</tr>";
  for (const auto& m : models) {
    html += fmt::format("<tr><td>{}</td>", escape(m.name));
    for (double v : ranked ? m.rps : m.crps)
      html += std::isfinite(v) ? fmt::format("<td class=\"num\">{:.4f}</td>", v) : "<td>—</td>";
    html += "</tr>";
  }
  return html + "</table>";
}

std::string backtest_section(const Backtest& b) {
  std::string html = fmt::format("<p>{}</p>", escape(b.caption));
  html += "<p class=\"note\">Every forecast uses only data before its origin. Skill is 1 − the "
          "ratio of the model's mean CRPS to the other model's on the same forecasts: above 0 the "
          "model is better. In brackets, the 95% block-bootstrap interval (resampling target "
          "months); an interval that includes 0 is no evidence either way.</p>";
  html += skill_table(b.skills, b.horizons);
  html += "<details><summary>Mean CRPS of every model (lower is better)</summary>";
  html += score_table(b.models, b.horizons, false) + "</details>";
  if (!b.rps_skills.empty()) {
    html += fmt::format("<details><summary>Ranked probability score of the count's class ({}): "
                        "the model's skill and every model's mean</summary>",
                        escape(b.rps_classes));
    html += skill_table(b.rps_skills, b.horizons) + score_table(b.models, b.horizons, true) + "</details>";
  }
  html += "<div class=\"row\">";
  html += figure(svg_skill_by_horizon(b.skills),
                 "Skill by horizon against each baseline: dot, the skill; bar, its 95% interval.");
  if (!b.level)
    html += figure(svg_reliability(b.reliability, b.event),
                 fmt::format("Reliability at h = {} of {}: forecasts grouped by tenth of their "
                             "probability; each dot's area grows with the forecasts in it. On the "
                             "dashed diagonal the probabilities mean what they say.",
                             b.diagram_horizon, b.event));
  html += figure(svg_pit(b.pit, b.diagram_horizon),
                 fmt::format("PIT histogram at h = {} (randomisation-free at an atom): flat at "
                             "the dashed line is calibrated; a hump means forecasts too wide, a "
                             "U too narrow, a slope a bias.",
                             b.diagram_horizon));
  html += "</div>";
  for (const auto& line : b.provenance) html += fmt::format("<p class=\"note\">{}</p>", escape(line));
  return html;
}

template <class T, class F>
std::string section(std::string_view id, std::string_view title, const Part<T>& part, F body) {
  return fmt::format("<section id=\"{}\"><h2>{}</h2>{}</section>\n", id, escape(title),
                     part.data ? body(*part.data) : missing_block(part.missing));
}

}  // namespace

std::string render_html(const Report& r, const Basemap& basemap) {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>{}</title><style>{}</style></head><body>\n<header><h1>{}</h1><p>{}</p>",
      escape(r.title), kStyle, escape(r.title), escape(r.subtitle));
  for (const auto& s : r.summary) html += fmt::format("<p>{}</p>", escape(s));
  html += "</header>\n<nav><a href=\"#sources\">Sources</a><a href=\"#disagreements\">"
          "Disagreements</a><a href=\"#timeline\">Timeline</a><a href=\"#dyads\">Dyadic series</a>"
          "<a href=\"#leverage\">Leverage</a><a href=\"#map\">Map</a><a href=\"#scenarios\">"
          "Forecast</a><a href=\"#forecast\">What-if engine</a><a href=\"#sensitivity\">Sensitivity</a><a href=\"#bargaining\">"
          "Bargaining</a><a href=\"#backtest\">Backtest</a><a href=\"#level-backtest\">Level backtest</a>"
          "<a href=\"#quotes\">Quotes</a></nav>\n<main>\n";
  html += section("sources", "Sources and their standpoints", r.sources, sources_section);
  html += section("disagreements", "Where the sources disagree", r.disagreements,
                  disagreements_section);
  html += section("timeline", "Timeline: each event with its sources", r.timeline, timeline_section);
  html += section("dyads", "Dyadic series", r.dyads, dyad_section);
  html += section("leverage", "Leverage by channel", r.leverage, leverage_section);
  html += section("map", "Infrastructure", r.map,
                  [&](const MapData& m) { return map_section(m, basemap); });
  html += section("scenarios", "Scenario forecast", r.scenarios, scenarios_section);
  html += section("forecast", "What-if engine (assumed parameters)", r.forecast, forecast_section);
  html += section("sensitivity", "Sensitivity", r.tornado,
                  [](const Tornado& t) {
                    return figure(svg_tornado(t),
                                  "A bar runs from the probability with the parameter at "
                                  "the low end of its range to that with it at the high end; the "
                                  "line is the probability with every parameter at its value. Wide "
                                  "bars mark the assumptions the forecast depends on most.");
                  });
  html += section("bargaining", "Bargaining outcomes", r.bargaining, bargaining_section);
  html += section("backtest", "Backtest of the estimated dyadic model", r.backtest, backtest_section);
  html += section("level-backtest", "Backtest of the level model", r.level_backtest, backtest_section);
  html += section("quotes", "Appendix: the sources' words for each event", r.timeline,
                  quotes_appendix);
  html += "</main>\n<footer>Made by Sphere. Every chart is drawn from the model's sourced data; "
          "hover a mark for its details. Country outlines: Natural Earth (public domain). Pipeline "
          "routes: Global Energy Monitor (CC BY 4.0).</footer>"
          "\n</body></html>\n";
  return html;
}

}  // namespace sphere::report

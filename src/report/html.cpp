// The report as one HTML document: inline CSS, inline SVG, no scripts, no external references,
// so that it opens offline and can be mailed as a single file.
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
)css";

std::string missing_block(std::string_view why) {
  return fmt::format("<p class=\"missing\">Not in this report: {}</p>", escape(why));
}

std::string timeline_section(const Timeline& t) {
  std::string html = svg_timeline(t);
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
    html += fmt::format(
        "<tr><td>{}</td><td>{}&nbsp;→&nbsp;{}</td><td>{} {}</td><td class=\"num\">{:+.1f}</td>"
        "<td>{}{}</td><td>{}</td></tr>",
        escape(r.date), escape(r.actor1), escape(r.actor2), escape(r.cameo), escape(r.what),
        r.goldstein, escape(r.summary), disputes, escape(fmt::format("{}", fmt::join(r.sources, ", "))));
  }
  return html + "</table></div></details>";
}

std::string dyad_section(const std::vector<DyadPanel>& panels) {
  std::string html;
  for (const auto& p : panels) {
    html += fmt::format("<h3>{} ↔ {}</h3>", escape(p.a), escape(p.b));
    for (const auto& c : p.charts) html += svg_line_chart(c);
    if (!p.note.empty()) html += fmt::format("<p class=\"note\">{}</p>", escape(p.note));
  }
  return html;
}

std::string leverage_section(const std::vector<Heatmap>& maps) {
  std::string html = "<div class=\"row\">";
  for (const auto& h : maps) html += svg_heatmap(h);
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

std::string forecast_section(const Forecast& f) {
  std::string html = fmt::format("<p>{}</p>", escape(f.caption));
  html += svg_probabilities(f.scenarios);
  html += "<div class=\"row\">";
  for (const auto& fan : f.fans) html += svg_fan(fan);
  return html + "</div>";
}

std::string bargaining_section(const Bargaining& b) {
  std::string html = "<p class=\"note\">Each issue on its 0–100 scale: ● an actor's position (size: "
                     "salience), ▼ the status quo, ▲ where each model expects it to settle.</p>";
  for (const auto& i : b.issues) html += svg_issue(i);
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
  html += "</header>\n<nav><a href=\"#timeline\">Timeline</a><a href=\"#dyads\">Dyadic series</a>"
          "<a href=\"#leverage\">Leverage</a><a href=\"#map\">Map</a><a href=\"#forecast\">"
          "Forecast</a><a href=\"#sensitivity\">Sensitivity</a><a href=\"#bargaining\">"
          "Bargaining</a></nav>\n<main>\n";
  html += section("timeline", "Timeline: each event with its sources", r.timeline, timeline_section);
  html += section("dyads", "Dyadic series", r.dyads, dyad_section);
  html += section("leverage", "Leverage by channel", r.leverage, leverage_section);
  html += section("map", "Infrastructure", r.map,
                  [&](const MapData& m) { return map_section(m, basemap); });
  html += section("forecast", "Scenario forecast", r.forecast, forecast_section);
  html += section("sensitivity", "Sensitivity", r.tornado,
                  [](const Tornado& t) { return svg_tornado(t); });
  html += section("bargaining", "Bargaining outcomes", r.bargaining, bargaining_section);
  html += "</main>\n<footer>Made by Sphere. Every chart is drawn from the model's sourced data; "
          "hover a mark for its details. Country outlines: Natural Earth (public domain).</footer>"
          "\n</body></html>\n";
  return html;
}

}  // namespace sphere::report

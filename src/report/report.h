// Sphere's report: one self-contained HTML file (no scripts, no external references) with every
// chart drawn as inline SVG. Each section is fed by a small plain struct that the caller fills
// from whatever model layers exist; a section left empty says why instead of showing made-up
// data. The map's country outlines are built at build time from Natural Earth (web/scripts/
// map.mjs) and embedded in the binary. See docs/MODEL.md, "Report".
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sphere::report {

// Text made safe for HTML and SVG: & < > " ' become entities.
std::string escape(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Section data

// A section's data, or the reason it is not in the report.
template <class T>
struct Part {
  std::optional<T> data;
  std::string missing;  // shown in place of the section when `data` is empty
};

// A source's verbatim words behind a record.
struct SourceQuote {
  std::string source, text;
};

// One event of the timeline.
struct TimelineRow {
  std::string id, date;          // date as the sources give it ("2024", "2024-12-25")
  double when = 0.0;             // position on the time axis: fractional year
  std::string actor1, actor2, cameo, what;  // what: the CAMEO code's description
  double goldstein = 0.0;
  std::string summary;
  std::vector<std::string> sources;    // source ids
  std::vector<std::string> disputes;   // topics of the source disagreements naming this event
  std::vector<SourceQuote> quotes{};   // each source's words (tooltips and the appendix)
};

struct Timeline {
  std::vector<TimelineRow> rows;  // in date order
};

// One of the model's source documents, as `sphere sources` gives it.
struct SourceEntry {
  std::string id, title, author, publisher, date, date_clues, standpoint;
};

// A place where sources disagree: each side's claim with its quote.
struct Disagreement {
  std::string id, topic;
  struct Claim {
    std::string source, claim, quote;
  };
  std::vector<Claim> claims;
  std::vector<std::string> events;  // events it concerns
};

// A line of a chart: one value per x, NaN where there is none.
struct Line {
  std::string name;
  std::vector<double> y;
};

// Monthly or yearly values of one or more lines over a common x axis (fractional years).
struct LineChart {
  std::string title, y_label;
  std::vector<double> x;
  std::vector<Line> lines;
  bool bars = false;  // draw the first line as bars around zero instead of a line
  std::string note{};  // what the values mean: units and scale, shown under the chart
};

// A dyad's series: the charts and the counts beside them.
struct DyadPanel {
  std::string a, b;               // actor ids
  std::vector<LineChart> charts;  // e.g. Goldstein sum per period, events per period
  std::string note;               // e.g. events dated to a year only, not in the series
};

// A matrix of values (rows act on columns), drawn as a heatmap; NaN cells are blank.
struct Heatmap {
  std::string title, note;
  std::vector<std::string> rows, cols;
  std::vector<std::vector<double>> values;  // [row][col]
  double low = 0.0, high = 1.0;             // colour scale ends
  bool percent = false;                     // shares: cells read in per cent, 2 significant digits
};

// Sets the colour scale symmetric around 0 and reaching the largest finite |value|, so that small
// values (leverage as shares of GDP) still show; a matrix of zeros gets [-1, 1].
void fit_symmetric_scale(Heatmap& heatmap);

// A place on the map.
struct MapNode {
  std::string id, name, kind, country;
  double lon = 0.0, lat = 0.0;
  bool placed = false;  // false: the model gives no position; the node is listed, not drawn
  std::string label{};  // short name drawn on the map (empty: the name)
};

// A pipeline, rail line, road or sea lane on the map.
struct MapLink {
  std::string id, name, kind, carrier;  // carrier: gas | oil | freight
  std::string from, to;                 // node ids
  std::string status;                   // operating | idle | halted | planned
  double capacity = 0.0;
  std::string unit;
  std::optional<double> flow;  // routed volume in the scenario shown, when computed
  bool cut = false;            // cut in the what-if shown
  bool opened = false;         // opened in the what-if shown
  std::vector<std::pair<double, double>> via;  // waypoints (lon, lat) between from and to
};

struct MapData {
  std::string caption;  // what scenario is shown
  std::vector<MapNode> nodes;
  std::vector<MapLink> links;
  std::vector<std::string> notes;  // lines under the map (what-if results, positions' source)
  // Countries drawn as the region (ISO3; the model's [view] focus), the first one's name largest.
  std::vector<std::string> focus{};
};

// A scenario's probability with its interval.
struct ScenarioProbability {
  std::string id, name;
  double p = 0.0, low = 0.0, high = 0.0;
  std::string rule{};        // the condition that defines it (model.toml `when`)
  SourceQuote description{};  // where a source describes it
};

// Quantile bands of one indicator over time: q[k][t] for the levels in `levels`.
struct Fan {
  std::string title, unit;
  std::vector<double> x;                    // fractional years
  std::array<double, 5> levels{0.025, 0.25, 0.5, 0.75, 0.975};
  std::array<std::vector<double>, 5> q;     // per level, one value per x
  std::string note{};  // what the indicator measures and how to read its scale
};

struct Forecast {
  std::string caption;  // runs, seed, horizon
  std::vector<ScenarioProbability> scenarios;
  std::vector<Fan> fans;
  // Issues the engine settles by bargaining: issue id and the mean outcome at the horizon.
  std::vector<std::pair<std::string, double>> settled;
  std::string horizon;  // YYYY-MM
  std::vector<std::string> notes;  // how the forecast was calibrated, what the intervals cover
};

// The scenario questions forecast by the estimated model: one curve per scenario with both
// intervals, the numbers at the horizon and the attribution.
struct ScenarioCurve {
  std::string id, name, resolution, not_modelled;
  SourceQuote description{};        // where a source describes the scenario
  std::vector<double> x;            // fractional years (mid-month)
  std::vector<double> p, mc_low, mc_high, param_low, param_high;  // per x
  double unconditioned = 0, robust_low = 0, robust_high = 0;     // at the horizon
};
struct Scenarios {
  std::string caption;       // model, panel, calibration, runs
  std::string conditioning;  // what the ensemble was conditioned on
  std::string horizon;       // YYYY-MM
  std::vector<ScenarioCurve> curves;
  std::vector<std::string> mechanisms;       // attribution (empty: not run)
  std::vector<std::vector<double>> shapley;  // [mechanism][scenario]
  std::vector<double> all_off;
  std::vector<std::string> notes;
};

// One factor's swing of the output between its low and high values, others at their base.
struct TornadoBar {
  std::string name;
  double at_low = 0.0, at_high = 0.0;  // output with the factor at its low / high value
  std::string range;                   // the factor's range as text
};

struct Tornado {
  std::string title, output;  // output: what is measured
  double base = 0.0;
  std::vector<TornadoBar> bars;  // drawn widest swing first
};

// An actor's stand on an issue.
struct IssueStand {
  std::string actor;
  double position = 0.0, salience = 0.0;
};

// A contested issue on its 0..100 scale with each model's outcome.
struct IssueOutcome {
  std::string id, title, low, high;  // low / high: what 0 and 100 mean
  double status_quo = 0.0;
  std::vector<IssueStand> stands;
  std::vector<std::pair<std::string, double>> outcomes;  // model name, predicted position
};

struct Bargaining {
  std::vector<IssueOutcome> issues;
};

// A stored backtest of the estimated dyadic model against baselines: rolling-origin forecasts
// scored out of sample (sphere backtest).
struct BacktestSkill {
  std::string baseline;
  int h = 0;
  double skill = 0, low = 0, high = 0;  // 1 − CRPS ratio, 95% block-bootstrap interval
  double p_value = 1;                   // Diebold–Mariano
  std::string no_interval;              // why low, high and p_value are NaN (empty: they are not)
};
struct BacktestModel {
  std::string name;
  std::vector<double> crps;  // mean CRPS at each of Backtest::horizons (NaN: none)
  std::vector<double> rps;   // mean ranked probability score of the count's class (NaN: none)
};
struct ReliabilityBin {
  double p = 0, observed = 0;  // mean forecast probability and observed frequency of a bin
  std::size_t n = 0;
};
struct Backtest {
  std::string caption;                  // panel, target, origins, forecasts
  std::vector<std::string> provenance;  // command, when, panel digest, data through
  std::vector<int> horizons;
  std::vector<BacktestModel> models;    // [0] the model; then ablations and baselines
  std::vector<BacktestSkill> skills;    // the model against each other model, by horizon
  std::vector<BacktestSkill> rps_skills;  // the same for the ranked probability score
  std::string rps_classes;              // the ordinal classes it scores
  std::string event;                    // what the reliability diagram's probability is of
  bool level = false;  // a real-valued level: no exceedances, so no reliability diagram
  std::vector<ReliabilityBin> reliability;  // the model's, at `diagram_horizon`
  std::array<double, 10> pit{};             // the model's PIT histogram at `diagram_horizon`
  int diagram_horizon = 1;
};

// Everything the report shows.
struct Report {
  std::string title, subtitle;        // model name; location and date span
  std::vector<std::string> summary;   // short lines under the title
  Part<std::vector<SourceEntry>> sources;
  Part<std::vector<Disagreement>> disagreements;
  Part<Timeline> timeline;
  Part<std::vector<DyadPanel>> dyads;
  Part<std::vector<Heatmap>> leverage;  // one heatmap per channel
  Part<MapData> map;
  Part<Scenarios> scenarios;  // the scenario forecast (estimated model)
  Part<Forecast> forecast;    // the structural what-if engine
  Part<Tornado> tornado;
  Part<Bargaining> bargaining;
  Part<Backtest> backtest;        // the count model's (backtest.json)
  Part<Backtest> level_backtest;  // the level model's (backtest-levels.json)
};

// ---------------------------------------------------------------------------------------------
// Rendering

// The region map's country outlines, projected at build time (web/scripts/map.mjs).
struct Basemap {
  std::string source, projection;
  double lon0 = 0, lon1 = 0, lat0 = 0, lat1 = 0;  // bounds, degrees
  double width = 0, height = 0, kx = 1, k = 1;     // x = (lon - lon0)·kx·k, y = (lat1 - lat)·k
  struct Country {
    std::string id, iso3, name, path;  // path: SVG path data
    double label_x = 0, label_y = 0;
  };
  std::vector<Country> countries;
  // Smaller frames drawn inside this one for what lies beyond its edges (0 or 1: the west).
  std::vector<Basemap> insets;

  // Parses the JSON map.mjs writes; throws std::runtime_error on a malformed file.
  static Basemap parse(std::string_view json);
  // The basemap built into the binary (empty countries when Node was not available at build).
  static Basemap builtin();
  // Projected position of a point.
  std::pair<double, double> project(double lon, double lat) const;
};

// Each chart as a standalone <svg> element.
std::string svg_timeline(const Timeline& timeline);
std::string svg_line_chart(const LineChart& chart);
std::string svg_heatmap(const Heatmap& heatmap);
std::string svg_map(const MapData& map, const Basemap& basemap);
std::string svg_probabilities(const std::vector<ScenarioProbability>& scenarios);
std::string svg_fan(const Fan& fan);
// P(scenario by month) for every scenario: line, parameter-uncertainty band (light) and Monte
// Carlo band (dark), on a 0–100% axis.
std::string svg_scenario_curves(const Scenarios& scenarios);
std::string svg_tornado(const Tornado& tornado);
std::string svg_issue(const IssueOutcome& issue);
// The backtest's charts: forecast probability against observed frequency (the diagonal is
// calibrated), the PIT histogram (flat is calibrated), and each baseline's skill by horizon with
// its interval.
std::string svg_reliability(const std::vector<ReliabilityBin>& bins, std::string_view event);
std::string svg_pit(const std::array<double, 10>& pit, int horizon);
std::string svg_skill_by_horizon(const std::vector<BacktestSkill>& skills);

// The whole report as one HTML document.
std::string render_html(const Report& report, const Basemap& basemap);

}  // namespace sphere::report

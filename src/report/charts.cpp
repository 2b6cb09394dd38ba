// The charts: timeline, line and bar charts, heatmaps, scenario probabilities, fan charts,
// tornado charts and issue scales. Each returns one <svg> element.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/ranges.h>

#include <fmt/format.h>

#include "report/internal.h"
#include "report/report.h"

namespace sphere::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A time axis that may be broken: when most events are recent and a few are old, the old span
// gets a fifth of the width so that the recent events do not bunch together.
struct TimeAxis {
  double first = 0, split = 0, last = 1;  // split == first: not broken
  double left = 0, right = 1, gap = 0;

  double operator()(double t) const {
    if (split <= first) return Scale{first, last, left, right}(t);
    const double mid = left + (right - left) * 0.2;
    if (t < split) return Scale{first, split, left, mid - gap}(t);
    return Scale{split, last, mid + gap, right}(t);
  }
};

TimeAxis time_axis(std::vector<double> when, double left, double right) {
  TimeAxis axis;
  axis.left = left;
  axis.right = right;
  std::sort(when.begin(), when.end());
  axis.first = std::floor(when.front());
  axis.last = std::floor(when.back()) + 1;
  // The year from which 80% of the events lie.
  const double recent = std::floor(when[static_cast<std::size_t>(when.size() * 0.2)]);
  if (recent - axis.first > 15 && axis.last - recent < (axis.last - axis.first) / 3) {
    axis.split = recent;
    axis.gap = 6;
  } else {
    axis.split = axis.first;
  }
  return axis;
}

void year_ticks(Svg& svg, const TimeAxis& axis, double y_top, double y_bottom) {
  auto draw = [&](double from, double to, int count) {
    for (double t : nice_ticks(from, to, count)) {
      if (t < from || t > to || t != std::floor(t)) continue;  // whole years only
      const double x = axis(t);
      svg.line(x, y_top, x, y_bottom, "#e3e3e3");
      svg.text(x, y_bottom + 14, label_number(t, 0), "middle", 10, "#555");
    }
  };
  if (axis.split > axis.first) {
    draw(axis.first, axis.split - 1, 3);
    draw(axis.split, axis.last, 6);
    const double x = (axis(axis.split - 1e-9) + axis(axis.split)) / 2;
    svg.line(x - 4, y_bottom + 4, x + 4, y_bottom - 4, "#777", 1.2);
    svg.line(x - 1, y_bottom + 4, x + 7, y_bottom - 4, "#777", 1.2);
  } else {
    draw(axis.first, axis.last, 8);
  }
}

// Shared frame for charts with a numeric y axis.
struct Frame {
  double width = 760, height = 260, left = 56, right = 16, top = 30, bottom = 36;
  double x0() const { return left; }
  double x1() const { return width - right; }
  double y0() const { return height - bottom; }
  double y1() const { return top; }
};

void y_axis(Svg& svg, const Frame& f, const Scale& y, double low, double high,
            std::string_view label) {
  for (double t : nice_ticks(low, high, 5)) {
    svg.line(f.x0(), y(t), f.x1(), y(t), t == 0 ? "#999" : "#e3e3e3");
    svg.text(f.x0() - 6, y(t) + 3.5, label_number(t), "end", 10, "#555");
  }
  svg.text(12, f.y1() - 12, label, "start", 10.5, "#555");
}

std::pair<double, double> finite_range(const std::vector<const std::vector<double>*>& all) {
  double low = std::numeric_limits<double>::infinity(), high = -low;
  for (const auto* v : all)
    for (double x : *v)
      if (std::isfinite(x)) {
        low = std::min(low, x);
        high = std::max(high, x);
      }
  if (!std::isfinite(low)) return {0, 1};
  if (low == high) return {low - 1, high + 1};
  const double pad = (high - low) * 0.05;
  return {low - pad, high + pad};
}

}  // namespace

std::string svg_timeline(const Timeline& timeline) {
  const double width = 1080, height = 300, left = 40, right = 16, top = 24, bottom = 40;
  Svg svg(width, height, fmt::format("Timeline of {} events by Goldstein value", timeline.rows.size()));
  if (timeline.rows.empty()) {
    svg.text(width / 2, height / 2, "no events", "middle");
    return svg.finish();
  }
  std::vector<double> when;
  for (const auto& r : timeline.rows) when.push_back(r.when);
  const TimeAxis axis = time_axis(when, left + 8, width - right - 8);
  const Scale y{-10, 10, height - bottom, top};
  for (double g : {-10.0, -5.0, 0.0, 5.0, 10.0}) {
    svg.line(left, y(g), width - right, y(g), g == 0 ? "#999" : "#eee");
    svg.text(left - 6, y(g) + 3.5, label_number(g), "end", 10, "#555");
  }
  svg.text(4, 14, "Goldstein (−10 conflict … +10 cooperation); ringed: sources disagree", "start",
           10.5, "#555");
  year_ticks(svg, axis, top, height - bottom);
  // Events on the same day and value would hide each other: nudge repeats upwards.
  std::map<std::pair<long, long>, int> seen;
  for (const auto& r : timeline.rows) {
    const double x = axis(r.when);
    const int n = seen[{std::lround(x / 3), std::lround(r.goldstein * 2)}]++;
    const double cy = y(r.goldstein) - n * 5.0;
    std::string tip = fmt::format("{}  {} → {}  [{} {}, {:+.1f}]\n{}\nsources: {}", r.date,
                                  r.actor1, r.actor2, r.cameo, r.what, r.goldstein, r.summary,
                                  fmt::join(r.sources, ", "));
    if (!r.disputes.empty())
      tip += fmt::format("\n⚑ sources disagree: {}", fmt::join(r.disputes, "; "));
    const std::string fill = r.goldstein < 0 ? "#c0392b" : r.goldstein > 0 ? "#1f77b4" : "#888";
    if (!r.disputes.empty()) svg.circle(x, cy, 7.5, "none", "#e69f00");
    svg.circle(x, cy, 4, fill, "#fff", tip);
  }
  return svg.finish();
}

std::string svg_line_chart(const LineChart& chart) {
  Frame f;
  f.top = 60;
  Svg svg(f.width, f.height, chart.title);
  std::vector<const std::vector<double>*> ys;
  for (const auto& l : chart.lines) ys.push_back(&l.y);
  auto [low, high] = finite_range(ys);
  if (chart.bars) {
    low = std::min(low, 0.0);
    high = std::max(high, 0.0);
  }
  const Scale y{low, high, f.y0(), f.y1()};
  svg.text(f.x0(), 16, chart.title, "start", 12.5, "#222", "font-weight=\"600\"");
  y_axis(svg, f, y, low, high, chart.y_label);
  for (std::size_t li = 0; li < chart.lines.size(); ++li) {  // legend under the title
    const double lx = f.x0() + li * 170;
    svg.rect(lx, 24, 12, 8, std::string(palette(li)));
    svg.text(lx + 16, 32, chart.lines[li].name, "start", 10.5, "#333");
  }
  if (chart.x.empty()) return svg.finish();
  const double pad = chart.x.size() > 1 ? (chart.x.back() - chart.x.front()) / (chart.x.size() - 1) : 1;
  const Scale x{chart.x.front() - pad / 2, chart.x.back() + pad / 2, f.x0(), f.x1()};
  for (double t : nice_ticks(chart.x.front(), chart.x.back(), 8)) {
    if (t != std::floor(t) || t < chart.x.front() - pad / 2 || t > chart.x.back() + pad / 2) continue;
    svg.line(x(t), f.y0(), x(t), f.y0() + 4, "#777");
    svg.text(x(t), f.y0() + 16, label_number(t, 0), "middle", 10, "#555");
  }
  const double slot = (f.x1() - f.x0()) / chart.x.size();
  const double bar = std::max(1.0, slot * 0.8 / std::max<std::size_t>(1, chart.lines.size()));
  for (std::size_t li = 0; li < chart.lines.size(); ++li) {
    const auto& line = chart.lines[li];
    const std::string colour(palette(li));
    const std::size_t n = std::min(line.y.size(), chart.x.size());
    if (chart.bars) {  // grouped bars, one per line in each slot
      for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(line.y[i]) || line.y[i] == 0) continue;
        const double top = y(std::max(0.0, line.y[i])), bottom = y(std::min(0.0, line.y[i]));
        const double left = x(chart.x[i]) - slot * 0.4 + bar * li;
        svg.rect(left, top, bar, std::max(bottom - top, 1.0), colour,
                 fmt::format("{}: {} {}", year_label(chart.x[i] - pad / 2), line.name,
                             label_number(line.y[i])));
      }
      continue;
    }
    std::string d;
    bool pen = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(line.y[i])) {
        pen = false;
        continue;
      }
      d += fmt::format("{}{},{}", pen ? "L" : "M", num(x(chart.x[i])), num(y(line.y[i])));
      pen = true;
    }
    svg.path(d, "none", colour, 1.8, line.name);
  }
  return svg.finish();
}

void fit_symmetric_scale(Heatmap& h) {
  double most = 0.0;
  for (const auto& row : h.values)
    for (double v : row)
      if (std::isfinite(v)) most = std::max(most, std::abs(v));
  if (!(most > 0.0)) most = 1.0;
  h.low = -most;
  h.high = most;
}

namespace {

// A cell's text: the value, or in per cent with two significant digits ("4.2%", "0.015%").
std::string cell_text(double v, bool percent) {
  if (!percent) return label_number(v, 2);
  const double p = v * 100.0;
  if (p == 0.0) return "0%";
  const int digits = std::max(0, 1 - static_cast<int>(std::floor(std::log10(std::abs(p)))));
  return label_number(p, digits) + "%";
}

}  // namespace

std::string svg_heatmap(const Heatmap& h) {
  const double cell = 46, left = 120, top = 92;
  const double width = left + cell * h.cols.size() + 24, height = top + cell * h.rows.size() + 40;
  Svg svg(width, height, h.title);
  svg.text(8, 16, h.title, "start", 12.5, "#222", "font-weight=\"600\"");
  const bool diverging = h.low < 0 && h.high > 0;
  const Scale t{h.low, h.high, 0, 1};
  for (std::size_t c = 0; c < h.cols.size(); ++c)
    svg.text(left + cell * (c + 0.5), top - 8, h.cols[c], "start", 10.5, "#333",
             fmt::format("transform=\"rotate(-45 {} {})\"", num(left + cell * (c + 0.5)),
                         num(top - 8)));
  for (std::size_t r = 0; r < h.rows.size(); ++r) {
    svg.text(left - 8, top + cell * (r + 0.5) + 4, h.rows[r], "end", 10.5, "#333");
    for (std::size_t c = 0; c < h.cols.size(); ++c) {
      const double v = r < h.values.size() && c < h.values[r].size() ? h.values[r][c] : kNaN;
      const double x = left + cell * c, y = top + cell * r;
      if (!std::isfinite(v)) {
        svg.rect(x + 1, y + 1, cell - 2, cell - 2, "#fbfbfb", "", "stroke=\"#eee\"");
        continue;
      }
      const double u = t(v);
      svg.rect(x + 1, y + 1, cell - 2, cell - 2, heat_colour(u, diverging),
               fmt::format("{} over {}: {}", h.rows[r], h.cols[c],
                           h.percent ? cell_text(v, true) : label_number(v, 3)));
      svg.text(x + cell / 2, y + cell / 2 + 4, cell_text(v, h.percent), "middle", 10,
               std::abs(u - (diverging ? 0.5 : 0.0)) > 0.35 ? "#fff" : "#222");
    }
  }
  svg.text(8, height - 12,
           fmt::format("rows act on columns · colour from {} to {}", cell_text(h.low, h.percent),
                       cell_text(h.high, h.percent)),
           "start", 10, "#555");
  return svg.finish();
}

std::string svg_probabilities(const std::vector<ScenarioProbability>& scenarios) {
  const double left = 300, width = 760, bar = 26, top = 30;
  const double height = top + scenarios.size() * (bar + 14) + 30;
  Svg svg(width, height, "Scenario probabilities with 95% intervals");
  const Scale x{0, 1, left, width - 30};
  for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    svg.line(x(t), top - 6, x(t), height - 26, "#e3e3e3");
    svg.text(x(t), height - 10, fmt::format("{}%", label_number(t * 100, 0)), "middle", 10,
             "#555");
  }
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const auto& s = scenarios[i];
    const double y = top + i * (bar + 14);
    svg.text(left - 10, y + bar / 2 + 4, s.name, "end", 11.5, "#222");
    svg.rect(x(0), y, x(s.p) - x(0), bar, std::string(palette(i)),
             fmt::format("{}: {:.1f}% (95% interval {:.1f}–{:.1f}%)", s.name, s.p * 100,
                         s.low * 100, s.high * 100),
             "opacity=\"0.85\"");
    svg.line(x(s.low), y + bar / 2, x(s.high), y + bar / 2, "#111", 1.5);
    svg.line(x(s.low), y + 6, x(s.low), y + bar - 6, "#111", 1.5);
    svg.line(x(s.high), y + 6, x(s.high), y + bar - 6, "#111", 1.5);
    svg.text(x(s.high) + 6, y + bar / 2 + 4, fmt::format("{:.1f}%", s.p * 100), "start", 11,
             "#222");
  }
  return svg.finish();
}

namespace {

// A polyline through (xs, ys), in the frame's scales.
std::string line_path(const Scale& x, const Scale& y, const std::vector<double>& xs,
                      const std::vector<double>& ys) {
  std::string d;
  for (std::size_t i = 0; i < xs.size(); ++i)
    d += fmt::format("{}{},{}", i ? "L" : "M", num(x(xs[i])), num(y(ys[i])));
  return d;
}

// The closed area between `lo` and `hi` over xs: along `hi`, back along `lo`.
std::string band_path(const Scale& x, const Scale& y, const std::vector<double>& xs,
                      const std::vector<double>& lo, const std::vector<double>& hi) {
  std::string d = line_path(x, y, xs, hi);
  for (std::size_t i = xs.size(); i-- > 0;) d += fmt::format("L{},{}", num(x(xs[i])), num(y(lo[i])));
  return d + "Z";
}

}  // namespace

std::string svg_fan(const Fan& fan) {
  Frame f;
  f.width = 520;
  f.height = 240;
  Svg svg(f.width, f.height, fan.title + ": median and 50% / 95% bands");
  svg.text(f.width / 2, 16, fan.title, "middle", 12.5, "#222", "font-weight=\"600\"");
  std::vector<const std::vector<double>*> ys;
  for (const auto& q : fan.q) ys.push_back(&q);
  auto [low, high] = finite_range(ys);
  const Scale y{low, high, f.y0(), f.y1()};
  y_axis(svg, f, y, low, high, fan.unit);
  if (fan.x.empty()) return svg.finish();
  const Scale x{fan.x.front(), fan.x.back(), f.x0(), f.x1()};
  for (double t : nice_ticks(fan.x.front(), fan.x.back(), 5)) {
    svg.line(x(t), f.y0(), x(t), f.y0() + 4, "#777");
    svg.text(x(t), f.y0() + 16, year_label(t), "middle", 10, "#555");
  }
  svg.path(band_path(x, y, fan.x, fan.q[0], fan.q[4]), "#9ecae1", "none", 0, "95% band", "opacity=\"0.6\"");
  svg.path(band_path(x, y, fan.x, fan.q[1], fan.q[3]), "#4292c6", "none", 0, "50% band", "opacity=\"0.6\"");
  const std::string d = line_path(x, y, fan.x, fan.q[2]);
  svg.path(d, "none", "#08306b", 2, "median");
  return svg.finish();
}

std::string svg_scenario_curves(const Scenarios& sc) {
  Frame f;
  f.width = 760;
  f.height = 280;
  f.right = 150;  // room for the labels at the curves' ends
  Svg svg(f.width, f.height, "P(scenario) by month with Monte Carlo and parameter-uncertainty bands");
  const Scale y{0, 1, f.y0(), f.y1()};
  for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    svg.line(f.x0(), y(t), f.x1(), y(t), t == 0 ? "#999" : "#e3e3e3");
    svg.text(f.x0() - 6, y(t) + 3.5, fmt::format("{}%", label_number(t * 100, 0)), "end", 10, "#555");
  }
  if (sc.curves.empty() || sc.curves.front().x.empty()) return svg.finish();
  const auto& xs = sc.curves.front().x;
  const Scale x{xs.front(), xs.back(), f.x0(), f.x1()};
  for (double t : nice_ticks(xs.front(), xs.back(), 6)) {
    svg.line(x(t), f.y0(), x(t), f.y0() + 4, "#777");
    svg.text(x(t), f.y0() + 16, year_label(t), "middle", 10, "#555");
  }
  for (std::size_t k = 0; k < sc.curves.size(); ++k) {
    const ScenarioCurve& c = sc.curves[k];
    const std::string colour(palette(k));
    svg.path(band_path(x, y, c.x, c.param_low, c.param_high), colour, "none", 0,
             c.name + ": parameter-uncertainty 95% band", "opacity=\"0.18\"");
    svg.path(band_path(x, y, c.x, c.mc_low, c.mc_high), colour, "none", 0, c.name + ": Monte Carlo 95% band",
             "opacity=\"0.45\"");
    svg.path(line_path(x, y, c.x, c.p), "none", colour, 2, fmt::format("{}: {:.0f}% at {}", c.name, 100 * c.p.back(), sc.horizon));
    svg.text(f.x1() + 6, y(c.p.back()) + 4, fmt::format("{} {:.0f}%", c.id, 100 * c.p.back()), "start", 11, colour);
  }
  return svg.finish();
}

std::string svg_tornado(const Tornado& t) {
  const double left = 240, width = 760, bar = 16, top = 44;
  const double height = top + t.bars.size() * (bar + 6) + 40;
  Svg svg(width, height, t.title);
  svg.text(8, 16, t.title, "start", 12.5, "#222", "font-weight=\"600\"");
  double low = t.base, high = t.base;
  for (const auto& b : t.bars) {
    low = std::min({low, b.at_low, b.at_high});
    high = std::max({high, b.at_low, b.at_high});
  }
  if (high - low < 1e-12) {
    low -= 0.01;
    high += 0.01;
  }
  const Scale x{low, high, left, width - 60};
  for (double v : nice_ticks(low, high, 6)) {
    svg.line(x(v), top - 6, x(v), height - 30, "#eee");
    svg.text(x(v), height - 16, label_number(v, 3), "middle", 10, "#555");
  }
  svg.line(x(t.base), top - 10, x(t.base), height - 30, "#333", 1.2);
  svg.text(x(t.base), top - 14, fmt::format("base {}", label_number(t.base, 3)), "middle", 10);
  svg.rect(width - 290, 24, 10, 10, "#56b4e9");
  svg.text(width - 276, 33, "factor at its low value", "start", 10, "#555");
  svg.rect(width - 140, 24, 10, 10, "#d55e00");
  svg.text(width - 126, 33, "at its high value", "start", 10, "#555");
  for (std::size_t i = 0; i < t.bars.size(); ++i) {
    const auto& b = t.bars[i];
    const double y = top + i * (bar + 6);
    svg.text(left - 8, y + bar - 4, b.name, "end", 10.5, "#222");
    auto side = [&](double v, std::string_view colour, std::string_view which) {
      const double a = std::min(x(t.base), x(v)), w = std::abs(x(v) - x(t.base));
      svg.rect(a, y, std::max(w, 0.8), bar, colour,
               fmt::format("{} at its {} value ({}): {}", b.name, which, b.range,
                           label_number(v, 4)));
    };
    side(b.at_low, "#56b4e9", "low");
    side(b.at_high, "#d55e00", "high");
  }
  svg.text(8, height - 2, t.output, "start", 10, "#555");
  return svg.finish();
}

std::string svg_issue(const IssueOutcome& issue) {
  const double width = 760, left = 40, right = 40, axis_y = 86;
  const double height = 150 + 13.0 * issue.outcomes.size();
  Svg svg(width, height, "Issue: " + issue.title);
  const Scale x{0, 100, left, width - right};
  svg.text(8, 16, issue.title, "start", 12.5, "#222", "font-weight=\"600\"");
  svg.line(x(0), axis_y, x(100), axis_y, "#555", 1.5);
  for (double t = 0; t <= 100; t += 25) {
    svg.line(x(t), axis_y - 4, x(t), axis_y + 4, "#555");
    svg.text(x(t), axis_y + 16, label_number(t, 0), "middle", 9.5, "#777");
  }
  svg.text(x(0), height - 8, "0: " + issue.low, "start", 10, "#555");
  svg.text(x(100), height - 8, "100: " + issue.high, "end", 10, "#555");
  // Actors above the axis, sized by salience; stacked where positions coincide.
  std::map<long, int> stack;
  for (const auto& s : issue.stands) {
    const int n = stack[std::lround(s.position / 3)]++;
    const double cy = axis_y - 14 - n * 14;
    svg.circle(x(s.position), cy, 3 + 4 * s.salience, "#cc79a7", "#fff",
               fmt::format("{}: position {}, salience {}", s.actor, label_number(s.position),
                           label_number(s.salience)));
    svg.text(x(s.position) + 9, cy + 4, s.actor, "start", 9.5, "#333");
  }
  svg.path(fmt::format("M{},{}l-5,-9h10z", num(x(issue.status_quo)), num(axis_y)), "#777", "none", 0,
           fmt::format("status quo {}", label_number(issue.status_quo)));
  // Model outcomes below the axis.
  for (std::size_t i = 0; i < issue.outcomes.size(); ++i) {
    const auto& [name, value] = issue.outcomes[i];
    const double y = axis_y + 26 + i * 13.0;
    const double at = x(value);
    const std::string_view anchor = at < width * 0.12 ? "start" : at > width * 0.88 ? "end" : "middle";
    svg.path(fmt::format("M{},{}l-5,9h10z", num(x(value)), num(axis_y + 2)),
             std::string(palette(i)), "none", 0, fmt::format("{}: {}", name, label_number(value)));
    svg.text(at, y + 4, fmt::format("{} {}", name, label_number(value, 1)), anchor, 9.5,
             std::string(palette(i)));
  }
  return svg.finish();
}

}  // namespace sphere::report

// The backtest's charts: reliability diagram, PIT histogram and skill by horizon.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "report/internal.h"
#include "report/report.h"

namespace sphere::report {
namespace {

struct Box {
  double width, height, left = 52, right = 14, top = 26, bottom = 40;
  double x0() const { return left; }
  double x1() const { return width - right; }
  double y0() const { return height - bottom; }
  double y1() const { return top; }
};

void grid(Svg& svg, const Box& b, const Scale& y, double low, double high, bool percent) {
  for (double t : nice_ticks(low, high, 5)) {
    if (t < low - 1e-12 || t > high + 1e-12) continue;
    svg.line(b.x0(), y(t), b.x1(), y(t), std::abs(t) < 1e-12 ? "#999" : "#e3e3e3");
    svg.text(b.x0() - 6, y(t) + 3.5, percent ? label_number(t * 100, 1) + "%" : label_number(t), "end",
             10, "#555");
  }
}

}  // namespace

std::string svg_reliability(const std::vector<ReliabilityBin>& bins, std::string_view event) {
  const Box b{330, 330};
  Svg svg(b.width, b.height, fmt::format("Reliability diagram of {}", event));
  const Scale x{0, 1, b.x0(), b.x1()}, y{0, 1, b.y0(), b.y1()};
  grid(svg, b, y, 0, 1, false);
  for (double t : {0.0, 0.2, 0.4, 0.6, 0.8, 1.0})
    svg.text(x(t), b.y0() + 14, label_number(t), "middle", 10, "#555");
  svg.line(x(0), y(0), x(1), y(1), "#999", 1, "4 3");
  svg.text((b.x0() + b.x1()) / 2, b.height - 8, "forecast probability", "middle", 10.5, "#555");
  svg.text(8, b.y1() - 10, "observed frequency", "start", 10.5, "#555");
  std::size_t most = 1;
  for (const auto& bin : bins) most = std::max(most, bin.n);
  std::string d;
  for (const auto& bin : bins) {
    if (bin.n == 0) continue;
    d += fmt::format("{}{},{}", d.empty() ? "M" : " L", num(x(bin.p)), num(y(bin.observed)));
  }
  if (!d.empty()) svg.path(d, "none", std::string(palette(0)), 1.6);
  for (const auto& bin : bins) {
    if (bin.n == 0) continue;
    // Area by the number of forecasts in the bin: the busy bins are the ones to trust.
    const double r = 2.5 + 6.0 * std::sqrt(static_cast<double>(bin.n) / static_cast<double>(most));
    svg.circle(x(bin.p), y(bin.observed), r, std::string(palette(0)), "#fff",
               fmt::format("forecast {:.3f}, observed {:.3f}, {} forecasts", bin.p, bin.observed, bin.n));
  }
  return svg.finish();
}

std::string svg_pit(const std::array<double, 10>& pit, int horizon) {
  const Box b{330, 330};
  Svg svg(b.width, b.height, fmt::format("PIT histogram at horizon {}", horizon));
  double top = 0.15;
  for (double v : pit) top = std::max(top, v * 1.1);
  const Scale x{0, 1, b.x0(), b.x1()}, y{0, top, b.y0(), b.y1()};
  grid(svg, b, y, 0, top, false);
  for (int i = 0; i < 10; ++i) {
    const double x0 = x(i / 10.0) + 1, x1 = x((i + 1) / 10.0) - 1;
    svg.rect(x0, y(pit[i]), x1 - x0, y(0) - y(pit[i]), palette(0),
             fmt::format("PIT in [{:.1f}, {:.1f}): {:.3f} of the forecasts", i / 10.0, (i + 1) / 10.0, pit[i]));
  }
  svg.line(b.x0(), y(0.1), b.x1(), y(0.1), "#333", 1, "4 3");
  for (double t : {0.0, 0.5, 1.0}) svg.text(x(t), b.y0() + 14, label_number(t), "middle", 10, "#555");
  svg.text((b.x0() + b.x1()) / 2, b.height - 8, "probability integral transform", "middle", 10.5, "#555");
  svg.text(8, b.y1() - 10, "share of forecasts", "start", 10.5, "#555");
  return svg.finish();
}

std::string svg_skill_by_horizon(const std::vector<BacktestSkill>& skills) {
  const Box b{560, 330, 56, 150};
  Svg svg(b.width, b.height, "Skill of the model against each baseline by horizon");
  std::vector<int> horizons;
  std::map<std::string, std::vector<const BacktestSkill*>> by;
  std::vector<std::string> order;
  double low = 0, high = 0;
  for (const auto& s : skills) {
    if (std::find(horizons.begin(), horizons.end(), s.h) == horizons.end()) horizons.push_back(s.h);
    if (!by.count(s.baseline)) order.push_back(s.baseline);
    by[s.baseline].push_back(&s);
    // A skill without an interval (NaN bounds) is drawn as a dot alone.
    low = std::min(low, s.skill);
    high = std::max(high, s.skill);
    if (std::isfinite(s.low)) low = std::min(low, s.low);
    if (std::isfinite(s.high)) high = std::max(high, s.high);
  }
  std::sort(horizons.begin(), horizons.end());
  if (horizons.empty()) {
    svg.text(b.width / 2, b.height / 2, "no skill scores", "middle");
    return svg.finish();
  }
  const double pad = std::max(0.01, (high - low) * 0.06);
  low -= pad;
  high += pad;
  // Horizons evenly spaced (1, 3, 6, 12 would crowd on a linear axis).
  const double step = (b.x1() - b.x0()) / static_cast<double>(horizons.size());
  const auto xh = [&](int h, std::size_t series) {
    const std::size_t i = static_cast<std::size_t>(
        std::find(horizons.begin(), horizons.end(), h) - horizons.begin());
    const double spread = std::min(step * 0.6, 8.0 * static_cast<double>(order.size()));
    const double offset = order.size() > 1
                              ? -spread / 2 + spread * static_cast<double>(series) / static_cast<double>(order.size() - 1)
                              : 0.0;
    return b.x0() + step * (static_cast<double>(i) + 0.5) + offset;
  };
  const Scale y{low, high, b.y0(), b.y1()};
  grid(svg, b, y, low, high, true);
  for (int h : horizons)
    svg.text(b.x0() + step * (static_cast<double>(std::find(horizons.begin(), horizons.end(), h) - horizons.begin()) + 0.5),
             b.y0() + 14, fmt::format("h = {}", h), "middle", 10, "#555");
  svg.text(8, b.y1() - 10, "skill (1 − CRPS ratio); above 0: the model is better", "start", 10.5, "#555");
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string colour(palette(k + 1));
    std::string d;
    for (const BacktestSkill* s : by[order[k]]) {
      const double x = xh(s->h, k);
      if (std::isfinite(s->low) && std::isfinite(s->high)) svg.line(x, y(s->low), x, y(s->high), colour, 1.4);
      d += fmt::format("{}{},{}", d.empty() ? "M" : " L", num(x), num(y(s->skill)));
    }
    svg.path(d, "none", colour, 1.2, "", "opacity=\"0.6\"");
    for (const BacktestSkill* s : by[order[k]])
      svg.circle(xh(s->h, k), y(s->skill), 3.2, colour, "#fff",
                 std::isfinite(s->low)
                     ? fmt::format("against {} at h = {}: {:+.1f}% [{:+.1f}, {:+.1f}], {}", order[k], s->h,
                                   s->skill * 100, s->low * 100, s->high * 100,
                                   std::isfinite(s->p_value) ? fmt::format("DM p = {:.2g}", s->p_value)
                                                             : std::string("no DM test"))
                     : fmt::format("against {} at h = {}: {:+.1f}% (no interval: {})", order[k], s->h,
                                   s->skill * 100, s->no_interval));
    const double ly = b.y1() + 16.0 * static_cast<double>(k) + 6;
    svg.line(b.x1() + 12, ly, b.x1() + 28, ly, colour, 2.5);
    svg.text(b.x1() + 32, ly + 3.5, order[k], "start", 10.5, "#333");
  }
  return svg.finish();
}

}  // namespace sphere::report

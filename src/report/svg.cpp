// The SVG writer and the small numeric helpers every chart uses.
#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "report/internal.h"
#include "report/report.h"

namespace sphere::report {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double value) {
  if (!std::isfinite(value)) value = 0.0;
  return fmt::format("{:.1f}", value);
}

namespace {
// A <title> child: browsers show it as a tooltip.
std::string space_before(std::string_view extra) {
  std::string out;
  if (!extra.empty()) {
    out.reserve(extra.size() + 1);
    out.push_back(' ');
    out.append(extra);
  }
  return out;
}

std::string tooltip_of(std::string_view tooltip) {
  return tooltip.empty() ? "" : "<title>" + escape(tooltip) + "</title>";
}
}  // namespace

Svg::Svg(double width, double height, std::string_view label, std::string_view css_class) {
  out_ = fmt::format(
      "<svg class=\"{}\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
      escape(css_class), num(width), num(height), num(width), num(height), escape(label),
      escape(label));
}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
               std::string_view dash) {
  out_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
                      "stroke-width=\"{}\"{}/>",
                      num(x1), num(y1), num(x2), num(y2), escape(stroke), num(width),
                      dash.empty() ? "" : " stroke-dasharray=\"" + escape(dash) + "\"");
}

void Svg::rect(double x, double y, double w, double h, std::string_view fill,
               std::string_view tooltip, std::string_view extra) {
  out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}>{}</rect>",
                      num(x), num(y), num(std::max(0.0, w)), num(std::max(0.0, h)), escape(fill),
                      space_before(extra), tooltip_of(tooltip));
}

void Svg::circle(double cx, double cy, double r, std::string_view fill, std::string_view stroke,
                 std::string_view tooltip) {
  out_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"{}\">{}</circle>",
                      num(cx), num(cy), num(r), escape(fill), escape(stroke), tooltip_of(tooltip));
}

void Svg::path(std::string_view d, std::string_view fill, std::string_view stroke, double width,
               std::string_view tooltip, std::string_view extra) {
  out_ += fmt::format("<path d=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}>{}</path>",
                      escape(d), escape(fill), escape(stroke), num(width),
                      space_before(extra), tooltip_of(tooltip));
}

void Svg::text(double x, double y, std::string_view text, std::string_view anchor, double size,
               std::string_view fill, std::string_view extra) {
  out_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"{}\" fill=\"{}\"{}>{}"
                      "</text>",
                      num(x), num(y), escape(anchor), num(size), escape(fill),
                      space_before(extra), escape(text));
}

void Svg::raw(std::string_view markup) { out_ += markup; }

std::string Svg::finish() { return out_ + "</svg>"; }

std::vector<double> nice_ticks(double low, double high, int count) {
  std::vector<double> ticks;
  if (!(high > low) || count < 1) return {low};
  const double raw = (high - low) / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string label_number(double value, int digits) {
  std::string s = fmt::format("{:.{}f}", value, digits);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

std::string_view palette(std::size_t i) {
  static constexpr std::array<std::string_view, 8> colours = {
      "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000"};
  return colours[i % colours.size()];
}

std::string heat_colour(double t, bool diverging) {
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  auto mix = [](std::array<int, 3> a, std::array<int, 3> b, double u) {
    return fmt::format("#{:02x}{:02x}{:02x}", static_cast<int>(a[0] + (b[0] - a[0]) * u),
                       static_cast<int>(a[1] + (b[1] - a[1]) * u),
                       static_cast<int>(a[2] + (b[2] - a[2]) * u));
  };
  constexpr std::array<int, 3> white{247, 247, 247}, red{178, 24, 43}, blue{33, 102, 172};
  if (!diverging) return mix(white, red, t);
  return t < 0.5 ? mix(blue, white, t * 2) : mix(white, red, (t - 0.5) * 2);
}

std::string year_label(double year) {
  const int y = static_cast<int>(std::floor(year + 1e-9));
  const int m = static_cast<int>(std::lround((year - y) * 12));
  return m == 0 ? std::to_string(y) : fmt::format("{}-{:02d}", y, m + 1);
}

}  // namespace sphere::report

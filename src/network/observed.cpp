// Modelled link flows against the IEA's observed monthly flows at the Southern Gas Corridor's
// border points (IEA Gas Trade Flows, gtf_long.csv).
#include <algorithm>
#include <cmath>
#include <map>

#define CSV_IO_NO_THREAD
#include <fmt/format.h>
#include <libfccp/csv.h>

#include "network/network.h"

namespace sphere::network {
namespace {

// Days in a YYYY-MM month.
int days_in(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::vector<ObservedPoint> southern_gas_corridor_points() {
  return {
      {"Turkgozu", "Georgia", "Republic of Türkiye", "", {"turkey-gas"},
       "Azerbaijani gas for Türkiye (SCP to BOTAŞ, TANAP's Turkish offtake); TANAP's gas for "
       "Europe is not in it"},
      {"Kipi", "Republic of Türkiye", "Greece", "", {"eu", "greece-itg"},
       "SGC gas to Europe (TANAP into TAP) and the Turkish-Greek interconnector's contract "
       "volume"},
  };
}

std::vector<ObservedFlow> read_iea_flows(const std::filesystem::path& path,
                                         const std::vector<ObservedPoint>& points) {
  const std::string file = path.string();
  const std::string text = read_text_file(path);
  // (point index, year) -> (sum of mcm, days covered)
  std::map<std::pair<std::size_t, int>, std::pair<double, int>> sums;
  try {
    io::CSVReader<5, io::trim_chars<' '>, io::double_quote_escape<',', '"'>> reader(
        file, text.data(), text.data() + text.size());
    reader.read_header(io::ignore_extra_column | io::ignore_missing_column, "borderpoint", "exit",
                       "entry", "month", "flow");
    for (const char* c : {"borderpoint", "exit", "entry", "month", "flow"})
      if (!reader.has_column(c))
        throw InputError(file, 1, c, "missing column; gtf_long.csv has borderpoint, exit, entry, "
                                     "maxflow_mcm_per_h, month, flow");
    std::string point, exit, entry, month, flow;
    while (reader.read_row(point, exit, entry, month, flow)) {
      const int line = static_cast<int>(reader.get_file_line());
      for (std::size_t k = 0; k < points.size(); ++k) {
        const ObservedPoint& p = points[k];
        if (point != p.point || exit != p.exit || entry != p.entry) continue;
        int y = 0, m = 0;
        if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2d", &y, &m) != 2 || m < 1 ||
            m > 12)
          throw InputError(file, line, "month", fmt::format("'{}' is not YYYY-MM", month));
        if (flow.empty()) continue;  // not reported that month
        double v = 0.0;
        try {
          v = std::stod(flow);
        } catch (const std::exception&) {
          throw InputError(file, line, "flow", fmt::format("'{}' is not a number", flow));
        }
        auto& [sum, days] = sums[{k, y}];
        sum += v;
        days += days_in(y, m);
      }
    }
  } catch (const io::error::base& e) {
    throw InputError(file, 1, "", e.what());
  }
  std::vector<ObservedFlow> out;
  for (const auto& [key, value] : sums)
    out.push_back({points[key.first].point, points[key.first].link,
                   points[key.first].destinations, key.second, value.first, value.second,
                   value.first / value.second});
  return out;
}

std::vector<FlowCheck> check_flows(const kb::Infrastructure& infra,
                                   const std::vector<ObservedFlow>& observed, double tolerance) {
  std::vector<FlowCheck> out;
  std::map<int, Outcome> by_year;
  for (const ObservedFlow& o : observed) {
    auto it = by_year.find(o.year);
    if (it == by_year.end()) {
      Scenario s;
      s.year = o.year;
      s.carrier = "gas";
      it = by_year.emplace(o.year, solve(infra, s)).first;
    }
    FlowCheck c;
    c.observed = o;
    const Outcome& outcome = it->second;
    for (const LinkVolume& l : outcome.links)
      if (!o.link.empty() && l.link == o.link) {
        c.modelled = static_cast<double>(l.flow);
        c.capacity = static_cast<double>(l.capacity);
      }
    for (const NodeVolume& d : outcome.destinations)
      if (std::find(o.destinations.begin(), o.destinations.end(), d.node) != o.destinations.end()) {
        c.modelled += static_cast<double>(d.volume);
        c.capacity += static_cast<double>(d.target);  // the nodes' demands
      }
    c.network_has_flows = false;
    for (const NodeVolume& s : outcome.supplies) c.network_has_flows |= s.target > 0;
    const double gap = c.modelled - o.mean_mcm_per_day;
    c.relative_gap = o.mean_mcm_per_day > 0.0 ? gap / o.mean_mcm_per_day : 0.0;
    c.agrees = std::abs(gap) <= tolerance * o.mean_mcm_per_day + 0.5;  // + rounding to 1 mcm/d
    out.push_back(c);
  }
  return out;
}

}  // namespace sphere::network

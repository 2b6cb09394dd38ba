// Where the engine's intensities and leverage come from when the model asks for the other
// layers: a Hawkes fit of the focal pair's event times (events layer) and the leverage matrix
// over ties and infrastructure (leverage layer). Equations: docs/MODEL.md.
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "events/events.h"
#include "leverage/leverage.h"
#include "sim/sim.h"

namespace sphere::sim {
namespace {

constexpr double kDaysPerMonth = 365.2425 / 12.0;
constexpr std::size_t kMinEvents = 3;  // fit_hawkes needs 3 events in every stream

// Merges two ascending streams into one.
std::vector<double> pooled(const std::array<std::vector<double>, 2>& streams) {
  std::vector<double> all(streams[0]);
  all.insert(all.end(), streams[1].begin(), streams[1].end());
  std::sort(all.begin(), all.end());
  return all;
}

// Mean decay rate of the fit, weighted by each stream's events (per day).
double mean_omega(const events::HawkesFit& fit) {
  double num = 0.0, den = 0.0;
  for (std::size_t k = 0; k < fit.params.dims(); ++k) {
    num += fit.params.omega[k] * fit.events[k];
    den += fit.events[k];
  }
  return den > 0 ? num / den : fit.params.omega[0];
}

}  // namespace

Intensities HawkesIntensities::estimate(const CalibrationData& data, double beta,
                                        double branching, double omega) const {
  events::PointData points;
  points.horizon = data.window_days;
  std::string what;
  if (data.focal_days[0].size() >= kMinEvents && data.focal_days[1].size() >= kMinEvents) {
    points.times = {data.focal_days[0], data.focal_days[1]};
    what = "bivariate";
  } else if (data.focal_days[0].size() + data.focal_days[1].size() >= kMinEvents) {
    points.times = {pooled(data.focal_days)};
    what = "univariate (both directions pooled)";
  }
  Intensities out;
  std::string note;
  if (points.times.empty()) {
    note = fmt::format("Hawkes fit not possible: {} and {} focal-pair events in the window "
                       "(3 needed); branching and omega from the parameters",
                       data.focal_days[0].size(), data.focal_days[1].size());
  } else {
    // The minimum-information rule needs the likelihood-ratio test, not profile intervals.
    const events::HawkesFit fit = events::fit_hawkes(points, {.profiles = false});
    const double rate = mean_omega(fit) * kDaysPerMonth;
    std::string shortfall = events::hawkes_shortfall(fit);
    if (shortfall.empty() && !(rate > 0.0)) shortfall = "no decay rate";
    if (!shortfall.empty()) {
      note = fmt::format("{} Hawkes fit of {} + {} focal-pair events not usable ({}); branching "
                         "and omega from the parameters",
                         what, data.focal_days[0].size(), data.focal_days[1].size(), shortfall);
    } else {
      out = LogRateIntensities().estimate(data, beta, fit.spectral_radius, rate);
      out.method = "hawkes";
      out.note = fmt::format("{} fit of {} + {} focal-pair events over {:.0f} days: branching "
                             "{:.2f}, omega {:.2g} per day ({:.2g} per month); excitation against "
                             "Poisson: likelihood ratio {:.1f}, p = {:.2g}",
                             what, data.focal_days[0].size(), data.focal_days[1].size(),
                             data.window_days, fit.spectral_radius, mean_omega(fit), rate,
                             fit.lr_statistic, fit.lr_p_value);
      return out;
    }
  }
  out = LogRateIntensities().estimate(data, beta, branching, omega);
  out.note = note;
  return out;
}

NetworkLeverage::NetworkLeverage(const kb::Model& model, int year,
                                 const std::vector<std::string>& cut,
                                 const std::vector<std::string>& opened) {
  leverage::Filter what_if;
  what_if.cut = cut;
  what_if.network_draws = 0;  // the engine uses the values alone, not their spans
  for (const auto& link : opened) what_if.opened.push_back({link, Date{0, 1, 0}});  // from always
  // Latest year <= `year` of each (i, j, channel); only ties of that year count.
  std::map<std::tuple<std::string, std::string, std::string>, int> latest;
  for (const kb::Tie& t : model.ties.ties)
    if (t.year <= year) {
      int& y = latest[{t.from, t.to, t.channel}];
      y = std::max(y, t.year);
    }
  for (const leverage::Cell& c : leverage::matrix(model, what_if)) {
    auto it = latest.find({c.from, c.to, c.channel});
    if (it == latest.end() || it->second != c.year) continue;
    auto p = std::find_if(pairs_.begin(), pairs_.end(),
                          [&](const Pair& q) { return q.from == c.from && q.to == c.to; });
    if (p == pairs_.end()) p = pairs_.insert(pairs_.end(), Pair{c.from, c.to, 0.0, {}});
    p->total += c.leverage;
    p->ties.push_back(fmt::format("{} {:+.3f}", c.tie, c.leverage));
  }
}

double NetworkLeverage::leverage(const std::string& i, const std::string& j) const {
  for (const Pair& p : pairs_)
    if (p.from == i && p.to == j) return std::clamp(p.total, 0.0, 1.0);
  return 0.0;
}

std::string NetworkLeverage::describe(const std::string& i, const std::string& j) const {
  for (const Pair& p : pairs_)
    if (p.from == i && p.to == j)
      return fmt::format("leverage layer: {} over {} = {:.3f} (sum of {}), clipped to [0, 1]", i,
                         j, p.total, fmt::join(p.ties, ", "));
  return fmt::format("leverage layer: no tie of {} over {} up to this year: 0", i, j);
}

}  // namespace sphere::sim

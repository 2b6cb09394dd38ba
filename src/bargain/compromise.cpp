// The compromise model, medians and the Nash bargaining solution.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/math/tools/roots.hpp>

#include "bargain/bargain.h"

namespace sphere::bargain {

std::vector<Player> players(const kb::Issue& issue) {
  std::vector<Player> result;
  for (const kb::IssuePosition& p : issue.positions)
    result.push_back({p.actor, p.influence.value, p.position.value, p.salience.value});
  return result;
}

std::vector<Player> players(const kb::Model&, const kb::Issue& issue) { return players(issue); }

const kb::Issue* find_issue(const kb::Model& model, std::string_view id) {
  auto it = std::find_if(model.issues.begin(), model.issues.end(),
                         [&](const kb::Issue& i) { return i.id == id; });
  return it == model.issues.end() ? nullptr : &*it;
}

double compromise(std::span<const Player> players) {
  double num = 0.0, den = 0.0;
  for (const Player& p : players) {
    num += p.capability * p.salience * p.position;
    den += p.capability * p.salience;
  }
  if (den <= 0.0) throw std::invalid_argument("compromise: every weight is zero");
  return num / den;
}

// Relative tolerance below which two weights count as equal in the median.
constexpr double kTieTolerance = 1e-12;

double weighted_median(std::span<const double> positions, std::span<const double> weights) {
  std::vector<std::size_t> order;
  return weighted_median(positions, weights, order);
}

double weighted_median(std::span<const double> positions, std::span<const double> weights,
                       std::vector<std::size_t>& order) {
  const std::size_t n = positions.size();
  if (n == 0) throw std::invalid_argument("weighted median of no positions");
  // Actors by position, then in input order: the weights add up position by position, each
  // position's actors in input order, whatever order the positions came in.
  order.resize(n);
  for (std::size_t k = 0; k < n; ++k) order[k] = k;
  if (n <= 64) {  // insertion sort, stable: the fastest for the few actors of an issue
    for (std::size_t k = 1; k < n; ++k) {
      std::size_t at = k;
      for (; at > 0 && positions[order[at - 1]] > positions[k]; --at) order[at] = order[at - 1];
      order[at] = k;
    }
  } else {
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return positions[a] < positions[b] || (positions[a] == positions[b] && a < b);
    });
  }
  double total = 0.0;
  for (double w : weights) total += w;
  double acc = 0.0;
  for (std::size_t g = 0; g < n; ++g) {
    acc += weights[order[g]];
    const double p = positions[order[g]];
    if (g + 1 < n && positions[order[g + 1]] == p) continue;  // more actors at p
    // A tie (exactly half the weight) counts even when rounding leaves acc a hair below half:
    // saliences such as 0.3 are not exact in binary.
    if (2.0 * acc >= total * (1.0 - kTieTolerance)) return p;
  }
  return positions[order[n - 1]];
}

double weighted_mean(std::span<const double> positions, std::span<const double> weights) {
  double num = 0.0, den = 0.0;
  for (std::size_t k = 0; k < positions.size(); ++k) {
    num += weights[k] * positions[k];
    den += weights[k];
  }
  return num / den;
}

double median(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("median of no values");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

NashResult nash_bargaining(std::span<const Player> players, double d) {
  // Actor i gains r_i - |x - x_i| over d, with r_i = |d - x_i|. Every gain is positive only on
  // the side of d where all actors stand, below the nearest actor's mirror image of d.
  NashResult result{d, false, NashStandstill::kNone, {}, {}};
  double reach = 0.0;  // how far from d the outcome may go before someone loses
  bool first = true, at_d = false;
  for (std::size_t k = 0; k < players.size(); ++k) {
    const Player& p = players[k];
    if (p.capability * p.salience <= 0.0) continue;  // indifferent: no say
    if (p.position == d) {                            // no outcome improves on d for it
      at_d = true;
      continue;
    }
    (p.position > d ? result.above : result.below).push_back(k);
    const double mirror = 2.0 * std::abs(p.position - d);
    reach = first ? mirror : std::min(reach, mirror);
    first = false;
  }
  const bool above = !result.above.empty(), below = !result.below.empty();
  if (above && below) {
    result.standstill = NashStandstill::kStraddle;
    return result;
  }
  if (at_d) {
    result.standstill = NashStandstill::kIdealAtD;
    return result;
  }
  if (!above && !below) {
    result.standstill = NashStandstill::kNobodyCares;
    return result;
  }
  const double sign = above ? 1.0 : -1.0;
  // The weighted log-gain is concave in t (distance from d), so its derivative decreases: find
  // where it changes sign (a root, or a kink at an actor's position).
  auto slope = [&](double t) {
    const double x = d + sign * t;
    double sum = 0.0;
    for (const Player& p : players) {
      const double w = p.capability * p.salience;
      if (w <= 0.0) continue;
      const double gain = std::abs(d - p.position) - std::abs(x - p.position);
      const double toward = sign * (p.position - x);  // > 0: moving on brings x closer to x_i
      sum += w * (toward > 0.0 ? 1.0 : toward < 0.0 ? -1.0 : 0.0) / gain;
    }
    return sum;
  };
  const double lo = reach * 1e-12, hi = reach * (1.0 - 1e-12);
  auto [a, b] = boost::math::tools::bisect(
      slope, lo, hi, boost::math::tools::eps_tolerance<double>(48));
  result.outcome = d + sign * (a + b) / 2.0;
  result.agreement = true;
  return result;
}

}  // namespace sphere::bargain

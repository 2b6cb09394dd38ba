// Outcome distributions: every input of an issue drawn over its range, the three models run on
// each draw, percentiles of the outcomes and the rank correlation of each input with them.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <Random123/philox.h>

#include "bargain/bargain.h"

namespace sphere::bargain {
namespace {

// A stable 32-bit hash of the issue id (FNV-1a), so that an issue's draws do not depend on its
// place in the file.
std::uint32_t hash32(std::string_view text) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  return h;
}

// Uniform on (0, 1): Philox4x32-10 at counter (draw, input, issue, 0) under the seed; 53 bits.
double uniform(std::uint64_t seed, std::uint32_t issue, std::uint32_t draw, std::uint32_t input) {
  r123::Philox4x32 philox;
  r123::Philox4x32::ctr_type c = {{draw, input, issue, 0}};
  r123::Philox4x32::key_type k = {{static_cast<std::uint32_t>(seed),
                                   static_cast<std::uint32_t>(seed >> 32)}};
  const auto r = philox(c, k);
  const std::uint64_t hi = r.v[0] >> 5, lo = r.v[1] >> 6;
  return (static_cast<double>((hi << 26) | lo) + 0.5) * 0x1.0p-53;
}

// Triangular(low, mode, high) by inversion; the mode itself when the range is a point.
double triangular(double low, double mode, double high, double u) {
  if (!(high > low)) return mode;
  const double f = (mode - low) / (high - low);
  return u < f ? low + std::sqrt(u * (high - low) * (mode - low))
               : high - std::sqrt((1.0 - u) * (high - low) * (high - mode));
}

std::vector<double> ranks(std::span<const double> v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

struct Input {
  std::string name;
  const kb::IssueValue* value;
};

Distribution summarise(std::vector<std::pair<double, double>> weighted,
                       const std::vector<double>& per_draw, const std::vector<Input>& inputs,
                       const std::vector<std::vector<double>>& draws) {
  Distribution d;
  d.median = weighted_quantile(weighted, 0.5);
  d.low = weighted_quantile(weighted, 0.05);
  d.high = weighted_quantile(std::move(weighted), 0.95);
  for (std::size_t k = 0; k < inputs.size(); ++k)
    d.effects.push_back({inputs[k].name, rank_correlation(draws[k], per_draw)});
  std::stable_sort(d.effects.begin(), d.effects.end(), [](const InputEffect& a, const InputEffect& b) {
    return std::abs(a.rank_correlation) > std::abs(b.rank_correlation);
  });
  return d;
}

}  // namespace

double weighted_quantile(std::vector<std::pair<double, double>> vw, double q) {
  if (vw.empty()) throw std::invalid_argument("quantile of no values");
  std::sort(vw.begin(), vw.end());
  double total = 0.0;
  for (const auto& [v, w] : vw) total += w;
  // Each value sits at the midpoint of its weight's slice of [0, total]; interpolate between.
  const double target = q * total;
  double acc = 0.0, prev_mid = 0.0, prev_v = vw.front().first;
  for (std::size_t k = 0; k < vw.size(); ++k) {
    const double mid = acc + vw[k].second / 2.0;
    if (target <= mid) {
      if (k == 0) return vw[0].first;
      const double f = mid > prev_mid ? (target - prev_mid) / (mid - prev_mid) : 1.0;
      return prev_v + f * (vw[k].first - prev_v);
    }
    acc += vw[k].second;
    prev_mid = mid;
    prev_v = vw[k].first;
  }
  return vw.back().first;
}

double rank_correlation(std::span<const double> a, std::span<const double> b) {
  const std::size_t n = a.size();
  if (n < 2 || b.size() != n) return 0.0;
  const auto ra = ranks(a), rb = ranks(b);
  const double mean = (static_cast<double>(n) + 1.0) / 2.0;
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    sab += (ra[k] - mean) * (rb[k] - mean);
    saa += (ra[k] - mean) * (ra[k] - mean);
    sbb += (rb[k] - mean) * (rb[k] - mean);
  }
  return saa > 0.0 && sbb > 0.0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

IssueDraw draw_issue(const kb::Issue& issue, std::uint64_t seed, std::uint32_t draw) {
  // Input i of sample_issue: 3a + (0 position, 1 salience, 2 influence) for player a, then the
  // status quo when it has a range.
  const std::uint32_t id = hash32(issue.id);
  auto drawn = [&](const kb::IssueValue& v, std::size_t input) {
    return triangular(v.low(), v.value, v.high(),
                      uniform(seed, id, draw, static_cast<std::uint32_t>(input)));
  };
  IssueDraw out;
  out.players = bargain::players(issue);
  for (std::size_t a = 0; a < issue.positions.size(); ++a) {
    const kb::IssuePosition& p = issue.positions[a];
    out.players[a].position = drawn(p.position, 3 * a);
    out.players[a].salience = drawn(p.salience, 3 * a + 1);
    out.players[a].capability = drawn(p.influence, 3 * a + 2);
  }
  out.status_quo = issue.status_quo.high() > issue.status_quo.low()
                       ? drawn(issue.status_quo, 3 * issue.positions.size())
                       : issue.status_quo.value;
  return out;
}

IssueDistribution sample_issue(const kb::Issue& issue, const SampleOptions& options) {
  if (options.draws < 1) throw std::invalid_argument("sample_issue: draws must be at least 1");
  std::vector<Input> inputs;
  for (const kb::IssuePosition& p : issue.positions) {
    inputs.push_back({p.actor + " position", &p.position});
    inputs.push_back({p.actor + " salience", &p.salience});
    inputs.push_back({p.actor + " influence", &p.influence});
  }
  if (issue.status_quo.high() > issue.status_quo.low())
    inputs.push_back({"status quo", &issue.status_quo});
  const std::uint32_t id = hash32(issue.id);
  const std::size_t n = static_cast<std::size_t>(options.draws);
  std::vector<std::vector<double>> draws(inputs.size(), std::vector<double>(n));
  std::vector<double> comp(n), nash(n), eu(n);
  std::vector<std::pair<double, double>> comp_w, nash_w, eu_w;
  comp_w.reserve(n);
  nash_w.reserve(n);
  eu_w.reserve(2 * n);
  IssueDistribution out;
  out.issue = issue.id;
  out.draws = options.draws;
  std::vector<Player> players = bargain::players(issue);
  int status_quo = 0, straddle = 0, cycles = 0, unsettled = 0;
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const kb::IssueValue& v = *inputs[i].value;
      draws[i][k] = triangular(v.low(), v.value, v.high(),
                               uniform(options.seed, id, static_cast<std::uint32_t>(k),
                                       static_cast<std::uint32_t>(i)));
    }
    for (std::size_t a = 0; a < players.size(); ++a) {
      players[a].position = draws[3 * a][k];
      players[a].salience = draws[3 * a + 1][k];
      players[a].capability = draws[3 * a + 2][k];
    }
    const double d = inputs.size() > 3 * players.size() ? draws.back()[k] : issue.status_quo.value;
    comp[k] = compromise(players);
    comp_w.push_back({comp[k], 1.0});
    const NashResult nr = nash_bargaining(players, d);
    nash[k] = nr.outcome;
    nash_w.push_back({nr.outcome, 1.0});
    if (!nr.agreement) ++status_quo;
    if (nr.standstill == NashStandstill::kStraddle) ++straddle;
    const EuResult er = expected_utility(players, options.eu);
    eu[k] = er.outcome();
    const double w = 1.0 / static_cast<double>(er.outcome_set.empty() ? 1 : er.outcome_set.size());
    if (er.outcome_set.empty()) eu_w.push_back({er.forecast(), 1.0});
    for (double v : er.outcome_set) eu_w.push_back({v, w});
    if (er.period > 1) ++cycles;
    if (er.period == 0 && !er.rounds.empty()) ++unsettled;
  }
  out.compromise = summarise(std::move(comp_w), comp, inputs, draws);
  out.nash = summarise(std::move(nash_w), nash, inputs, draws);
  out.eu = summarise(std::move(eu_w), eu, inputs, draws);
  const double total = static_cast<double>(n);
  out.nash_status_quo_share = status_quo / total;
  out.nash_straddle_share = straddle / total;
  out.eu_cycle_share = cycles / total;
  out.eu_unsettled_share = unsettled / total;
  return out;
}

}  // namespace sphere::bargain

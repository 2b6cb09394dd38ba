// Bueno de Mesquita's expected-utility model as specified by Scholz, Calbert & Smith (2011),
// with the choices documented in docs/MODEL.md. bench/bargain/eu_reference.py is the same
// specification in plain Python; keep the two in step (the benchmark checks they agree).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "bargain/bargain.h"

namespace sphere::bargain {

std::optional<ProbabilityRule> parse_probability_rule(std::string_view name) {
  if (name == "printed") return ProbabilityRule::kPrinted;
  if (name == "scholz-code") return ProbabilityRule::kScholzCode;
  return std::nullopt;
}

std::string to_string(ProbabilityRule rule) {
  return rule == ProbabilityRule::kPrinted ? "printed" : "scholz-code";
}

std::string to_string(Offer offer) {
  switch (offer) {
    case Offer::kConflict: return "conflict";
    case Offer::kCompromise: return "compromise";
    default: return "capitulation";
  }
}

Utilities utilities(double d, double e, double r) {
  return {2.0 - 4.0 * std::pow(0.5 - 0.5 * d, r), 2.0 - 4.0 * std::pow(0.5 + 0.5 * d, r),
          2.0 - 4.0 * std::pow(0.5 - 0.25 * e, r), 2.0 - 4.0 * std::pow(0.5 + 0.25 * e, r),
          2.0 - 4.0 * std::pow(0.5, r)};
}

double risk_exponent(double security, double lowest, double highest) {
  if (highest - lowest <= 0.0) return 1.0;
  const double big_r = (2.0 * security - highest - lowest) / (highest - lowest);
  return (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0);
}

namespace {

// x^r; x itself when r is 1 (pow returns exactly x then; skipping it saves half the time of the
// first pass, where every r is 1).
double power(double x, double r) { return r == 1.0 ? x : std::pow(x, r); }

// The state of one round: positions, weights and the probability that one distinct position
// beats another (P depends only on the two positions, so it is computed per distinct pair).
class Round {
 public:
  Round(std::span<const double> x, std::span<const double> s, std::span<const double> cs,
        double range, double mu, const EuOptions& options)
      : x_(x), s_(s), cs_(cs), range_(range), mu_(mu), options_(options) {
    for (double v : x) {
      auto it = std::find(values_.begin(), values_.end(), v);
      if (it == values_.end()) {
        values_.push_back(v);
        counts_.push_back(1);
      } else {
        ++counts_[static_cast<std::size_t>(it - values_.begin())];
      }
    }
    for (double v : x)
      index_.push_back(static_cast<std::size_t>(
          std::find(values_.begin(), values_.end(), v) - values_.begin()));
  }

  // Sets the risk exponents: computes P[a][b] (eq. 31, or the code's normalisation) and each
  // actor's success, failure and status-quo utilities against every distinct position.
  void set_risk(std::span<const double> r) {
    r_.assign(r.begin(), r.end());
    const std::size_t n = x_.size(), m = values_.size();
    const bool code = options_.probability == ProbabilityRule::kScholzCode;
    std::vector<double> d(n * m);
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t a = 0; a < m; ++a) {
        const double dist = std::abs(x_[k] - values_[a]) / range_;
        d[k * m + a] = code ? power(dist, r[k]) : dist;
      }
    double denominator = 0.0;
    if (code)
      for (std::size_t k = 0; k < n; ++k)
        for (std::size_t a = 0; a < m; ++a)
          for (std::size_t b = 0; b < m; ++b)
            denominator += static_cast<double>(counts_[a] * counts_[b]) *
                           std::abs(cs_[k] * (d[k * m + b] - d[k * m + a]));
    p_.assign(m * m, 0.0);
    for (std::size_t a = 0; a < m; ++a)
      for (std::size_t b = 0; b < m; ++b) {
        if (a == b) continue;
        double num = 0.0, tot = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
          const double v = cs_[k] * (d[k * m + b] - d[k * m + a]);
          if (v > 0.0) num += v;
          tot += std::abs(v);
        }
        const double den = code ? denominator : tot;
        p_[a * m + b] = den > 0.0 ? num / den : 0.0;
      }
    // U_s and U_f depend on the distance only, which is the same from either side of a dyad.
    success_.assign(n * m, 0.0);
    failure_.assign(n * m, 0.0);
    status_quo_.assign(n, 0.0);
    for (std::size_t k = 0; k < n; ++k) {
      status_quo_[k] = 2.0 - 4.0 * power(0.5, r[k]);
      for (std::size_t a = 0; a < m; ++a) {
        const double dist = std::abs(x_[k] - values_[a]) / range_;
        success_[k * m + a] = 2.0 - 4.0 * power(0.5 - 0.5 * dist, r[k]);
        failure_[k * m + a] = 2.0 - 4.0 * power(0.5 + 0.5 * dist, r[k]);
      }
    }
  }

  // E(U_ij) as `viewer` (i or j) sees it, with the viewer's risk exponent: i challenges j; j
  // resists with probability s_j (eqs 5-7, 25).
  double challenge(std::size_t i, std::size_t j, std::size_t viewer) const {
    const std::size_t m = values_.size();
    const std::size_t other = viewer == i ? j : i;
    const double p = p_[index_[i] * m + index_[j]];
    const double u_s = success_[viewer * m + index_[other]];
    const double u_f = failure_[viewer * m + index_[other]];
    const double q = options_.q;
    const double challenge = s_[j] * (p * u_s + (1.0 - p) * u_f) + (1.0 - s_[j]) * u_s;
    double no_challenge = q * status_quo_[viewer];
    if (q != 1.0) {  // with Q = 1 the better/worse term is multiplied by 0
      const double e = (std::abs(x_[i] - mu_) + std::abs(x_[i] - x_[j])) / range_;
      const Utilities u = utilities(0.0, e, r_[viewer]);
      const double t = std::abs(x_[i] - mu_) < std::abs(x_[i] - x_[j]) ? 1.0 : 0.0;
      no_challenge += (1.0 - q) * (t * u.better + (1.0 - t) * u.worse);
    }
    return challenge - no_challenge;
  }

 private:
  std::span<const double> x_, s_, cs_;
  double range_, mu_;
  const EuOptions& options_;
  std::vector<double> values_;       // distinct positions, in order of first appearance
  std::vector<std::size_t> counts_;  // actors at each
  std::vector<std::size_t> index_;   // each actor's distinct position
  std::vector<double> r_;  // each actor's risk exponent
  std::vector<double> p_;
  std::vector<double> success_, failure_;  // [actor * m + distinct position], actor's own r
  std::vector<double> status_quo_;
};

// Risk exponents from the security levels Sec_i = sum_j E(U_ji), all computed with r = 1.
std::vector<double> risk_exponents(Round& round, std::size_t n) {
  const std::vector<double> ones(n, 1.0);
  round.set_risk(ones);
  std::vector<double> security(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) security[i] += round.challenge(j, i, j);
  const auto [lo, hi] = std::minmax_element(security.begin(), security.end());
  std::vector<double> r(n);
  for (std::size_t i = 0; i < n; ++i) r[i] = risk_exponent(security[i], *lo, *hi);
  return r;
}

// The offer actor i accepts, seen from i's side with its risk exponent, or nullopt (it stays).
std::optional<Move> best_move(const Round& round, std::span<const double> x, std::size_t i,
                              ProbabilityRule rule) {
  std::optional<Move> best;
  double best_key = 0.0;
  for (std::size_t j = 0; j < x.size(); ++j) {
    if (x[i] == x[j]) continue;
    const double a = round.challenge(i, j, i);  // i challenges j, as i sees it
    const double b = round.challenge(j, i, i);  // j challenges i, as i sees it
    Offer kind;
    double to;
    if (a > 0.0 && b > 0.0 && b > a) {
      kind = Offer::kConflict;  // i loses the conflict
      to = x[j];
    } else if (a < 0.0 && 0.0 < b && b > -a) {
      kind = Offer::kCompromise;  // eq. 36
      to = x[i] + (x[j] - x[i]) * std::abs(a / b);
    } else if (a < 0.0 && 0.0 < b && -a > b) {
      kind = Offer::kCapitulation;
      to = x[j];
    } else {
      continue;
    }
    if (rule == ProbabilityRule::kScholzCode && kind == Offer::kCapitulation) continue;
    const double key = rule == ProbabilityRule::kScholzCode && kind == Offer::kCompromise
                           ? (std::abs(a) * x[i] + std::abs(b) * x[j]) / (std::abs(a) + std::abs(b))
                           : std::abs(to - x[i]);
    if (!best || kind < best->offer || (kind == best->offer && key < best_key)) {
      best = Move{i, j, kind, x[i], to};
      best_key = key;
    }
  }
  return best;
}

void check_players(std::span<const Player> players) {
  for (const Player& p : players) {
    if (!(p.salience >= 0.0 && p.salience <= 1.0))
      throw std::invalid_argument(
          fmt::format("actor '{}': salience {} is outside [0, 1]", p.id, p.salience));
    if (!(p.capability > 0.0))
      throw std::invalid_argument(
          fmt::format("actor '{}': capability {} is not positive", p.id, p.capability));
  }
}

}  // namespace

EuResult expected_utility(std::span<const Player> players, const EuOptions& options) {
  check_players(players);
  const std::size_t n = players.size();
  std::vector<double> x(n), s(n), w(n);
  for (std::size_t k = 0; k < n; ++k) {
    x[k] = players[k].position;
    s[k] = players[k].salience;
    w[k] = players[k].capability * players[k].salience;
  }
  EuResult result;
  if (n == 0) return result;
  double total = 0.0;
  for (double v : w) total += v;
  result.initial_median = weighted_median(x, w);
  result.initial_mean = total > 0.0 ? weighted_mean(x, w) : result.initial_median;
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  const double range = *hi - *lo;  // fixed at the initial positions
  if (range <= 0.0 || total <= 0.0) return result;
  int quiet = 0;
  double previous = result.initial_median;
  for (int t = 1; t <= options.rounds; ++t) {
    const double mu = weighted_median(x, w);
    Round round(x, s, w, range, mu, options);
    EuRound record;
    record.round = t;
    record.risk = risk_exponents(round, n);
    round.set_risk(record.risk);
    std::vector<double> next = x;
    for (std::size_t i = 0; i < n; ++i)
      if (auto move = best_move(round, x, i, options.probability)) {
        next[i] = move->to;
        record.moves.push_back(*move);
      }
    x = std::move(next);  // every actor moves at once
    record.median = weighted_median(x, w);
    record.mean = weighted_mean(x, w);
    record.positions = x;
    result.rounds.push_back(std::move(record));
    if (options.tolerance) {
      const double median_now = result.rounds.back().median;
      quiet = std::abs(median_now - previous) < *options.tolerance * range ? quiet + 1 : 0;
      previous = median_now;
      if (quiet >= 2) {
        result.converged = t < options.rounds;
        break;
      }
    }
  }
  return result;
}

}  // namespace sphere::bargain

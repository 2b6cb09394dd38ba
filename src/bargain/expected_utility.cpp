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

// The shape of every utility (eqs 15-16, 22-24): 2 - 4 base^r.
double utility(double base, double r) { return 2.0 - 4.0 * power(base, r); }

// The model's arithmetic for one issue, round after round, in memory allocated for the issue.
//
// Every value comes from the same floating-point operations, in the same order, as in the plain
// loops of the specification (bench/bargain/eu_reference.py), so results are identical to the
// bit; the speed comes from computing each value once (docs/MODEL.md, "Implementation"): E(U)
// depends on the actors only through their distinct positions, their risk exponents and the
// responder's salience.
class Engine {
 public:
  Engine(std::span<const double> s, std::span<const double> w, double range,
         const EuOptions& options);

  // Starts a round: the positions and their weighted median.
  void start(std::span<const double> x, double mu);
  // The risk exponents of the round, from the security levels with every r = 1 (eqs 32-34).
  void risk_exponents(std::vector<double>& r);
  // Computes P and the utilities with the actors' risk exponents.
  void set_risk(std::span<const double> r);
  // The offer actor i accepts, seen from its side with its risk exponent, or nullopt.
  std::optional<Move> best_move(std::size_t i) const;
  // The weighted median of x (weights c s), without allocating.
  double median(std::span<const double> x) { return weighted_median(x, w_, order_); }

 private:
  bool scholz() const { return options_.probability == ProbabilityRule::kScholzCode; }
  // Finds the distinct positions and the proposers worth trying at each.
  void group_positions();
  // Points the tables into the arena, growing it when there are more positions than ever.
  void lay_out_tables();
  // Q U_sq + (1 - Q)[T U_b + (1 - T) U_w] for a challenger at xi and a responder at xj.
  double no_challenge(double xi, double xj, double r, double status_quo) const;
  // P[a][b] (eq. 31, or the normalisation of Scholz's code) from D_k(a) = rows[row[k] * m + a].
  void probabilities(const double* rows, const std::size_t* row);
  // Groups the actors whose position and risk exponent are equal (rep_) and computes the
  // powers (U_s, U_f and, under scholz-code, D) once per group.
  void power_rows(std::span<const double> r);

  std::span<const double> s_, w_;
  std::size_t n_;
  double range_;
  const EuOptions& options_;
  std::span<const double> x_;
  double mu_ = 0.0;
  std::size_t m_ = 0;       // distinct positions this round
  std::size_t groups_ = 0;  // distinct (position, r) this round

  // Per actor or per distinct position (at most n of either), carved from two arenas allocated
  // once.
  std::vector<std::size_t> integers_;
  std::vector<double> reals_;
  std::size_t *counts_, *index_;            // actors at each position; each actor's position
  std::size_t *first_, *end_, *proposers_;  // proposers at a: [first_[a], end_[a])
  std::size_t *rep_, *rep_actor_;           // each actor's (position, r) group; its first actor
  double* values_;                          // distinct positions, in order of first appearance
  double *security_, *rep_r_, *rep_sq_;     // per actor; r and U_sq per group
  std::vector<std::size_t> order_;          // scratch for the median

  // Tables over distinct positions, [a * m + b], carved from one arena.
  std::vector<double> arena_;
  std::size_t capacity_ = 0;  // the most distinct positions the arena holds
  double *dist_ = nullptr;    // |v_a - v_b| / range
  double *num_ = nullptr, *tot_ = nullptr, *p_ = nullptr;
  double* term_ = nullptr;    // [a * n + i]: E(U_ji) for j at a, with r = 1
  double *rep_us_ = nullptr, *rep_uf_ = nullptr, *rep_d_ = nullptr;  // [group * m + b]
  double *rep_lead_ = nullptr, *rep_stay_ = nullptr;                 // [group * m + b]
  double* resist_ = nullptr;  // [i * m + b]
};

Engine::Engine(std::span<const double> s, std::span<const double> w, double range,
               const EuOptions& options)
    : s_(s), w_(w), n_(s.size()), range_(range), options_(options),
      integers_(7 * n_ + 1), reals_(4 * n_) {
  std::size_t* i = integers_.data();
  counts_ = i;
  index_ = i + n_;
  rep_ = i + 2 * n_;
  rep_actor_ = i + 3 * n_;
  proposers_ = i + 4 * n_;
  end_ = i + 5 * n_;
  first_ = i + 6 * n_;  // n + 1
  double* r = reals_.data();
  values_ = r;
  security_ = r + n_;
  rep_r_ = r + 2 * n_;
  rep_sq_ = r + 3 * n_;
  order_.reserve(n_);
}

void Engine::start(std::span<const double> x, double mu) {
  x_ = x;
  mu_ = mu;
  group_positions();
  lay_out_tables();
  const std::size_t m = m_;
  for (std::size_t a = 0; a < m; ++a)
    for (std::size_t b = 0; b < m; ++b)
      dist_[a * m + b] = std::abs(values_[a] - values_[b]) / range_;
}

void Engine::group_positions() {
  m_ = 0;
  for (std::size_t k = 0; k < n_; ++k) {
    std::size_t a = 0;
    while (a < m_ && values_[a] != x_[k]) ++a;
    if (a == m_) {
      values_[m_] = x_[k];
      counts_[m_++] = 0;
    }
    ++counts_[a];
    index_[k] = a;
  }
  // Proposers at each position in input order, leaving out any whose salience an earlier one
  // at the same position has: its offer would be the same, and the earlier proposer wins ties.
  first_[0] = 0;
  for (std::size_t a = 0; a < m_; ++a) {
    end_[a] = first_[a];
    first_[a + 1] = first_[a] + counts_[a];
  }
  for (std::size_t k = 0; k < n_; ++k) {
    const std::size_t a = index_[k];
    std::size_t g = first_[a];
    while (g < end_[a] && s_[proposers_[g]] != s_[k]) ++g;
    if (g == end_[a]) proposers_[end_[a]++] = k;
  }
}

void Engine::lay_out_tables() {
  const std::size_t m = m_, n = n_;
  if (m > capacity_) {
    capacity_ = m;
    arena_.resize(4 * m * m + 7 * n * m);
  }
  double* at = arena_.data();
  auto take = [&](std::size_t size) {
    double* table = at;
    at += size;
    return table;
  };
  dist_ = take(m * m);
  num_ = take(m * m);
  tot_ = take(m * m);
  p_ = take(m * m);
  term_ = take(m * n);
  rep_us_ = take(n * m);
  rep_uf_ = take(n * m);
  rep_d_ = take(n * m);
  rep_lead_ = take(n * m);
  rep_stay_ = take(n * m);
  resist_ = take(n * m);
}

double Engine::no_challenge(double xi, double xj, double r, double status_quo) const {
  const double q = options_.q;
  double value = q * status_quo;
  if (q != 1.0) {  // with Q = 1 the better/worse term is multiplied by 0
    const double e = (std::abs(xi - mu_) + std::abs(xi - xj)) / range_;
    const Utilities u = utilities(0.0, e, r);
    const double t = std::abs(xi - mu_) < std::abs(xi - xj) ? 1.0 : 0.0;
    value += (1.0 - q) * (t * u.better + (1.0 - t) * u.worse);
  }
  return value;
}

void Engine::probabilities(const double* rows, const std::size_t* row) {
  const std::size_t m = m_, n = n_;
  const bool code = scholz();
  double *num = num_, *tot = tot_;
  std::fill(num, num + m * m, 0.0);
  std::fill(tot, tot + m * m, 0.0);
  // Each (a, b) sums over the voters in input order; the diagonal adds exact zeros. Scholz's
  // normalisation is one sum of every voter's absolute votes on every ordered pair, in the
  // reference's order (k, a, b), skipping the diagonal's zeros.
  double denominator = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    const double* d = rows + row[k] * m;
    const double c = w_[k];
    for (std::size_t a = 0; a < m; ++a) {
      const double da = d[a];
      double* num_a = num + a * m;
      double* tot_a = tot + a * m;
      for (std::size_t b = 0; b < m; ++b) {
        const double v = c * (d[b] - da);
        num_a[b] += v > 0.0 ? v : 0.0;
        tot_a[b] += std::abs(v);
      }
    }
    if (code)
      for (std::size_t a = 0; a < m; ++a)
        for (std::size_t b = 0; b < m; ++b)
          if (b != a)
            denominator +=
                static_cast<double>(counts_[a] * counts_[b]) * std::abs(c * (d[b] - d[a]));
  }
  for (std::size_t ab = 0; ab < m * m; ++ab) {
    const double den = code ? denominator : tot[ab];
    p_[ab] = den > 0.0 ? num[ab] / den : 0.0;
  }
  for (std::size_t a = 0; a < m; ++a) p_[a * m + a] = 0.0;
}

void Engine::risk_exponents(std::vector<double>& r) {
  const std::size_t m = m_, n = n_;
  probabilities(dist_, index_);
  // E(U_ji) as j sees it, with r = 1, depends on j only through its position a: one term per
  // (a, i). U_sq = 2 - 4 * 0.5 = 0.
  const double status_quo = utility(0.5, 1.0);
  for (std::size_t a = 0; a < m; ++a)
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t b = index_[i];
      const double dist = dist_[a * m + b];
      const double u_s = utility(0.5 - 0.5 * dist, 1.0), u_f = utility(0.5 + 0.5 * dist, 1.0);
      const double p = p_[a * m + b];
      term_[a * n + i] = s_[i] * (p * u_s + (1.0 - p) * u_f) + (1.0 - s_[i]) * u_s -
                         no_challenge(values_[a], values_[b], 1.0, status_quo);
    }
  // Sec_i = sum over j != i of E(U_ji), in the order of j: one pass over the table per j, every
  // actor's sum at once.
  double* security = security_;
  std::fill(security, security + n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    const double* t = term_ + index_[j] * n;
    for (std::size_t i = 0; i < j; ++i) security[i] += t[i];
    for (std::size_t i = j + 1; i < n; ++i) security[i] += t[i];
  }
  const auto [lo, hi] = std::minmax_element(security, security + n);
  r.resize(n);
  for (std::size_t i = 0; i < n; ++i) r[i] = risk_exponent(security[i], *lo, *hi);
}

void Engine::power_rows(std::span<const double> r) {
  const std::size_t m = m_, n = n_;
  groups_ = 0;
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t g = 0;
    while (g < groups_ && !(rep_r_[g] == r[k] && index_[rep_actor_[g]] == index_[k])) ++g;
    if (g == groups_) {
      rep_r_[groups_] = r[k];
      rep_actor_[groups_++] = k;
    }
    rep_[k] = g;
  }
  const bool code = scholz();
  for (std::size_t g = 0; g < groups_; ++g) {
    const std::size_t own = index_[rep_actor_[g]];
    const double rg = rep_r_[g];
    double *us = rep_us_ + g * m, *uf = rep_uf_ + g * m, *d = rep_d_ + g * m;
    rep_sq_[g] = utility(0.5, rg);
    for (std::size_t b = 0; b < m; ++b) {
      if (b == own) {  // distance 0: U_s and U_f are never used; 0^r = 0 for r > 0
        us[b] = uf[b] = rep_sq_[g];
        d[b] = 0.0;
        continue;
      }
      const double dist = dist_[own * m + b];
      us[b] = utility(0.5 - 0.5 * dist, rg);
      uf[b] = utility(0.5 + 0.5 * dist, rg);
      if (code) d[b] = power(dist, rg);
    }
  }
}

void Engine::set_risk(std::span<const double> r) {
  const std::size_t m = m_, n = n_;
  power_rows(r);
  // Under the printed rule D = distance whatever r is, so P stays as the first pass left it.
  if (scholz()) {
    probabilities(rep_d_, rep_);
  }
  // i challenges j at b: s_j [P U_s + (1 - P) U_f] + (1 - s_j) U_s - no challenge, as i sees
  // it: the bracket and the last term depend on i's group and b only.
  for (std::size_t g = 0; g < groups_; ++g) {
    const std::size_t i = rep_actor_[g], own = index_[i];
    for (std::size_t b = 0; b < m; ++b) {
      if (b == own) continue;
      const double u_s = rep_us_[g * m + b], u_f = rep_uf_[g * m + b], p = p_[own * m + b];
      rep_lead_[g * m + b] = p * u_s + (1.0 - p) * u_f;
      rep_stay_[g * m + b] = no_challenge(x_[i], values_[b], r[i], rep_sq_[g]);
    }
  }
  // j at b challenges i, as i sees it (i is the responder): the same for every j at b.
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t g = rep_[i], own = index_[i];
    for (std::size_t b = 0; b < m; ++b) {
      if (b == own) continue;
      const double u_s = rep_us_[g * m + b], u_f = rep_uf_[g * m + b], p = p_[b * m + own];
      resist_[i * m + b] = s_[i] * (p * u_s + (1.0 - p) * u_f) + (1.0 - s_[i]) * u_s -
                           no_challenge(values_[b], x_[i], r[i], rep_sq_[g]);
    }
  }
}

std::optional<Move> Engine::best_move(std::size_t i) const {
  const std::size_t m = m_, own = index_[i], g = rep_[i];
  const double xi = x_[i];
  const bool code = scholz();
  std::optional<Move> best;
  double best_key = 0.0;
  for (std::size_t b = 0; b < m; ++b) {
    if (b == own) continue;
    const double resist = resist_[i * m + b];
    if (!(resist > 0.0)) continue;  // every offer needs E(U_ji) > 0 as i sees it
    const double lead = rep_lead_[g * m + b], u_s = rep_us_[g * m + b];
    const double stay = rep_stay_[g * m + b], xj = values_[b];
    for (std::size_t at = first_[b]; at < end_[b]; ++at) {
      const std::size_t j = proposers_[at];
      const double a = s_[j] * lead + (1.0 - s_[j]) * u_s - stay;  // i challenges j, as i sees it
      Offer kind;
      double to;
      if (a > 0.0 && resist > a) {
        kind = Offer::kConflict;  // i loses the conflict
        to = xj;
      } else if (a < 0.0 && resist > -a) {
        kind = Offer::kCompromise;  // eq. 36
        to = xi + (xj - xi) * std::abs(a / resist);
      } else if (a < 0.0 && -a > resist) {
        if (code) continue;  // Scholz's code never capitulates
        kind = Offer::kCapitulation;
        to = xj;
      } else {
        continue;
      }
      const double key = code && kind == Offer::kCompromise
                             ? (std::abs(a) * xi + std::abs(resist) * xj) /
                                   (std::abs(a) + std::abs(resist))
                             : std::abs(to - xi);
      // Within a kind the least move; ties go to the first proposer in input order.
      if (!best || kind < best->offer ||
          (kind == best->offer && (key < best_key || (key == best_key && j < best->proposer)))) {
        best = Move{i, j, kind, xi, to};
        best_key = key;
      }
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

// Sets the result's period and outcome set. States are compared to a billionth of the range:
// the same sequence of moves reproduces positions to the last bit or nearly so.
void detect_cycle(std::span<const Player> players, double range, EuResult& result) {
  const auto& r = result.rounds;
  const int t = static_cast<int>(r.size());
  auto state = [&](int round, std::size_t k) {
    return round == 0 ? players[k].position : r[static_cast<std::size_t>(round - 1)].positions[k];
  };
  const double eps = 1e-9 * range;
  for (int p = 1; p <= std::min(EuResult::kMaxPeriod, t); ++p) {
    bool same = true;
    for (std::size_t k = 0; k < players.size() && same; ++k)
      same = std::abs(state(t, k) - state(t - p, k)) <= eps;
    if (!same) continue;
    result.period = p;
    for (int q = t - p + 1; q <= t; ++q) {
      const double m = r[static_cast<std::size_t>(q - 1)].median;
      if (std::none_of(result.outcome_set.begin(), result.outcome_set.end(),
                       [&](double v) { return std::abs(v - m) <= eps; }))
        result.outcome_set.push_back(m);
    }
    std::sort(result.outcome_set.begin(), result.outcome_set.end());
    return;
  }
  result.period = 0;
  result.outcome_set = {result.forecast()};
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
  Engine engine(s, w, range, options);
  int quiet = 0;
  double previous = result.initial_median;
  double mu = result.initial_median;  // the median at the start of each round
  std::vector<double> next(n);
  result.rounds.reserve(static_cast<std::size_t>(std::clamp(options.rounds, 0, 16)));
  for (int t = 1; t <= options.rounds; ++t) {
    EuRound record;
    if (!result.rounds.empty() && result.rounds.back().moves.empty()) {
      // Nobody moved: the round starts where the last one did and plays the same.
      record = result.rounds.back();
    } else {
      record.moves.reserve(n);
      engine.start(x, mu);
      engine.risk_exponents(record.risk);
      engine.set_risk(record.risk);
      next = x;
      for (std::size_t i = 0; i < n; ++i)
        if (auto move = engine.best_move(i)) {
          next[i] = move->to;
          record.moves.push_back(*move);
        }
      std::swap(x, next);  // every actor moves at once
      record.median = mu = engine.median(x);
      record.mean = weighted_mean(x, w);
      record.positions = x;
    }
    record.round = t;
    result.rounds.push_back(std::move(record));
    if (options.tolerance) {
      quiet = std::abs(mu - previous) < *options.tolerance * range ? quiet + 1 : 0;
      previous = mu;
      if (quiet >= 2) {
        result.converged = t < options.rounds;
        break;
      }
    }
  }
  detect_cycle(players, range, result);
  return result;
}

double EuResult::outcome() const {
  if (outcome_set.empty()) return forecast();
  double sum = 0.0;
  for (double v : outcome_set) sum += v;
  return sum / static_cast<double>(outcome_set.size());
}

}  // namespace sphere::bargain

// Where a contested issue settles: the compromise model, the Nash bargaining solution, and Bueno
// de Mesquita's expected-utility ("challenge") model as specified by Scholz, Calbert & Smith
// (2011); the DEU III data set they are validated on. docs/MODEL.md ("Bargaining") gives every
// equation and each choice made where the paper is ambiguous.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kb/kb.h"

namespace sphere::bargain {

// One actor on one issue.
struct Player {
  std::string id;
  // What the actor can bring to bear on this issue: its influence on the issue (issues.toml), or
  // a data set's capability. Any positive scale; it cancels in every ratio.
  double capability = 1.0;
  double position = 0.0;    // on the issue's scale
  double salience = 0.0;    // 0..1
};

// The players of a model issue at their stated values, weighted by their issue-specific
// influence. The issue must come from a loaded (validated) model.
std::vector<Player> players(const kb::Model& model, const kb::Issue& issue);
std::vector<Player> players(const kb::Issue& issue);

// The issue with this id, or nullptr.
const kb::Issue* find_issue(const kb::Model& model, std::string_view id);

// Compromise model: the capability x salience weighted mean of the positions.
double compromise(std::span<const Player> players);

// The lowest position whose cumulative weight reaches half the total: the weighted median, which
// is the Condorcet winner among the positions under Scholz's linear votes (eq. 28).
double weighted_median(std::span<const double> positions, std::span<const double> weights);
// The same, with `order` as scratch space, so that a caller in a loop allocates nothing.
double weighted_median(std::span<const double> positions, std::span<const double> weights,
                       std::vector<std::size_t>& order);
// Sum of w x over sum of w.
double weighted_mean(std::span<const double> positions, std::span<const double> weights);
// The plain median: the middle position, or the mean of the two middle ones.
double median(std::vector<double> values);

// Asymmetric Nash bargaining solution with linear utilities u_i(x) = -|x - x_i|, weights
// capability x salience, and the status quo as disagreement point.
// Why the status quo d stands when it does: the solution then carries no information beyond it.
enum class NashStandstill {
  kNone,          // an agreement away from d
  kStraddle,      // ideal points on both sides of d: every move away from it hurts someone
  kIdealAtD,      // some actor's ideal point is d itself
  kNobodyCares,   // every weight is zero
};
struct NashResult {
  double outcome = 0.0;
  bool agreement = false;  // false: no outcome is better than d for every actor, so d stands
  NashStandstill standstill = NashStandstill::kNone;
  std::vector<std::size_t> below, above;  // players (with a say) whose ideal is below / above d
};
NashResult nash_bargaining(std::span<const Player> players, double disagreement);

// --- The expected-utility model --------------------------------------------------------------

// How the probability of success is computed (docs/MODEL.md explains both).
enum class ProbabilityRule {
  kPrinted,     // eq. 31 as printed: P_i + P_j = 1
  kScholzCode,  // the normalisation of Scholz's code, which reproduces their Table 2
};
// "printed" or "scholz-code"; nullopt for anything else.
std::optional<ProbabilityRule> parse_probability_rule(std::string_view name);
std::string to_string(ProbabilityRule rule);

struct EuOptions {
  ProbabilityRule probability = ProbabilityRule::kScholzCode;
  double q = 1.0;        // probability that j stays put if not challenged (Scholz use 1.0)
  int rounds = 10;       // tau: the most rounds played
  // Convergence rule (BDM): stop early once the median moved less than tolerance x range in each
  // of the last two rounds. Unset: play exactly `rounds` rounds (Scholz).
  std::optional<double> tolerance;
};

// The four utilities of eqs 15-16 and 22-24 for an actor with risk exponent r, at normalised
// distance d = |x_i - x_j| / range and e = (|x_i - mu| + |x_i - x_j|) / range.
struct Utilities {
  double success, failure, better, worse, status_quo;
};
Utilities utilities(double d, double e, double r);

// Risk exponent (eqs 33-34) of an actor whose security level is `security`, given the lowest and
// highest security levels of all actors; 1 when they are all equal.
double risk_exponent(double security, double lowest, double highest);

// The kinds of offer an actor may accept, in its order of preference.
enum class Offer { kConflict, kCompromise, kCapitulation };
std::string to_string(Offer offer);

// One actor's move in a round: `actor` accepts `proposer`'s offer and moves.
struct Move {
  std::size_t actor = 0, proposer = 0;  // indices into the players
  Offer offer = Offer::kConflict;
  double from = 0.0, to = 0.0;
};

struct EuRound {
  int round = 0;                  // 1-based
  double median = 0.0;            // weighted median after the round's moves
  double mean = 0.0;              // capability x salience weighted mean after them
  std::vector<double> positions;  // after the round
  std::vector<double> risk;       // the risk exponents r_i used in the round
  std::vector<Move> moves;
};

struct EuResult {
  double initial_median = 0.0, initial_mean = 0.0;
  std::vector<EuRound> rounds;
  bool converged = false;  // the convergence rule stopped it before `rounds`
  // The median after the last round (the initial median when none was played). When the model
  // cycles this depends on whether the round count is odd or even: prefer outcome_set.
  double forecast() const { return rounds.empty() ? initial_median : rounds.back().median; }
  // Cycle detection (docs/MODEL.md): the smallest p <= kMaxPeriod such that the positions after
  // the last round equal those p rounds before (round 0: the starting positions). A round depends
  // on the positions alone, so the model then repeats those p rounds for ever. period 1: it
  // settled; period > 1: it cycles; 0: no repeat within the rounds played.
  static constexpr int kMaxPeriod = 8;
  int period = 0;
  // The medians of one period, sorted and distinct (period 0: the last round's median).
  std::vector<double> outcome_set;
  // The mean of the outcome set: one number for the issue that no round count's parity changes.
  double outcome() const;
};

// Runs the model on one issue. Positions must not all be equal for anything to happen (the
// result then has no rounds). Throws std::invalid_argument on a salience outside [0, 1] or a
// capability that is not positive.
EuResult expected_utility(std::span<const Player> players, const EuOptions& options);

// --- Outcome distributions over the inputs' ranges ------------------------------------------

struct SampleOptions {
  int draws = 1000;
  std::uint64_t seed = 1;
  EuOptions eu;
};

// An input varied by the sampler: "AZE position", "RUS influence", "status quo".
struct InputEffect {
  std::string input;
  double rank_correlation = 0.0;  // Spearman's rho of the input's draws with the model's outcome
};

// One model's outcome over the draws.
struct Distribution {
  double median = 0.0, low = 0.0, high = 0.0;  // 50th, 5th and 95th percentiles
  std::vector<InputEffect> effects;           // every input, largest |rho| first
};

struct IssueDistribution {
  std::string issue;
  int draws = 0;
  Distribution compromise, nash, eu;
  double nash_status_quo_share = 0.0;  // share of draws where d stands
  double nash_straddle_share = 0.0;    // ... because the ideal points straddle it
  double eu_cycle_share = 0.0;         // share of draws where the expected-utility model cycles
  double eu_unsettled_share = 0.0;     // ... where it neither settles nor repeats in the rounds
};

// Draws every position, salience and influence (and the status quo) of the issue from a
// triangular distribution over its range with the stated value as mode, `draws` times, and runs
// the three models on each draw. Draw k depends on (seed, issue id, k) alone. The
// expected-utility outcome of a cycling draw counts each value of its outcome set with weight
// 1/size in the percentiles, and its mean in the rank correlations.
IssueDistribution sample_issue(const kb::Issue& issue, const SampleOptions& options);

// One draw of an issue's inputs, exactly as sample_issue makes its draw `draw` under `seed`: the
// players (issues.toml order) with position, salience and influence drawn from their triangular
// distributions, and the status quo (its stated value when it has no range).
struct IssueDraw {
  std::vector<Player> players;
  double status_quo = 0.0;
};
IssueDraw draw_issue(const kb::Issue& issue, std::uint64_t seed, std::uint32_t draw);

// The q-quantile (0..1) of weighted values (linear in the cumulative weight's midpoints).
double weighted_quantile(std::vector<std::pair<double, double>> value_weight, double q);

// Spearman's rank correlation of two equal-length series (average ranks for ties); 0 when
// either is constant.
double rank_correlation(std::span<const double> a, std::span<const double> b);

// --- Validation on DEU III (Arregui & Perarnaud; docs/MODEL.md) --------------------------------

// One scoreable DEU issue: an outcome in [0, 100] and at least 3 actors with both a position
// and a salience (saliences are divided by 100; every actor's capability is 1).
struct DeuIssue {
  std::string id;
  std::string procedure;  // COD or CNS
  std::optional<double> reference_point;
  double outcome = 0.0;
  std::vector<Player> players;
  int line = 0;
};

// Capabilities of the DEU actors: all equal, or the GDP row the file gives under its header
// (blksv's line 2; Commission and Parliament carry the largest member's value), divided by its
// largest value.
enum class DeuCapability { kEqual, kGdp };
std::string to_string(DeuCapability capability);

// Reads the DEU III file (tab-separated, as in shared/data/bargaining). Throws InputError with
// file, line and column on a malformed file, a number off the 0-100 scale, or (kGdp) a missing
// GDP row or GDP cell of an actor that takes part.
std::vector<DeuIssue> load_deu(const std::filesystem::path& file,
                               DeuCapability capability = DeuCapability::kEqual);

// Mean absolute, root mean square and median absolute error.
struct ErrorStats {
  int n = 0;
  double mae = 0.0, rmse = 0.0, median_ae = 0.0;
};
ErrorStats error_stats(std::span<const double> absolute_errors);

// The models `sphere bargain validate` scores, in report order.
enum class DeuModel {
  kConstant50,      // baseline: always the middle of the scale
  kStatusQuo,       // baseline: the reference point (issues that have one)
  kCompromise,      // capability x salience weighted mean
  kUnweightedMean,  // mean of positions
  kMedian,          // plain median of positions
  kWeightedMedian,  // salience-weighted median
  kNash,            // Nash bargaining solution, d = reference point (issues that have one)
  kEuPrinted,       // expected-utility model, printed probability formula
  kEuScholzCode,    // expected-utility model, Scholz's code's probability
  kEuOutcomeSet,    // the same, the mean of its outcome set (parity-free when it cycles)
};
std::vector<DeuModel> all_deu_models();
std::string to_string(DeuModel model);

// A model's forecast for a DEU issue; nullopt when the model does not apply (Nash without a
// reference point). EU models use `eu` with its probability rule set by the model.
std::optional<double> forecast(DeuModel model, const DeuIssue& issue, const EuOptions& eu);

// A model's errors overall and by procedure.
struct DeuScore {
  DeuModel model;
  ErrorStats all, cod, cns;
  ErrorStats with_reference;  // on the issues that have a reference point (where every model runs)
};
std::vector<DeuScore> score_deu(std::span<const DeuIssue> issues, const EuOptions& eu);

// --- The small validation cases (shared/data/bargaining/known_outcomes.csv) -------------------

struct BargainCase {
  std::string id, file, scale;
  double outcome = 0.0;  // the recorded outcome (the near-term reading where two are given)
  std::optional<double> status_quo;  // where the case's own scale marks it
  double scale_low = 0.0, scale_high = 100.0;
  std::vector<Player> players;
};

// The cases known_outcomes.csv lists with the input files it names (DEU excepted: load_deu).
// Throws InputError naming file, line and column on a missing column or a malformed cell.
std::vector<BargainCase> load_cases(const std::filesystem::path& dir);
// Cases with inputs but no recorded outcome (sultan_bdm1997.csv), run but not scored.
std::vector<BargainCase> load_run_only_cases(const std::filesystem::path& dir);

struct CaseForecast {
  std::string model;
  std::optional<double> value;  // nullopt: the model needs a status quo the case lacks
};
// Every model and baseline on one case, in report order.
std::vector<CaseForecast> forecast_case(const BargainCase& c, const EuOptions& eu);

}  // namespace sphere::bargain

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
  double capability = 1.0;  // any positive scale; it cancels in every ratio
  double position = 0.0;    // on the issue's scale
  double salience = 0.0;    // 0..1
};

// The players of a model issue, with capabilities from issues.toml. The issue must come from a
// loaded (validated) model.
std::vector<Player> players(const kb::Model& model, const kb::Issue& issue);

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
struct NashResult {
  double outcome = 0.0;
  bool agreement = false;  // false: no outcome is better than d for every actor, so d stands
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
  // The forecast: the median after the last round (the initial median when none was played).
  double forecast() const { return rounds.empty() ? initial_median : rounds.back().median; }
};

// Runs the model on one issue. Positions must not all be equal for anything to happen (the
// result then has no rounds). Throws std::invalid_argument on a salience outside [0, 1] or a
// capability that is not positive.
EuResult expected_utility(std::span<const Player> players, const EuOptions& options);

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

// Reads the DEU III file (tab-separated, as in shared/data/bargaining). Throws InputError with
// file, line and column on a malformed file or a number off the 0-100 scale.
std::vector<DeuIssue> load_deu(const std::filesystem::path& file);

// Mean absolute, root mean square and median absolute error.
struct ErrorStats {
  int n = 0;
  double mae = 0.0, rmse = 0.0, median_ae = 0.0;
};
ErrorStats error_stats(std::span<const double> absolute_errors);

// The models `sphere bargain validate` scores, in report order.
enum class DeuModel {
  kCompromise,      // salience-weighted mean (equal capabilities)
  kUnweightedMean,  // mean of positions
  kMedian,          // plain median of positions
  kWeightedMedian,  // salience-weighted median
  kNash,            // Nash bargaining solution, d = reference point (issues that have one)
  kEuPrinted,       // expected-utility model, printed probability formula
  kEuScholzCode,    // expected-utility model, Scholz's code's probability
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
};
std::vector<DeuScore> score_deu(std::span<const DeuIssue> issues, const EuOptions& eu);

}  // namespace sphere::bargain

// `sphere bargain`: where the model's contested issues settle under the compromise model, the
// Nash bargaining solution and the expected-utility model; `sphere bargain validate --deu FILE`
// scores every model on the DEU III data set against the published figures.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <ctime>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/app.h"
#include "bargain/bargain.h"

namespace sphere::app {
namespace {

using bargain::DeuModel;

struct EuFlags {
  int rounds = 10;
  std::string probability = "scholz-code";
  double q = 1.0;
  double tolerance = 0.0;  // 0: play every round
};

void add_eu_options(CLI::App& cmd, EuFlags& flags) {
  cmd.add_option("--rounds", flags.rounds, "Most rounds of the expected-utility model")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd.add_option("--probability", flags.probability,
                 "Probability of success: scholz-code (reproduces Scholz et al.'s Table 2) or "
                 "printed (eq. 31 as printed)")
      ->check(CLI::IsMember({"scholz-code", "printed"}))
      ->capture_default_str();
  cmd.add_option("--q", flags.q, "Q: probability that an unchallenged actor stays put")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_option("--tolerance", flags.tolerance,
                 "Stop once the median moved less than this share of the scale's range in each "
                 "of two rounds (0: play every round)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
}

bargain::EuOptions eu_options(const EuFlags& flags) {
  bargain::EuOptions options;
  options.rounds = flags.rounds;
  options.probability = *bargain::parse_probability_rule(flags.probability);
  options.q = flags.q;
  if (flags.tolerance > 0.0) options.tolerance = flags.tolerance;
  return options;
}

std::string fixed(double value, int digits = 2) { return fmt::format("{:.{}f}", value, digits); }

// --- sphere bargain ------------------------------------------------------------------------------

struct IssueResult {
  const kb::Issue* issue = nullptr;
  std::vector<bargain::Player> players;
  double compromise = 0.0;
  bargain::NashResult nash;
  bargain::EuResult eu;
  std::optional<bargain::IssueDistribution> sampled;
};

// "10 ↔ 100" for a cycle, "35.0" when it settled, "35.0 (unsettled)" when it did neither.
std::string outcome_set(const bargain::EuResult& eu) {
  std::string out;
  for (double v : eu.outcome_set) out += (out.empty() ? "" : " ↔ ") + fmt::format("{:.1f}", v);
  if (out.empty()) out = fmt::format("{:.1f}", eu.forecast());
  if (eu.period == 0 && !eu.rounds.empty()) out += " (unsettled)";
  return out;
}

// Why Nash returns the status quo, naming the actors on each side.
std::string nash_reason(const IssueResult& r) {
  auto names = [&](const std::vector<std::size_t>& idx) {
    std::string out;
    for (std::size_t k : idx) out += (out.empty() ? "" : ", ") + r.players[k].id;
    return out;
  };
  switch (r.nash.standstill) {
    case bargain::NashStandstill::kStraddle:
      return fmt::format("the status quo stands: ideal points straddle it ({} below, {} above), "
                         "so every move away from it hurts someone",
                         names(r.nash.below), names(r.nash.above));
    case bargain::NashStandstill::kIdealAtD:
      return "the status quo stands: an actor's ideal point is the status quo itself";
    case bargain::NashStandstill::kNobodyCares: return "the status quo stands: nobody has a say";
    default: return "an agreement every actor prefers to the status quo";
  }
}

std::string interval(const bargain::Distribution& d) {
  return fmt::format("{:.0f} [{:.0f}, {:.0f}]", d.median, d.low, d.high);
}

// The inputs with the largest rank correlations, leaving out those within sampling noise
// (|rho| < 2 / sqrt(draws), about two standard errors of rho when the input has no effect).
std::string top_inputs(const bargain::Distribution& d, std::size_t count, int draws) {
  const double noise = 2.0 / std::sqrt(static_cast<double>(std::max(draws, 1)));
  std::string out;
  for (std::size_t k = 0; k < std::min(count, d.effects.size()); ++k) {
    if (std::abs(d.effects[k].rank_correlation) < noise) break;
    out += (out.empty() ? "" : ", ") +
           fmt::format("{} {:+.2f}", d.effects[k].input, d.effects[k].rank_correlation);
  }
  return out.empty() ? "none beyond sampling noise" : out;
}

nlohmann::json distribution_json(const bargain::Distribution& d) {
  nlohmann::json effects = nlohmann::json::array();
  for (const auto& e : d.effects)
    effects.push_back({{"input", e.input}, {"rank_correlation", e.rank_correlation}});
  return {{"median", d.median}, {"p05", d.low}, {"p95", d.high}, {"effects", effects}};
}

nlohmann::json eu_json(const IssueResult& r) {
  nlohmann::json rounds = nlohmann::json::array();
  for (const auto& round : r.eu.rounds) {
    nlohmann::json positions, risk, moves = nlohmann::json::array();
    for (std::size_t k = 0; k < r.players.size(); ++k) {
      positions[r.players[k].id] = round.positions[k];
      risk[r.players[k].id] = round.risk[k];
    }
    for (const auto& m : round.moves)
      moves.push_back({{"actor", r.players[m.actor].id},
                       {"proposer", r.players[m.proposer].id},
                       {"offer", bargain::to_string(m.offer)},
                       {"from", m.from},
                       {"to", m.to}});
    rounds.push_back({{"round", round.round},
                      {"median", round.median},
                      {"mean", round.mean},
                      {"positions", positions},
                      {"risk", risk},
                      {"moves", moves}});
  }
  return {{"forecast", r.eu.forecast()},
          {"outcome", r.eu.outcome()},
          {"outcome_set", r.eu.outcome_set},
          {"period", r.eu.period},
          {"initial_median", r.eu.initial_median},
          {"initial_mean", r.eu.initial_mean},
          {"converged", r.eu.converged},
          {"rounds", rounds}};
}

nlohmann::json issue_json(const IssueResult& r, const std::string& method) {
  nlohmann::json actors = nlohmann::json::array();
  for (const auto& pos : r.issue->positions) {
    auto ranged = [](const kb::IssueValue& v) {
      return nlohmann::json{{"value", v.value}, {"low", v.low()}, {"high", v.high()},
                            {"source", v.provenance.source}};
    };
    actors.push_back({{"id", pos.actor},
                      {"influence", ranged(pos.influence)},
                      {"position", ranged(pos.position)},
                      {"salience", ranged(pos.salience)}});
  }
  nlohmann::json j = {{"id", r.issue->id},         {"title", r.issue->title},
                      {"low", r.issue->low},       {"high", r.issue->high},
                      {"status_quo", r.issue->status_quo.value},
                      {"status_quo_range", {{"value", r.issue->status_quo.value},
                                            {"low", r.issue->status_quo.low()},
                                            {"high", r.issue->status_quo.high()}}},
                      {"actors", actors}};
  if (method == "all" || method == "compromise") j["compromise"] = r.compromise;
  if (method == "all" || method == "nbs")
    j["nbs"] = {{"outcome", r.nash.outcome},
                {"agreement", r.nash.agreement},
                {"straddle", r.nash.standstill == bargain::NashStandstill::kStraddle},
                {"why", nash_reason(r)}};
  if (method == "all" || method == "eu") j["eu"] = eu_json(r);
  if (r.sampled) {
    const auto& d = *r.sampled;
    nlohmann::json dist = {{"draws", d.draws}};
    if (method == "all" || method == "compromise") dist["compromise"] = distribution_json(d.compromise);
    if (method == "all" || method == "nbs") {
      dist["nbs"] = distribution_json(d.nash);
      dist["nbs"]["status_quo_share"] = d.nash_status_quo_share;
      dist["nbs"]["straddle_share"] = d.nash_straddle_share;
    }
    if (method == "all" || method == "eu") {
      dist["eu"] = distribution_json(d.eu);
      dist["eu"]["cycle_share"] = d.eu_cycle_share;
      dist["eu"]["unsettled_share"] = d.eu_unsettled_share;
    }
    j["distribution"] = dist;
  }
  return j;
}

// The expected-utility rounds: one row per round with every actor's position, then the moves.
void print_rounds(const IssueResult& r) {
  std::vector<std::string> header = {"round", "median", "mean"};
  for (const auto& p : r.players) header.push_back(p.id);
  Table table(header);
  std::vector<std::string> start = {"0", fixed(r.eu.initial_median, 1), fixed(r.eu.initial_mean, 1)};
  for (const auto& p : r.players) start.push_back(fixed(p.position, 1));
  table.add(start);
  for (const auto& round : r.eu.rounds) {
    std::vector<std::string> row = {std::to_string(round.round), fixed(round.median, 1),
                                    fixed(round.mean, 1)};
    for (double x : round.positions) row.push_back(fixed(x, 1));
    table.add(row);
  }
  table.print(std::cout);
  std::cout << "\nWho challenged whom (each line: the actor that moved accepted the proposer's offer):\n";
  for (const auto& round : r.eu.rounds) {
    if (round.moves.empty()) std::cout << fmt::format("  round {}: nobody moves\n", round.round);
    for (const auto& m : round.moves)
      std::cout << fmt::format("  round {}: {} challenged {}: {} {} {:.1f} → {:.1f}\n", round.round,
                               r.players[m.proposer].id, r.players[m.actor].id,
                               r.players[m.actor].id,
                               m.offer == bargain::Offer::kConflict       ? "loses the conflict,"
                               : m.offer == bargain::Offer::kCompromise ? "compromises,"
                                                                         : "capitulates,",
                               m.from, m.to);
  }
}

void print_issue(const IssueResult& r, const std::string& method, const bargain::EuOptions& eu) {
  const kb::Issue& i = *r.issue;
  std::cout << fmt::format("{}: {}\n  0 = {}\n  100 = {}\n  status quo {:.1f}\n\n", i.id, i.title,
                           i.low, i.high, i.status_quo.value);
  auto ranged = [](const kb::IssueValue& v, int digits) {
    return fmt::format("{:.{}f} [{:.{}f}, {:.{}f}]", v.value, digits, v.low(), digits, v.high(),
                       digits);
  };
  Table actors({"actor", "influence [range]", "position [range]", "salience [range]"});
  for (const auto& p : i.positions)
    actors.add({p.actor, ranged(p.influence, 2), ranged(p.position, 0), ranged(p.salience, 2)});
  actors.print(std::cout);
  std::cout << "\nAt the stated values:\n";
  if (method == "all" || method == "compromise")
    std::cout << fmt::format("  compromise model: {:.1f}\n", r.compromise);
  if (method == "all" || method == "nbs")
    std::cout << fmt::format("  Nash bargaining:  {:.1f}: {}\n", r.nash.outcome, nash_reason(r));
  if (method == "all" || method == "eu")
    std::cout << fmt::format("  expected utility: {} ({}; the median after round {} alone would "
                             "say {:.1f})\n",
                             outcome_set(r.eu),
                             r.eu.period > 1   ? fmt::format("cycles with period {}", r.eu.period)
                             : r.eu.period == 1 ? "settled"
                                                : "no repeat within the rounds",
                             r.eu.rounds.size(), r.eu.forecast());
  if (r.sampled) {
    const auto& d = *r.sampled;
    std::cout << fmt::format("\nOver {} draws of every input from its range (median [5%, 95%]; "
                             "the inputs that move it most, Spearman's rho):\n", d.draws);
    if (method == "all" || method == "compromise")
      std::cout << fmt::format("  compromise:       {}  {}\n", interval(d.compromise),
                               top_inputs(d.compromise, 4, d.draws));
    if (method == "all" || method == "nbs")
      std::cout << fmt::format("  Nash bargaining:  {}  status quo in {:.0f}% of draws ({:.0f}% "
                               "straddled)  {}\n", interval(d.nash),
                               100.0 * d.nash_status_quo_share, 100.0 * d.nash_straddle_share,
                               top_inputs(d.nash, 4, d.draws));
    if (method == "all" || method == "eu")
      std::cout << fmt::format("  expected utility: {}  cycles in {:.0f}% of draws  {}\n",
                               interval(d.eu), 100.0 * d.eu_cycle_share, top_inputs(d.eu, 4, d.draws));
  }
  if (method == "all" || method == "eu") {
    std::cout << fmt::format("\nExpected-utility rounds (probability {}, Q = {}):\n",
                             to_string(eu.probability), eu.q);
    print_rounds(r);
  }
  std::cout << "\n";
}

void print_summary(const std::vector<IssueResult>& results) {
  Table table({"issue", "status quo", "compromise", "Nash", "exp. utility (outcome set)"});
  for (const auto& r : results)
    table.add({r.issue->id, fixed(r.issue->status_quo.value, 0), fixed(r.compromise, 0),
               fixed(r.nash.outcome, 0) +
                   (r.nash.standstill == bargain::NashStandstill::kStraddle ? " (sq: straddled)"
                    : r.nash.agreement                                        ? ""
                                                                              : " (sq)"),
               outcome_set(r.eu)});
  std::cout << "At the stated values:\n";
  table.print(std::cout);
  if (!results.empty() && results.front().sampled) {
    Table dist({"issue", "compromise", "Nash", "Nash = sq", "exp. utility", "EU cycles",
                "moves the compromise most", "moves exp. utility most"});
    for (const auto& r : results) {
      const auto& d = *r.sampled;
      dist.add({r.issue->id, interval(d.compromise), interval(d.nash),
                fmt::format("{:.0f}%", 100.0 * d.nash_status_quo_share), interval(d.eu),
                fmt::format("{:.0f}%", 100.0 * d.eu_cycle_share), top_inputs(d.compromise, 2, d.draws),
                top_inputs(d.eu, 2, d.draws)});
    }
    std::cout << fmt::format("\nOver {} draws of every position, salience, influence and status "
                             "quo from its range (median [5%, 95%]):\n",
                             results.front().sampled->draws);
    dist.print(std::cout);
  }
  std::cout << "Scale 0-100 per issue (sphere bargain --issue ID shows its ends, the actors and the "
               "rounds). sq: the Nash solution is the status quo; straddled: actors stand on both "
               "sides of it, so no agreement beats it for all. An expected-utility outcome set "
               "'a ↔ b' is a cycle: the model alternates between those medians for ever, and "
               "which one a given round count ends on carries no information; unsettled: it neither settled nor "
               "repeated within the rounds played (--rounds).\n";
}

// --- sphere bargain validate ------------------------------------------------------------------

// Published or independently reproduced figures for the same 351 issues (docs/MODEL.md).
struct Reference {
  std::string all, cod, cns, where;
};
Reference reference(DeuModel m, bargain::DeuCapability capability) {
  if (capability == bargain::DeuCapability::kGdp) {  // only the compromise is published with GDP
    if (m == DeuModel::kCompromise) return {"23.21", "", "", "GDP x salience, data README"};
    if (m != DeuModel::kConstant50 && m != DeuModel::kUnweightedMean && m != DeuModel::kMedian)
      return {"", "", "", "none with these capabilities"};
  }
  switch (m) {
    case DeuModel::kConstant50: return {"27.96", "", "", "computed on this file (issue 15)"};
    case DeuModel::kStatusQuo: return {"", "", "", "none"};
    case DeuModel::kEuOutcomeSet: return {"", "", "", "none"};
    case DeuModel::kCompromise: return {"23.64", "23.05", "24.47", "replication, shared/reference/bargaining.md §4.3-4.4"};
    case DeuModel::kUnweightedMean: return {"23.63", "23.37", "23.99", "same"};
    case DeuModel::kMedian: return {"28.37", "", "", "same"};
    case DeuModel::kWeightedMedian: return {"28.31", "", "", "same (ties to the lowest)"};
    case DeuModel::kNash: return {"", "", "", "none on this subset"};
    case DeuModel::kEuPrinted: return {"", "", "", "none"};
    default: return {"28.31", "", "", "hamzagul07/schelling, Scholz-faithful, equal capability"};
  }
}

std::string deu_key(DeuModel m) {
  switch (m) {
    case DeuModel::kConstant50: return "constant_50";
    case DeuModel::kStatusQuo: return "status_quo";
    case DeuModel::kEuOutcomeSet: return "eu_outcome_set";
    case DeuModel::kCompromise: return "compromise";
    case DeuModel::kUnweightedMean: return "unweighted_mean";
    case DeuModel::kMedian: return "median";
    case DeuModel::kWeightedMedian: return "weighted_median";
    case DeuModel::kNash: return "nbs";
    case DeuModel::kEuPrinted: return "eu_printed";
    default: return "eu_scholz_code";
  }
}

nlohmann::json stats_json(const bargain::ErrorStats& s) {
  return {{"n", s.n}, {"mae", s.mae}, {"rmse", s.rmse}, {"median_ae", s.median_ae}};
}

// Both expected-utility forecasts (printed, scholz-code) of every issue, issue k on thread
// k mod threads. Each forecast depends on its issue alone, so the results are the same whatever
// the thread count.
std::vector<std::pair<double, double>> expected_utility_forecasts(
    const std::vector<bargain::DeuIssue>& issues, const bargain::EuOptions& eu, int threads) {
  std::vector<std::pair<double, double>> out(issues.size());
  const std::size_t count = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)),
                                                    1, std::max<std::size_t>(issues.size(), 1));
  std::vector<std::exception_ptr> errors(count);
  auto run = [&](std::size_t first) {
    try {
      for (std::size_t k = first; k < issues.size(); k += count)
        out[k] = {*bargain::forecast(DeuModel::kEuPrinted, issues[k], eu),
                  *bargain::forecast(DeuModel::kEuScholzCode, issues[k], eu)};
    } catch (...) {
      errors[first] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  for (std::size_t t = 1; t < count; ++t) workers.emplace_back(run, t);
  run(0);
  for (auto& worker : workers) worker.join();
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  return out;
}

// The small cases of known_outcomes.csv: each model's error in per cent of the case's scale.
void print_cases(const std::string& dir, const bargain::EuOptions& eu, bool json) {
  const auto cases = bargain::load_cases(dir);
  auto run_only = bargain::load_run_only_cases(dir);
  nlohmann::json out = nlohmann::json::array();
  std::map<std::string, std::pair<double, int>> totals;  // model -> (sum of % errors, n)
  std::vector<std::string> order;
  for (const auto& c : cases) {
    nlohmann::json row = {{"case", c.id}, {"outcome", c.outcome}, {"models", nlohmann::json::array()}};
    Table table({"model", "forecast", "abs. error", "error, % of scale"});
    const double span = c.scale_high - c.scale_low;
    for (const auto& f : bargain::forecast_case(c, eu)) {
      if (std::find(order.begin(), order.end(), f.model) == order.end()) order.push_back(f.model);
      if (!f.value) {
        table.add({f.model, "-", "-", "-"});
        continue;
      }
      const double err = std::abs(*f.value - c.outcome), pct = 100.0 * err / span;
      auto& [sum, n] = totals[f.model];
      sum += pct;
      ++n;
      table.add({f.model, fixed(*f.value, 2), fixed(err, 2), fixed(pct, 0)});
      row["models"].push_back({{"model", f.model}, {"forecast", *f.value}, {"error_pct", pct}});
    }
    out.push_back(row);
    if (!json) {
      std::cout << fmt::format("{} ({}): {}; recorded outcome {:g}, scale {:g}-{:g}\n", c.id,
                               c.file, c.scale, c.outcome, c.scale_low, c.scale_high);
      table.print(std::cout);
      std::cout << "\n";
    }
  }
  if (json) {
    print_json(std::cout, {{"cases", out}});
    return;
  }
  Table summary({"model", "cases", "mean error, % of scale"});
  for (const auto& m : order) {
    const auto it = totals.find(m);
    if (it == totals.end()) summary.add({m, "0", "-"});
    else summary.add({m, std::to_string(it->second.second),
                      fixed(it->second.first / it->second.second, 0)});
  }
  std::cout << "Over the cases (each case weighs the same; four cases cannot separate models "
               "whose errors differ by a few points):\n";
  summary.print(std::cout);
  for (const auto& c : run_only) {
    std::cout << fmt::format("\n{} ({}): run only, {}:\n", c.id, c.file, c.scale);
    for (const auto& f : bargain::forecast_case(c, eu))
      if (f.value) std::cout << fmt::format("  {}: {:.2f}\n", f.model, *f.value);
  }
}

int run_validate(const std::string& file, const EuFlags& flags, bool json, bool forecasts,
                 int threads, bargain::DeuCapability capability, const std::string& cases) {
  const bargain::EuOptions eu = eu_options(flags);
  if (!cases.empty()) {
    print_cases(cases, eu, json);
    if (file.empty()) return kExitOk;
    std::cout << "\n";
  }
  const auto issues = bargain::load_deu(file, capability);
  if (forecasts) {  // every model's forecast per issue, for the benchmark's comparison
    // The expected-utility runs are timed on their own (loading and output excluded), by the
    // wall clock and by the processor time of all threads (which other load on the machine
    // inflates less).
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    const auto eu_forecasts = expected_utility_forecasts(issues, eu, threads);
    const double eu_cpu_seconds =
        static_cast<double>(std::clock() - cpu_start) / static_cast<double>(CLOCKS_PER_SEC);
    const std::chrono::duration<double> eu_seconds = std::chrono::steady_clock::now() - start;
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t k = 0; k < issues.size(); ++k) {
      nlohmann::json row = {{"id", issues[k].id}, {"outcome", issues[k].outcome}};
      for (DeuModel m : bargain::all_deu_models()) {
        if (m == DeuModel::kEuPrinted || m == DeuModel::kEuScholzCode ||
            m == DeuModel::kEuOutcomeSet)
          continue;
        auto f = bargain::forecast(m, issues[k], eu);
        row[deu_key(m)] = f ? nlohmann::json(*f) : nlohmann::json(nullptr);
      }
      row[deu_key(DeuModel::kEuPrinted)] = eu_forecasts[k].first;
      row[deu_key(DeuModel::kEuScholzCode)] = eu_forecasts[k].second;
      rows.push_back(row);
    }
    print_json(std::cout, {{"eu_seconds", eu_seconds.count()},
                           {"eu_cpu_seconds", eu_cpu_seconds},
                           {"threads", threads},
                           {"issues", rows}});
    return kExitOk;
  }
  const auto scores = bargain::score_deu(issues, eu);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : scores) {
      Reference ref = reference(s.model, capability);
      out.push_back({{"model", deu_key(s.model)},
                     {"name", to_string(s.model)},
                     {"all", stats_json(s.all)},
                     {"with_reference_point", stats_json(s.with_reference)},
                     {"cod", stats_json(s.cod)},
                     {"cns", stats_json(s.cns)},
                     {"reference_mae", ref.all},
                     {"reference", ref.where}});
    }
    print_json(std::cout, {{"file", file},
                           {"capability", bargain::to_string(capability)},
                           {"issues", issues.size()},
                           {"models", out}});
    return kExitOk;
  }
  std::cout << fmt::format("DEU III, {} scoreable issues (outcome in [0, 100], at least 3 actors "
                           "with position and salience); capabilities: {}.\n"
                           "Expected utility: at most {} rounds, Q = {}{}.\n\n",
                           issues.size(), bargain::to_string(capability), eu.rounds, eu.q,
                           eu.tolerance ? fmt::format(", stop when the median moves < {} of the "
                                                      "range twice", *eu.tolerance)
                                        : "");
  Table table({"model", "n", "MAE", "RMSE", "median AE", "COD MAE", "CNS MAE",
               "MAE where rp", "reference MAE", "reference COD/CNS"});
  for (const auto& s : scores) {
    Reference ref = reference(s.model, capability);
    table.add({to_string(s.model), std::to_string(s.all.n), fixed(s.all.mae), fixed(s.all.rmse),
               fixed(s.all.median_ae), fixed(s.cod.mae), fixed(s.cns.mae),
               fixed(s.with_reference.mae),
               ref.all.empty() ? "-" : ref.all,
               ref.cod.empty() ? "-" : ref.cod + " / " + ref.cns});
  }
  table.print(std::cout);
  std::cout << "\nReference figures: salience-weighted mean, unweighted mean and medians as "
               "reproduced on this file (shared/reference/bargaining.md §4.4); the expected-utility "
               "figure is hamzagul07/schelling's own reconstruction (§4.3), not the same "
               "specification. Nash and the status quo are scored only on issues with a reference point; "
               "'MAE where rp' compares every model on those issues.\n";
  const auto best = std::min_element(scores.begin(), scores.end(), [](const auto& a, const auto& b) {
    return a.with_reference.mae < b.with_reference.mae;
  });
  const auto& constant = *std::find_if(scores.begin(), scores.end(), [](const auto& s) {
    return s.model == DeuModel::kConstant50;
  });
  std::cout << fmt::format("Lowest MAE on the issues with a reference point: {} ({:.2f}); always "
                           "50 scores {:.2f} there.\n",
                           to_string(best->model), best->with_reference.mae,
                           constant.with_reference.mae);
  return kExitOk;
}

}  // namespace

void add_bargain_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    std::string issue, method = "all";
    EuFlags eu;
    int draws = 1000;
    std::uint64_t seed = 1;
    std::string deu;
    EuFlags validate_eu;
    bool validate_json = false, forecasts = false;
    int threads = 0;
    std::string capability = "gdp", cases;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "bargain", "Where each contested issue settles: compromise, Nash bargaining, expected utility");
  add_model_options(*cmd, opts->model);
  cmd->add_option("--issue", opts->issue, "Only this issue (an id from issues.toml)");
  cmd->add_option("--method", opts->method,
                  "Bargaining model: compromise, nbs, eu or all (--model names the model "
                  "directory, as in every command)")
      ->check(CLI::IsMember({"compromise", "nbs", "eu", "all"}))
      ->capture_default_str();
  add_eu_options(*cmd, opts->eu);
  cmd->add_option("--draws", opts->draws,
                  "Draws of the inputs from their ranges for the outcome distributions (0: none)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Seed of the draws")->capture_default_str();

  CLI::App* validate = cmd->add_subcommand(
      "validate", "Score every model on the DEU III data set, beside the published figures");
  validate->add_option("--deu", opts->deu, "The DEU III file (tab-separated, as in "
                                           "shared/data/bargaining)")
      ->check(CLI::ExistingFile);
  validate->add_option("--capability", opts->capability,
                       "DEU capabilities: gdp (the file's GDP row, as the data set gives) or equal")
      ->check(CLI::IsMember({"gdp", "equal"}))
      ->capture_default_str();
  validate->add_option("--cases", opts->cases,
                       "A folder with known_outcomes.csv and the case files it names (as "
                       "shared/data/bargaining): score those cases too")
      ->check(CLI::ExistingDirectory);
  validate->add_flag("--json", opts->validate_json, "Print JSON instead of a table");
  validate->add_flag("--forecasts", opts->forecasts,
                     "Print every model's forecast for every issue (JSON) instead of the scores");
  validate->add_option("--threads", opts->threads,
                       "Threads for the expected-utility runs of --forecasts (0: one per hardware "
                       "thread); the results do not depend on it")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  add_eu_options(*validate, opts->validate_eu);
  validate->callback([opts, &action] {
    if (opts->deu.empty() && opts->cases.empty())
      throw CLI::ValidationError("--deu", "give --deu FILE, --cases DIR or both");
    action = [opts] {
      const int threads = opts->threads > 0
                              ? opts->threads
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      return run_validate(opts->deu, opts->validate_eu, opts->validate_json, opts->forecasts,
                          threads,
                          opts->capability == "gdp" ? bargain::DeuCapability::kGdp
                                                    : bargain::DeuCapability::kEqual,
                          opts->cases);
    };
  });

  cmd->callback([opts, validate, &action] {
    if (validate->parsed()) return;
    action = [opts] {
      kb::Model model = load_model(opts->model);
      const bargain::EuOptions eu = eu_options(opts->eu);
      std::vector<const kb::Issue*> chosen;
      if (!opts->issue.empty()) {
        const kb::Issue* issue = bargain::find_issue(model, opts->issue);
        if (!issue) {
          std::vector<std::string> ids;
          for (const auto& i : model.issues) ids.push_back(i.id);
          throw InputError(kRequest, 0, "issue",
                           fmt::format("no issue '{}' in {} (issues: {}){}", opts->issue,
                                       model.location, ids.empty() ? "none" : fmt::format("{}", fmt::join(ids, ", ")),
                                       did_you_mean(opts->issue, ids)));
        }
        chosen.push_back(issue);
      } else {
        for (const auto& i : model.issues) chosen.push_back(&i);
      }
      std::vector<IssueResult> results;
      for (const kb::Issue* issue : chosen) {
        IssueResult r;
        r.issue = issue;
        r.players = bargain::players(model, *issue);
        r.compromise = bargain::compromise(r.players);
        r.nash = bargain::nash_bargaining(r.players, issue->status_quo.value);
        r.eu = bargain::expected_utility(r.players, eu);
        if (opts->draws > 0) r.sampled = bargain::sample_issue(*issue, {opts->draws, opts->seed, eu});
        results.push_back(std::move(r));
      }
      if (opts->model.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : results) out.push_back(issue_json(r, opts->method));
        print_json(std::cout, {{"model", model.location},
                               {"probability", to_string(eu.probability)},
                               {"q", eu.q},
                               {"rounds", eu.rounds},
                               {"draws", opts->draws},
                               {"seed", opts->seed},
                               {"issues", out}});
      } else if (results.empty()) {
        std::cout << fmt::format("{} has no contested issues (issues.toml)\n", model.location);
      } else if (opts->issue.empty() && opts->method == "all") {
        print_summary(results);
      } else {
        for (const auto& r : results) print_issue(r, opts->method, eu);
      }
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

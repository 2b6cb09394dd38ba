// `sphere bargain`: where the model's contested issues settle under the compromise model, the
// Nash bargaining solution and the expected-utility model; `sphere bargain validate --deu FILE`
// scores every model on the DEU III data set against the published figures. The use cases are
// service::bargain_issues, validate_deu, deu_forecasts and score_cases; this file declares the
// flags and renders the results.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/app.h"
#include "bargain/bargain.h"

namespace sphere::app {
namespace {

using bargain::DeuModel;

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

// "10 ↔ 100" for a cycle, "35.0" when it settled, "35.0 (unsettled)" when it did neither.
std::string outcome_set(const bargain::EuResult& eu) {
  std::string out;
  for (double v : eu.outcome_set) out += (out.empty() ? "" : " ↔ ") + fmt::format("{:.1f}", v);
  if (out.empty()) out = fmt::format("{:.1f}", eu.forecast());
  if (eu.period == 0 && !eu.rounds.empty()) out += " (unsettled)";
  return out;
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

// The expected-utility rounds: one row per round with every actor's position, then the moves.
void print_rounds(std::ostream& out, const service::IssueBargain& r) {
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
  table.print(out);
  out << "\nWho challenged whom (each line: the actor that moved accepted the proposer's offer):\n";
  for (const auto& round : r.eu.rounds) {
    if (round.moves.empty()) out << fmt::format("  round {}: nobody moves\n", round.round);
    for (const auto& m : round.moves)
      out << fmt::format("  round {}: {} challenged {}: {} {} {:.1f} → {:.1f}\n", round.round,
                         r.players[m.proposer].id, r.players[m.actor].id,
                         r.players[m.actor].id,
                         m.offer == bargain::Offer::kConflict       ? "loses the conflict,"
                         : m.offer == bargain::Offer::kCompromise ? "compromises,"
                                                                   : "capitulates,",
                         m.from, m.to);
  }
}

void print_issue(std::ostream& out, const service::IssueBargain& r, service::BargainMethod method,
                 const bargain::EuOptions& eu) {
  using service::BargainMethod;
  using service::shows;
  const kb::Issue& i = *r.issue;
  out << fmt::format("{}: {}\n  0 = {}\n  100 = {}\n  status quo {:.1f}\n\n", i.id, i.title,
                     i.low, i.high, i.status_quo.value);
  auto ranged = [](const kb::IssueValue& v, int digits) {
    return fmt::format("{:.{}f} [{:.{}f}, {:.{}f}]", v.value, digits, v.low(), digits, v.high(),
                       digits);
  };
  Table actors({"actor", "influence [range]", "position [range]", "salience [range]"});
  for (const auto& p : i.positions)
    actors.add({p.actor, ranged(p.influence, 2), ranged(p.position, 0), ranged(p.salience, 2)});
  actors.print(out);
  out << "\nAt the stated values:\n";
  if (shows(method, BargainMethod::kCompromise))
    out << fmt::format("  compromise model: {:.1f}\n", r.compromise);
  if (shows(method, BargainMethod::kNash))
    out << fmt::format("  Nash bargaining:  {:.1f}: {}\n", r.nash.outcome, service::nash_reason(r));
  if (shows(method, BargainMethod::kExpectedUtility))
    out << fmt::format("  expected utility: {} ({}; the median after round {} alone would "
                       "say {:.1f})\n",
                       outcome_set(r.eu),
                       r.eu.period > 1   ? fmt::format("cycles with period {}", r.eu.period)
                       : r.eu.period == 1 ? "settled"
                                          : "no repeat within the rounds",
                       r.eu.rounds.size(), r.eu.forecast());
  if (r.sampled) {
    const auto& d = *r.sampled;
    out << fmt::format("\nOver {} draws of every input from its range (median [5%, 95%]; "
                       "the inputs that move it most, Spearman's rho):\n", d.draws);
    if (shows(method, BargainMethod::kCompromise))
      out << fmt::format("  compromise:       {}  {}\n", interval(d.compromise),
                         top_inputs(d.compromise, 4, d.draws));
    if (shows(method, BargainMethod::kNash))
      out << fmt::format("  Nash bargaining:  {}  status quo in {:.0f}% of draws ({:.0f}% "
                         "straddled)  {}\n", interval(d.nash),
                         100.0 * d.nash_status_quo_share, 100.0 * d.nash_straddle_share,
                         top_inputs(d.nash, 4, d.draws));
    if (shows(method, BargainMethod::kExpectedUtility))
      out << fmt::format("  expected utility: {}  cycles in {:.0f}% of draws  {}\n",
                         interval(d.eu), 100.0 * d.eu_cycle_share, top_inputs(d.eu, 4, d.draws));
  }
  if (shows(method, BargainMethod::kExpectedUtility)) {
    out << fmt::format("\nExpected-utility rounds (probability {}, Q = {}):\n",
                       to_string(eu.probability), eu.q);
    print_rounds(out, r);
  }
  out << "\n";
}

void print_summary(std::ostream& out, const std::vector<service::IssueBargain>& results) {
  Table table({"issue", "status quo", "compromise", "Nash", "exp. utility (outcome set)"});
  for (const auto& r : results)
    table.add({r.issue->id, fixed(r.issue->status_quo.value, 0), fixed(r.compromise, 0),
               fixed(r.nash.outcome, 0) +
                   (r.nash.standstill == bargain::NashStandstill::kStraddle ? " (sq: straddled)"
                    : r.nash.agreement                                        ? ""
                                                                              : " (sq)"),
               outcome_set(r.eu)});
  out << "At the stated values:\n";
  table.print(out);
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
    out << fmt::format("\nOver {} draws of every position, salience, influence and status "
                       "quo from its range (median [5%, 95%]):\n",
                       results.front().sampled->draws);
    dist.print(out);
  }
  out << "Scale 0-100 per issue (sphere bargain --issue ID shows its ends, the actors and the "
         "rounds). sq: the Nash solution is the status quo; straddled: actors stand on both "
         "sides of it, so no agreement beats it for all. An expected-utility outcome set "
         "'a ↔ b' is a cycle: the model alternates between those medians for ever, and "
         "which one a given round count ends on carries no information; unsettled: it neither settled nor "
         "repeated within the rounds played (--rounds).\n";
}

// --- sphere bargain validate ------------------------------------------------------------------

// The small cases of known_outcomes.csv: each model's error in per cent of the case's scale.
void print_cases(std::ostream& out, const service::CaseScores& scores) {
  for (const auto& [c, forecasts] : scores.cases) {
    Table table({"model", "forecast", "abs. error", "error, % of scale"});
    for (const auto& f : forecasts) {
      if (!f.value) table.add({f.model, "-", "-", "-"});
      else table.add({f.model, fixed(*f.value, 2), fixed(std::abs(*f.value - c.outcome), 2),
                      fixed(service::error_pct(c, *f.value), 0)});
    }
    out << fmt::format("{} ({}): {}; recorded outcome {:g}, scale {:g}-{:g}\n", c.id,
                       c.file, c.scale, c.outcome, c.scale_low, c.scale_high);
    table.print(out);
    out << "\n";
  }
  Table summary({"model", "cases", "mean error, % of scale"});
  for (const auto& m : scores.means)
    summary.add({m.model, std::to_string(m.cases), m.cases == 0 ? "-" : fixed(m.error_pct, 0)});
  out << "Over the cases (each case weighs the same; four cases cannot separate models "
         "whose errors differ by a few points):\n";
  summary.print(out);
  for (const auto& [c, forecasts] : scores.run_only) {
    out << fmt::format("\n{} ({}): run only, {}:\n", c.id, c.file, c.scale);
    for (const auto& f : forecasts)
      if (f.value) out << fmt::format("  {}: {:.2f}\n", f.model, *f.value);
  }
}

void print_deu(std::ostream& out, const service::DeuValidation& v, const bargain::EuOptions& eu) {
  const auto& scores = v.scores;
  out << fmt::format("DEU III, {} scoreable issues (outcome in [0, 100], at least 3 actors "
                     "with position and salience); capabilities: {}.\n"
                     "Expected utility: at most {} rounds, Q = {}{}.\n\n",
                     v.issues, bargain::to_string(v.capability), eu.rounds, eu.q,
                     eu.tolerance ? fmt::format(", stop when the median moves < {} of the "
                                                "range twice", *eu.tolerance)
                                  : "");
  Table table({"model", "n", "MAE", "RMSE", "median AE", "COD MAE", "CNS MAE",
               "MAE where rp", "reference MAE", "reference COD/CNS"});
  for (const auto& s : scores) {
    const service::DeuReference ref = service::deu_reference(s.model, v.capability);
    table.add({to_string(s.model), std::to_string(s.all.n), fixed(s.all.mae), fixed(s.all.rmse),
               fixed(s.all.median_ae), fixed(s.cod.mae), fixed(s.cns.mae),
               fixed(s.with_reference.mae),
               ref.all.empty() ? "-" : ref.all,
               ref.cod.empty() ? "-" : ref.cod + " / " + ref.cns});
  }
  table.print(out);
  out << "\nReference figures: salience-weighted mean, unweighted mean and medians as "
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
  out << fmt::format("Lowest MAE on the issues with a reference point: {} ({:.2f}); always "
                     "50 scores {:.2f} there.\n",
                     to_string(best->model), best->with_reference.mae,
                     constant.with_reference.mae);
}

}  // namespace

int run_bargain(const BargainOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  const kb::Model model = load_model(o.model);
  service::BargainRequest request;
  request.issue = o.issue;
  request.method = *service::parse_bargain_method(o.method);
  request.eu = eu_options(o.eu);
  request.draws = o.draws;
  request.seed = o.seed;
  const service::BargainOutcome outcome = service::bargain_issues(model, request);
  if (output.json()) {
    output.write_json(to_json(outcome));
  } else if (outcome.issues.empty()) {
    out << fmt::format("{} has no contested issues (issues.toml)\n", model.location);
  } else if (request.issue.empty() && request.method == service::BargainMethod::kAll) {
    print_summary(out, outcome.issues);
  } else {
    for (const auto& r : outcome.issues) print_issue(out, r, request.method, request.eu);
  }
  return kExitOk;
}

int run_bargain_validate(const BargainOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.validate_json)};
  service::DeuRequest request;
  request.file = o.deu;
  request.capability =
      o.capability == "gdp" ? bargain::DeuCapability::kGdp : bargain::DeuCapability::kEqual;
  request.eu = eu_options(o.validate_eu);
  request.threads = o.threads;
  if (!o.cases.empty()) {
    const service::CaseScores scores = service::score_cases(o.cases, request.eu);
    if (output.json()) output.write_json(to_json(scores));
    else print_cases(out, scores);
    if (request.file.empty()) return kExitOk;
    out << "\n";
  }
  if (o.forecasts) {  // every model's forecast per issue, for the benchmark's comparison (JSON)
    print_json(out, to_json(service::deu_forecasts(request)));
    return kExitOk;
  }
  const service::DeuValidation validation = service::validate_deu(request);
  if (output.json()) output.write_json(to_json(validation));
  else print_deu(out, validation, request.eu);
  return kExitOk;
}

void add_bargain_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<BargainOptions>();
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
    action = [opts](std::ostream& out) { return run_bargain_validate(*opts, out); };
  });

  cmd->callback([opts, validate, &action] {
    if (validate->parsed()) return;
    action = [opts](std::ostream& out) { return run_bargain(*opts, out); };
  });
}

}  // namespace sphere::app

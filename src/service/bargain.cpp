// Where the model's contested issues settle under the three bargaining models, and the models
// scored on the DEU III data set and the small known cases.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "service/service.h"

namespace sphere::service {
namespace {

using bargain::DeuModel;

void check_bargain_request(const BargainRequest& r) {
  Diagnostics problems;
  if (r.eu.rounds < 1 || r.eu.rounds > 1000)
    problems.add(kRequest, 0, "rounds", fmt::format("{} is not a round count from 1 to 1000", r.eu.rounds));
  if (!(r.eu.q >= 0.0 && r.eu.q <= 1.0))
    problems.add(kRequest, 0, "q", fmt::format("{} is not a probability from 0 to 1", r.eu.q));
  if (r.eu.tolerance && !(*r.eu.tolerance >= 0.0 && *r.eu.tolerance <= 1.0))
    problems.add(kRequest, 0, "tolerance",
                 fmt::format("{} is not a share of the scale from 0 to 1", *r.eu.tolerance));
  if (r.draws < 0) problems.add(kRequest, 0, "draws", fmt::format("{} draws: at least 0", r.draws));
  if (!problems.empty()) throw InputError(std::move(problems), ErrorKind::kUsage);
}

nlohmann::json distribution_json(const bargain::Distribution& d) {
  nlohmann::json effects = nlohmann::json::array();
  for (const auto& e : d.effects)
    effects.push_back({{"input", e.input}, {"rank_correlation", e.rank_correlation}});
  return {{"median", d.median}, {"p05", d.low}, {"p95", d.high}, {"effects", effects}};
}

nlohmann::json eu_json(const IssueBargain& r) {
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

nlohmann::json issue_json(const IssueBargain& r, BargainMethod method) {
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
  if (shows(method, BargainMethod::kCompromise)) j["compromise"] = r.compromise;
  if (shows(method, BargainMethod::kNash))
    j["nbs"] = {{"outcome", r.nash.outcome},
                {"agreement", r.nash.agreement},
                {"straddle", r.nash.standstill == bargain::NashStandstill::kStraddle},
                {"why", nash_reason(r)}};
  if (shows(method, BargainMethod::kExpectedUtility)) j["eu"] = eu_json(r);
  if (r.sampled) {
    const auto& d = *r.sampled;
    nlohmann::json dist = {{"draws", d.draws}};
    if (shows(method, BargainMethod::kCompromise)) dist["compromise"] = distribution_json(d.compromise);
    if (shows(method, BargainMethod::kNash)) {
      dist["nbs"] = distribution_json(d.nash);
      dist["nbs"]["status_quo_share"] = d.nash_status_quo_share;
      dist["nbs"]["straddle_share"] = d.nash_straddle_share;
    }
    if (shows(method, BargainMethod::kExpectedUtility)) {
      dist["eu"] = distribution_json(d.eu);
      dist["eu"]["cycle_share"] = d.eu_cycle_share;
      dist["eu"]["unsettled_share"] = d.eu_unsettled_share;
    }
    j["distribution"] = dist;
  }
  return j;
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

}  // namespace

std::optional<BargainMethod> parse_bargain_method(std::string_view name) {
  if (name == "all") return BargainMethod::kAll;
  if (name == "compromise") return BargainMethod::kCompromise;
  if (name == "nbs") return BargainMethod::kNash;
  if (name == "eu") return BargainMethod::kExpectedUtility;
  return std::nullopt;
}

std::string to_string(BargainMethod method) {
  switch (method) {
    case BargainMethod::kCompromise: return "compromise";
    case BargainMethod::kNash: return "nbs";
    case BargainMethod::kExpectedUtility: return "eu";
    default: return "all";
  }
}

bool shows(BargainMethod shown, BargainMethod model) {
  return shown == BargainMethod::kAll || shown == model;
}

BargainOutcome bargain_issues(const kb::Model& model, const BargainRequest& request) {
  check_bargain_request(request);
  std::vector<const kb::Issue*> chosen;
  if (!request.issue.empty()) {
    const kb::Issue* issue = bargain::find_issue(model, request.issue);
    if (!issue) {
      std::vector<std::string> ids;
      for (const auto& i : model.issues) ids.push_back(i.id);
      throw InputError(kRequest, 0, "issue",
                       fmt::format("no issue '{}' in {} (issues: {}){}", request.issue,
                                   model.location,
                                   ids.empty() ? "none" : fmt::format("{}", fmt::join(ids, ", ")),
                                   did_you_mean(request.issue, ids)));
    }
    chosen.push_back(issue);
  } else {
    for (const auto& i : model.issues) chosen.push_back(&i);
  }
  BargainOutcome out{model.location, request, {}};
  for (const kb::Issue* issue : chosen) {
    IssueBargain r;
    r.issue = issue;
    r.players = bargain::players(model, *issue);
    r.compromise = bargain::compromise(r.players);
    r.nash = bargain::nash_bargaining(r.players, issue->status_quo.value);
    r.eu = bargain::expected_utility(r.players, request.eu);
    if (request.draws > 0)
      r.sampled = bargain::sample_issue(*issue, {request.draws, request.seed, request.eu});
    out.issues.push_back(std::move(r));
  }
  return out;
}

std::string nash_reason(const IssueBargain& r) {
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

nlohmann::json to_json(const BargainOutcome& outcome) {
  nlohmann::json issues = nlohmann::json::array();
  for (const auto& r : outcome.issues) issues.push_back(issue_json(r, outcome.request.method));
  return {{"model", outcome.model},
          {"probability", bargain::to_string(outcome.request.eu.probability)},
          {"q", outcome.request.eu.q},
          {"rounds", outcome.request.eu.rounds},
          {"draws", outcome.request.draws},
          {"seed", outcome.request.seed},
          {"issues", issues}};
}

// ---- Validation ---------------------------------------------------------------------------

DeuReference deu_reference(DeuModel m, bargain::DeuCapability capability) {
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

DeuValidation validate_deu(const DeuRequest& request) {
  const auto issues = bargain::load_deu(request.file, request.capability);
  return {request.file, request.capability, issues.size(), bargain::score_deu(issues, request.eu)};
}

nlohmann::json to_json(const DeuValidation& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : v.scores) {
    const DeuReference ref = deu_reference(s.model, v.capability);
    out.push_back({{"model", deu_key(s.model)},
                   {"name", bargain::to_string(s.model)},
                   {"all", stats_json(s.all)},
                   {"with_reference_point", stats_json(s.with_reference)},
                   {"cod", stats_json(s.cod)},
                   {"cns", stats_json(s.cns)},
                   {"reference_mae", ref.all},
                   {"reference", ref.where}});
  }
  return {{"file", v.file},
          {"capability", bargain::to_string(v.capability)},
          {"issues", v.issues},
          {"models", out}};
}

DeuForecasts deu_forecasts(const DeuRequest& request) {
  const auto issues = bargain::load_deu(request.file, request.capability);
  DeuForecasts out;
  out.threads = thread_count(request.threads);
  // The expected-utility runs are timed on their own (loading excluded), by the wall clock and by
  // the processor time of all threads (which other load on the machine inflates less).
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  const auto eu = expected_utility_forecasts(issues, request.eu, out.threads);
  out.eu_cpu_seconds =
      static_cast<double>(std::clock() - cpu_start) / static_cast<double>(CLOCKS_PER_SEC);
  out.eu_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (std::size_t k = 0; k < issues.size(); ++k) {
    DeuForecasts::Row row{issues[k].id, issues[k].outcome, {}};
    for (DeuModel m : bargain::all_deu_models()) {
      if (m == DeuModel::kEuPrinted || m == DeuModel::kEuScholzCode || m == DeuModel::kEuOutcomeSet)
        continue;
      row.forecasts[deu_key(m)] = bargain::forecast(m, issues[k], request.eu);
    }
    row.forecasts[deu_key(DeuModel::kEuPrinted)] = eu[k].first;
    row.forecasts[deu_key(DeuModel::kEuScholzCode)] = eu[k].second;
    out.issues.push_back(std::move(row));
  }
  return out;
}

nlohmann::json to_json(const DeuForecasts& f) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : f.issues) {
    nlohmann::json row = {{"id", r.id}, {"outcome", r.outcome}};
    for (const auto& [key, value] : r.forecasts)
      row[key] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    rows.push_back(row);
  }
  return {{"eu_seconds", f.eu_seconds},
          {"eu_cpu_seconds", f.eu_cpu_seconds},
          {"threads", f.threads},
          {"issues", rows}};
}

double error_pct(const bargain::BargainCase& c, double forecast) {
  return 100.0 * std::abs(forecast - c.outcome) / (c.scale_high - c.scale_low);
}

CaseScores score_cases(const std::string& dir, const bargain::EuOptions& eu) {
  CaseScores out;
  std::map<std::string, std::pair<double, int>> totals;  // model -> (sum of % errors, n)
  std::vector<std::string> order;
  for (auto& c : bargain::load_cases(dir)) {
    auto forecasts = bargain::forecast_case(c, eu);
    for (const auto& f : forecasts) {
      if (std::find(order.begin(), order.end(), f.model) == order.end()) order.push_back(f.model);
      if (!f.value) continue;
      auto& [sum, n] = totals[f.model];
      sum += error_pct(c, *f.value);
      ++n;
    }
    out.cases.push_back({std::move(c), std::move(forecasts)});
  }
  for (const auto& m : order) {
    const auto it = totals.find(m);
    if (it == totals.end()) out.means.push_back({m, 0, std::numeric_limits<double>::quiet_NaN()});
    else out.means.push_back({m, it->second.second, it->second.first / it->second.second});
  }
  for (auto& c : bargain::load_run_only_cases(dir)) {
    auto forecasts = bargain::forecast_case(c, eu);
    out.run_only.push_back({std::move(c), std::move(forecasts)});
  }
  return out;
}

nlohmann::json to_json(const CaseScores& scores) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [c, forecasts] : scores.cases) {
    nlohmann::json row = {{"case", c.id}, {"outcome", c.outcome}, {"models", nlohmann::json::array()}};
    for (const auto& f : forecasts)
      if (f.value)
        row["models"].push_back({{"model", f.model},
                                 {"forecast", *f.value},
                                 {"error_pct", error_pct(c, *f.value)}});
    out.push_back(row);
  }
  return {{"cases", out}};
}

}  // namespace sphere::service

// The scenario questions on the estimated dyadic model: set-up (questions, calibration, pair,
// evidence from the documented record), the conditioned outlook with its robustness range and
// attribution, one replayed run, and their JSON forms.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {
namespace {

// The state an actor counts for: itself when it is a state, else its affiliation's state.
std::string state_of(const kb::Model& model, const std::string& id) {
  std::string at = id;
  for (int depth = 0; depth < 6; ++depth) {
    const kb::Actor* a = model.find_actor(at);
    if (!a) return "";
    if (a->kind == "state") return a->id;
    if (a->affiliation.empty()) return "";
    at = a->affiliation;
  }
  return "";
}

double reliability_of(const std::string& confidence) {
  // Assumption (docs/MODEL.md, "Conditioning"): how often a documented event of this
  // confidence is real.
  if (confidence == "high") return 0.9;
  if (confidence == "low") return 0.5;
  return 0.7;
}

// Documented events between the pair's states after the panel's end, as evidence.
std::vector<dyad::Evidence> evidence_of(const kb::Model& model, const panel::Panel& p,
                                        const std::string& a, const std::string& b, int observed,
                                        int horizon, std::vector<std::string>* skipped) {
  std::vector<dyad::Evidence> out;
  for (const auto& e : model.events) {
    const std::string s1 = state_of(model, e.actor1), s2 = state_of(model, e.actor2);
    if (!((s1 == a && s2 == b) || (s1 == b && s2 == a))) continue;
    if (e.goldstein == 0) continue;
    int from, to;
    if (e.date.month == 0) {
      from = e.date.year * 12 - p.first;
      to = from + 11;
    } else {
      from = to = e.date.month_index() - p.first;
    }
    if (from < observed) continue;  // inside the panel: already observed
    if (to > horizon) {
      skipped->push_back(e.id);
      continue;
    }
    out.push_back({e.id, from, to, e.goldstein > 0, reliability_of(e.confidence)});
  }
  return out;
}

std::vector<ScenarioReading> readings_of(const kb::Model& model,
                                         const std::vector<dyad::Evidence>& evidence) {
  std::vector<ScenarioReading> out;
  for (const kb::Conflict& c : model.conflicts) {
    std::vector<std::size_t> involved;
    for (std::size_t e = 0; e < evidence.size(); ++e)
      if (std::find(c.events.begin(), c.events.end(), evidence[e].id) != c.events.end())
        involved.push_back(e);
    if (involved.empty()) continue;
    std::set<std::string> sources;
    for (const kb::Claim& claim : c.claims) sources.insert(claim.quote.source);
    for (const std::string& source : sources) {
      ScenarioReading r{c.id, source, std::vector<bool>(evidence.size(), false)};
      for (std::size_t e : involved) {
        const kb::Event* event = model.find_event(evidence[e].id);
        bool reported = false;
        for (const kb::Quote& q : event ? event->quotes : std::vector<kb::Quote>{})
          reported |= q.source == source;
        r.excluded[e] = !reported;
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

// What a forecast and a replay share: the questions, the calibration, the pair, the periods and
// the evidence.
struct Setting {
  ScenarioForecast head;
  dyad::Calibration calibration;
  std::size_t pair = 0;
  dyad::OutlookOptions options;
};

Setting setting_of(const kb::Model& model, const panel::Panel& p, const std::string& target,
                   const ScenarioRequest& request) {
  Setting s;
  ScenarioForecast& f = s.head;
  f.questions = dyad::read_questions(request.model_dir);
  const dyad::QuestionSet& qs = f.questions;
  const std::string cal_path =
      request.calibration.empty() ? (std::filesystem::path(request.model_dir) / "calibration.json").string()
                                  : request.calibration;
  std::ifstream in(cal_path);
  if (!in)
    throw InputError(cal_path, 0, "", "no calibration: run `sphere calibrate` first");
  std::stringstream text;
  text << in.rdbuf();
  s.calibration = dyad::calibration_from_json(text.str(), cal_path, p);
  if (s.calibration.target != target)
    throw InputError(cal_path, 0, "target",
                     "calibrated on '" + s.calibration.target + "', the model declares '" + target + "'");
  const long pair = p.find_pair(qs.pair_a, qs.pair_b);
  if (pair < 0) throw InputError(qs.file, 0, "pair", "the panel has no pair " + qs.pair_a + ":" + qs.pair_b);
  s.pair = static_cast<std::size_t>(pair);
  const int observed = s.calibration.until - p.first;
  const int horizon = parse_month(request.horizon, "horizon").month_index() - p.first;
  if (horizon <= observed)
    throw InputError(kRequest, 0, "horizon",
                     "the horizon must lie after the panel's last month " + p.period_name(observed - 1));
  if (horizon - observed + 1 < qs.window)
    throw InputError(qs.file, 0, "window", "the path window is longer than the simulated period");
  // The curves start at `report_from` (where the documented record ends), or at the first
  // simulated month; never after the horizon.
  int first = observed;
  if (!qs.report_from.empty()) {
    const int from = parse_month(qs.report_from, "report_from").month_index() - p.first;
    if (from < observed)
      throw InputError(qs.file, qs.report_from_line, "report_from",
                       "must lie after the panel's last month " + p.period_name(observed - 1));
    first = from;
  }
  first = std::min(first, horizon);

  f.pair = qs.pair_a + ":" + qs.pair_b;
  f.panel_file = std::filesystem::path(p.file).filename().string();
  f.calibrated_through = p.period_name(observed - 1);
  f.horizon = p.period_name(horizon);
  f.sampled_parameters = request.sampled_parameters;
  if (request.conditioning)
    f.evidence = evidence_of(model, p, qs.pair_a, qs.pair_b, observed, horizon, &f.skipped);
  int last_event = observed;
  for (const auto& e : f.evidence) {
    f.evidence_from.push_back(p.period_name(e.period));
    f.evidence_to.push_back(p.period_name(e.last));
    last_event = std::max(last_event, e.last);
  }
  f.last_evidence_month = p.period_name(last_event);
  f.readings = readings_of(model, f.evidence);
  std::set<std::string> points;
  for (const auto& r : f.readings) points.insert(r.conflict);
  f.disputed_points = static_cast<int>(points.size());
  for (int t = first; t <= horizon; ++t) f.months.push_back(p.period_name(t));

  dyad::OutlookOptions& oo = s.options;
  oo.runs = request.runs;
  oo.parameter_draws = request.draws;
  oo.sample_parameters = request.sampled_parameters;
  oo.horizon = horizon;
  oo.first_reported = first;
  oo.seed = request.seed;
  oo.threads = thread_count(request.threads);
  return s;
}

}  // namespace

ScenarioForecast scenario_forecast(const kb::Model& model, const panel::Panel& p,
                                   const std::string& target, const ScenarioRequest& request) {
  Setting s = setting_of(model, p, target, request);
  ScenarioForecast& f = s.head;
  const dyad::QuestionSet& qs = f.questions;
  f.outlook = dyad::outlook(p, s.calibration, s.pair, qs, f.evidence, s.options);
  // The same trajectories unweighted: what the conditioning moved.
  f.unconditioned = dyad::reweighted_final(f.outlook, std::vector<bool>(f.evidence.size(), true));
  if (request.attribution)
    f.attribution = dyad::attribute(p, s.calibration, s.pair, qs, f.evidence, s.options, &f.outlook);
  const std::size_t K = f.outlook.ids.size();
  f.robust_low.assign(K, 1.0);
  f.robust_high.assign(K, 0.0);
  const auto widen = [&](const std::vector<double>& q) {
    for (std::size_t k = 0; k < K; ++k)
      f.robust_low[k] = std::min(f.robust_low[k], q[k]), f.robust_high[k] = std::max(f.robust_high[k], q[k]);
  };
  for (int e = -1; e < static_cast<int>(f.evidence.size()); ++e) widen(dyad::reweighted_final(f.outlook, e));
  for (const ScenarioReading& reading : f.readings) widen(dyad::reweighted_final(f.outlook, reading.excluded));
  return std::move(s.head);
}

ScenarioRun replay_scenario_run(const kb::Model& model, const panel::Panel& p,
                                const std::string& target, const ScenarioRequest& request, int run) {
  if (run < 0 || run >= request.runs)
    throw InputError(kRequest, 0, "run",
                     fmt::format("{} is not one of the forecast's {} runs (0 to {})", run,
                                 request.runs, request.runs - 1));
  Setting s = setting_of(model, p, target, request);
  ScenarioRun out;
  out.run = dyad::replay(p, s.calibration, s.pair, s.head.questions, s.head.evidence, s.options, run);
  for (std::size_t t = 0; t < out.run.target.size(); ++t) out.period_names.push_back(p.period_name(static_cast<int>(t)));
  out.target = s.calibration.target;
  out.partner = s.calibration.partner;
  out.runs = request.runs;
  out.draws = request.sampled_parameters ? std::max(1, request.draws) : 1;
  out.setting = std::move(s.head);
  return out;
}

nlohmann::json to_json(const ScenarioForecast& f) {
  const dyad::Outlook& r = f.outlook;
  const std::size_t K = r.ids.size();
  nlohmann::json curves = nlohmann::json::array();
  for (std::size_t k = 0; k < K; ++k) {
    nlohmann::json points = nlohmann::json::array();
    for (int t = 0; t < r.periods; ++t)
      points.push_back({{"month", f.months[t]}, {"p", r.probability[k][t]},
                        {"mc", {r.mc_low[k][t], r.mc_high[k][t]}},
                        {"parameters", {r.param_low[k][t], r.param_high[k][t]}}});
    const dyad::Question& q = f.questions.questions[k];
    curves.push_back({{"scenario", r.ids[k]}, {"name", q.name}, {"resolution", q.resolution},
                      {"not_modelled", q.not_modelled}, {"curve", points},
                      {"unconditioned", f.unconditioned[k]},
                      {"robustness", {f.robust_low[k], f.robust_high[k]}}});
  }
  nlohmann::json ev = nlohmann::json::array();
  for (std::size_t e = 0; e < f.evidence.size(); ++e)
    ev.push_back({{"event", f.evidence[e].id}, {"from", f.evidence_from[e]}, {"to", f.evidence_to[e]},
                  {"cooperative", f.evidence[e].cooperative}, {"reliability", f.evidence[e].reliability}});
  nlohmann::json attr = nlohmann::json::array();
  for (std::size_t m = 0; m < f.attribution.mechanisms.size(); ++m) {
    nlohmann::json v = nlohmann::json::object();
    for (std::size_t k = 0; k < K; ++k) v[r.ids[k]] = f.attribution.shapley[m][k];
    attr.push_back({{"mechanism", f.attribution.mechanisms[m]}, {"shapley", v}});
  }
  nlohmann::json all_off = nlohmann::json::object();
  for (std::size_t k = 0; k < f.attribution.all_off.size(); ++k) all_off[r.ids[k]] = f.attribution.all_off[k];
  nlohmann::json disputed = nlohmann::json::array();
  for (const ScenarioReading& reading : f.readings) {
    nlohmann::json left_out = nlohmann::json::array();
    for (std::size_t e = 0; e < f.evidence.size(); ++e)
      if (reading.excluded[e]) left_out.push_back(f.evidence[e].id);
    disputed.push_back({{"conflict", reading.conflict}, {"source", reading.source}, {"left_out", left_out}});
  }
  return {{"pair", f.pair}, {"panel", f.panel_file}, {"calibration_until", f.calibrated_through},
          {"horizon", f.horizon}, {"parameters", f.sampled_parameters ? "sampled" : "fixed"},
          {"runs", r.runs}, {"parameter_draws", r.draws}, {"effective_runs", r.effective_runs},
          {"scenarios", curves}, {"evidence", ev}, {"skipped_after_horizon", f.skipped},
          {"disputed_readings", disputed}, {"attribution", attr}, {"attribution_all_off", all_off}};
}

nlohmann::json to_json(const ScenarioRun& s) {
  const dyad::ReplayedRun& r = s.run;
  const auto& qs = s.setting.questions;
  nlohmann::json months = nlohmann::json::array();
  for (std::size_t t = static_cast<std::size_t>(r.first_simulated); t < r.target.size(); ++t) {
    nlohmann::json row = {{"month", s.period_names[t]}, {"target", r.target[t]}, {"partner", r.partner[t]}};
    if (r.classes[t] >= 0) row["scenario"] = qs.questions[r.classes[t]].id;
    months.push_back(row);
  }
  nlohmann::json evidence = nlohmann::json::array();
  for (std::size_t e = 0; e < s.setting.evidence.size(); ++e)
    evidence.push_back({{"event", s.setting.evidence[e].id}, {"from", s.setting.evidence_from[e]},
                        {"to", s.setting.evidence_to[e]}, {"matched", r.evidence_log_lik[e] == 0.0},
                        {"log_likelihood", r.evidence_log_lik[e]}});
  const auto params = [](const dyad::Params& p) {
    return nlohmann::json{{"delta", p.delta}, {"beta", p.beta}, {"alpha", p.alpha},
                          {"gamma", p.gamma}, {"log_r", p.log_r}, {"rho", p.rho}};
  };
  const int last = static_cast<int>(r.classes.size()) - 1;
  return {{"pair", s.setting.pair}, {"run", r.run}, {"runs", s.runs}, {"parameter_draw", r.draw},
          {"parameter_draws", s.draws}, {"target", s.target}, {"partner", s.partner},
          {"parameters", {{"target", params(r.target_params)}, {"partner", params(r.partner_params)}}},
          {"first_simulated", s.period_names[r.first_simulated]},
          {"scenario_at_horizon", last >= 0 && r.classes[last] >= 0 ? qs.questions[r.classes[last]].id : ""},
          {"months", months}, {"evidence", evidence}};
}

ScenarioForecast scenario_forecast(const kb::Model& model, const ScenarioRequest& request) {
  PanelRequest declared;
  declared.model_dir = request.model_dir;
  declared.data_root = request.data_root;
  const ResolvedPanel rp = resolve_panel(&model, declared);
  return scenario_forecast(model, rp.panel, rp.target, request);
}

ScenarioHindcast scenario_hindcast(const kb::Model& model, const ScenarioHindcastRequest& request) {
  PanelRequest declared;
  declared.model_dir = request.model_dir;
  declared.data_root = request.data_root;
  const ResolvedPanel rp = resolve_panel(&model, declared);
  const panel::Panel& p = rp.panel;
  ScenarioHindcast out;
  out.questions = dyad::read_questions(request.model_dir);
  const dyad::QuestionSet& qs = out.questions;
  int from = 0, to = 0;
  try {
    std::tie(from, to) = p.period_range(request.as_of, "hindcast");
  } catch (const InputError& e) {  // named as the request's field
    throw InputError(kRequest, 0, "hindcast", e.diagnostics().items().at(0).message);
  }
  if (from < qs.window || to + request.lead - 1 >= p.periods || from > to)
    throw InputError(kRequest, 0, "hindcast",
                     fmt::format("as-of months must leave a full window before them and {} months "
                                 "after them inside the panel ({}..{})",
                                 request.lead, p.period_name(qs.window),
                                 p.period_name(p.periods - request.lead)));
  dyad::HindcastOptions ho;
  for (int a = from; a <= to; a += request.step) ho.as_of.push_back(a);
  ho.lead = request.lead;
  for (std::size_t i = 0; i < rp.actors.size(); ++i)
    for (std::size_t j = i + 1; j < rp.actors.size(); ++j) {
      const long d = p.find_pair(rp.actors[i].first, rp.actors[j].first);
      if (d >= 0) ho.pairs.push_back(d);
    }
  if (ho.pairs.empty()) ho.pairs.push_back(p.find_pair(qs.pair_a, qs.pair_b));
  ho.spec.target = rp.target;
  ho.outlook.runs = std::min(request.runs, 2000);
  ho.outlook.parameter_draws = 1;
  ho.outlook.sample_parameters = false;
  ho.outlook.seed = request.seed;
  ho.outlook.threads = thread_count(request.threads);
  ho.progress = request.progress;
  out.result = dyad::hindcast(p, qs, ho);
  out.panel_file = std::filesystem::path(p.file).filename().string();
  out.pairs = ho.pairs.size();
  for (int t = 0; t < p.periods; ++t) out.period_names.push_back(p.period_name(t));
  for (std::size_t d = 0; d < p.pairs.size(); ++d) out.pair_names.push_back(p.pair_name(d));
  return out;
}

nlohmann::json to_json(const ScenarioHindcast& h) {
  static const char* names[] = {"model", "uniform", "climatology", "persistence"};
  const dyad::HindcastResult& r = h.result;
  nlohmann::json rows = nlohmann::json::array(), scores = nlohmann::json::array();
  for (const auto& row : r.rows)
    rows.push_back({{"as_of", h.period_names[row.as_of]}, {"window_end", h.period_names[row.target]},
                    {"pair", h.pair_names[row.pair]}, {"observed", h.questions.questions[row.observed].id},
                    {"forecast", row.forecast}, {"climatology", row.climatology},
                    {"persistence", h.questions.questions[row.persistence].id}});
  for (int f = 0; f < 4; ++f)
    scores.push_back({{"forecaster", names[f]}, {"rps", r.rps[f]}, {"rps_interval", r.rps_interval[f]},
                      {"brier", r.brier[f]}, {"brier_interval", r.brier_interval[f]}});
  return {{"rows", rows}, {"scores", scores}};
}

}  // namespace sphere::service

// `sphere scenarios`: the model's scenario questions forecast by the estimated dyadic model, from
// the observation panel's last month to the horizon, conditioned on the documented events since,
// with Monte Carlo and parameter intervals, interventional attribution and a leave-one-out range.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "app/app.h"
#include "app/forecast.h"
#include "dyad/dyad.h"

namespace sphere::app {
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
  // Assumption (docs/MODEL.md): how often a documented event of this confidence is real.
  if (confidence == "high") return 0.9;
  if (confidence == "low") return 0.5;
  return 0.7;
}

// Documented events between the pair's states after the panel's end, as evidence.
std::vector<dyad::Evidence> evidence_of(const kb::Model& model, const panel::Panel& p,
                                        const std::string& a, const std::string& b,
                                        int observed, int horizon, std::vector<std::string>* skipped) {
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
      if (skipped) skipped->push_back(e.id);
      continue;
    }
    out.push_back({e.id, from, to, e.goldstein > 0, reliability_of(e.confidence)});
  }
  return out;
}

std::string pct(double p) { return fmt::format("{:.0f}%", 100 * p); }

// A disputed reading of the documented record: the conflict (conflicts.toml) and the source
// whose claim is taken; the conflict's other events, which that source does not report, are
// left out of the evidence.
struct Reading {
  std::string conflict, source;
  std::vector<bool> excluded;  // per evidence item
};
std::vector<Reading> readings_of(const kb::Model& model, const std::vector<dyad::Evidence>& evidence) {
  std::vector<Reading> out;
  for (const kb::Conflict& c : model.conflicts) {
    std::vector<std::size_t> involved;
    for (std::size_t e = 0; e < evidence.size(); ++e)
      if (std::find(c.events.begin(), c.events.end(), evidence[e].id) != c.events.end())
        involved.push_back(e);
    if (involved.empty()) continue;
    std::set<std::string> sources;
    for (const kb::Claim& claim : c.claims) sources.insert(claim.quote.source);
    for (const std::string& source : sources) {
      Reading r{c.id, source, std::vector<bool>(evidence.size(), false)};
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

template <typename Options>
int run_hindcast(const Options& opts, const panel::Panel& p, const ResolvedPanel& rp,
                 const dyad::QuestionSet& qs) {
  const auto [from, to] = p.period_range(opts.hindcast, "--hindcast");
  dyad::HindcastOptions ho;
  for (int a = from; a <= to; a += opts.step) ho.as_of.push_back(a);
  ho.lead = opts.lead;
  if (from < qs.window || to + opts.lead - 1 >= p.periods || from > to)
    throw InputError("--hindcast", 0, "--hindcast",
                     fmt::format("as-of months must leave a full window before them and {} months "
                                 "after them inside the panel ({}..{})",
                                 opts.lead, p.period_name(qs.window), p.period_name(p.periods - opts.lead)));
  for (std::size_t i = 0; i < rp.actors.size(); ++i)
    for (std::size_t j = i + 1; j < rp.actors.size(); ++j) {
      const long d = p.find_pair(rp.actors[i].first, rp.actors[j].first);
      if (d >= 0) ho.pairs.push_back(d);
    }
  if (ho.pairs.empty()) ho.pairs.push_back(p.find_pair(qs.pair_a, qs.pair_b));
  ho.spec.target = rp.target;
  ho.outlook.runs = std::min(opts.runs, 2000);
  ho.outlook.parameter_draws = 1;
  ho.outlook.sample_parameters = false;
  ho.outlook.seed = opts.seed;
  ho.outlook.threads = opts.threads > 0 ? opts.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const bool tty = isatty(STDERR_FILENO) != 0;
  ho.progress = [tty](const std::string& what, int done, int total) {
    if (tty) std::cerr << fmt::format("\r\033[K[{}/{}] {}", done, total, what) << std::flush;
  };
  const dyad::HindcastResult r = dyad::hindcast(p, qs, ho);
  if (tty) std::cerr << "\r\033[K";
  static const char* names[] = {"model", "uniform", "climatology", "persistence"};
  if (opts.model.json) {
    nlohmann::json rows = nlohmann::json::array(), scores = nlohmann::json::array();
    for (const auto& row : r.rows)
      rows.push_back({{"as_of", p.period_name(row.as_of)}, {"window_end", p.period_name(row.target)},
                      {"pair", p.pair_name(row.pair)}, {"observed", qs.questions[row.observed].id},
                      {"forecast", row.forecast}, {"climatology", row.climatology},
                      {"persistence", qs.questions[row.persistence].id}});
    for (int f = 0; f < 4; ++f)
      scores.push_back({{"forecaster", names[f]}, {"rps", r.rps[f]}, {"rps_interval", r.rps_interval[f]},
                        {"brier", r.brier[f]}});
    print_json(std::cout, {{"rows", rows}, {"scores", scores}});
    return kExitOk;
  }
  std::cout << fmt::format(
      "Hindcast of the scenario questions on {} · as-of {} every {} months · class of the 12-month "
      "window ending {} months later · {} pairs · {} forecasts\n"
      "Each as-of month uses only data before it (model refitted each year). Lower is better.\n\n",
      std::filesystem::path(p.file).filename().string(), opts.hindcast, opts.step, opts.lead - 1,
      ho.pairs.size(), r.rows.size());
  Table t({"forecaster", "ranked probability score [95%, bootstrap over as-of months]", "Brier"});
  for (int f = 0; f < 4; ++f)
    t.add({names[f], fmt::format("{:.3f} [{:.3f}, {:.3f}]", r.rps[f], r.rps_interval[f][0], r.rps_interval[f][1]),
           fmt::format("{:.3f}", r.brier[f])});
  t.print(std::cout);
  std::vector<int> seen(qs.questions.size(), 0);
  for (const auto& row : r.rows) ++seen[row.observed];
  std::cout << "Outcomes:";
  for (std::size_t k = 0; k < seen.size(); ++k) std::cout << " " << qs.questions[k].id << " " << seen[k];
  std::cout << "\n";
  return kExitOk;
}

}  // namespace

void add_scenarios_command(CLI::App& app, Action& action) {
  using Options = ScenarioOptions;
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "scenarios", "Scenario questions (questions.toml) forecast by the estimated dyadic model, "
                   "conditioned on documented events, with both intervals, attribution and robustness");
  add_model_options(*cmd, opts->model);
  cmd->add_option("--horizon", opts->horizon, "Last month, YYYY-MM");
  cmd->add_option("--runs", opts->runs, "Trajectories")->check(CLI::Range(100, 10000000));
  cmd->add_option("--draws", opts->draws, "Parameter draws (batches of runs)")->check(CLI::Range(1, 10000));
  cmd->add_option("--parameters", opts->parameters, "sampled (from the calibration's covariance) or fixed")
      ->check(CLI::IsMember({"sampled", "fixed"}));
  cmd->add_option("--calibration", opts->calibration, "Calibration file (default: the model's calibration.json)");
  cmd->add_flag("--no-attribution", opts->no_attribution, "Skip the interventional attribution");
  cmd->add_option("--hindcast", opts->hindcast,
                  "Instead: hindcast on the panel from as-of months FROM..TO (every --step months), "
                  "each using only data before it, for every pair of the model's actors");
  cmd->add_option("--lead", opts->lead, "Hindcast: months from the as-of month to the end of the scored window")
      ->check(CLI::Range(1, 120));
  cmd->add_option("--step", opts->step, "Hindcast: months between as-of months")->check(CLI::Range(1, 120));
  cmd->add_option("--seed", opts->seed, "Seed");
  cmd->add_option("--threads", opts->threads, "Threads (0: every core; same numbers for any count)");
  cmd->callback([opts, &action] {
    action = [opts] { return run_scenarios(*opts); };
  });
}

int run_scenarios(const ScenarioOptions& options) {
  const ScenarioOptions* opts = &options;
  const kb::Model model = load_model(opts->model);
  const std::string dir = model_directory(opts->model);
  const dyad::QuestionSet qs = dyad::read_questions(dir);
  PanelOptions po;
  const ResolvedPanel rp = resolve_panel(opts->model, po, 0);
  const panel::Panel& p = rp.panel;
  if (!opts->hindcast.empty()) return run_hindcast(*opts, p, rp, qs);
  const std::string cal_path = opts->calibration.empty() ? dir + "/calibration.json" : opts->calibration;
  std::ifstream in(cal_path);
  if (!in) throw InputError(cal_path, 0, "", "no calibration: run `sphere calibrate` first");
  std::stringstream text;
  text << in.rdbuf();
  const dyad::Calibration cal = dyad::calibration_from_json(text.str(), cal_path, p);
  if (cal.target != rp.target)
    throw InputError(cal_path, 0, "target", "calibrated on '" + cal.target + "', the model declares '" + rp.target + "'");
  const long pair = p.find_pair(qs.pair_a, qs.pair_b);
  if (pair < 0) throw InputError(qs.file, 0, "pair", "the panel has no pair " + qs.pair_a + ":" + qs.pair_b);
  const int observed = cal.until - p.first;
  const int horizon = parse_month_option(opts->horizon, "--horizon").month_index() - p.first;
  if (horizon <= observed)
    throw InputError("--horizon", 0, "--horizon", "the horizon must lie after the panel's last month " +
                                                    p.period_name(observed - 1));
  if (horizon - observed + 1 < qs.window)
    throw InputError(qs.file, 0, "window", "the path window is longer than the simulated period");
  // Curves from the first month after the documented period (2026-01 for the built-in model),
  // or the first simulated month when the horizon is nearer.
  const int today = std::max(observed, std::min(horizon, (2026 * 12) - p.first));
  std::vector<std::string> skipped;
  const auto evidence = evidence_of(model, p, qs.pair_a, qs.pair_b, observed, horizon, &skipped);

  dyad::OutlookOptions oo;
  oo.runs = opts->runs;
  oo.parameter_draws = opts->draws;
  oo.sample_parameters = opts->parameters == "sampled";
  oo.horizon = horizon;
  oo.first_reported = today;
  oo.seed = opts->seed;
  oo.threads = opts->threads > 0 ? opts->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const dyad::Outlook r = dyad::outlook(p, cal, pair, qs, evidence, oo);
  // The same trajectories unweighted: what the conditioning moved.
  const std::vector<double> unconditioned =
      dyad::reweighted_final(r, std::vector<bool>(evidence.size(), true));
  dyad::Attribution attribution;
  if (!opts->no_attribution) attribution = dyad::attribute(p, cal, pair, qs, evidence, oo, &r);
  // Robustness at the horizon: each documented event left out in turn, and each disputed event
  // (conflicts.toml) in each source's reading.
  const int K = static_cast<int>(r.ids.size());
  std::vector<double> lo(K, 1.0), hi(K, 0.0);
  auto widen = [&](const std::vector<double>& q) {
    for (int k = 0; k < K; ++k) lo[k] = std::min(lo[k], q[k]), hi[k] = std::max(hi[k], q[k]);
  };
  for (int e = -1; e < static_cast<int>(evidence.size()); ++e) widen(dyad::reweighted_final(r, e));
  const std::vector<Reading> readings = readings_of(model, evidence);
  for (const Reading& reading : readings) widen(dyad::reweighted_final(r, reading.excluded));
  const int last = r.periods - 1;

  if (opts->model.json) {
    nlohmann::json curves = nlohmann::json::array();
    for (int k = 0; k < K; ++k) {
      nlohmann::json points = nlohmann::json::array();
      for (int t = 0; t < r.periods; ++t)
        points.push_back({{"month", p.period_name(r.first_reported + t)}, {"p", r.probability[k][t]},
                          {"mc", {r.mc_low[k][t], r.mc_high[k][t]}},
                          {"parameters", {r.param_low[k][t], r.param_high[k][t]}}});
      curves.push_back({{"scenario", r.ids[k]}, {"name", qs.questions[k].name},
                        {"resolution", qs.questions[k].resolution},
                        {"not_modelled", qs.questions[k].not_modelled}, {"curve", points},
                        {"unconditioned", unconditioned[k]},
                        {"robustness", {lo[k], hi[k]}}});
    }
    nlohmann::json ev = nlohmann::json::array();
    for (const auto& e : evidence)
      ev.push_back({{"event", e.id}, {"from", p.period_name(e.period)}, {"to", p.period_name(e.last)},
                    {"cooperative", e.cooperative}, {"reliability", e.reliability}});
    nlohmann::json attr = nlohmann::json::array();
    for (std::size_t m = 0; m < attribution.mechanisms.size(); ++m) {
      nlohmann::json v = nlohmann::json::object();
      for (int k = 0; k < K; ++k) v[r.ids[k]] = attribution.shapley[m][k];
      attr.push_back({{"mechanism", attribution.mechanisms[m]}, {"shapley", v}});
    }
    nlohmann::json all_off = nlohmann::json::object();
    for (std::size_t k = 0; k < attribution.all_off.size(); ++k) all_off[r.ids[k]] = attribution.all_off[k];
    nlohmann::json disputed = nlohmann::json::array();
    for (const Reading& reading : readings) {
      nlohmann::json left_out = nlohmann::json::array();
      for (std::size_t e = 0; e < evidence.size(); ++e)
        if (reading.excluded[e]) left_out.push_back(evidence[e].id);
      disputed.push_back({{"conflict", reading.conflict}, {"source", reading.source}, {"left_out", left_out}});
    }
    print_json(std::cout, {{"pair", qs.pair_a + ":" + qs.pair_b}, {"calibration_until", p.period_name(observed - 1)},
                           {"runs", r.runs}, {"parameter_draws", r.draws}, {"effective_runs", r.effective_runs},
                           {"scenarios", curves}, {"evidence", ev}, {"disputed_readings", disputed},
                           {"attribution", attr}, {"attribution_all_off", all_off}});
    return kExitOk;
  }
  std::cout << fmt::format(
      "Scenarios for {}–{} · estimated dyadic model (calibrated on {} to {}) · {} runs, {} parameter draws ({})\n",
      qs.pair_a, qs.pair_b, std::filesystem::path(p.file).filename().string(), p.period_name(observed - 1),
      r.runs, r.draws, opts->parameters);
  std::cout << "Each scenario is a question on the panel's observable over 12-month windows:\n";
  for (const auto& q : qs.questions) {
    std::cout << "  " << q.id << ": " << q.resolution << "\n";
    if (!q.not_modelled.empty()) std::cout << "    Not modelled: " << q.not_modelled << "\n";
  }
  int last_event = observed;
  for (const auto& e : evidence) last_event = std::max(last_event, e.last);
  std::cout << fmt::format(
      "\nConditioned on {} documented {}–{} events dated {} to {} (each: at least one hostile, or "
      "friendly, day in its month or year, true with probability 0.9/0.7/0.5 for high/medium/low "
      "confidence; importance weights, ESS {:.0f} of {} runs).\n",
      evidence.size(), qs.pair_a, qs.pair_b, p.period_name(observed), p.period_name(last_event),
      r.effective_runs, r.runs);
  std::cout << "\nP(scenario at the month) · [Monte Carlo 95%] · {parameter uncertainty 95%}\n";
  std::vector<std::string> header{"month"};
  for (const auto& id : r.ids) header.push_back(id);
  Table t(header);
  for (int i = 0; i < r.periods; ++i) {
    const int month = (p.first + r.first_reported + i) % 12;
    if (month != 11 && i != r.periods - 1) continue;  // every December and the horizon
    std::vector<std::string> row{p.period_name(r.first_reported + i)};
    for (int k = 0; k < K; ++k)
      row.push_back(fmt::format("{} [{}–{}] {{{}–{}}}", pct(r.probability[k][i]), pct(r.mc_low[k][i]),
                                pct(r.mc_high[k][i]), pct(r.param_low[k][i]), pct(r.param_high[k][i])));
    t.add(row);
  }
  t.print(std::cout);
  std::cout << fmt::format(
      "\nAt {}: without the conditioning, and the robustness range over {} readings of the "
      "record (each documented event left out in turn; each of {} disputed points, "
      "conflicts.toml, in each source's reading):\n",
      p.period_name(horizon), evidence.size() + readings.size(),
      [&] {
        std::set<std::string> ids;
        for (const Reading& reading : readings) ids.insert(reading.conflict);
        return ids.size();
      }());
  Table c({"scenario", "conditioned", "unconditioned", "robustness range"});
  for (int k = 0; k < K; ++k)
    c.add({r.ids[k], pct(r.probability[k][last]), pct(unconditioned[k]),
           fmt::format("{}–{}", pct(lo[k]), pct(hi[k]))});
  c.print(std::cout);
  if (!attribution.mechanisms.empty()) {
    std::cout << "\nAttribution at " << p.period_name(horizon)
              << " (Shapley values: each mechanism switched off with the same random numbers; "
                 "percentage points):\n";
    Table a({"mechanism", r.ids[0], K > 1 ? r.ids[1] : "", K > 2 ? r.ids[2] : ""});
    for (std::size_t m = 0; m < attribution.mechanisms.size(); ++m) {
      std::vector<std::string> row{attribution.mechanisms[m]};
      for (int k = 0; k < K && k < 3; ++k) row.push_back(fmt::format("{:+.1f}", 100 * attribution.shapley[m][k]));
      a.add(row);
    }
    std::vector<std::string> row{"all off (baseline)"};
    for (int k = 0; k < K && k < 3; ++k) row.push_back(pct(attribution.all_off[k]));
    a.add(row);
    a.print(std::cout);
    std::cout << "Leverage tools, bargaining feedback and network shocks are not part of the "
                 "estimated model: they move nothing here.\n";
  }
  if (!skipped.empty())
    std::cout << skipped.size() << " documented event(s) dated after the horizon were not used.\n";
  return kExitOk;
}

}  // namespace sphere::app

// The report's model: every section of `sphere report` (and of the server's /report), each
// filled from the layer that computes it; a section whose layer cannot run says why.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bargain/bargain.h"
#include "dyad/dyad.h"
#include "events/events.h"
#include "leverage/leverage.h"
#include "network/network.h"
#include "report/report.h"
#include "service/service.h"
#include "sim/sim.h"

namespace sphere::service {
namespace {


double fractional_year(const Date& d) {
  return d.year + (d.month == 0 ? 0.5 : (d.month - 1 + (d.day == 0 ? 0.5 : (d.day - 0.5) / 31.0)) / 12.0);
}

report::Timeline timeline_of(const kb::Model& model) {
  std::map<std::string, std::string> topic;
  for (const auto& c : model.conflicts) topic[c.id] = c.topic;
  auto disputed = conflicts_by_event(model);
  report::Timeline t;
  for (const kb::Event* event : timeline_events(model)) {
    const kb::Event& e = *event;
    report::TimelineRow r;
    r.id = e.id;
    r.date = e.date.to_string();
    r.when = fractional_year(e.date);
    r.actor1 = e.actor1;
    r.actor2 = e.actor2;
    r.cameo = e.cameo;
    if (const auto* code = model.codebook.find(e.cameo)) r.what = code->description;
    r.goldstein = e.goldstein;
    r.summary = e.summary;
    for (const auto& q : e.quotes) {
      r.sources.push_back(q.source);
      r.quotes.push_back({q.source, q.text});
    }
    for (const auto& c : disputed[e.id]) r.disputes.push_back(topic[c]);
    t.rows.push_back(std::move(r));
  }
  return t;
}

// The series of one dyad (actors rolled up to their states), by month when it spans at most
// six years, else by year.
report::DyadPanel dyad_panel(const kb::Model& model, const std::string& a, const std::string& b) {
  events::SeriesBuilder builder;
  events::feed_model_events(model, events::QuadScheme::gdelt(), true, builder);
  report::DyadPanel panel;
  panel.a = a;
  panel.b = b;
  const auto span = builder.span(a, b);
  if (!span) {
    panel.note = fmt::format("No event between {} and {} is dated to a month.", a, b);
    return panel;
  }
  const auto ab = builder.series(a, b, span->first, span->second);
  const auto ba = builder.series(b, a, span->first, span->second);
  const bool yearly = span->second - span->first > 72;
  std::map<double, std::array<double, 4>> bins;  // x -> goldstein ab, ba, events ab, ba
  const int first_year = span->first / 12, last_year = span->second / 12;
  if (yearly)
    for (int y = first_year; y <= last_year; ++y) bins[y + 0.5] = {};
  auto add = [&](const events::DyadSeries& s, int offset) {
    for (const auto& m : s.months) {
      const double x = yearly ? (m.month / 12) + 0.5 : m.month / 12 + (m.month % 12 + 0.5) / 12.0;
      auto& bin = bins[x];
      bin[offset] += m.goldstein;
      bin[offset + 2] += m.events;
    }
  };
  add(ab, 0);
  add(ba, 1);
  report::LineChart goldstein, counts;
  const std::string per = yearly ? "year" : "month";
  goldstein.title = fmt::format("Goldstein sum per {}", per);
  goldstein.y_label = "Goldstein sum";
  counts.title = fmt::format("Events per {}", per);
  counts.y_label = "events";
  goldstein.lines = {{a + " → " + b, {}}, {b + " → " + a, {}}};
  counts.lines = goldstein.lines;
  for (const auto& [x, v] : bins) {
    goldstein.x.push_back(x);
    counts.x.push_back(x);
    for (int k = 0; k < 2; ++k) {
      goldstein.lines[k].y.push_back(v[k]);
      counts.lines[k].y.push_back(v[k + 2]);
    }
  }
  goldstein.bars = counts.bars = true;
  goldstein.note = fmt::format(
      "Goldstein sum: each event scores from −10 (most conflictual: military attack) to +10 (most "
      "cooperative), by its CAMEO code; a bar is the sum over the {}'s events in one direction, so "
      "below zero means conflict outweighed cooperation.", per);
  counts.note = fmt::format("Number of events in the model's log per {}, each direction apart.", per);
  panel.charts = {goldstein, counts};
  int year_only = 0;
  for (const auto& [y, cell] : builder.year_only(a, b)) year_only += cell.events;
  for (const auto& [y, cell] : builder.year_only(b, a)) year_only += cell.events;
  panel.note = fmt::format(
      "Events of the model's log between {} and {} (persons and organisations counted with their "
      "state), {} to {}, CAMEO QuadClass by the GDELT scheme.{}",
      a, b, month_text(span->first), month_text(span->second),
      year_only ? fmt::format(" {} events dated to a year only are not in the series.", year_only)
                : "");
  return panel;
}

// What one carrier's numbers mean, in words: "demand" is what the destinations can take (for
// oil, the export terminals' capacity), so delivering less than it is a shortfall only when
// supply was left undelivered.
std::string delivery_note(const std::string& carrier, int year, const network::Outcome& o) {
  std::int64_t supply = 0;
  for (const auto& s : o.supplies) supply += s.target;
  if (o.delivered >= o.demand)
    return fmt::format("{} in {}: all {} {} the destinations take is delivered.", carrier, year,
                       o.demand, o.unit);
  if (o.delivered >= supply)
    return fmt::format("{} in {}: the fields supply {} {}, and all of it is delivered; the "
                       "destinations could take {} (their demand or capacity), so the difference "
                       "is spare room, not a shortfall.",
                       carrier, year, supply, o.unit, o.demand);
  return fmt::format("{} in {}: {} of the {} {} supplied is delivered; the network holds back "
                     "{} (bottlenecks: {}).",
                     carrier, year, o.delivered, supply, o.unit, supply - o.delivered,
                     o.bottlenecks.empty() ? "none" : fmt::format("{}", fmt::join(o.bottlenecks, ", ")));
}

// The network's year a request shows: its own, or the model's [view] year.
int year_of(const kb::Model& model, const ReportRequest& o) { return network_year(model, o.year); }

report::MapData map_of(const kb::Model& model, const std::vector<std::string>& cut,
                       const std::vector<std::pair<std::string, Date>>& opened, int year) {
  const auto& infra = model.infrastructure;
  report::MapData m;
  m.focus = model.view.focus;
  for (const auto& n : infra.nodes) {
    report::MapNode node;
    node.id = n.id;
    node.name = n.name;
    node.kind = n.kind;
    node.country = n.country;
    if (const auto* p = model.find_place(n.id)) {
      node.lon = p->lon;
      node.lat = p->lat;
      node.label = p->label;
      node.placed = true;
    }
    m.nodes.push_back(node);
  }
  std::map<std::string, double> flow;
  auto listed = [](const auto& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
    return out;
  };
  for (const std::string carrier : {"gas", "oil", "freight"}) {
    network::Scenario base;
    base.year = year;
    base.carrier = carrier;
    network::Scenario what_if = base;
    for (const auto& id : cut)
      if (const auto* l = infra.find_link(id); l && l->carrier == carrier) what_if.cut.push_back(id);
    for (const auto& [id, from] : opened)
      if (const auto* l = infra.find_link(id); l && l->carrier == carrier)
        what_if.opened.push_back({id, from});
    const auto before = network::solve(infra, base);
    if (before.demand == 0 && before.links.empty()) continue;
    const bool changed = !what_if.cut.empty() || !what_if.opened.empty();
    const auto after = changed ? network::solve(infra, what_if) : before;
    for (const auto& lv : after.links) flow[lv.link] = static_cast<double>(lv.flow);
    if (!changed) {
      m.notes.push_back(delivery_note(carrier, year, before));
      continue;
    }
    std::vector<std::string> acts;
    if (!what_if.cut.empty()) acts.push_back("cutting " + listed(what_if.cut));
    std::vector<std::string> opened_ids;
    for (const auto& [id, from] : what_if.opened) opened_ids.push_back(id);
    if (!opened_ids.empty()) acts.push_back("opening " + listed(opened_ids));
    std::string moved;
    for (const auto& r : rerouted(before, after))
      moved += fmt::format("{}{} {}→{}", moved.empty() ? "" : ", ", r.link, r.before, r.after);
    m.notes.push_back(fmt::format(
        "{}: {} changes what is delivered from {} to {} {} (the destinations could take {}); "
        "flows that move: {}; bottlenecks after: {}.",
        carrier, listed(acts), before.delivered, after.delivered, after.unit, after.demand,
        moved.empty() ? "none" : moved,
        after.bottlenecks.empty() ? "none" : listed(after.bottlenecks)));
    for (const auto& why : idle_changes(infra, what_if, before)) m.notes.push_back(why + ".");
  }
  for (const auto& l : infra.links) {
    report::MapLink link;
    link.id = l.id;
    link.name = l.name;
    link.kind = l.kind;
    link.carrier = l.carrier;
    link.from = l.from;
    link.to = l.to;
    // The state the network solves with; the capacity the link has by then, operating or not.
    const network::LinkState state = network::link_state(l, year);
    link.status = state.status;
    link.capacity = static_cast<double>(state.capacity);
    link.unit = l.unit;
    if (flow.contains(l.id)) link.flow = flow[l.id];
    link.cut = std::find(cut.begin(), cut.end(), l.id) != cut.end();
    link.opened = std::any_of(opened.begin(), opened.end(),
                              [&](const auto& o) { return o.first == l.id; });
    if (const auto* r = model.find_route(l.id)) link.via = r->points;
    m.links.push_back(link);
  }
  std::vector<std::string> acts;
  if (!cut.empty()) acts.push_back(listed(cut) + " cut");
  std::vector<std::string> opened_ids;
  for (const auto& [id, from] : opened) opened_ids.push_back(id);
  if (!opened_ids.empty()) acts.push_back(listed(opened_ids) + " opened");
  m.caption = acts.empty()
                  ? fmt::format("The network at the end of {}: every link with its capacity, and "
                                "the flows routed from the fields to the destinations (the most "
                                "that can be delivered, over the fewest links).", year)
                  : fmt::format("What-if at the end of {}: {}; flows re-routed.", year,
                                listed(acts));
  if (!model.places.empty())
    m.notes.push_back(fmt::format("Node positions: places.toml ({}; ±{}°).",
                                  model.places.front().provenance.source,
                                  format_number(model.places.front().provenance.range_high)));
  return m;
}

// An indicator's title, unit and plain-language reading, from its name (prefix_A_B).
std::tuple<std::string, std::string, std::string> indicator_text(const kb::Model& model,
                                                                 const std::string& name) {
  const auto parts = split_trimmed(name, '_');
  auto actor = [&](std::size_t i) {
    if (i >= parts.size()) return std::string("?");
    const kb::Actor* a = model.find_actor(parts[i]);
    return a ? a->name : parts[i];
  };
  const std::string kind = parts.empty() ? name : parts[0];
  if (kind == "rel" && parts.size() == 3)
    return {fmt::format("Relations between {} and {}", actor(1), actor(2)),
            "index",
            "The mean of the two directed relation states: −10 most hostile, 0 neutral, +10 "
            "closest. Each month's events move it by their Goldstein values; it drifts back "
            "towards a baseline. Below −5 over a year counts towards escalation."};
  if (kind == "gas" && parts.size() == 3)
    return {fmt::format("Gas from {} to {}", actor(1), actor(2)), "bcm/y",
            "Pipeline gas at an annual rate, in billion cubic metres per year: the engine ramps "
            "it towards the sources' target and scales it with relations, and never beyond what "
            "the pipeline network can deliver that year (with any blocked link closed)."};
  if (kind == "trade" && parts.size() == 3)
    return {fmt::format("Trade between {} and {}", actor(1), actor(2)), "USD bn/y",
            "Annual trade turnover in billions of US dollars, from the 2024 figure, rising or "
            "falling with relations and cut while a blockade lasts."};
  if (kind == "leverage" && parts.size() == 3)
    return {fmt::format("Leverage of {} over {}", actor(1), actor(2)), "share",
            fmt::format("What {} would lose if {} cut their ties, net of {}'s own loss, as a "
                        "share: 0 none, 1 all of it (Leverage section).",
                        actor(2), actor(1), actor(1))};
  return {name, "", "An indicator of the scenario engine (docs/MODEL.md)."};
}

// The forecast section, from a forecast computed once (by the caller, or here with the report's
// --runs and --seed).
report::Forecast forecast_of(const kb::Model& model, const sim::Engine& engine,
                             const sim::ForecastSummary& summary) {
  report::Forecast f;
  f.caption = fmt::format("{} trajectories (seed {}) from {} to {}; 95% Wilson intervals. "
                          "Bands: 50% and 95% of the trajectories in each month.",
                          summary.runs, summary.seed, engine.start().to_string(),
                          engine.horizon().to_string());
  for (std::size_t i = 0; i < engine.scenarios().size(); ++i) {
    const auto& s = engine.scenarios()[i];
    const auto& p = summary.scenarios[i];
    report::ScenarioProbability sp;
    sp.id = s.id;
    sp.name = s.name;
    sp.p = p.p;
    sp.low = p.low;
    sp.high = p.high;
    sp.rule = s.when;
    if (s.quote) sp.description = {s.quote->source, s.quote->text};
    f.scenarios.push_back(std::move(sp));
  }
  const sim::Intensities& in = engine.intensities();
  f.notes.push_back(fmt::format(
      "The intervals are the Monte Carlo uncertainty of {} runs only (95% Wilson): they do not "
      "include the uncertainty of the model's assumed parameters (see Sensitivity) or of the model "
      "itself.", summary.runs));
  f.notes.push_back(fmt::format("Event intensities: {}{}.", in.method,
                                in.note.empty() ? "" : " — " + in.note));
  f.notes.push_back(fmt::format("Leverage at the start: {}; {}.", engine.leverage_notes()[0],
                                engine.leverage_notes()[1]));
  for (std::size_t k = 0; k < summary.indicators.size(); ++k) {
    report::Fan fan;
    std::tie(fan.title, fan.unit, fan.note) = indicator_text(model, engine.indicator_names()[k]);
    for (const auto& mq : summary.indicators[k]) {
      fan.x.push_back(fractional_year(mq.month));
      for (int q = 0; q < 5; ++q) fan.q[q].push_back(mq.q[q]);
    }
    f.fans.push_back(std::move(fan));
  }
  f.horizon = engine.horizon().to_string();
  for (std::size_t k = 0; k < engine.settled_issues().size(); ++k)
    f.settled.push_back({engine.settled_issues()[k], summary.driver_overall[sim::kDrivers + k]});
  return f;
}

// One-at-a-time swings: each parameter at its low and high value, the others at model.toml's,
// on the same seed (common random numbers), measuring the first scenario's probability.
report::Tornado tornado_of(const kb::Model& model, const ReportRequest& o,
                           const sim::Engine& base_engine,
                           const std::function<void(std::uint32_t)>& progress) {
  sim::RunPlan base;
  base.engine.overrides = o.settings;
  base.ensemble.seed = o.seed;
  base.ensemble.runs = o.sensitivity_runs;
  base.ensemble.threads = static_cast<int>(thread_count(o.threads));
  const auto& target = base_engine.scenarios().front();
  auto probability = [&](const std::map<std::string, double>& overrides) {
    return sim::run_plan(model, base.with_overrides(overrides), progress).summary.scenarios.front().p;
  };
  report::Tornado t;
  t.title = fmt::format("What moves P({})", target.name);
  t.output = fmt::format("P({}) with one parameter at a time at the ends of its range, {} "
                         "trajectories each, seed {}; the rest at their model.toml values{}.",
                         target.id, o.sensitivity_runs, o.seed,
                         o.settings.empty() ? "" : " or as set for this report");
  t.base = probability({});
  for (const auto& p : model.parameters) {
    if (!(p.high > p.low) || o.settings.contains(p.name)) continue;
    t.bars.push_back({p.name, probability({{p.name, p.low}}), probability({{p.name, p.high}}),
                      fmt::format("{} … {} {}", format_number(p.low), format_number(p.high), p.unit)});
  }
  std::stable_sort(t.bars.begin(), t.bars.end(), [](const auto& a, const auto& b) {
    return std::abs(a.at_high - a.at_low) > std::abs(b.at_high - b.at_low);
  });
  if (t.bars.size() > 15) t.bars.resize(15);
  return t;
}

// The three bargaining models at the stated values, as `sphere bargain` computes them.
report::Bargaining bargaining_of(const kb::Model& model) {
  BargainRequest request;
  request.draws = 0;
  report::Bargaining b;
  for (const auto& r : bargain_issues(model, request).issues) {
    report::IssueOutcome out;
    out.id = r.issue->id;
    out.title = r.issue->title;
    out.low = r.issue->low;
    out.high = r.issue->high;
    out.status_quo = r.issue->status_quo.value;
    for (const auto& p : r.players) out.stands.push_back({p.id, p.position, p.salience});
    out.outcomes.push_back({"compromise", r.compromise});
    out.outcomes.push_back({r.nash.agreement ? "Nash" : "Nash (no deal)", r.nash.outcome});
    out.outcomes.push_back({"expected utility", r.eu.forecast()});
    b.issues.push_back(std::move(out));
  }
  return b;
}

// One heatmap per channel (rows: i, who can cut; columns: j, who depends) and one of the totals
// over channels: the pairs of `sphere leverage --channel C` and of `sphere leverage`, from the
// same computation (leverage::matrix, then leverage::totals), so that the numbers agree.
std::vector<report::Heatmap> leverage_of(const kb::Model& model) {
  const auto cells = leverage::matrix(model, {});
  std::set<std::string> rows, cols, channels;
  for (const auto& c : cells) {
    rows.insert(c.from);
    cols.insert(c.to);
    channels.insert(c.channel);
  }
  auto index = [](const std::vector<std::string>& v, const std::string& id) {
    return static_cast<std::size_t>(std::find(v.begin(), v.end(), id) - v.begin());
  };
  auto heatmap = [&](const std::string& title, const std::string& note,
                     const std::vector<leverage::PairTotal>& pairs) {
    report::Heatmap h;
    h.title = title;
    h.note = note;
    h.rows.assign(rows.begin(), rows.end());
    h.cols.assign(cols.begin(), cols.end());
    h.values.assign(h.rows.size(), std::vector<double>(h.cols.size(), std::nan("")));
    for (const auto& t : pairs) h.values[index(h.rows, t.from)][index(h.cols, t.to)] = t.leverage;
    h.percent = true;  // shares of GDP
    report::fit_symmetric_scale(h);
    return h;
  };
  std::vector<report::Heatmap> maps = {heatmap(
      "all channels", "sum over every tie of every channel, as `sphere leverage`",
      leverage::totals(cells))};
  for (const auto& channel : channels) {
    std::vector<leverage::Cell> of_channel;
    for (const auto& c : cells)
      if (c.channel == channel) of_channel.push_back(c);
    maps.push_back(heatmap(channel,
                           fmt::format("sum over the {} ties: the leverage of that channel alone",
                                       channel),
                           leverage::totals(of_channel)));
  }
  return maps;
}

template <class T, class F>
report::Part<T> attempt(F make) {
  report::Part<T> part;
  try {
    part.data = make();
  } catch (const InputError& e) {
    part.missing = "the model cannot run it: " + e.diagnostics().to_string();
  } catch (const std::exception& e) {
    part.missing = std::string("it failed: ") + e.what();
  }
  return part;
}

// The scenario section from a scenario forecast computed once (by `sphere run`, or here).
report::Scenarios scenarios_of(const service::ScenarioForecast& f) {
  const dyad::Outlook& r = f.outlook;
  report::Scenarios sc;
  sc.caption = fmt::format(
      "{}–{}: estimated dyadic model, calibrated on {} to {}; {} runs over {} parameter draws "
      "({}); seed-reproducible.", f.questions.pair_a, f.questions.pair_b, f.panel_file,
      f.calibrated_through, r.runs, r.draws, f.sampled_parameters ? "sampled from the estimates' covariance" : "the estimates alone");
  sc.conditioning = fmt::format(
      "Conditioned on {} documented {}–{} events dated after {} (to {}): each is taken to mean at "
      "least one hostile (or friendly) day in its month or year, true with probability 0.9, 0.7 "
      "or 0.5 for high, medium or low confidence; the runs are weighted by it (effective sample "
      "{:.0f} of {}). The robustness range re-weights the same runs with each documented event "
      "left out in turn and each of {} disputed points in each source's reading.",
      f.evidence.size(), f.questions.pair_a, f.questions.pair_b, f.calibrated_through,
      f.last_evidence_month, r.effective_runs, r.runs, f.disputed_points);
  sc.horizon = f.horizon;
  for (std::size_t k = 0; k < r.ids.size(); ++k) {
    const dyad::Question& q = f.questions.questions[k];
    report::ScenarioCurve c;
    c.id = q.id;
    c.name = q.name.empty() ? q.id : q.name;
    c.resolution = q.resolution;
    c.not_modelled = q.not_modelled;
    c.description = {q.source, q.quote};
    for (int t = 0; t < r.periods; ++t) {
      const int year = std::stoi(f.months[t].substr(0, 4)), month = std::stoi(f.months[t].substr(5));
      c.x.push_back(year + (month - 0.5) / 12.0);
    }
    c.p = r.probability[k];
    c.mc_low = r.mc_low[k];
    c.mc_high = r.mc_high[k];
    c.param_low = r.param_low[k];
    c.param_high = r.param_high[k];
    c.unconditioned = f.unconditioned[k];
    c.robust_low = f.robust_low[k];
    c.robust_high = f.robust_high[k];
    sc.curves.push_back(std::move(c));
  }
  sc.mechanisms = f.attribution.mechanisms;
  sc.shapley = f.attribution.shapley;
  sc.all_off = f.attribution.all_off;
  if (!sc.mechanisms.empty())
    sc.notes.push_back("Leverage tools, bargaining feedback and network shocks are not part of the "
                       "estimated model: they move nothing in it. The what-if engine below shows "
                       "them, on assumed parameters.");
  if (!f.skipped.empty())
    sc.notes.push_back(fmt::format("{} documented event(s) dated after the horizon were not used.", f.skipped.size()));
  return sc;
}

// A backtest the model directory ships (`sphere backtest --json` output, `file` in `dir`): the
// GDELT backtest takes minutes, too long to run for a report.
report::Part<report::Backtest> backtest_of(const std::string& dir, const std::string& file) {
  report::Part<report::Backtest> part;
  const std::string path = dir + "/" + file;
  if (dir.empty() || !std::filesystem::exists(path)) {
    part.missing = "the model directory has no " + file + " (a backtest's JSON output, with its "
                   "provenance, saved there is shown here).";
    return part;
  }
  return attempt<report::Backtest>([&] {
    const dyad::BacktestSummary s = dyad::read_backtest_summary(path);
    report::Backtest b;
    b.caption = fmt::format("{} ({}) on {}: {} origins, {} forecasts per model, from {}.", s.target,
                            s.kind == "level" ? "a level" : "a count",
                            std::filesystem::path(s.panel).filename().string(), s.origins, s.forecasts, file);
    b.level = s.kind == "level";
    if (s.command.empty()) {
      b.provenance.push_back("The file does not record the command, date or panel digest that made it.");
    } else {
      b.provenance.push_back(fmt::format("Made by `{}` on {}, refits {}; panel {} ({} bytes, "
                                         "CRC-64 {}), data through {}.",
                                         s.command, s.created, s.refit, s.panel, s.panel_bytes,
                                         s.panel_digest, s.data_through));
    }
    for (const auto& h : s.models.front().horizons) b.horizons.push_back(h.h);
    for (const auto& m : s.models) {
      report::BacktestModel row{m.name, {}, {}};
      for (int h : b.horizons) {
        const auto it = std::find_if(m.horizons.begin(), m.horizons.end(),
                                     [&](const auto& x) { return x.h == h; });
        row.crps.push_back(it == m.horizons.end() || !it->n ? std::nan("") : it->crps);
        row.rps.push_back(it == m.horizons.end() || !it->n ? std::nan("") : it->rps);
      }
      b.models.push_back(std::move(row));
    }
    for (const auto& k : s.skills)
      b.skills.push_back({k.baseline, k.h, k.skill, k.low, k.high, k.p_value, k.no_interval});
    for (const auto& k : s.rps_skills)
      b.rps_skills.push_back({k.baseline, k.h, k.skill, k.low, k.high, k.p_value, k.no_interval});
    for (const char* c : dyad::kOrdinalNames) b.rps_classes += (b.rps_classes.empty() ? "" : ", ") + std::string(c);
    const auto& h1 = s.models.front().horizons.front();
    b.diagram_horizon = h1.h;
    b.pit = h1.pit;
    for (const auto& bin : h1.reliability) b.reliability.push_back({bin.p, bin.observed, bin.n});
    if (b.level) return b;
    b.event = s.fixed_threshold >= 0
                  ? fmt::format("P({} > {})", s.target, s.fixed_threshold)
                  : fmt::format("P({} > the fixed threshold)", s.target);
    return b;
  });
}

}  // namespace

report::Report report_model(const kb::Model& model, const ReportRequest& o) {
  report::Report r;
  r.title = "Sphere · " + model.info.name;
  r.subtitle = fmt::format("{} · {} · model {}", model.info.region, model.info.description.empty()
                                                                       ? "report"
                                                                       : model.info.description,
                           model.location);
  r.summary.push_back(fmt::format("{} sources · {} actors · {} events · {} facts · {} disagreements "
                                  "between sources",
                                  model.sources.size(), model.actors.size(), model.events.size(),
                                  model.facts.size(), model.conflicts.size()));
  if (model.sources.empty()) {
    r.sources.missing = "the model names no sources.";
  } else {
    r.sources.data.emplace();
    for (const auto& src : model.sources)
      r.sources.data->push_back({src.id, src.title, src.author, src.publisher, src.date,
                                 src.date_clues, src.perspective});
  }
  if (model.conflicts.empty()) {
    r.disagreements.missing = "the sources of this model do not disagree on any recorded point.";
  } else {
    r.disagreements.data.emplace();
    for (const auto& c : model.conflicts) {
      report::Disagreement d{c.id, c.topic, {}, c.events};
      for (const auto& cl : c.claims) d.claims.push_back({cl.quote.source, cl.claim, cl.quote.text});
      r.disagreements.data->push_back(std::move(d));
    }
  }
  r.timeline.data = timeline_of(model);
  r.dyads = attempt<std::vector<report::DyadPanel>>([&] {
    std::vector<report::DyadPanel> panels;
    for (const auto& [a, b] : o.dyads.empty() ? model.view.dyads : o.dyads)
      panels.push_back(dyad_panel(model, a, b));
    return panels;
  });
  if (model.ties.ties.empty()) r.leverage.missing = "the model has no ties.toml.";
  else r.leverage = attempt<std::vector<report::Heatmap>>([&] { return leverage_of(model); });
  if (model.infrastructure.links.empty())
    r.map.missing = "the model has no infrastructure.toml.";
  else
    r.map = attempt<report::MapData>([&] { return map_of(model, o.cut, o.opened, year_of(model, o)); });
  // The scenario forecast: the estimated model's, when the model defines scenario questions.
  const std::string& dir = o.model_dir;
  if (o.scenarios) {
    r.scenarios.data = scenarios_of(*o.scenarios);
  } else if (dir.empty() || !std::filesystem::exists(dir + "/questions.toml")) {
    r.scenarios.missing = "the model defines no scenario questions (questions.toml).";
  } else if (o.runs == 0) {
    r.scenarios.missing = "not run (no runs asked for).";
  } else {
    r.scenarios = attempt<report::Scenarios>([&] {
      ScenarioRequest request;
      request.model_dir = dir;
      request.data_root = o.data_root;
      request.seed = o.seed;
      request.threads = o.threads;
      return scenarios_of(scenario_forecast(model, request));
    });
  }
  const bool estimated = r.scenarios.data.has_value();
  if (!model.simulation) {
    r.forecast.missing = r.tornado.missing = "the model has no [simulation] in model.toml.";
  } else {
    std::optional<sim::Engine> engine;
    try {
      sim::EngineOptions eo;
      eo.overrides = o.settings;
      engine = sim::Engine::build(model, eo);
    } catch (const InputError& e) {
      r.forecast.missing = r.tornado.missing =
          "the scenario engine cannot run this model: " + e.diagnostics().to_string();
    }
    if (engine) {
      // One bar over every run the report makes: the forecast's, then the tornado's.
      std::uint64_t total = o.forecast ? 0 : o.runs, base = 0;
      if (o.sensitivity_runs > 0 && !estimated) {
        std::uint64_t ends = 1;
        for (const auto& p : model.parameters) ends += p.high > p.low && !o.settings.contains(p.name) ? 2 : 0;
        total += ends * o.sensitivity_runs;
      }
      // Progress of ensembles of `runs` runs each, one after another, over the report's total.
      auto progress_of = [&](std::uint32_t runs) {
        return std::function<void(std::uint32_t)>([&o, &base, total, runs](std::uint32_t done) {
          if (o.progress) o.progress(base + done, total);
          if (done == runs) base += runs;  // this ensemble is done; the next one counts on
        });
      };
      if (o.forecast) {
        r.forecast = attempt<report::Forecast>(
            [&] { return forecast_of(model, o.forecast->engine, o.forecast->summary); });
      } else if (o.runs == 0) {
        r.forecast.missing = "not run (no runs asked for).";
      } else {
        r.forecast = attempt<report::Forecast>([&] {
          sim::EnsembleOptions eo;
          eo.seed = o.seed;
          eo.runs = o.runs;
          eo.threads = static_cast<int>(thread_count(o.threads));
          return forecast_of(model, *engine, sim::run_ensemble(*engine, eo, {}, progress_of(o.runs)));
        });
      }
      if (r.forecast.data && !o.settings.empty()) {
        std::string set;
        for (const auto& [name, value] : o.settings)
          set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", name, format_number(value));
        r.forecast.data->notes.insert(r.forecast.data->notes.begin(),
                                      "Parameters set for this report: " + set + ".");
      }
      if (r.forecast.data && estimated) {
        // One probability per question: the estimated model's, above.
        r.forecast.data->scenarios.clear();
        r.forecast.data->notes.insert(
            r.forecast.data->notes.begin(),
            "The structural engine runs on assumed parameters (docs/MODEL.md, \"Scenario engine\"). "
            "It is here for its what-ifs on infrastructure, trade and leverage; its own scenario "
            "classes are not shown, since the scenario probabilities are the estimated model's "
            "(Scenario forecast).");
      }
      if (estimated)
        r.tornado.missing = "the scenario probabilities come from the estimated model: their "
                            "parameter uncertainty is sampled (the light bands of the Scenario "
                            "forecast) and their drivers are the attribution table there. The "
                            "structural engine's sensitivity: `sphere sensitivity`.";
      else if (o.sensitivity_runs == 0) r.tornado.missing = "not run (no sensitivity runs asked for).";
      else
        r.tornado = attempt<report::Tornado>(
            [&] { return tornado_of(model, o, *engine, progress_of(o.sensitivity_runs)); });
    }
  }
  if (model.issues.empty()) r.bargaining.missing = "the model has no issues.toml.";
  else r.bargaining = attempt<report::Bargaining>([&] { return bargaining_of(model); });
  r.backtest = backtest_of(o.model_dir, "backtest.json");
  r.level_backtest = backtest_of(o.model_dir, "backtest-levels.json");
  // Where the forecast's runs settled each issue, on the same axis as the one-shot models.
  if (r.forecast.data && r.bargaining.data)
    for (auto& issue : r.bargaining.data->issues)
      for (const auto& [id, mean] : r.forecast.data->settled)
        if (id == issue.id)
          issue.outcomes.push_back({"forecast " + r.forecast.data->horizon + " (mean)", mean});
  return r;
}

std::string render_report(const kb::Model& model, const ReportRequest& request) {
  return report::render_html(report_model(model, request), report::Basemap::builtin());
}

std::string render_map(const kb::Model& model, const ReportRequest& request) {
  return report::svg_map(map_of(model, request.cut, request.opened, year_of(model, request)),
                         report::Basemap::builtin());
}

std::vector<std::pair<std::string, std::string>> parse_dyads(const kb::Model& model,
                                                             const std::vector<std::string>& specs) {
  std::vector<std::pair<std::string, std::string>> dyads;
  for (const auto& spec : specs) {
    const auto colon = spec.find(':');
    const kb::Actor* a = colon == std::string::npos ? nullptr : resolve_actor(model, spec.substr(0, colon));
    const kb::Actor* b = colon == std::string::npos ? nullptr : resolve_actor(model, spec.substr(colon + 1));
    if (!a || !b || a == b)
      throw InputError(kRequest, 0, "dyads", fmt::format("'{}': expected A:B, two different actors of {}",
                                                         spec, model.location));
    dyads.emplace_back(a->id, b->id);
  }
  return dyads;
}

}  // namespace sphere::service

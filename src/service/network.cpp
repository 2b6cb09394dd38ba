// The network what-if: the request checked and solved, its JSON form, and the explanations it
// gives when one of its changes does nothing; the links in a year; N-k sweeps and the N-1
// indicator.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {

nlohmann::json to_json(const network::Outcome& o) {
  nlohmann::json j = {{"unit", o.unit},
                      {"delivered", o.delivered},
                      {"demand", o.demand},
                      {"destinations", nlohmann::json::array()},
                      {"supplies", nlohmann::json::array()},
                      {"links", nlohmann::json::array()},
                      {"bottlenecks", o.bottlenecks},
                      {"countries", nlohmann::json::array()}};
  for (const auto& d : o.destinations)
    j["destinations"].push_back({{"node", d.node}, {"country", d.country}, {"demand", d.target},
                                 {"delivered", d.volume}});
  for (const auto& s : o.supplies)
    j["supplies"].push_back({{"node", s.node}, {"country", s.country}, {"supply", s.target},
                             {"sent", s.volume}});
  for (const auto& l : o.links)
    j["links"].push_back({{"link", l.link}, {"capacity", l.capacity}, {"flow", l.flow},
                          {"saturated", l.saturated}});
  for (const auto& c : o.countries)
    j["countries"].push_back({{"country", c.country}, {"delivered", c.delivered},
                              {"supplied", c.supplied}, {"transit", c.transit}});
  return j;
}

std::vector<Rerouted> rerouted(const network::Outcome& before, const network::Outcome& after) {
  std::map<std::string, std::int64_t> was;
  for (const auto& l : before.links) was[l.link] = l.flow;
  std::vector<Rerouted> out;
  for (const auto& l : after.links)
    if (l.flow != was[l.link]) out.push_back({l.link, was[l.link], l.flow, l.capacity});
  return out;
}

std::vector<std::string> idle_changes(const kb::Infrastructure& infra,
                                      const network::Scenario& s,
                                      const network::Outcome& before) {
  std::map<std::string, std::int64_t> flow;
  for (const auto& l : before.links) flow[l.link] = l.flow;
  network::Scenario base;
  base.year = s.year;
  base.carrier = s.carrier;
  std::vector<std::string> why;
  for (const auto& id : s.cut) {
    const kb::InfraLink* link = infra.find_link(id);
    if (!link || link->carrier != s.carrier) continue;  // refused before solving
    if (network::capacity_at(*link, base) == 0)
      why.push_back(fmt::format("cutting {} changes nothing: it is not operating at the end of {}",
                                id, s.year));
    else if (flow[id] == 0)
      why.push_back(fmt::format("cutting {} changes nothing: it carries no flow in {} (the other "
                                "routes meet the demand)", id, s.year));
  }
  for (const auto& country : s.blocked) {
    bool carries = false;
    for (const auto& l : infra.links)
      if (l.carrier == s.carrier && flow[l.id] > 0 &&
          std::find(l.countries.begin(), l.countries.end(), country) != l.countries.end())
        carries = true;
    if (!carries)
      why.push_back(fmt::format("blocking {} changes nothing: no {} link carrying flow in {} "
                                "crosses it", country, s.carrier, s.year));
  }
  for (const auto& [id, from] : s.opened) {
    const kb::InfraLink* link = infra.find_link(id);
    if (!link || link->carrier != s.carrier) continue;
    if (network::capacity_at(*link, base) > 0)
      why.push_back(fmt::format("opening {} changes nothing: it already operates at the end of {}",
                                id, s.year));
  }
  return why;
}

void check_what_if(const kb::Infrastructure& infra, const network::Scenario& s) {
  network::validate(infra, s);
  Diagnostics problems;
  auto carrier_of = [&](const char* field, const std::string& id) {
    const kb::InfraLink* link = infra.find_link(id);
    if (link && link->carrier != s.carrier)
      problems.add(kRequest, 0, field,
                   fmt::format("{} carries {}, not {}, so it cannot change the {} network; set "
                               "the carrier to {}", id, link->carrier, s.carrier, s.carrier,
                               link->carrier));
  };
  for (const auto& id : s.cut) carrier_of("cut", id);
  for (const auto& [id, from] : s.opened) {
    carrier_of("opened", id);
    if (from.year > s.year)
      problems.add(kRequest, 0, "opened",
                   fmt::format("{} opens {}, after the end of the year asked for ({}), so it "
                               "would change nothing; set the year to {} or later", id,
                               from.to_string(), s.year, from.year));
  }
  if (!problems.empty()) throw InputError(problems);
}

std::pair<std::string, Date> parse_opened(const std::string& text, std::optional<int> year,
                                          const std::string& field) {
  const auto at = text.rfind('@');
  if (at == std::string::npos && year) return {text, Date{*year, 1, 0}};
  const std::string expected = year ? "expected LINK or LINK@YYYY-MM" : "expected LINK@YYYY-MM";
  if (at == std::string::npos || at == 0)
    throw InputError(kRequest, 0, field, fmt::format("'{}': {}", text, expected));
  std::string why;
  auto date = Date::parse(text.substr(at + 1), &why);
  if (!date) throw InputError(kRequest, 0, field, fmt::format("'{}': {}", text, why));
  if (date->precision() != Date::Precision::kMonth)
    throw InputError(kRequest, 0, field, fmt::format("'{}': {}", text, expected));
  return {text.substr(0, at), *date};
}

bool WhatIfResult::changed() const {
  return !scenario.cut.empty() || !scenario.blocked.empty() || !scenario.opened.empty();
}

int network_year(const kb::Model& model, int year) { return year != 0 ? year : model.view.year; }

WhatIfResult what_if(const kb::Model& model, const WhatIfRequest& request) {
  const kb::Infrastructure& infra = model.infrastructure;
  WhatIfResult r;
  r.scenario.year = network_year(model, request.year);
  r.scenario.carrier = request.carrier;
  r.scenario.cut = request.cut;
  r.scenario.blocked = request.blocked;
  r.scenario.opened = request.opened;
  check_what_if(infra, r.scenario);
  network::Scenario base;
  base.year = r.scenario.year;
  base.carrier = request.carrier;
  r.before = network::solve(infra, base);
  r.after = network::solve(infra, r.scenario);
  return r;
}

nlohmann::json to_json(const kb::Infrastructure& infra, const WhatIfResult& result) {
  const network::Scenario& s = result.scenario;
  const network::Outcome &before = result.before, &after = result.after;
  nlohmann::json j = {{"carrier", s.carrier}, {"year", s.year},       {"cut", s.cut},
                      {"blocked", s.blocked}, {"opened", nlohmann::json::array()}};
  for (const auto& [id, d] : s.opened) j["opened"].push_back({{"link", id}, {"from", d.to_string()}});
  j["before"] = to_json(before);
  j["after"] = to_json(after);
  std::map<std::string, std::pair<network::CountryVolume, network::CountryVolume>> all;
  for (const auto& c : before.countries) all[c.country].first = c;
  for (const auto& c : after.countries) all[c.country].second = c;
  j["changes_by_country"] = nlohmann::json::array();
  for (const auto& [code, v] : all)
    j["changes_by_country"].push_back({{"country", code},
                                       {"delivered", v.second.delivered - v.first.delivered},
                                       {"supplied", v.second.supplied - v.first.supplied},
                                       {"transit", v.second.transit - v.first.transit}});
  j["rerouted"] = nlohmann::json::array();
  for (const auto& r : rerouted(before, after))
    j["rerouted"].push_back({{"link", r.link}, {"before", r.before}, {"after", r.after},
                             {"capacity", r.capacity}});
  j["no_effect"] = idle_changes(infra, s, before);
  return j;
}

LinksResult network_links(const kb::Model& model, const LinksRequest& request) {
  static const std::vector<std::string> carriers = {"gas", "oil", "freight"};
  if (!request.carrier.empty() &&
      std::find(carriers.begin(), carriers.end(), request.carrier) == carriers.end())
    throw InputError(kRequest, 0, "carrier",
                     fmt::format("'{}' is not a carrier; expected gas, oil or freight{}",
                                 request.carrier, did_you_mean(request.carrier, carriers)));
  LinksResult out;
  out.year = network_year(model, request.year);
  for (const auto& l : model.infrastructure.links)
    if (request.carrier.empty() || l.carrier == request.carrier)
      out.links.emplace_back(&l, network::link_state(l, out.year));
  return out;
}

nlohmann::json to_json(const kb::Model& model, const LinksResult& result) {
  nlohmann::json nodes = nlohmann::json::array(), links = nlohmann::json::array();
  for (const auto& n : model.infrastructure.nodes) {
    nlohmann::json j = {{"id", n.id}, {"name", n.name}, {"kind", n.kind}, {"country", n.country}};
    if (const auto* p = model.find_place(n.id)) j["position"] = {p->lon, p->lat};
    nodes.push_back(j);
  }
  for (const auto& [l, state] : result.links) {
    const auto& p = l->provenance;
    links.push_back({{"id", l->id}, {"name", l->name}, {"kind", l->kind}, {"carrier", l->carrier},
                     {"from", l->from}, {"to", l->to}, {"countries", l->countries},
                     {"capacity", l->capacity}, {"unit", l->unit}, {"status", state.status},
                     {"since", state.since ? nlohmann::json(state.since->to_string()) : nullptr},
                     {"capacity_now", state.operating_capacity()},
                     {"source", p.source},
                     {"citation", p.source == "assumption" ? p.rationale
                                  : p.citation.empty()      ? p.quote
                                                            : p.citation}});
  }
  return {{"year", result.year}, {"nodes", nodes}, {"links", links}};
}

ContingencySweep contingency(const kb::Model* model, const ContingencyRequest& request) {
  network::Graph graph;
  int source = 0, sink = 0;
  ContingencySweep out;
  out.unit = "units";
  if (!request.dimacs.empty()) {
    network::Problem p = network::read_dimacs(read_text_file(request.dimacs), request.dimacs);
    graph = std::move(p.graph);
    source = p.source;
    sink = p.sink;
    for (std::size_t a = 0; a < graph.arcs.size(); ++a)
      out.elements.push_back({fmt::format("arc{}", a + 1), {static_cast<int>(a)}});
  } else {
    network::Scenario scenario;
    scenario.year = network_year(*model, request.year);
    scenario.carrier = request.carrier;
    network::validate(model->infrastructure, scenario);
    network::FlowNetwork net = network::build(model->infrastructure, scenario);
    graph = std::move(net.graph);
    source = net.source;
    sink = net.sink;
    out.elements = std::move(net.elements);
    out.unit = network::carrier_unit(scenario.carrier);
  }
  network::ContingencyOptions options;
  options.k = request.k;
  options.threads = thread_count(request.threads);
  options.top = request.top;
  out.k = options.k;
  out.threads = options.threads;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();  // processor time of every thread
  out.result = network::contingency(graph, source, sink, out.elements, options);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return out;
}

std::string failed_links(const ContingencySweep& sweep, const network::Failure& failure) {
  std::string out;
  for (int e : failure.elements) out += (out.empty() ? "" : " + ") + sweep.elements[e].name;
  return out;
}

nlohmann::json to_json(const ContingencySweep& sweep) {
  const network::ContingencyResult& r = sweep.result;
  nlohmann::json j;
  j["k"] = sweep.k;
  j["threads"] = sweep.threads;
  j["seconds"] = sweep.seconds;
  j["cpu_seconds"] = sweep.cpu_seconds;
  j["elements"] = sweep.elements.size();
  j["base"] = r.base;
  j["unit"] = sweep.unit;
  j["scenarios"] = r.scenarios;
  j["solved"] = r.solved;
  j["with_loss"] = r.with_loss;
  j["worst"] = nlohmann::json::array();
  for (const auto& f : r.worst) {
    nlohmann::json names = nlohmann::json::array();
    for (int e : f.elements) names.push_back(sweep.elements[e].name);
    j["worst"].push_back({{"failed", names}, {"delivered", f.value}, {"lost", f.lost}});
  }
  return j;
}

N1Result n_minus_1(const kb::Model& model, const N1Request& request) {
  const std::string area = request.area.empty() ? model.view.area : request.area;
  if (area.empty())
    throw InputError(kRequest, 0, "area", "the model's [view] names no N-1 area; give one");
  N1Result out;
  out.year = network_year(model, request.year);
  out.n1 = network::n_minus_1(model.infrastructure, area, out.year);
  return out;
}

nlohmann::json to_json(const N1Result& result) {
  const network::N1& r = result.n1;
  return {{"area", r.area},        {"year", result.year},
          {"unit", "mcm/d"},       {"Dmax", r.dmax},
          {"EPm", r.epm},          {"Pm", r.pm},
          {"Sm", r.sm},            {"LNGm", r.lngm},
          {"Im", r.im},            {"largest", r.largest},
          {"n1_percent", r.formula}, {"reachable", r.reachable},
          {"reachable_n1", r.reachable_n1}, {"worst_link", r.worst},
          {"network_n1_percent", r.network}};
}

FlowValidation validate_flows(const kb::Model& model, const FlowValidationRequest& request) {
  if (!(request.tolerance >= 0.0 && request.tolerance <= 1.0))
    throw InputError(kRequest, 0, "tolerance", "expected a share from 0 to 1");
  FlowValidation out;
  out.tolerance = request.tolerance;
  const auto points = network::southern_gas_corridor_points();
  out.checks = network::check_flows(model.infrastructure,
                                    network::read_iea_flows(request.iea, points), request.tolerance);
  return out;
}

std::string verdict(const network::FlowCheck& c) {
  if (!c.network_has_flows) return "no supply or demand in the network this year";
  if (c.agrees) return "agrees";
  return c.modelled > c.observed.mean_mcm_per_day ? "model too high" : "model too low";
}

nlohmann::json to_json(const FlowValidation& validation) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : validation.checks)
    rows.push_back({{"point", c.observed.point}, {"link", c.observed.link},
                    {"destinations", c.observed.destinations}, {"year", c.observed.year},
                    {"observed_mcm_per_day", c.observed.mean_mcm_per_day},
                    {"observed_days", c.observed.days}, {"modelled_mcm_per_day", c.modelled},
                    {"capacity_mcm_per_day", c.capacity}, {"agrees", c.agrees},
                    {"verdict", verdict(c)}});
  return {{"tolerance", validation.tolerance}, {"checks", rows},
          {"source", "IEA (2022), Gas Trade Flows, September 2022 edition"}};
}

}  // namespace sphere::service

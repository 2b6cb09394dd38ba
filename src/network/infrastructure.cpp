// The model's infrastructure as flow graphs: what-if scenarios, their outcome, and the EU N-1
// indicator.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "network/network.h"

namespace sphere::network {
namespace {

const std::map<std::string, std::string, std::less<>> kUnits = {
    {"gas", "mcm/d"}, {"oil", "kb/d"}, {"freight", "kt/y"}};

// The cost of one link in the routing; far above the number of links, so hops come first.
constexpr std::int64_t kHopCost = 1'000'000;
// The cost of a unit from an alternative supply: above any route of the network's own supplies
// (far fewer than 1000 links), so alternatives carry only what those cannot deliver.
constexpr std::int64_t kAlternativeCost = 1000 * kHopCost;
// The cost of a unit delivered to a buyer under a firm contract (a node of kind "contract"):
// below any route, so the routing of the maximum delivery fills the contract first and the
// other buyers share what is left. It changes which demand is served, never how much in all.
constexpr std::int64_t kContractCost = -1000 * kHopCost;

// Scenario dates: a link's state at the end of the scenario's year.
Date year_end(int year) { return Date{year, 12, 0}; }

bool blocked(const kb::InfraLink& link, const Scenario& scenario) {
  for (const auto& c : link.countries)
    if (std::find(scenario.blocked.begin(), scenario.blocked.end(), c) != scenario.blocked.end())
      return true;
  return false;
}

int node_index(const kb::Infrastructure& infra, std::string_view id) {
  for (std::size_t i = 0; i < infra.nodes.size(); ++i)
    if (infra.nodes[i].id == id) return static_cast<int>(i);
  return -1;
}

}  // namespace

std::string carrier_unit(std::string_view carrier) {
  const auto it = kUnits.find(carrier);
  return it == kUnits.end() ? std::string() : it->second;
}

void validate(const kb::Infrastructure& infra, const Scenario& scenario) {
  Diagnostics problems;
  if (!kUnits.contains(scenario.carrier))
    problems.add(kRequest, 0, "carrier",
                 fmt::format("'{}' is not a carrier; expected gas, oil or freight{}",
                             scenario.carrier,
                             did_you_mean(scenario.carrier, {"gas", "oil", "freight"})));
  if (scenario.year < 1900 || scenario.year > 2100)
    problems.add(kRequest, 0, "year", fmt::format("{} is not a plausible year", scenario.year));
  std::set<std::string> countries;
  for (const auto& n : infra.nodes) countries.insert(n.country);
  for (const auto& l : infra.links) countries.insert(l.countries.begin(), l.countries.end());
  std::vector<std::string> link_ids;
  for (const auto& l : infra.links) link_ids.push_back(l.id);
  for (const auto& id : scenario.cut)
    if (!infra.find_link(id))
      problems.add(kRequest, 0, "cut", fmt::format("unknown link '{}'{}", id, did_you_mean(id, link_ids)));
  for (const auto& c : scenario.blocked)
    if (!countries.contains(c))
      problems.add(kRequest, 0, "blocked",
                   fmt::format("no node or link lies in '{}'; countries in the network: {}", c,
                               fmt::join(countries, ", ")));
  for (const auto& [id, date] : scenario.opened)
    if (!infra.find_link(id))
      problems.add(kRequest, 0, "opened", fmt::format("unknown link '{}'{}", id, did_you_mean(id, link_ids)));
  if (!problems.empty()) throw InputError(problems);
}

LinkState link_state(const kb::InfraLink& link, int year) {
  const Date at = year_end(year);
  LinkState state;
  state.capacity = link.capacity;
  for (const kb::LinkStatus& s : link.statuses) {
    if (at < s.from) break;
    state.status = s.status;
    state.since = s.from;
    if (s.capacity) state.capacity = *s.capacity;
  }
  if (!state.since && !link.statuses.empty()) state.status = link.statuses.front().status;
  return state;
}

std::int64_t capacity_at(const kb::InfraLink& link, const Scenario& scenario) {
  if (link.carrier != scenario.carrier) return 0;
  if (std::find(scenario.cut.begin(), scenario.cut.end(), link.id) != scenario.cut.end()) return 0;
  if (blocked(link, scenario)) return 0;
  LinkState state = link_state(link, scenario.year);
  for (const auto& [id, from] : scenario.opened)
    if (id == link.id && !(year_end(scenario.year) < from)) state.status = "operating", state.since = from;
  return state.operating_capacity();
}

std::vector<std::int64_t> node_flows(const kb::Infrastructure& infra, const std::string& carrier,
                                     const std::string& kind, int year) {
  std::vector<std::int64_t> values(infra.nodes.size(), 0);
  std::vector<int> years(infra.nodes.size(), 0);
  for (const kb::InfraFlow& f : infra.flows) {
    if (f.carrier != carrier || f.kind != kind || f.year > year) continue;
    const int v = node_index(infra, f.node);
    if (v < 0 || f.year < years[v]) continue;
    years[v] = f.year;
    values[v] = f.value;
  }
  return values;
}

FlowNetwork build(const kb::Infrastructure& infra, const Scenario& scenario) {
  FlowNetwork net;
  const int n = static_cast<int>(infra.nodes.size());
  net.graph.nodes = n;
  net.source = net.graph.add_node();
  net.sink = net.graph.add_node();
  for (std::size_t i = 0; i < infra.links.size(); ++i) {
    const kb::InfraLink& link = infra.links[i];
    const std::int64_t capacity = capacity_at(link, scenario);
    if (capacity <= 0) continue;
    const int from = node_index(infra, link.from), to = node_index(infra, link.to);
    Element element{link.id, {}};
    // Each link costs one hop times its weight (1 unless the file says a route is dearer), so
    // min-cost routing takes the cheapest route, then the fewest links; the link's place in the
    // file breaks ties, so that a route a change does not touch keeps its flow.
    const std::int64_t cost =
        std::llround(link.weight() * static_cast<double>(kHopCost)) + static_cast<std::int64_t>(i);
    element.arcs.push_back(net.graph.add_arc(from, to, capacity, cost));
    net.arc_link.push_back(static_cast<int>(i));
    if (link.both_ways) {
      element.arcs.push_back(net.graph.add_arc(to, from, capacity, cost));
      net.arc_link.push_back(static_cast<int>(i));
    }
    net.elements.push_back(std::move(element));
    net.element_link.push_back(static_cast<int>(i));
  }
  const auto supply = node_flows(infra, scenario.carrier, "supply", scenario.year);
  const auto demand = node_flows(infra, scenario.carrier, "demand", scenario.year);
  net.supply_arc.assign(n, -1);
  net.demand_arc.assign(n, -1);
  for (int v = 0; v < n; ++v) {
    const bool alternative = infra.nodes[v].kind == "alternative";
    if (supply[v] > 0 && (!alternative || scenario.alternatives)) {
      net.supply_arc[v] =
          net.graph.add_arc(net.source, v, supply[v], alternative ? kAlternativeCost : 0);
      net.arc_link.push_back(-1);
    }
    if (demand[v] > 0) {
      net.demand_arc[v] = net.graph.add_arc(v, net.sink, demand[v],
                                            infra.nodes[v].kind == "contract" ? kContractCost : 0);
      net.arc_link.push_back(-1);
    }
  }
  return net;
}

Outcome solve(const kb::Infrastructure& infra, const Scenario& scenario) {
  validate(infra, scenario);
  FlowNetwork net = build(infra, scenario);
  const MaxFlow max = max_flow(net.graph, net.source, net.sink);
  // Route the maximum delivery at the fewest link hops, so the split between destinations is
  // the one a shortest-route dispatch gives, and deterministic.
  std::vector<std::int64_t> supply(net.graph.nodes, 0);
  supply[net.source] = max.value;
  supply[net.sink] = -max.value;
  MinCostFlow routed = min_cost_flow(net.graph, supply);
  const std::vector<std::int64_t>& flow = routed.feasible ? routed.flow : max.flow;

  Outcome out;
  out.unit = kUnits.at(scenario.carrier);
  out.delivered = max.value;
  std::map<std::string, CountryVolume> countries;
  auto country = [&](const std::string& code) -> CountryVolume& {
    CountryVolume& c = countries[code];
    c.country = code;
    return c;
  };
  const auto demand = node_flows(infra, scenario.carrier, "demand", scenario.year);
  const auto supplied = node_flows(infra, scenario.carrier, "supply", scenario.year);
  for (std::size_t v = 0; v < infra.nodes.size(); ++v) {
    const kb::InfraNode& node = infra.nodes[v];
    if (demand[v] > 0) {
      const std::int64_t got = flow[net.demand_arc[v]];
      out.demand += demand[v];
      out.destinations.push_back({node.id, node.country, demand[v], got});
      country(node.country).delivered += got;
    }
    if (supplied[v] > 0 && net.supply_arc[v] >= 0) {
      const std::int64_t sent = flow[net.supply_arc[v]];
      out.supplies.push_back({node.id, node.country, supplied[v], sent});
      country(node.country).supplied += sent;
    }
  }
  std::vector<std::int64_t> link_flow(infra.links.size(), 0);
  std::vector<bool> full(infra.links.size(), false);
  for (std::size_t a = 0; a < net.arc_link.size(); ++a) {
    const int l = net.arc_link[a];
    if (l < 0) continue;
    link_flow[l] += flow[a];
    if (flow[a] >= net.graph.arcs[a].capacity) full[l] = true;
    // What enters a country over a link: counted once, where the link crosses into it.
    const std::string& start = infra.nodes[net.graph.arcs[a].from].country;
    for (const auto& c : infra.links[l].countries)
      if (c != start) country(c).transit += flow[a];
  }
  for (std::size_t l = 0; l < infra.links.size(); ++l) {
    const kb::InfraLink& link = infra.links[l];
    if (link.carrier != scenario.carrier) continue;
    const std::int64_t capacity = capacity_at(link, scenario);
    out.links.push_back({link.id, capacity, link_flow[l], capacity > 0 && full[l]});
  }
  std::set<int> cut_links;
  for (int a : max.cut)
    if (net.arc_link[a] >= 0) cut_links.insert(net.arc_link[a]);
  for (int l : cut_links) out.bottlenecks.push_back(infra.links[l].id);
  for (auto& [code, volume] : countries) out.countries.push_back(volume);
  return out;
}

N1 n_minus_1(const kb::Infrastructure& infra, const std::string& area, int year) {
  N1 r;
  r.area = area;
  const auto peak = node_flows(infra, "gas", "peak", year);
  auto production = node_flows(infra, "gas", "supply", year);
  // An alternative's supply is another area's spare capacity, not production of this one.
  for (std::size_t v = 0; v < infra.nodes.size(); ++v)
    if (infra.nodes[v].kind == "alternative") production[v] = 0;
  std::vector<int> area_nodes;
  for (std::size_t v = 0; v < infra.nodes.size(); ++v)
    if (infra.nodes[v].country == area) {
      area_nodes.push_back(static_cast<int>(v));
      r.dmax += peak[v];
      r.pm += production[v];
    }
  if (r.dmax <= 0)
    throw InputError(kRequest, 0, "area",
                     fmt::format("no gas peak demand (Dmax) for '{}' in or before {}; add a "
                                 "[[flow]] with kind = \"peak\" at a node in it", area, year));
  Scenario scenario;
  scenario.year = year;
  scenario.carrier = "gas";
  auto inside = [&](const std::string& id) {
    const kb::InfraNode* n = infra.find_node(id);
    return n && n->country == area;
  };
  // Entry points: open links with one end outside the area that can flow into it.
  std::int64_t largest_production = 0;
  for (int v : area_nodes) largest_production = std::max(largest_production, production[v]);
  r.im = largest_production;
  r.largest = r.im > 0 ? "largest production facility" : "";
  for (const kb::InfraLink& link : infra.links) {
    const std::int64_t capacity = capacity_at(link, scenario);
    if (capacity <= 0) continue;
    const bool into = !inside(link.from) && inside(link.to);
    const bool back = link.both_ways && inside(link.from) && !inside(link.to);
    if (!into && !back) continue;
    r.epm += capacity;
    if (capacity > r.im) {
      r.im = capacity;
      r.largest = link.id;
    }
  }
  r.formula = 100.0 * static_cast<double>(r.epm + r.pm + r.sm + r.lngm - r.im) /
              static_cast<double>(r.dmax);

  // Network-aware: the area's production and every entry point at its technical capacity (as
  // in EPm) feed the area's peak demand as the only demand, through the network's links.
  FlowNetwork net = build(infra, scenario);
  for (Graph::Arc& arc : net.graph.arcs)
    if (arc.to == net.sink || arc.from == net.source) arc.capacity = 0;
  for (int v : area_nodes)
    if (production[v] > 0) net.graph.add_arc(net.source, v, production[v]);
  for (const kb::InfraLink& link : infra.links) {
    const std::int64_t capacity = capacity_at(link, scenario);
    if (capacity <= 0) continue;
    if (!inside(link.from) && inside(link.to))
      net.graph.add_arc(net.source, node_index(infra, link.from), capacity);
    if (link.both_ways && inside(link.from) && !inside(link.to))
      net.graph.add_arc(net.source, node_index(infra, link.to), capacity);
  }
  for (int v : area_nodes)
    if (peak[v] > 0) net.graph.add_arc(v, net.sink, peak[v]);
  ContingencyOptions options;
  options.k = 1;
  options.top = 1;
  ContingencyResult c = contingency(net.graph, net.source, net.sink, net.elements, options);
  r.reachable = c.base;
  r.reachable_n1 = c.base;
  if (!c.worst.empty()) {
    r.reachable_n1 = c.worst.front().value;
    r.worst = net.elements[c.worst.front().elements.front()].name;
  }
  r.network = 100.0 * static_cast<double>(r.reachable_n1) / static_cast<double>(r.dmax);
  return r;
}

}  // namespace sphere::network

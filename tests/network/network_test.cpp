// The flow solvers on hand-checked graphs, against networkx on random graphs, the contingency
// sweep against brute force, and what-ifs on the built-in infrastructure.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "network/network.h"
#include "testing.h"

namespace sphere::network {
namespace {

using sphere::testing::TempDir;

// The flow network of Cormen et al., Introduction to Algorithms, Fig. 26.1: max-flow 23.
// Nodes: s=0, v1..v4 = 1..4, t=5.
Graph clrs() {
  Graph g;
  g.nodes = 6;
  g.add_arc(0, 1, 16);
  g.add_arc(0, 2, 13);
  g.add_arc(2, 1, 4);
  g.add_arc(1, 3, 12);
  g.add_arc(3, 2, 9);
  g.add_arc(2, 4, 14);
  g.add_arc(4, 3, 7);
  g.add_arc(3, 5, 20);
  g.add_arc(4, 5, 4);
  return g;
}

// A status's capacity holds from its date until another status gives another.
TEST(LinkState, AStatusCapacityHoldsUntilAnotherIsGiven) {
  kb::InfraLink link;
  link.capacity = 30;
  link.statuses = {{Date{2010, 0, 0}, "planned", std::nullopt, {}},
                   {Date{2015, 6, 0}, "operating", 10, {}},
                   {Date{2020, 0, 0}, "halted", std::nullopt, {}},
                   {Date{2022, 0, 0}, "operating", std::nullopt, {}}};
  const LinkState before = link_state(link, 2005);
  EXPECT_FALSE(before.since);
  EXPECT_EQ(before.status, "planned");  // the first status it will have
  EXPECT_EQ(before.operating_capacity(), 0);
  EXPECT_EQ(link_state(link, 2014).operating_capacity(), 0);
  EXPECT_EQ(link_state(link, 2015).operating_capacity(), 10);
  EXPECT_EQ(link_state(link, 2020).status, "halted");
  EXPECT_EQ(link_state(link, 2020).operating_capacity(), 0);
  const LinkState again = link_state(link, 2023);
  EXPECT_EQ(again.operating_capacity(), 10);  // the 2015 capacity, not the link's own 30
  EXPECT_EQ(again.since, (Date{2022, 0, 0}));
  Scenario s;
  s.carrier = link.carrier;
  s.year = 2005;
  s.opened = {{"", Date{2004, 1, 0}}};  // opened before any status began: the link's own capacity
  EXPECT_EQ(capacity_at(link, s), 30);
}

TEST(MaxFlow, HandCheckedGraph) {
  Graph g = clrs();
  MaxFlow r = max_flow(g, 0, 5);
  EXPECT_EQ(r.value, 23);
  // The minimum cut {s, v1, v2, v4} | {v3, t}: v1->v3 (12), v4->v3 (7), v4->t (4) = 23.
  std::int64_t cut = 0;
  for (int a : r.cut) cut += g.arcs[a].capacity;
  EXPECT_EQ(cut, 23);
  EXPECT_EQ(r.cut, (std::vector<int>{3, 6, 8}));
  // Conservation at every inner node and capacities respected.
  std::vector<std::int64_t> net(g.nodes, 0);
  for (std::size_t a = 0; a < g.arcs.size(); ++a) {
    EXPECT_GE(r.flow[a], 0);
    EXPECT_LE(r.flow[a], g.arcs[a].capacity);
    net[g.arcs[a].from] -= r.flow[a];
    net[g.arcs[a].to] += r.flow[a];
  }
  for (int v = 1; v < 5; ++v) EXPECT_EQ(net[v], 0) << "node " << v;
  EXPECT_EQ(net[5], 23);
}

TEST(MaxFlow, DisconnectedSinkGetsNothing) {
  Graph g;
  g.nodes = 3;
  g.add_arc(0, 1, 5);
  EXPECT_EQ(max_flow(g, 0, 2).value, 0);
}

TEST(MinCostFlow, HandCheckedGraph) {
  // Two routes from 0 to 3: via 1 (cost 1+1, capacity 4) and via 2 (cost 2+3, capacity 10).
  // Sending 6: 4 on the cheap route (cost 8) and 2 on the dear one (cost 10) = 18.
  Graph g;
  g.nodes = 4;
  g.add_arc(0, 1, 4, 1);
  g.add_arc(1, 3, 10, 1);
  g.add_arc(0, 2, 10, 2);
  g.add_arc(2, 3, 10, 3);
  MinCostFlow r = min_cost_flow(g, {6, 0, 0, -6});
  ASSERT_TRUE(r.feasible);
  EXPECT_EQ(r.cost, 18);
  EXPECT_EQ(r.flow, (std::vector<std::int64_t>{4, 4, 2, 2}));
}

TEST(MinCostFlow, InfeasibleWhenDemandExceedsCapacity) {
  Graph g;
  g.nodes = 2;
  g.add_arc(0, 1, 3, 1);
  EXPECT_FALSE(min_cost_flow(g, {5, -5}).feasible);
  EXPECT_FALSE(min_cost_flow(g, {2, -1}).feasible);  // unbalanced
  EXPECT_TRUE(min_cost_flow(g, {3, -3}).feasible);
}

TEST(Dimacs, ReadsAndRejectsWithLine) {
  Problem p = read_dimacs("c test\np max 3 2\nn 1 s\nn 3 t\na 1 2 5\na 2 3 4\n", "g.max");
  EXPECT_EQ(p.graph.nodes, 3);
  EXPECT_EQ(p.source, 0);
  EXPECT_EQ(p.sink, 2);
  EXPECT_EQ(max_flow(p.graph, p.source, p.sink).value, 4);
  try {
    read_dimacs("p max 3 1\nn 1 s\nn 3 t\na 1 9 5\n", "g.max");
    ADD_FAILURE() << "accepted an arc to a missing node";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].file, "g.max");
    EXPECT_EQ(e.diagnostics().items()[0].line, 4);
  }
  EXPECT_THROW(read_dimacs("p max 2 1\nn 1 s\nn 2 t\na 1 2 -1\n", "g"), InputError);
}

// A few bytes must not make the reader or the solver allocate gigabytes or overflow a flow sum:
// node counts beyond 10 million, arc counts the text cannot hold, and capacities adding up past
// 2^62 are refused (or reserve nothing) with the line at fault.
// Found by fuzz_dimacs: a second, smaller problem line left arcs pointing past the last node.
TEST(Dimacs, ASecondProblemLineIsRejectedWithItsLine) {
  try {
    read_dimacs("p max 42 1\nn 1 s\nn 4 t\na 1 3 10\np max 2 1\n", "g.max");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items().at(0).line, 5);
    EXPECT_NE(e.diagnostics().items().at(0).message.find("second problem line"), std::string::npos);
  }
}

TEST(Dimacs, BoundsWhatAFewBytesCanAskFor) {
  const auto line_of = [](const std::string& text) {
    try {
      read_dimacs(text, "g.max");
    } catch (const InputError& e) {
      return e.diagnostics().items()[0].line;
    }
    return -1;
  };
  EXPECT_EQ(line_of("c big\np max 2000000000 1\n"), 2);
  EXPECT_EQ(line_of("p max 10000001 0\n"), 1);
  // A billion arcs declared, one given: refused for the count, after reserving next to nothing.
  EXPECT_EQ(line_of("p max 2 1000000000\nn 1 s\nn 2 t\na 1 2 1\n"), 0);
  EXPECT_EQ(line_of("p max 2 2\nn 1 s\nn 2 t\na 1 2 4611686018427387904\na 1 2 1\n"), 5);
  EXPECT_EQ(line_of("p max 2 1\nn 1 s\nn 2 t\na 1 2 9223372036854775807\n"), 4);
  // 2^62 in all is still read, and its flow computed exactly.
  const Problem p = read_dimacs("p max 2 2\nn 1 s\nn 2 t\na 1 2 4611686018427387903\na 1 2 1\n", "g");
  EXPECT_EQ(max_flow(p.graph, p.source, p.sink).value, 4611686018427387904LL);
}

// A random graph from a seeded engine (raw draws only, so it is the same on every platform).
Graph random_graph(std::uint64_t seed, int nodes, int arcs) {
  std::mt19937_64 rng(seed);
  Graph g;
  g.nodes = nodes;
  for (int i = 0; i < arcs; ++i) {
    int from = static_cast<int>(rng() % static_cast<std::uint64_t>(nodes));
    int to = static_cast<int>(rng() % static_cast<std::uint64_t>(nodes));
    if (from == to) to = (to + 1) % nodes;
    g.add_arc(from, to, static_cast<std::int64_t>(rng() % 50), static_cast<std::int64_t>(rng() % 20));
  }
  return g;
}

std::int64_t brute_force(const Graph& g, int s, int t, const std::vector<int>& removed) {
  Graph copy = g;
  for (int a : removed) copy.arcs[a].capacity = 0;
  return max_flow(copy, s, t).value;
}

std::vector<Element> one_per_arc(const Graph& g) {
  std::vector<Element> elements;
  for (std::size_t a = 0; a < g.arcs.size(); ++a)
    elements.push_back({fmt::format("a{}", a), {static_cast<int>(a)}});
  return elements;
}

// Pruned sweeps give exactly what removing each combination and re-solving gives.
TEST(Contingency, MatchesBruteForceForK1To3) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Graph g = random_graph(seed, 9, 22);
    const auto elements = one_per_arc(g);
    const int m = static_cast<int>(elements.size());
    for (int k = 1; k <= 3; ++k) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " k " + std::to_string(k));
      ContingencyOptions options;
      options.k = k;
      options.top = 100000;
      ContingencyResult r = contingency(g, 0, 8, elements, options);
      const std::int64_t base = max_flow(g, 0, 8).value;
      EXPECT_EQ(r.base, base);
      std::vector<Failure> expected;
      std::vector<int> combo;
      auto visit = [&](auto&& self, int start) -> void {
        if (static_cast<int>(combo.size()) == k) {
          const std::int64_t v = brute_force(g, 0, 8, combo);
          if (v < base) expected.push_back({combo, v, base - v});
          return;
        }
        for (int e = start; e < m; ++e) {
          combo.push_back(e);
          self(self, e + 1);
          combo.pop_back();
        }
      };
      visit(visit, 0);
      EXPECT_EQ(r.with_loss, expected.size());
      std::sort(expected.begin(), expected.end(), [](const Failure& a, const Failure& b) {
        return a.lost != b.lost ? a.lost > b.lost : a.elements < b.elements;
      });
      ASSERT_EQ(r.worst.size(), expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(r.worst[i].elements, expected[i].elements);
        EXPECT_EQ(r.worst[i].value, expected[i].value);
      }
      EXPECT_LE(r.solved, r.scenarios);
    }
  }
}

TEST(Contingency, SameRankingWhateverTheThreadCount) {
  Graph g = random_graph(7, 60, 240);
  const auto elements = one_per_arc(g);
  ContingencyOptions one;
  one.k = 2;
  one.top = 50;
  ContingencyOptions four = one;
  four.threads = 4;
  ContingencyResult a = contingency(g, 0, 59, elements, one);
  ContingencyResult b = contingency(g, 0, 59, elements, four);
  EXPECT_EQ(a.with_loss, b.with_loss);
  EXPECT_EQ(a.solved, b.solved);
  ASSERT_EQ(a.worst.size(), b.worst.size());
  for (std::size_t i = 0; i < a.worst.size(); ++i) {
    EXPECT_EQ(a.worst[i].elements, b.worst[i].elements);
    EXPECT_EQ(a.worst[i].lost, b.worst[i].lost);
  }
}

// Writes random graphs, has networkx solve them, and compares max-flow values and min-cost
// flow costs with ours.
TEST(CrossCheck, MaxFlowAndMinCostAgreeWithNetworkx) {
  if (std::system("/usr/bin/python3 -c 'import networkx' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with networkx is not available (only this check is skipped)";
  TempDir dir;
  const int graphs = 25;
  nlohmann::json cases = nlohmann::json::array();
  std::vector<std::int64_t> flows, costs;
  std::vector<bool> feasible;
  for (int i = 0; i < graphs; ++i) {
    const int nodes = 6 + i;
    Graph g = random_graph(100 + static_cast<std::uint64_t>(i), nodes, nodes * 3);
    const int s = 0, t = nodes - 1;
    flows.push_back(max_flow(g, s, t).value);
    // Min-cost flow of half the max-flow value from s to t.
    const std::int64_t send = flows.back() / 2;
    std::vector<std::int64_t> supply(nodes, 0);
    supply[s] = send;
    supply[t] = -send;
    MinCostFlow mc = min_cost_flow(g, supply);
    feasible.push_back(mc.feasible);
    costs.push_back(mc.cost);
    nlohmann::json arcs = nlohmann::json::array();
    for (const auto& a : g.arcs) arcs.push_back({a.from, a.to, a.capacity, a.cost});
    cases.push_back({{"nodes", nodes}, {"s", s}, {"t", t}, {"send", send}, {"arcs", arcs}});
  }
  std::ofstream(dir.path() / "graphs.json") << cases.dump();
  std::ofstream(dir.path() / "solve.py") << R"PY(
import json, sys
import networkx as nx
out = []
for case in json.load(open(sys.argv[1])):
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(case["nodes"]))
    # networkx flow functions need a simple digraph: split each arc with a middle node.
    d = nx.DiGraph()
    d.add_nodes_from(range(case["nodes"]))
    for i, (u, v, cap, cost) in enumerate(case["arcs"]):
        m = ("arc", i)
        d.add_edge(u, m, capacity=cap, weight=cost)
        d.add_edge(m, v, capacity=cap, weight=0)
    value = nx.maximum_flow_value(d, case["s"], case["t"])
    for n in d.nodes:
        d.nodes[n]["demand"] = 0
    d.nodes[case["s"]]["demand"] = -case["send"]
    d.nodes[case["t"]]["demand"] = case["send"]
    cost = nx.min_cost_flow_cost(d)
    out.append({"max_flow": value, "min_cost": cost})
json.dump(out, open(sys.argv[2], "w"))
)PY";
  const std::string command = "/usr/bin/python3 '" + (dir.path() / "solve.py").string() + "' '" +
                              (dir.path() / "graphs.json").string() + "' '" +
                              (dir.path() / "answers.json").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  nlohmann::json answers =
      nlohmann::json::parse(sphere::testing::read_file(dir.path() / "answers.json"));
  ASSERT_EQ(answers.size(), static_cast<std::size_t>(graphs));
  int nonzero = 0;
  for (int i = 0; i < graphs; ++i) {
    SCOPED_TRACE("graph " + std::to_string(i));
    EXPECT_EQ(flows[i], answers[i]["max_flow"].get<std::int64_t>());
    EXPECT_TRUE(feasible[i]);
    EXPECT_EQ(costs[i], answers[i]["min_cost"].get<std::int64_t>());
    nonzero += flows[i] > 0;
  }
  EXPECT_GT(nonzero, graphs / 2);  // the comparison is not all zeros
}

// --- The built-in infrastructure ----------------------------------------------------------------

const kb::Model& builtin() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

std::int64_t delivered_to(const Outcome& o, const std::string& node) {
  for (const auto& d : o.destinations)
    if (d.node == node) return d.volume;
  ADD_FAILURE() << "no destination " << node;
  return -1;
}

TEST(Infrastructure, BuiltinCoversTheIssuesAssets) {
  const auto& infra = builtin().infrastructure;
  for (const char* id : {"scp-east", "tanap-east", "tap", "btc", "baku-supsa", "baku-novorossiysk",
                         "mozdok-link", "astara-iran", "nakhchivan-swap", "rasht-astara",
                         "instc-caspian", "instc-east", "caspian-ferry", "port-of-baku",
                         "btk-east", "tripp"})
    EXPECT_NE(infra.find_link(id), nullptr) << id;
  for (const char* id : {"shah-deniz", "acg", "sangachal"})
    EXPECT_NE(infra.find_node(id), nullptr) << id;
}

TEST(Infrastructure, DeliveryNeverExceedsDemandOrCapacity) {
  for (const char* carrier : {"gas", "oil", "freight"}) {
    Scenario s;
    s.carrier = carrier;
    s.year = 2024;
    Outcome o = solve(builtin().infrastructure, s);
    EXPECT_GT(o.delivered, 0) << carrier;
    std::int64_t sum = 0;
    for (const auto& d : o.destinations) {
      EXPECT_LE(d.volume, d.target);
      sum += d.volume;
    }
    EXPECT_EQ(sum, o.delivered);
    for (const auto& l : o.links) EXPECT_LE(l.flow, l.capacity * 2) << l.link;
  }
}

TEST(Infrastructure, CuttingTapCostsEuropeAndOpeningAddsNothingBeforeItsDate) {
  Scenario base;
  base.year = 2025;
  Outcome before = solve(builtin().infrastructure, base);
  Scenario cut = base;
  cut.cut = {"tap"};
  Outcome after = solve(builtin().infrastructure, cut);
  EXPECT_LT(delivered_to(after, "eu"), delivered_to(before, "eu"));
  EXPECT_LE(after.delivered, before.delivered);
  // TAP is the only way to Europe other than Turkiye's grid, whose capacity bounds what is left.
  const auto* tr_eu = builtin().infrastructure.find_link("tr-eu-interconnection");
  EXPECT_LE(delivered_to(after, "eu"), tr_eu->capacity);

  Scenario late = base;
  late.carrier = "freight";
  late.opened = {{"rasht-astara", Date{2030, 1, 0}}};
  EXPECT_EQ(capacity_at(*builtin().infrastructure.find_link("rasht-astara"), late), 0);
  late.year = 2030;
  EXPECT_GT(capacity_at(*builtin().infrastructure.find_link("rasht-astara"), late), 0);
}

TEST(Infrastructure, BlockingGeorgiaStopsOilExportsWhenTheBlackSeaRoutesAreShut) {
  Scenario s;
  s.carrier = "oil";
  s.year = 2024;
  EXPECT_GT(solve(builtin().infrastructure, s).delivered, 0);
  s.blocked = {"GEO"};
  // BTC and Supsa cross Georgia; Baku-Novorossiysk is halted since 2022.
  EXPECT_EQ(solve(builtin().infrastructure, s).delivered, 0);
  s.year = 2019;  // Novorossiysk still ran
  EXPECT_GT(solve(builtin().infrastructure, s).delivered, 0);
}

// Alternative supplies (the buyers' other sources) are off unless asked for, and then carry only
// what the network's own supplies cannot deliver.
TEST(Infrastructure, AlternativesFillOnlyWhatTheCorridorCannot) {
  const auto& infra = builtin().infrastructure;
  Scenario off;
  off.year = 2024;
  Scenario on = off;
  on.alternatives = true;
  const Outcome a = solve(infra, off), b = solve(infra, on);
  ASSERT_EQ(a.destinations.size(), b.destinations.size());
  for (std::size_t i = 0; i < a.destinations.size(); ++i)
    EXPECT_EQ(a.destinations[i].volume, b.destinations[i].volume) << a.destinations[i].node;
  auto link_flow = [](const Outcome& o, const std::string& id) {
    for (const auto& l : o.links)
      if (l.link == id) return l.flow;
    return std::int64_t{-1};
  };
  for (const char* id : {"eu-lng-sendout", "norway-eu-entry", "turkey-lng-sendout"})
    EXPECT_EQ(link_flow(b, id), 0) << id << " carries gas the corridor could deliver";
  // Azerbaijan blocked: without alternatives Europe and Turkiye get nothing; with them, their
  // spare capacity fills the whole demand.
  off.blocked = on.blocked = {"AZE"};
  const Outcome c = solve(infra, off), d = solve(infra, on);
  auto got = [](const Outcome& o, const std::string& node) {
    for (const auto& x : o.destinations)
      if (x.node == node) return std::pair{x.volume, x.target};
    return std::pair<std::int64_t, std::int64_t>{-1, -1};
  };
  EXPECT_EQ(got(c, "eu").first, 0);
  EXPECT_EQ(got(c, "turkey-gas").first, 0);
  EXPECT_EQ(got(d, "eu").first, got(d, "eu").second);
  EXPECT_EQ(got(d, "turkey-gas").first, got(d, "turkey-gas").second);
  EXPECT_GT(link_flow(d, "eu-lng-sendout") + link_flow(d, "norway-eu-entry"), 0);
}

// A buyer under a firm contract (node kind "contract") is served before the others, whatever its
// distance; the total delivered does not change. Supply 10 at f; b (one link away) wants 9, c
// (two links away) 2.
TEST(Infrastructure, ContractDemandIsServedFirst) {
  auto infra_with = [](const std::string& kind_of_c) {
    kb::Infrastructure infra;
    infra.nodes = {{"f", "field", "field", "AAA", {}}, {"h", "hub", "hub", "AAA", {}},
                   {"b", "buyer", "consumer", "AAA", {}}, {"c", "contract buyer", kind_of_c, "AAA", {}}};
    auto link = [](std::string id, std::string from, std::string to) {
      kb::InfraLink l;
      l.id = id;
      l.kind = "pipeline";
      l.carrier = "gas";
      l.from = from;
      l.to = to;
      l.capacity = 30;
      l.unit = "mcm/d";
      l.countries = {"AAA"};
      l.statuses.push_back({Date{2000, 1, 0}, "operating", std::nullopt, {}});
      return l;
    };
    infra.links = {link("f-b", "f", "b"), link("f-h", "f", "h"), link("h-c", "h", "c")};
    auto flow = [](std::string node, std::string kind, std::int64_t v) {
      kb::InfraFlow f;
      f.node = node;
      f.carrier = "gas";
      f.kind = kind;
      f.year = 2020;
      f.value = v;
      f.unit = "mcm/d";
      return f;
    };
    infra.flows = {flow("f", "supply", 10), flow("b", "demand", 9), flow("c", "demand", 2)};
    return infra;
  };
  auto got = [](const Outcome& o, const std::string& node) {
    for (const auto& x : o.destinations)
      if (x.node == node) return x.volume;
    return std::int64_t{-1};
  };
  Scenario s;
  s.year = 2020;
  const Outcome plain = solve(infra_with("consumer"), s);
  const Outcome contract = solve(infra_with("contract"), s);
  EXPECT_EQ(plain.delivered, 10);
  EXPECT_EQ(contract.delivered, 10);
  EXPECT_EQ(got(plain, "b"), 9);  // the nearer buyer first
  EXPECT_EQ(got(plain, "c"), 1);
  EXPECT_EQ(got(contract, "c"), 2);  // the contract first
  EXPECT_EQ(got(contract, "b"), 8);
}

// Link weights order the North-South routes as S4 does (the western branch through Azerbaijan the
// most profitable, Central Asia "much more complex and expensive"), so the western branch, with
// lorries across the Rasht-Astara gap, carries cargo, and blocking Azerbaijan reroutes it.
TEST(Infrastructure, NorthSouthFreightTakesTheWesternBranchFirst) {
  const auto& infra = builtin().infrastructure;
  ASSERT_NE(infra.find_link("astara-rasht-road"), nullptr);
  EXPECT_GT(infra.find_link("instc-east")->weight(), infra.find_link("instc-caspian")->weight());
  Scenario s;
  s.year = 2025;
  s.carrier = "freight";
  const Outcome base = solve(infra, s);
  auto flow = [](const Outcome& o, const std::string& id) {
    for (const auto& l : o.links)
      if (l.link == id) return l.flow;
    return std::int64_t{-1};
  };
  EXPECT_EQ(flow(base, "astara-rasht-road"), infra.find_link("astara-rasht-road")->capacity);
  EXPECT_EQ(flow(base, "instc-baku-astara"), flow(base, "astara-rasht-road"));
  // The eastern branch, the dearest, takes only what the others cannot.
  EXPECT_LT(flow(base, "instc-east"), infra.find_link("instc-east")->capacity);
  s.blocked = {"AZE"};
  const Outcome blocked = solve(infra, s);
  EXPECT_EQ(flow(blocked, "astara-rasht-road"), 0);
  EXPECT_GT(flow(blocked, "instc-east"), flow(base, "instc-east"));
}

TEST(Infrastructure, WhatIfNamingNothingIsAnError) {
  Scenario s;
  s.year = 2025;
  s.cut = {"no-such-pipeline"};
  try {
    solve(builtin().infrastructure, s);
    ADD_FAILURE() << "accepted an unknown link";
  } catch (const InputError& e) {
    // A request field, named neutrally (each front end names it as its users know it).
    EXPECT_EQ(e.diagnostics().items()[0].file, kRequest);
    EXPECT_EQ(e.diagnostics().items()[0].field, "cut");
  }
  Scenario b;
  b.year = 2025;
  b.blocked = {"ATL"};
  EXPECT_THROW(solve(builtin().infrastructure, b), InputError);
  Scenario c;
  c.year = 2025;
  c.carrier = "water";
  EXPECT_THROW(solve(builtin().infrastructure, c), InputError);
  // The year is the caller's to give: none is no year at all.
  Scenario d;
  try {
    solve(builtin().infrastructure, d);
    ADD_FAILURE() << "solved a network of no year";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "year");
  }
}

TEST(Infrastructure, EachCarrierHasTheUnitItsNetworkIsSolvedIn) {
  for (const std::string carrier : {"gas", "oil", "freight"}) {
    Scenario s;
    s.year = 2025;
    s.carrier = carrier;
    EXPECT_EQ(carrier_unit(carrier), solve(builtin().infrastructure, s).unit) << carrier;
  }
  EXPECT_EQ(carrier_unit("water"), "");
}

TEST(Infrastructure, N1FormulaMatchesItsTerms) {
  N1 r = n_minus_1(builtin().infrastructure, "GEO", 2025);
  ASSERT_GT(r.dmax, 0);
  EXPECT_DOUBLE_EQ(r.formula,
                   100.0 * static_cast<double>(r.epm + r.pm + r.sm + r.lngm - r.im) /
                       static_cast<double>(r.dmax));
  EXPECT_FALSE(r.largest.empty());
  EXPECT_LE(r.reachable_n1, r.reachable);
  EXPECT_LE(r.reachable, r.dmax);
  EXPECT_THROW(n_minus_1(builtin().infrastructure, "ATL", 2025), InputError);
}

}  // namespace
}  // namespace sphere::network

// Max-flow, minimum cut and min-cost flow on Graph, through LEMON (Preflow, NetworkSimplex), and
// the DIMACS max-flow reader.
#include <lemon/network_simplex.h>
#include <lemon/preflow.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "network/internal.h"
#include "network/network.h"

namespace sphere::network {

int Graph::add_arc(int from, int to, std::int64_t capacity, std::int64_t cost) {
  arcs.push_back({from, to, capacity, cost});
  return static_cast<int>(arcs.size()) - 1;
}

LemonGraph::LemonGraph(const Graph& graph) : capacity(digraph), cost(digraph) {
  digraph.reserveNode(graph.nodes);
  digraph.reserveArc(static_cast<int>(graph.arcs.size()));
  for (int v = 0; v < graph.nodes; ++v) nodes.push_back(digraph.addNode());
  for (const Graph::Arc& a : graph.arcs) {
    auto arc = digraph.addArc(nodes[a.from], nodes[a.to]);
    capacity[arc] = a.capacity;
    cost[arc] = a.cost;
    arcs.push_back(arc);
  }
}

MaxFlow max_flow(const Graph& graph, int source, int sink) {
  LemonGraph g(graph);
  lemon::Preflow<lemon::SmartDigraph, LemonGraph::Map> preflow(g.digraph, g.capacity,
                                                               g.nodes[source], g.nodes[sink]);
  preflow.run();
  MaxFlow result;
  result.value = preflow.flowValue();
  result.flow.reserve(g.arcs.size());
  for (std::size_t i = 0; i < g.arcs.size(); ++i) {
    result.flow.push_back(preflow.flow(g.arcs[i]));
    const Graph::Arc& a = graph.arcs[i];
    if (preflow.minCut(g.nodes[a.from]) && !preflow.minCut(g.nodes[a.to]))
      result.cut.push_back(static_cast<int>(i));
  }
  return result;
}

MinCostFlow min_cost_flow(const Graph& graph, const std::vector<std::int64_t>& supply) {
  std::int64_t balance = 0;
  for (std::int64_t s : supply) balance += s;
  if (balance != 0) return {};  // supplies and demands cannot all be met exactly
  LemonGraph g(graph);
  lemon::SmartDigraph::NodeMap<std::int64_t> supplies(g.digraph, 0);
  for (int v = 0; v < graph.nodes && v < static_cast<int>(supply.size()); ++v)
    supplies[g.nodes[v]] = supply[v];
  lemon::NetworkSimplex<lemon::SmartDigraph, std::int64_t, std::int64_t> simplex(g.digraph);
  // Supplies sum to zero, so LEMON's default (supply >= flow out) meets every one exactly.
  simplex.upperMap(g.capacity).costMap(g.cost).supplyMap(supplies);
  MinCostFlow result;
  if (simplex.run() != decltype(simplex)::OPTIMAL) return result;
  result.feasible = true;
  result.cost = simplex.totalCost<std::int64_t>();
  for (const auto& arc : g.arcs) result.flow.push_back(simplex.flow(arc));
  return result;
}

namespace {
// Limits of a DIMACS problem (read_dimacs): nodes, and the sum of every arc's capacity.
constexpr long long kMaxDimacsNodes = 10'000'000;
constexpr long long kMaxDimacsCapacity = 1LL << 62;
}  // namespace

Problem read_dimacs(std::string_view text, const std::string& file) {
  Problem problem;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  bool header = false;
  int source = -1, sink = -1;
  std::size_t declared_arcs = 0;
  long long total_capacity = 0;
  auto fail = [&](const std::string& message) { throw InputError(file, number, "", message); };
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::string tag;
    if (!(fields >> tag) || tag == "c") continue;
    if (tag == "p") {
      // A second problem line would re-size the graph under the arcs already read.
      if (header) fail("a second problem line; a file holds one problem");
      std::string kind;
      long long n = 0, m = 0;
      if (!(fields >> kind >> n >> m) || kind != "max" || n < 2 || m < 0)
        fail("expected 'p max NODES ARCS' with at least two nodes");
      // The solvers allocate per node: a 20-byte file must not ask for gigabytes.
      if (n > kMaxDimacsNodes)
        fail(fmt::format("{} nodes; at most {} are read", n, kMaxDimacsNodes));
      problem.graph.nodes = static_cast<int>(n);
      declared_arcs = static_cast<std::size_t>(m);
      // Every arc takes a line of at least 8 bytes, so the text bounds what is worth reserving.
      problem.graph.arcs.reserve(std::min(declared_arcs, text.size() / 8));
      header = true;
    } else if (!header) {
      fail("expected the problem line 'p max NODES ARCS' first");
    } else if (tag == "n") {
      long long id = 0;
      std::string role;
      if (!(fields >> id >> role) || id < 1 || id > problem.graph.nodes || (role != "s" && role != "t"))
        fail("expected 'n NODE s' or 'n NODE t' with NODE between 1 and the node count");
      (role == "s" ? source : sink) = static_cast<int>(id - 1);
    } else if (tag == "a") {
      long long from = 0, to = 0, capacity = 0;
      if (!(fields >> from >> to >> capacity) || from < 1 || to < 1 ||
          from > problem.graph.nodes || to > problem.graph.nodes)
        fail("expected 'a FROM TO CAPACITY' with nodes between 1 and the node count");
      if (capacity < 0) fail(fmt::format("capacity {} is negative", capacity));
      // Flows and excesses are sums of capacities: bounded, they cannot overflow.
      if (capacity > kMaxDimacsCapacity || (total_capacity += capacity) > kMaxDimacsCapacity)
        fail(fmt::format("the capacities add up to more than {}", kMaxDimacsCapacity));
      problem.graph.add_arc(static_cast<int>(from - 1), static_cast<int>(to - 1), capacity);
    } else {
      fail(fmt::format("unknown line type '{}'; expected c, p, n or a", tag));
    }
  }
  if (!header) throw InputError(file, 0, "", "no problem line 'p max NODES ARCS'");
  if (source < 0 || sink < 0)
    throw InputError(file, 0, "", "the source ('n ID s') or the sink ('n ID t') is missing");
  if (source == sink) throw InputError(file, 0, "", "the source and the sink are the same node");
  if (problem.graph.arcs.size() != declared_arcs)
    throw InputError(file, 0, "",
                     fmt::format("{} arcs declared, {} read", declared_arcs, problem.graph.arcs.size()));
  problem.source = source;
  problem.sink = sink;
  return problem;
}

}  // namespace sphere::network

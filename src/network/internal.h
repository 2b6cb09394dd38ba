// Private helpers shared by the network sources. Not part of the public API (network.h).
#pragma once

#include <lemon/smart_graph.h>

#include <cstdint>
#include <vector>

#include "network/network.h"

namespace sphere::network {

// A Graph copied into LEMON, with the handles of its nodes and arcs in Graph order. LEMON maps
// register with their graph, so each thread needs its own copy.
struct LemonGraph {
  using Map = lemon::SmartDigraph::ArcMap<std::int64_t>;
  explicit LemonGraph(const Graph& graph);
  lemon::SmartDigraph digraph;
  std::vector<lemon::SmartDigraph::Node> nodes;
  std::vector<lemon::SmartDigraph::Arc> arcs;
  Map capacity;
  Map cost;
};

}  // namespace sphere::network

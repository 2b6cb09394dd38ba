// libFuzzer harness: the DIMACS max-flow reader of `sphere network --dimacs`, and the max flow on
// what it reads (small graphs only, to keep each input fast). A problem is read or rejected with
// an InputError; a flow found respects every capacity and its value is the cut's capacity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "network/network.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sphere::network;
  try {
    const Problem p =
        read_dimacs(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.max");
    if (p.graph.nodes > 1000) return 0;
    const MaxFlow f = max_flow(p.graph, p.source, p.sink);
    if (f.flow.size() != p.graph.arcs.size()) std::abort();
    std::int64_t cut = 0;
    for (std::size_t a = 0; a < f.flow.size(); ++a)
      if (f.flow[a] < 0 || f.flow[a] > p.graph.arcs[a].capacity) std::abort();
    for (int a : f.cut) cut += p.graph.arcs[static_cast<std::size_t>(a)].capacity;
    if (cut != f.value) std::abort();
  } catch (const sphere::InputError&) {
  }
  return 0;
}

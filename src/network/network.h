// Sphere's infrastructure network: integer-capacity flow graphs built from infrastructure.toml,
// max-flow, min-cost flow and minimum cuts (LEMON), disruption what-ifs, N-k contingency sweeps
// in parallel, and the EU N-1 indicator. See docs/MODEL.md, "Network".
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/core.h"
#include "kb/kb.h"

namespace sphere::network {

// A directed graph with integer capacities and costs: the form every solver here works on.
struct Graph {
  struct Arc {
    int from = 0, to = 0;
    std::int64_t capacity = 0;
    std::int64_t cost = 0;
  };
  int nodes = 0;
  std::vector<Arc> arcs;

  int add_node() { return nodes++; }
  // Returns the new arc's index.
  int add_arc(int from, int to, std::int64_t capacity, std::int64_t cost = 0);
};

// A maximum flow and a minimum cut that proves it.
struct MaxFlow {
  std::int64_t value = 0;
  std::vector<std::int64_t> flow;  // per arc
  std::vector<int> cut;            // arcs from the source side to the sink side, in arc order
};

// Maximum flow from `source` to `sink` (LEMON Preflow).
MaxFlow max_flow(const Graph& graph, int source, int sink);

// A minimum-cost flow meeting every supply and demand exactly.
struct MinCostFlow {
  bool feasible = false;
  std::int64_t cost = 0;
  std::vector<std::int64_t> flow;  // per arc; empty when infeasible
};

// `supply[v]` > 0 is a supply, < 0 a demand; they must sum to 0 (LEMON NetworkSimplex).
MinCostFlow min_cost_flow(const Graph& graph, const std::vector<std::int64_t>& supply);

// A max-flow problem read from a file.
struct Problem {
  Graph graph;
  int source = 0, sink = 0;
};

// Parses the DIMACS max-flow format ("p max N M", "n ID s|t", "a FROM TO CAP"; nodes 1-based).
// Throws InputError naming `file` and the line at fault; so do more than 10 million nodes and
// capacities adding up to more than 2^62 (flow sums could overflow).
Problem read_dimacs(std::string_view text, const std::string& file);

// --- N-k contingency ---------------------------------------------------------------------------

// Arcs that fail together: one link (a two-way link is two arcs).
struct Element {
  std::string name;
  std::vector<int> arcs;
};

// One combination of failed elements and what it leaves.
struct Failure {
  std::vector<int> elements;  // indices into the element list, ascending
  std::int64_t value = 0;     // max-flow with them removed
  std::int64_t lost = 0;      // base value minus `value`
};

struct ContingencyOptions {
  int k = 1;            // 1, 2 or 3 elements fail together
  int threads = 1;      // worker threads; results do not depend on it
  std::size_t top = 20; // failures kept, worst first
};

struct ContingencyResult {
  std::int64_t base = 0;
  std::uint64_t scenarios = 0;  // every combination of k elements: C(m, k)
  std::uint64_t solved = 0;     // max-flow runs; the other values follow exactly from pruning
  std::uint64_t with_loss = 0;  // combinations that lose any delivery
  std::vector<Failure> worst;   // by lost (descending), then by elements (ascending)
};

// Ranks every combination of k failed elements by lost max-flow. A combination whose last
// element carries no flow in a maximum flow of the graph without the others loses exactly what
// the others lose, so only the rest are solved; the ranking is the same for any thread count.
ContingencyResult contingency(const Graph& graph, int source, int sink,
                              const std::vector<Element>& elements,
                              const ContingencyOptions& options);

// --- The model's infrastructure ------------------------------------------------------------------

// A what-if: the network for one carrier in one year, with links cut, countries blocked and
// links opened. Links are taken in the state they have at the end of `year`, which the caller
// gives (a model's default year is its [view] year; validate refuses 0).
struct Scenario {
  int year = 0;
  std::string carrier = "gas";
  std::vector<std::string> cut;                       // link ids
  std::vector<std::string> blocked;                   // country codes: links crossing them close
  std::vector<std::pair<std::string, Date>> opened;   // link id, month it starts operating
  // Supplies at nodes of kind "alternative" (the spare capacity of a consumer's other sources:
  // Norwegian pipelines, LNG terminals, ...) feed the network only when this is set, and then
  // only for what the network's own supplies cannot deliver: they are routed last.
  bool alternatives = false;
};

// The unit of a carrier's flows: mcm/d (gas), kb/d (oil), kt/y (freight); empty for another.
std::string carrier_unit(std::string_view carrier);

// Checks that every link and country a scenario names exists. Throws InputError naming the
// request field at fault (cut, blocked, opened, carrier, year).
void validate(const kb::Infrastructure& infra, const Scenario& scenario);

// The flow graph of a scenario: infrastructure nodes, a super source feeding each supply and a
// super sink fed by each demand, one arc per direction of each open link.
struct FlowNetwork {
  Graph graph;
  int source = 0, sink = 0;
  std::vector<int> arc_link;        // per arc: index into infra.links, or -1 for a supply/demand arc
  std::vector<int> supply_arc;      // per infra node: its arc from the source, or -1
  std::vector<int> demand_arc;      // per infra node: its arc to the sink, or -1
  std::vector<Element> elements;    // one per open link, in infra.links order
  std::vector<int> element_link;    // per element: index into infra.links
};

// A link as it stands at the end of a year: the latest status that began by then and when it
// began (nullopt: none had begun; `status` is then the first it will have), and the capacity the
// statuses give by then (a status's capacity holds from its date until another status gives
// another; the link's own before any does).
struct LinkState {
  std::string status;
  std::optional<Date> since;
  std::int64_t capacity = 0;
  bool operating() const { return since && status == "operating"; }
  std::int64_t operating_capacity() const { return operating() ? capacity : 0; }
};
LinkState link_state(const kb::InfraLink& link, int year);

// The capacity a link has at the end of `year` under `scenario` (0 when it is not operating).
std::int64_t capacity_at(const kb::InfraLink& link, const Scenario& scenario);

// Supply, demand or peak of `kind` at each node for the carrier: the latest year <= `year`.
std::vector<std::int64_t> node_flows(const kb::Infrastructure& infra, const std::string& carrier,
                                     const std::string& kind, int year);

FlowNetwork build(const kb::Infrastructure& infra, const Scenario& scenario);

// What reaches one destination (or leaves one supply node).
struct NodeVolume {
  std::string node, country;
  std::int64_t target = 0;  // demand or supply
  std::int64_t volume = 0;  // delivered or sent
};

struct LinkVolume {
  std::string link;
  std::int64_t capacity = 0;  // 0 when closed
  std::int64_t flow = 0;      // both directions together
  bool saturated = false;     // open and full in some direction
};

// Volumes delivered to a country's consumers, sent from its fields, and carried into it over
// links (imports and transit; each link counts where it crosses into the country).
struct CountryVolume {
  std::string country;
  std::int64_t delivered = 0, supplied = 0, transit = 0;
};

// The state of the network in a scenario: a maximum delivery routed at minimum total link hops.
struct Outcome {
  std::string unit;
  std::int64_t delivered = 0, demand = 0;
  std::vector<NodeVolume> destinations;   // demand nodes, in file order
  std::vector<NodeVolume> supplies;       // supply nodes, in file order
  std::vector<LinkVolume> links;          // every link of the carrier, in file order
  std::vector<std::string> bottlenecks;   // links on a minimum cut
  std::vector<CountryVolume> countries;   // sorted by code
};

Outcome solve(const kb::Infrastructure& infra, const Scenario& scenario);

// The EU N-1 indicator (Regulation (EU) 2017/1938, Annex II) for the gas nodes of one country,
// and its network-aware form.
struct N1 {
  std::string area;
  std::int64_t dmax = 0, epm = 0, pm = 0, sm = 0, lngm = 0, im = 0;
  std::string largest;          // the infrastructure that is Im
  double formula = 0.0;         // (EPm + Pm + Sm + LNGm - Im) / Dmax x 100
  std::int64_t reachable = 0;   // max-flow into the area, capped at Dmax, with every link intact
  std::int64_t reachable_n1 = 0;// the same with the worst single link removed
  std::string worst;            // that link
  double network = 0.0;         // reachable_n1 / Dmax x 100
};

// Throws InputError when the area has no peak demand (Dmax) for the year.
N1 n_minus_1(const kb::Infrastructure& infra, const std::string& area, int year);

// --- Observed flows (IEA Gas Trade Flows) ---------------------------------------------------

// A border point of the IEA's monthly data and what it is compared with: the flow on a link of
// infrastructure.toml, or the volume delivered to a destination node.
struct ObservedPoint {
  std::string point, exit, entry;         // as in gtf_long.csv
  std::string link;                       // a link's flow, or
  std::vector<std::string> destinations;  // the volume delivered to these nodes together
  std::string what;
};
// Türkgözü (deliveries to the node turkey-gas: Azerbaijani gas for Türkiye; the IEA's flow there
// is below Kipi's in 2021-2022, so TANAP's transit to Europe is not in it) and Kipi (deliveries
// to the nodes eu, SGC gas to Europe, and greece-itg, the interconnector's contract buyers).
// TAP's own points (Kastoria, Melendugno) lie past its Greek offtakes, which the network does
// not have, so they are not compared.
std::vector<ObservedPoint> southern_gas_corridor_points();

// One point's observed flow in one year: the months it reports, averaged per day.
struct ObservedFlow {
  std::string point, link;
  std::vector<std::string> destinations;
  int year = 0;
  double total_mcm = 0.0;  // sum over the months reported
  int days = 0;            // days in those months
  double mean_mcm_per_day = 0.0;
};

// Reads gtf_long.csv (borderpoint, exit, entry, maxflow_mcm_per_h, month, flow; flows in million
// m3 a month). Throws InputError naming file, line and column on a missing column or bad cell.
std::vector<ObservedFlow> read_iea_flows(const std::filesystem::path& file,
                                         const std::vector<ObservedPoint>& points);

// The modelled flow on each observed point's link in its year (gas network as solve() routes it,
// mcm/d) beside the observed mean. Agreement: within `tolerance` x observed, plus 0.5 mcm/d for
// the network's whole-mcm/d volumes.
struct FlowCheck {
  ObservedFlow observed;
  double modelled = 0.0, capacity = 0.0;  // mcm/d on the link (capacity) or to the nodes (demand)
  double relative_gap = 0.0;              // (modelled - observed) / observed
  bool network_has_flows = false;         // the network has any supply in that year
  bool agrees = false;
};
std::vector<FlowCheck> check_flows(const kb::Infrastructure& infra,
                                   const std::vector<ObservedFlow>& observed, double tolerance);

}  // namespace sphere::network

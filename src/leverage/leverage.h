// Sphere's leverage matrix: for each channel of interdependence (ties.toml) and ordered pair
// (i, j), what j loses if i cuts the flow, before rerouting (short run) and after (long run; on
// the infrastructure network where the channel is physical, with the alternatives outside it),
// what cutting costs i itself, and leverage = j's loss net of i's (Keohane & Nye). Both losses
// are shares of the loser's own GDP, so they compare across actors and channels and add up over
// channels. See docs/MODEL.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kb/kb.h"

namespace sphere::leverage {

// One number behind a cell, with where it comes from.
struct Evidence {
  std::string label;  // "sensitivity", "own cost", "network", ...
  double value = 0.0;
  kb::Provenance provenance;  // empty source for numbers computed here
  std::string note;           // how a computed number was obtained
};

// A number with the low and high ends its inputs' ranges allow.
struct Span {
  double value = 0.0, low = 0.0, high = 0.0;
};

// One tie evaluated: i = from, j = to.
struct Cell {
  std::string tie, channel, from, to, what;
  int year = 0;
  bool physical = false;
  // On the common scale: the tie has money values (at_stake, own_loss) and both actors a GDP.
  // Ties off it (a security guarantee has no money value in the sources) carry 0 in the fields
  // below except sensitivity and kept, and count in no total.
  bool common = false;
  double sensitivity = 0.0;    // share of j's flow in the channel that i controls (context)
  double kept = 0.0;           // long run: share of the flow at stake j still gets
  Span kept_long;              // the same with its low and high ends
  // Physical: the part of kept the network reroutes, on the stated network and (low, high) the
  // 5th and 95th percentiles over networks drawn over their stated ranges (Filter).
  Span kept_network;
  int network_draws = 0;       // drawn networks that delivered to the destinations before the cut
  Span kept_short;             // short run: the same before rerouting
  Span loss_short, loss_long;  // j's loss, share of j's GDP: at_stake x (1 - kept) / GDP_j
                               // (long run: plus the rerouted share x reroute_cost)
  Span cost;                   // i's loss, share of i's GDP: own_loss / GDP_i
  Span leverage_short, leverage_long;  // loss - cost; low = j's low loss net of i's high cost
  // The same long-run figures under the names the other layers read.
  double vulnerability = 0.0;  // loss_long.value
  double own_cost = 0.0;       // cost.value
  double leverage = 0.0;       // leverage_long.value
  std::vector<Evidence> evidence;
};

// Which cells to compute; empty fields match everything.
struct Filter {
  std::string channel;
  std::string actor;  // i or j
  int year = 0;       // 0: every year
  // What-ifs: links closed, and links opened from a month, in the network physical ties are
  // routed on (both with and without i blocked).
  std::vector<std::string> cut;
  std::vector<std::pair<std::string, Date>> opened;
  // Physical ties are also routed on this many networks whose link capacities, route costs,
  // supplies and demands are drawn over their stated ranges (triangular, the stated value as
  // mode; draw k depends on (seed, k) alone), so that the long-run spans carry the network's
  // uncertainty. 0: the stated network only (the value is the same either way).
  int network_draws = 200;
  std::uint64_t seed = 1;
};

// The infrastructure with every link capacity, route cost and supply or demand that has a range
// drawn from Triangular(low, stated, high) (capacities and flows rounded to whole units), in file
// order from one counter-based stream keyed by (seed, draw).
kb::Infrastructure draw_network(const kb::Infrastructure& infra, std::uint64_t seed,
                                std::uint32_t draw);

// Every tie of the model that passes the filter, in file order. Physical ties are routed on the
// model's infrastructure in the tie's year with i's territory blocked.
std::vector<Cell> matrix(const kb::Model& model, const Filter& filter);

// Leverage summed over the channels on the common scale for each ordered pair, largest first.
// The sum is cardinal: every term is j's loss as a share of j's GDP net of i's loss as a share of
// i's GDP, so the total is j's whole loss net of i's whole loss, on the same two denominators.
// `net` subtracts the reverse pair's total (j's leverage over i): what i holds over j beyond
// what j holds over i.
struct PairTotal {
  std::string from, to;
  double leverage = 0.0;  // long run
  double low = 0.0, high = 0.0;
  double short_run = 0.0;
  double net = 0.0;
  int channels = 0;
};
std::vector<PairTotal> totals(const std::vector<Cell>& cells);

}  // namespace sphere::leverage

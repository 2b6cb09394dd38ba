// Sphere's leverage matrix: for each channel of interdependence (ties.toml) and ordered pair
// (i, j), how much of j's flow i controls (sensitivity), what j still loses once it reroutes or
// substitutes (vulnerability; on the infrastructure network where the channel is physical), what
// cutting costs i itself, and leverage = j's loss net of i's (Keohane & Nye). See docs/MODEL.md.
#pragma once

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

// One tie evaluated: i = from, j = to.
struct Cell {
  std::string tie, channel, from, to, what;
  int year = 0;
  bool physical = false;
  double sensitivity = 0.0;    // share of j's flow that i controls
  double kept = 0.0;           // share of that controlled flow j still gets after rerouting
  double vulnerability = 0.0;  // sensitivity x (1 - kept)
  double own_cost = 0.0;       // share of i's flow i gives up
  double leverage = 0.0;       // vulnerability - own_cost
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
};

// Every tie of the model that passes the filter, in file order. Physical ties are routed on the
// model's infrastructure in the tie's year with i's territory blocked.
std::vector<Cell> matrix(const kb::Model& model, const Filter& filter);

// Leverage summed over channels for each ordered pair, largest first.
struct PairTotal {
  std::string from, to;
  double leverage = 0.0;
  int channels = 0;
};
std::vector<PairTotal> totals(const std::vector<Cell>& cells);

}  // namespace sphere::leverage

// The leverage matrix. Vulnerability of a physical channel comes from the network: j's delivered
// volume at the tie's destinations with i's territory blocked, over the volume without.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "leverage/leverage.h"
#include "network/network.h"

namespace sphere::leverage {
namespace {

// Countries that own a node or are crossed by a link of the carrier.
std::set<std::string> network_countries(const kb::Infrastructure& infra) {
  std::set<std::string> out;
  for (const auto& n : infra.nodes) out.insert(n.country);
  for (const auto& l : infra.links) out.insert(l.countries.begin(), l.countries.end());
  return out;
}

std::int64_t delivered(const network::Outcome& o, const std::vector<std::string>& nodes) {
  std::int64_t sum = 0;
  for (const auto& d : o.destinations)
    if (std::find(nodes.begin(), nodes.end(), d.node) != nodes.end()) sum += d.volume;
  return sum;
}

// What j keeps of the flow i controls, from the network: delivery to the destinations with i
// blocked over delivery without. A route that reroutes around i keeps its volume.
double kept_on_network(const kb::Model& model, const kb::Tie& tie, const Filter& filter,
                       Cell& cell) {
  network::Scenario base;
  base.year = tie.year;
  base.carrier = tie.carrier;
  base.cut = filter.cut;
  base.opened = filter.opened;
  const network::Outcome before = network::solve(model.infrastructure, base);
  const std::int64_t b = delivered(before, tie.destinations);
  if (!network_countries(model.infrastructure).contains(tie.from)) {
    cell.evidence.push_back({"network", 1.0, {}, fmt::format(
        "{} owns no node and crosses no link of the {} network: nothing is cut", tie.from, tie.carrier)});
    return 1.0;
  }
  network::Scenario cut = base;
  cut.blocked = {tie.from};
  const network::Outcome after = network::solve(model.infrastructure, cut);
  const std::int64_t a = delivered(after, tie.destinations);
  std::string nodes;
  for (const auto& d : tie.destinations) nodes += (nodes.empty() ? "" : ", ") + d;
  const double kept = b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 1.0;
  cell.evidence.push_back(
      {"network", kept, {},
       fmt::format("{} {}: {} {} delivered to {}; {} with {} blocked (every link crossing it "
                   "closed, the rest rerouted by max-flow)",
                   tie.carrier, tie.year, b, before.unit, nodes, a, tie.from)});
  return kept;
}

}  // namespace

std::vector<Cell> matrix(const kb::Model& model, const Filter& filter) {
  std::vector<Cell> cells;
  for (const kb::Tie& tie : model.ties.ties) {
    if (!filter.channel.empty() && tie.channel != filter.channel) continue;
    if (!filter.actor.empty() && tie.from != filter.actor && tie.to != filter.actor) continue;
    if (filter.year != 0 && tie.year != filter.year) continue;
    Cell c;
    c.tie = tie.id;
    c.channel = tie.channel;
    c.from = tie.from;
    c.to = tie.to;
    c.what = tie.what;
    c.year = tie.year;
    c.physical = !tie.carrier.empty();
    c.sensitivity = tie.sensitivity.value;
    c.evidence.push_back({"sensitivity", tie.sensitivity.value, tie.sensitivity.provenance, ""});
    if (c.physical) {
      c.kept = kept_on_network(model, tie, filter, c);
    } else if (tie.substitution) {
      c.kept = tie.substitution->value;
      c.evidence.push_back({"substitution", c.kept, tie.substitution->provenance, ""});
    }
    c.vulnerability = c.sensitivity * (1.0 - c.kept);
    c.own_cost = tie.own_cost.value;
    c.evidence.push_back({"own cost", c.own_cost, tie.own_cost.provenance, ""});
    c.leverage = c.vulnerability - c.own_cost;
    cells.push_back(std::move(c));
  }
  return cells;
}

std::vector<PairTotal> totals(const std::vector<Cell>& cells) {
  std::map<std::pair<std::string, std::string>, PairTotal> by_pair;
  for (const Cell& c : cells) {
    PairTotal& t = by_pair[{c.from, c.to}];
    t.from = c.from;
    t.to = c.to;
    t.leverage += c.leverage;
    ++t.channels;
  }
  std::vector<PairTotal> out;
  for (auto& [key, t] : by_pair) out.push_back(t);
  std::stable_sort(out.begin(), out.end(),
                   [](const PairTotal& a, const PairTotal& b) { return a.leverage > b.leverage; });
  return out;
}

}  // namespace sphere::leverage

// The leverage matrix on a common scale. j's loss and i's cost are money a year over each one's
// own GDP; on a physical channel the long-run share j keeps comes from the network (i's territory
// blocked, the rest rerouted at least cost) and the alternatives outside it.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "leverage/leverage.h"
#include "network/network.h"

namespace sphere::leverage {
namespace {

// The core generator's purpose word for the network draws (the sim layer uses 1-5).
constexpr std::uint32_t kNetworkDraws = 16;

// Triangular(low, mode, high) by inversion; the mode itself when the range is a point.
double triangular(double low, double mode, double high, double u) {
  if (!(high > low)) return mode;
  const double f = (mode - low) / (high - low);
  return u < f ? low + std::sqrt(u * (high - low) * (mode - low))
               : high - std::sqrt((1.0 - u) * (high - low) * (high - mode));
}

// A value with a stated range, drawn; one uniform is used whether or not the range is a point,
// so that a range added to one number never shifts the draws of the others.
double drawn(double value, const kb::Provenance& p, Rng& rng) {
  const double u = rng.uniform();
  return p.range_high > p.range_low ? triangular(p.range_low, value, p.range_high, u) : value;
}

// Countries that own a node or are crossed by a link of the carrier.
std::set<std::string> network_countries(const kb::Infrastructure& infra) {
  std::set<std::string> out;
  for (const auto& n : infra.nodes) out.insert(n.country);
  for (const auto& l : infra.links) out.insert(l.countries.begin(), l.countries.end());
  return out;
}

// The alternative supplies an outcome drew on, with their volumes, or "none used".
std::string alternative_names(const network::Outcome& o, const kb::Infrastructure& infra) {
  std::string out;
  for (const auto& s : o.supplies) {
    const kb::InfraNode* n = infra.find_node(s.node);
    if (!n || n->kind != "alternative" || s.volume <= 0) continue;
    out += fmt::format("{}{} {} of {}", out.empty() ? "" : ", ", s.node, s.volume, s.target);
  }
  return out.empty() ? "none used" : out;
}

std::int64_t delivered(const network::Outcome& o, const std::vector<std::string>& nodes) {
  std::int64_t sum = 0;
  for (const auto& d : o.destinations)
    if (std::find(nodes.begin(), nodes.end(), d.node) != nodes.end()) sum += d.volume;
  return sum;
}

bool buyer(const kb::Infrastructure& infra, const kb::Tie& tie) {
  for (const auto& d : tie.destinations) {
    const kb::InfraNode* n = infra.find_node(d);
    if (!n || n->country != tie.to) return false;
  }
  return !tie.destinations.empty();
}

// What j keeps on the network of the flow i controls: delivery to the destinations with i
// blocked over delivery without. nullopt when the network delivers nothing there even before the
// cut (it then says nothing about the tie, and "kept everything" would be wrong).
// The share kept on one network: delivered with i blocked over delivered without; nullopt when
// nothing is delivered without.
std::optional<double> share_kept(const kb::Infrastructure& infra, const network::Scenario& base,
                                 const kb::Tie& tie) {
  const std::int64_t b = delivered(network::solve(infra, base), tie.destinations);
  if (b <= 0) return std::nullopt;
  network::Scenario cut = base;
  cut.blocked = {tie.from};
  const std::int64_t a = delivered(network::solve(infra, cut), tie.destinations);
  return std::min(1.0, static_cast<double>(a) / static_cast<double>(b));
}

// The q-quantile of sorted values, linear between order statistics.
double quantile(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const std::size_t k = static_cast<std::size_t>(at);
  if (k + 1 >= sorted.size()) return sorted.back();
  return sorted[k] + (at - static_cast<double>(k)) * (sorted[k + 1] - sorted[k]);
}

std::optional<double> kept_on_network(const kb::Model& model, const kb::Tie& tie,
                                      const Filter& filter, Cell& cell) {
  network::Scenario base;
  base.year = tie.year;
  base.carrier = tie.carrier;
  base.cut = filter.cut;
  base.opened = filter.opened;
  // j's other supplies (nodes of kind "alternative") replace what j buys, not what j sells: they
  // count when every destination is j's own.
  base.alternatives = buyer(model.infrastructure, tie);
  const network::Outcome before = network::solve(model.infrastructure, base);
  const std::int64_t b = delivered(before, tie.destinations);
  std::string nodes;
  for (const auto& d : tie.destinations) nodes += (nodes.empty() ? "" : ", ") + d;
  if (!network_countries(model.infrastructure).contains(tie.from)) {
    cell.evidence.push_back({"network", 1.0, {}, fmt::format(
        "{} owns no node and crosses no link of the {} network: nothing is cut", tie.from, tie.carrier)});
    cell.kept_network = {1.0, 1.0, 1.0};
    return 1.0;
  }
  if (b <= 0) {
    cell.evidence.push_back({"network", 0.0, {}, fmt::format(
        "the {} network delivers nothing to {} in {} even before the cut: it cannot say what j "
        "keeps, so only the alternatives count", tie.carrier, nodes, tie.year)});
    return std::nullopt;
  }
  network::Scenario cut = base;
  cut.blocked = {tie.from};
  const network::Outcome after = network::solve(model.infrastructure, cut);
  const std::int64_t a = delivered(after, tie.destinations);
  const double kept = std::min(1.0, static_cast<double>(a) / static_cast<double>(b));
  // The same on networks drawn over the stated ranges: the spread the inputs allow.
  cell.kept_network = {kept, kept, kept};
  std::vector<double> draws;
  for (int k = 0; k < filter.network_draws; ++k) {
    const kb::Infrastructure drawn_infra =
        draw_network(model.infrastructure, filter.seed, static_cast<std::uint32_t>(k));
    if (const auto share = share_kept(drawn_infra, base, tie)) draws.push_back(*share);
  }
  std::string spread;
  if (!draws.empty()) {
    std::sort(draws.begin(), draws.end());
    cell.network_draws = static_cast<int>(draws.size());
    cell.kept_network.low = std::min(kept, quantile(draws, 0.05));
    cell.kept_network.high = std::max(kept, quantile(draws, 0.95));
    spread = fmt::format(
        "; over {} networks with capacities, route costs, supplies and demands drawn over their "
        "ranges ({} of {} delivered there before the cut): kept {:.2f} to {:.2f} (5th-95th "
        "percentile, min {:.2f}, max {:.2f})",
        filter.network_draws, draws.size(), filter.network_draws, quantile(draws, 0.05),
        quantile(draws, 0.95), draws.front(), draws.back());
  }
  cell.evidence.push_back(
      {"network", kept, {},
       fmt::format("{} {}: {} {} delivered to {}; {} with {} blocked (every link crossing it "
                   "closed, the rest rerouted: maximum delivery at least total link cost){}{}",
                   tie.carrier, tie.year, b, before.unit, nodes, a, tie.from,
                   base.alternatives
                       ? fmt::format("; alternative supplies fill in last (mcm/d drawn of the "
                                     "spare capacity: {})",
                                     alternative_names(after, model.infrastructure))
                       : "",
                   spread)});
  return kept;
}

Span span(const kb::TieValue& v) { return {v.value, v.low(), v.high()}; }

}  // namespace

kb::Infrastructure draw_network(const kb::Infrastructure& infra, std::uint64_t seed,
                                std::uint32_t draw) {
  kb::Infrastructure out = infra;
  Rng rng(seed, draw, 0, kNetworkDraws, 0);
  for (kb::InfraLink& l : out.links) {
    l.capacity = std::llround(drawn(static_cast<double>(l.capacity), l.provenance, rng));
    if (l.cost) l.cost->value = drawn(l.cost->value, l.cost->provenance, rng);
  }
  for (kb::InfraFlow& f : out.flows)
    f.value = std::llround(drawn(static_cast<double>(f.value), f.provenance, rng));
  return out;
}

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
    // Long run: the share kept, with its low and high ends.
    Span kept{0.0, 0.0, 0.0};
    Span network_kept{0.0, 0.0, 0.0};  // the part of `kept` that is rerouted on the network
    Span alt{0.0, 0.0, 0.0};
    if (c.physical) {
      if (kept_on_network(model, tie, filter, c)) network_kept = c.kept_network;
      else c.kept_network = {};
      if (tie.alternatives) {
        alt = span(*tie.alternatives);
        c.evidence.push_back({"alternatives", alt.value, tie.alternatives->provenance, ""});
      }
      // The alternatives cover a share of what the network leaves undelivered.
      auto combine = [](double n, double a) { return n + (1.0 - n) * a; };
      kept = {combine(network_kept.value, alt.value), combine(network_kept.low, alt.low),
              combine(network_kept.high, alt.high)};
    } else if (tie.substitution) {
      alt = span(*tie.substitution);  // what j replaces elsewhere, with nothing rerouted
      kept = alt;
      c.evidence.push_back({"substitution", kept.value, tie.substitution->provenance, ""});
    }
    c.kept = kept.value;
    c.kept_long = kept;
    c.evidence.push_back({"own cost (share of i's flow)", tie.own_cost.value,
                          tie.own_cost.provenance, ""});
    const kb::ActorGdp* gdp_i = model.ties.find_gdp(tie.from);
    const kb::ActorGdp* gdp_j = model.ties.find_gdp(tie.to);
    if (tie.at_stake && tie.own_loss && tie.kept_short && gdp_i && gdp_j) {
      c.common = true;
      const Span stake = span(*tie.at_stake), own = span(*tie.own_loss);
      c.kept_short = span(*tie.kept_short);
      const Span reroute = tie.reroute_cost ? span(*tie.reroute_cost) : Span{};
      const double yi = gdp_i->gdp.value, yj = gdp_j->gdp.value;
      c.evidence.push_back({"at stake (million US$ a year)", stake.value, tie.at_stake->provenance, ""});
      c.evidence.push_back({"kept before rerouting", c.kept_short.value, tie.kept_short->provenance, ""});
      if (tie.reroute_cost)
        c.evidence.push_back({"rerouting cost", reroute.value, tie.reroute_cost->provenance, ""});
      c.evidence.push_back({"own loss (million US$ a year)", own.value, tie.own_loss->provenance, ""});
      c.evidence.push_back({fmt::format("GDP of {} (million US$, {})", tie.from, gdp_i->year), yi,
                            gdp_i->gdp.provenance, ""});
      c.evidence.push_back({fmt::format("GDP of {} (million US$, {})", tie.to, gdp_j->year), yj,
                            gdp_j->gdp.provenance, ""});
      // j loses what is not kept and, on what the network reroutes, the rerouting cost. Low
      // loss: low stake, the most the alternatives cover, the cheapest rerouting; high loss:
      // the reverse; with the network's share at whichever end of its span gives the extreme
      // (more rerouting keeps more but pays more rerouting cost).
      auto long_loss = [&](double s, double n, double a, double r) {
        const double k = n + (1.0 - n) * a;
        return s * ((1.0 - k) + n * r) / yj;
      };
      c.loss_long = {
          long_loss(stake.value, network_kept.value, alt.value, reroute.value),
          std::min(long_loss(stake.low, network_kept.low, alt.high, reroute.low),
                   long_loss(stake.low, network_kept.high, alt.high, reroute.low)),
          std::max(long_loss(stake.high, network_kept.low, alt.low, reroute.high),
                   long_loss(stake.high, network_kept.high, alt.low, reroute.high))};
      c.loss_short = {stake.value * (1.0 - c.kept_short.value) / yj,
                      stake.low * (1.0 - c.kept_short.high) / yj,
                      stake.high * (1.0 - c.kept_short.low) / yj};
      c.cost = {own.value / yi, own.low / yi, own.high / yi};
      auto net = [&](const Span& loss) {
        return Span{loss.value - c.cost.value, loss.low - c.cost.high, loss.high - c.cost.low};
      };
      c.leverage_short = net(c.loss_short);
      c.leverage_long = net(c.loss_long);
      c.vulnerability = c.loss_long.value;
      c.own_cost = c.cost.value;
      c.leverage = c.leverage_long.value;
    } else {
      c.evidence.push_back({"common scale", 0.0, {}, !tie.at_stake
          ? "no money value for this channel in the sources: off the common scale, in no total"
          : fmt::format("no GDP for {} in ties.toml: off the common scale",
                        gdp_i ? tie.to : tie.from)});
    }
    cells.push_back(std::move(c));
  }
  return cells;
}

std::vector<PairTotal> totals(const std::vector<Cell>& cells) {
  std::map<std::pair<std::string, std::string>, PairTotal> by_pair;
  for (const Cell& c : cells) {
    if (!c.common) continue;
    PairTotal& t = by_pair[{c.from, c.to}];
    t.from = c.from;
    t.to = c.to;
    t.leverage += c.leverage_long.value;
    t.low += c.leverage_long.low;
    t.high += c.leverage_long.high;
    t.short_run += c.leverage_short.value;
    ++t.channels;
  }
  std::vector<PairTotal> out;
  for (auto& [key, t] : by_pair) {
    auto reverse = by_pair.find({t.to, t.from});
    t.net = t.leverage - (reverse == by_pair.end() ? 0.0 : reverse->second.leverage);
    out.push_back(t);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PairTotal& a, const PairTotal& b) { return a.leverage > b.leverage; });
  return out;
}

}  // namespace sphere::leverage

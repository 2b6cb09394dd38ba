// The leverage matrix on the built-in model: the common scale's arithmetic, the network's part in
// physical channels, ranges that hold the value, and totals that add cells of the same scale.
#include <cmath>

#include <gtest/gtest.h>

#include "leverage/leverage.h"

namespace sphere::leverage {
namespace {

const kb::Model& builtin() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

const Cell& find(const std::vector<Cell>& cells, const std::string& id) {
  for (const Cell& c : cells)
    if (c.tie == id) return c;
  throw std::runtime_error("no tie " + id);
}

const kb::Tie& tie(const std::string& id) {
  for (const kb::Tie& t : builtin().ties.ties)
    if (t.id == id) return t;
  throw std::runtime_error("no tie " + id);
}

double gdp(const std::string& actor) { return builtin().ties.find_gdp(actor)->gdp.value; }

TEST(Leverage, EveryCellFollowsItsDefinition) {
  auto cells = matrix(builtin(), {});
  ASSERT_EQ(cells.size(), builtin().ties.ties.size());
  for (const Cell& c : cells) {
    SCOPED_TRACE(c.tie);
    EXPECT_GE(c.kept, 0.0);
    EXPECT_LE(c.kept, 1.0);
    for (const Evidence& e : c.evidence)
      EXPECT_TRUE(!e.provenance.source.empty() || !e.note.empty()) << e.label;
    if (!c.common) {
      EXPECT_EQ(c.leverage, 0.0);
      continue;
    }
    const kb::Tie& t = tie(c.tie);
    // Both losses are shares of the loser's own GDP.
    EXPECT_DOUBLE_EQ(c.cost.value, t.own_loss->value / gdp(c.from));
    EXPECT_DOUBLE_EQ(c.loss_short.value,
                     t.at_stake->value * (1.0 - t.kept_short->value) / gdp(c.to));
    if (!t.reroute_cost) {
      EXPECT_DOUBLE_EQ(c.loss_long.value, t.at_stake->value * (1.0 - c.kept) / gdp(c.to));
    }
    EXPECT_DOUBLE_EQ(c.leverage, c.loss_long.value - c.cost.value);
    EXPECT_DOUBLE_EQ(c.leverage_short.value, c.loss_short.value - c.cost.value);
    for (const Span& s : {c.loss_short, c.loss_long, c.cost, c.leverage_short, c.leverage_long}) {
      EXPECT_LE(s.low, s.value + 1e-15);
      EXPECT_GE(s.high, s.value - 1e-15);
    }
  }
}

TEST(Leverage, CoversEveryChannelAndKeepsOffScaleChannelsOutOfTotals) {
  for (const char* channel : {"trade", "energy", "transit", "arms", "security", "diaspora"}) {
    Filter f;
    f.channel = channel;
    EXPECT_FALSE(matrix(builtin(), f).empty()) << channel;
  }
  Filter security;
  security.channel = "security";
  for (const Cell& c : matrix(builtin(), security)) EXPECT_FALSE(c.common) << c.tie;
  EXPECT_TRUE(totals(matrix(builtin(), security)).empty());
}

// A physical channel's long-run share kept comes from blocking i on the network, then the
// alternatives outside it cover part of the rest.
TEST(Leverage, PhysicalChannelsRerouteOnTheNetworkThenUseAlternatives) {
  auto cells = matrix(builtin(), {});
  const Cell& georgia = find(cells, "geo-aze-oil-transit-2024");
  EXPECT_TRUE(georgia.physical);
  // BTC crosses Georgia (Supsa idle, Novorossiysk halted): only the alternatives are kept.
  EXPECT_DOUBLE_EQ(georgia.kept, tie("geo-aze-oil-transit-2024").alternatives->value);
  const Cell& russia = find(cells, "rus-aze-oil-transit-2019");
  EXPECT_DOUBLE_EQ(russia.kept, 1.0);  // BTC had room for Novorossiysk's volume
  EXPECT_DOUBLE_EQ(russia.loss_long.value, 0.0);
  // The EU keeps a 7 per cent import share from its LNG terminals' and Norway's spare capacity.
  const Cell& eu = find(cells, "aze-eu-gas-2024");
  EXPECT_GE(eu.kept, 0.8);
  EXPECT_LT(eu.leverage, 0.0);  // cutting costs Azerbaijan far more of its GDP than the EU
}

// Issue 15's two wrong results: Azerbaijan's hold on Russia's western North-South route was 0
// because the network delivered nothing before the cut (read as "kept everything"), and
// Georgia's 0.95 over Azerbaijan came from an own cost of 0.05 on another denominator.
TEST(Leverage, NorthSouthRouteAndGeorgianTransitOnTheCommonScale) {
  auto cells = matrix(builtin(), {});
  const Cell& instc = find(cells, "aze-rus-instc-2025");
  ASSERT_TRUE(instc.common);
  // The Caspian and eastern branches can take the freight, but at a cost (S4: "much more complex
  // and expensive"): Russia's loss is the rerouting cost, not zero.
  EXPECT_GT(instc.loss_long.value, 0.0);
  EXPECT_DOUBLE_EQ(instc.loss_long.value,
                   tie("aze-rus-instc-2025").at_stake->value *
                       ((1.0 - instc.kept) + instc.kept * tie("aze-rus-instc-2025").reroute_cost->value) /
                       gdp("RUS"));
  EXPECT_GT(instc.leverage_long.high, 0.0);  // positive within the inputs' ranges
  const Cell& georgia = find(cells, "geo-aze-oil-transit-2024");
  ASSERT_TRUE(georgia.common);
  // Georgia's cost is its transit fees over Georgia's GDP; the low end of its leverage uses the
  // highest fees and the lowest loss.
  EXPECT_DOUBLE_EQ(georgia.cost.high, tie("geo-aze-oil-transit-2024").own_loss->high() / gdp("GEO"));
  EXPECT_LT(georgia.leverage_long.low, georgia.leverage_long.value);
  EXPECT_LT(georgia.leverage, 1.0);
}

// The EU's and Turkiye's other supplies are nodes of the network: cutting Azerbaijani gas, the
// buyer draws on their spare capacity, and closing them leaves only the ties' `alternatives`.
// A seller's tie (Azerbaijan's exports crossing Georgia) gains nothing from the buyers' options.
TEST(Leverage, BuyersReplaceACutFromTheirAlternativeNodes) {
  auto cells = matrix(builtin(), {});
  for (const char* id : {"aze-eu-gas-2024", "aze-tur-gas-2024"}) {
    SCOPED_TRACE(id);
    const Cell& c = find(cells, id);
    EXPECT_DOUBLE_EQ(c.kept, 1.0);  // 2022's spare LNG send-out alone exceeds the SGC's volume
    bool named = false;
    for (const Evidence& e : c.evidence)
      named |= e.label == "network" && e.note.find("spare") != std::string::npos;
    EXPECT_TRUE(named) << "the network evidence names the alternatives drawn on";
    // All of it is rerouted, so j's loss is the dearer gas: at stake x rerouting cost.
    EXPECT_DOUBLE_EQ(c.loss_long.value,
                     tie(id).at_stake->value * tie(id).reroute_cost->value / gdp(c.to));
  }
  Filter closed;
  closed.cut = {"norway-eu-entry", "eu-lng-sendout", "blue-stream-link", "turkstream-link",
                "tabriz-ankara", "turkey-lng-sendout"};
  auto without = matrix(builtin(), closed);
  for (const char* id : {"aze-eu-gas-2024", "aze-tur-gas-2024"}) {
    SCOPED_TRACE(id);
    EXPECT_DOUBLE_EQ(find(without, id).kept, tie(id).alternatives->value);
    EXPECT_GT(find(without, id).loss_long.value, find(cells, id).loss_long.value);
  }
  const Cell& transit = find(cells, "geo-aze-gas-transit-2024");
  EXPECT_DOUBLE_EQ(transit.kept, find(without, "geo-aze-gas-transit-2024").kept);
  EXPECT_LT(transit.kept, 0.5);
}

// The networks the spans are drawn on: each ranged capacity, route cost, supply and demand within
// its range, the unranged ones as stated, the same numbers for the same (seed, draw).
TEST(Leverage, DrawnNetworksStayInTheirRangesAndRepeat) {
  const kb::Infrastructure& infra = builtin().infrastructure;
  int moved = 0;
  for (std::uint32_t k = 0; k < 20; ++k) {
    const kb::Infrastructure a = draw_network(infra, 7, k), b = draw_network(infra, 7, k);
    ASSERT_EQ(a.links.size(), infra.links.size());
    for (std::size_t l = 0; l < infra.links.size(); ++l) {
      const kb::InfraLink& stated = infra.links[l];
      const kb::Provenance& p = stated.provenance;
      SCOPED_TRACE(stated.id);
      EXPECT_EQ(a.links[l].capacity, b.links[l].capacity);
      if (p.range_high > p.range_low) {
        EXPECT_GE(a.links[l].capacity, std::floor(p.range_low));
        EXPECT_LE(a.links[l].capacity, std::ceil(p.range_high));
        moved += a.links[l].capacity != stated.capacity;
      } else {
        EXPECT_EQ(a.links[l].capacity, stated.capacity);
      }
      if (stated.cost) {
        EXPECT_GE(a.links[l].cost->value, stated.cost->low());
        EXPECT_LE(a.links[l].cost->value, stated.cost->high());
        EXPECT_EQ(a.links[l].cost->value, b.links[l].cost->value);
      }
    }
    for (std::size_t f = 0; f < infra.flows.size(); ++f) {
      const kb::Provenance& p = infra.flows[f].provenance;
      if (p.range_high > p.range_low) {
        EXPECT_GE(a.flows[f].value, std::floor(p.range_low));
        EXPECT_LE(a.flows[f].value, std::ceil(p.range_high));
      } else {
        EXPECT_EQ(a.flows[f].value, infra.flows[f].value);
      }
    }
  }
  EXPECT_GT(moved, 20) << "ranged capacities were not drawn";
  const kb::Infrastructure seven = draw_network(infra, 7, 0), eight = draw_network(infra, 8, 0);
  int differ = 0;
  for (std::size_t l = 0; l < infra.links.size(); ++l)
    differ += seven.links[l].capacity != eight.links[l].capacity;
  EXPECT_GT(differ, 0) << "another seed drew the same network";
}

// Drawing the network leaves every value as the stated network gives it and widens (never
// narrows) the long-run spans; the ends repeat exactly for the same seed.
TEST(Leverage, NetworkRangesWidenTheLongRunSpansOnly) {
  Filter stated;
  stated.network_draws = 0;
  const auto plain = matrix(builtin(), stated);
  const auto drawn = matrix(builtin(), {});
  const auto again = matrix(builtin(), {});
  ASSERT_EQ(plain.size(), drawn.size());
  int wider = 0;
  for (std::size_t k = 0; k < plain.size(); ++k) {
    const Cell &p = plain[k], &d = drawn[k];
    SCOPED_TRACE(d.tie);
    EXPECT_EQ(p.kept, d.kept);
    EXPECT_EQ(p.leverage, d.leverage);
    EXPECT_EQ(p.kept_network.low, p.kept_network.high);
    EXPECT_LE(d.kept_network.low, d.kept_network.value);
    EXPECT_GE(d.kept_network.high, d.kept_network.value);
    EXPECT_LE(d.kept_long.low, d.kept);
    EXPECT_GE(d.kept_long.high, d.kept);
    EXPECT_LE(d.loss_long.low, p.loss_long.low + 1e-15);
    EXPECT_GE(d.loss_long.high, p.loss_long.high - 1e-15);
    EXPECT_EQ(d.loss_long.low, again[k].loss_long.low);
    EXPECT_EQ(d.loss_long.high, again[k].loss_long.high);
    if (d.physical && d.kept_network.high > d.kept_network.low) {
      ++wider;
      EXPECT_GT(d.network_draws, 0);
      bool said = false;
      for (const Evidence& e : d.evidence)
        said |= e.label == "network" && e.note.find("5th-95th percentile") != std::string::npos;
      EXPECT_TRUE(said) << "the network evidence reports the spread";
    }
  }
  EXPECT_GT(wider, 0) << "no physical tie's share kept depends on a ranged input";
}

TEST(Leverage, FiltersAndTotals) {
  Filter f;
  f.actor = "ARM";
  auto cells = matrix(builtin(), f);
  ASSERT_FALSE(cells.empty());
  for (const Cell& c : cells) EXPECT_TRUE(c.from == "ARM" || c.to == "ARM");
  auto all = matrix(builtin(), {});
  auto sums = totals(all);
  double total = 0.0, per_cell = 0.0;
  for (const auto& t : sums) total += t.leverage;
  for (const auto& c : all) per_cell += c.common ? c.leverage : 0.0;
  EXPECT_NEAR(total, per_cell, 1e-12);
  for (std::size_t i = 1; i < sums.size(); ++i) EXPECT_GE(sums[i - 1].leverage, sums[i].leverage);
  for (const auto& t : sums) {
    const auto reverse = std::find_if(sums.begin(), sums.end(), [&](const PairTotal& r) {
      return r.from == t.to && r.to == t.from;
    });
    EXPECT_DOUBLE_EQ(t.net, t.leverage - (reverse == sums.end() ? 0.0 : reverse->leverage));
  }
}

}  // namespace
}  // namespace sphere::leverage

// The leverage matrix on the built-in model: its arithmetic, the network's part in physical
// channels, and the filters.
#include <gtest/gtest.h>

#include "leverage/leverage.h"

namespace sphere::leverage {
namespace {

const kb::Model& builtin() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

TEST(Leverage, EveryCellFollowsItsDefinition) {
  auto cells = matrix(builtin(), {});
  ASSERT_EQ(cells.size(), builtin().ties.ties.size());
  for (const Cell& c : cells) {
    SCOPED_TRACE(c.tie);
    EXPECT_DOUBLE_EQ(c.vulnerability, c.sensitivity * (1.0 - c.kept));
    EXPECT_DOUBLE_EQ(c.leverage, c.vulnerability - c.own_cost);
    EXPECT_GE(c.kept, 0.0);
    EXPECT_LE(c.kept, 1.0);
    // Every number read from ties.toml carries its source; computed ones say how.
    for (const Evidence& e : c.evidence)
      EXPECT_TRUE(!e.provenance.source.empty() || !e.note.empty()) << e.label;
  }
}

TEST(Leverage, CoversEveryChannel) {
  for (const char* channel : {"trade", "energy", "transit", "arms", "security", "diaspora"}) {
    Filter f;
    f.channel = channel;
    EXPECT_FALSE(matrix(builtin(), f).empty()) << channel;
  }
}

// A physical channel's vulnerability comes from blocking i on the network: where i's territory
// carries every route, j keeps nothing; where a route around i has room, j keeps everything.
TEST(Leverage, PhysicalChannelsRerouteOnTheNetwork) {
  auto cells = matrix(builtin(), {});
  auto find = [&](const std::string& id) -> const Cell& {
    for (const Cell& c : cells)
      if (c.tie == id) return c;
    throw std::runtime_error("no tie " + id);
  };
  const Cell& georgia = find("geo-aze-oil-transit-2024");
  EXPECT_TRUE(georgia.physical);
  EXPECT_DOUBLE_EQ(georgia.kept, 0.0);  // BTC crosses Georgia; Supsa idle, Novorossiysk halted
  const Cell& russia = find("rus-aze-oil-transit-2019");
  EXPECT_DOUBLE_EQ(russia.kept, 1.0);  // BTC had room for Novorossiysk's volume
  EXPECT_DOUBLE_EQ(russia.vulnerability, 0.0);
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
  for (const auto& c : all) per_cell += c.leverage;
  EXPECT_NEAR(total, per_cell, 1e-12);
  for (std::size_t i = 1; i < sums.size(); ++i) EXPECT_GE(sums[i - 1].leverage, sums[i].leverage);
}

}  // namespace
}  // namespace sphere::leverage

// Observed flows: the IEA monthly data read and averaged, and the built-in network's gas flows at
// the Southern Gas Corridor's border points checked against them.
#include <fstream>
#include <map>

#include "network/network.h"
#include "testing.h"

namespace sphere::network {
namespace {

std::filesystem::path iea() {
  return sphere::testing::shared_dir() / "data/infrastructure/iea-gas-trade-flows/gtf_long.csv";
}

TEST(Observed, AveragesTheMonthsReported) {
  sphere::testing::TempDir dir;
  const auto path = dir.path() / "gtf.csv";
  std::ofstream(path) << "borderpoint,exit,entry,maxflow_mcm_per_h,month,flow\n"
                      << "Kipi,Republic of Türkiye,Greece,1.4,2021-01,310\n"
                      << "Kipi,Republic of Türkiye,Greece,1.4,2021-02,280\n"
                      << "Kipi,Greece,Republic of Türkiye,1.4,2021-02,99\n"  // other direction
                      << "Kipi,Republic of Türkiye,Greece,1.4,2022-03,\n";   // not reported
  const auto flows = read_iea_flows(path, southern_gas_corridor_points());
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].destinations, (std::vector<std::string>{"eu", "greece-itg"}));
  EXPECT_EQ(flows[0].year, 2021);
  EXPECT_EQ(flows[0].days, 31 + 28);
  EXPECT_DOUBLE_EQ(flows[0].mean_mcm_per_day, 590.0 / 59.0);
}

TEST(Observed, BadCellNamesFileLineAndField) {
  sphere::testing::TempDir dir;
  const auto path = dir.path() / "gtf.csv";
  std::ofstream(path) << "borderpoint,exit,entry,maxflow_mcm_per_h,month,flow\n"
                      << "Kipi,Republic of Türkiye,Greece,1.4,2021-01,lots\n";
  try {
    read_iea_flows(path, southern_gas_corridor_points());
    FAIL() << "read a flow of 'lots'";
  } catch (const InputError& e) {
    const auto& d = e.diagnostics().items().at(0);
    EXPECT_EQ(d.line, 2);
    EXPECT_EQ(d.field, "flow");
  }
  std::ofstream(path) << "borderpoint,exit,entry,month\nKipi,a,b,2021-01\n";
  try {
    read_iea_flows(path, southern_gas_corridor_points());
    FAIL() << "read a file without the flow column";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items().at(0).field, "flow");
  }
}

// The years where both the IEA data (to 2022-09) and the network's supplies and demands (from
// 2019) exist. Türkgözü is Azerbaijani gas for Türkiye (below Kipi in 2021-2022, so TANAP's
// transit to Europe is not in it) and matches the Turkish offtake in all four years; Kipi matches
// SGC gas to Europe from 2021, and before TAP (2020-11) the interconnector's contract volume,
// which is set from the flows of 2009-2018 only, so 2019-2020 are out of its sample.
TEST(Observed, BuiltInNetworkReproducesTheIeaFlows) {
  SPHERE_REQUIRE_SHARED("data/infrastructure/iea-gas-trade-flows/gtf_long.csv");
  const kb::Model model = kb::load_builtin_model();
  const auto checks =
      check_flows(model.infrastructure, read_iea_flows(iea(), southern_gas_corridor_points()), 0.15);
  std::map<std::pair<std::string, int>, const FlowCheck*> by;
  for (const auto& c : checks) {
    by[{c.observed.point, c.observed.year}] = &c;
    if (c.observed.year < 2019) {
      EXPECT_FALSE(c.network_has_flows) << c.observed.year;
    }
  }
  for (auto [point, year] : {std::pair{"Turkgozu", 2019}, {"Turkgozu", 2020}, {"Turkgozu", 2021},
                             {"Turkgozu", 2022}, {"Kipi", 2019}, {"Kipi", 2020}, {"Kipi", 2021},
                             {"Kipi", 2022}}) {
    SCOPED_TRACE(std::string(point) + " " + std::to_string(year));
    const FlowCheck* c = by.at({point, year});
    EXPECT_TRUE(c->network_has_flows);
    EXPECT_TRUE(c->agrees) << "observed " << c->observed.mean_mcm_per_day << " mcm/d, modelled "
                           << c->modelled;
  }
  for (int year : {2019, 2020}) {
    // The contract volume, not the interconnector's 30 mcm/d, nor TAP (not yet running).
    const FlowCheck& kipi = *by.at({"Kipi", year});
    EXPECT_GT(kipi.modelled, 0.0);
    EXPECT_LT(kipi.observed.mean_mcm_per_day, 3.0);
    EXPECT_LE(kipi.modelled, 2.0);
  }
  // The IEA's Türkgözü is below Kipi once TAP runs: it cannot hold the gas in transit to Europe.
  for (int year : {2021, 2022})
    EXPECT_LT(by.at({"Turkgozu", year})->observed.total_mcm, by.at({"Kipi", year})->observed.total_mcm);
}

}  // namespace
}  // namespace sphere::network

// The network what-if as both front ends run it.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"

namespace sphere::service {
namespace {

const kb::Model& builtin() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

Diagnostic first_problem(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.diagnostics().items().at(0);
  }
  return {"accepted", 0, "", ""};
}

TEST(WhatIf, CuttingALinkSolvesBeforeAndAfter) {
  const auto& infra = builtin().infrastructure;
  const WhatIfResult r = what_if(infra, what_if_request("gas", {"scp-east"}));
  EXPECT_TRUE(r.changed());
  EXPECT_LT(r.after.delivered, r.before.delivered);
  const WhatIfResult none = what_if(infra, {});
  EXPECT_FALSE(none.changed());
  EXPECT_EQ(none.before.delivered, none.after.delivered);
  const nlohmann::json j = to_json(infra, r);
  EXPECT_EQ(j["cut"], nlohmann::json::array({"scp-east"}));
  EXPECT_EQ(j["before"]["delivered"], r.before.delivered);
  EXPECT_EQ(j["after"]["delivered"], r.after.delivered);
  EXPECT_FALSE(j["rerouted"].empty());
  std::int64_t delivered = 0;
  for (const auto& c : j["changes_by_country"]) delivered += c["delivered"].get<std::int64_t>();
  EXPECT_EQ(delivered, r.after.delivered - r.before.delivered);
}

TEST(WhatIf, AMistypedLinkIsNamedWithTheClosestId) {
  const Diagnostic d = first_problem([] { what_if(builtin().infrastructure, what_if_request("gas", {"scp-eats"})); });
  EXPECT_EQ(d.file, kRequest);
  EXPECT_EQ(d.field, "cut");
  EXPECT_EQ(d.message, "unknown link 'scp-eats'; did you mean 'scp-east'?");
  const Diagnostic o = first_problem(
      [] { what_if(builtin().infrastructure, what_if_request("gas", {}, {}, {{"RASHT-ASTARA", Date{2025, 1, 0}}})); });
  EXPECT_EQ(o.field, "opened");
  EXPECT_NE(o.message.find("did you mean 'rasht-astara'?"), std::string::npos) << o.message;
  const Diagnostic c = first_problem([] { what_if(builtin().infrastructure, what_if_request("gsa")); });
  EXPECT_EQ(c.field, "carrier");
  EXPECT_NE(c.message.find("did you mean 'gas'?"), std::string::npos) << c.message;
}

TEST(WhatIf, ALinkOfAnotherCarrierOrOpeningAfterTheYearIsRefused) {
  EXPECT_EQ(first_problem([] { what_if(builtin().infrastructure, what_if_request("gas", {"btc"})); }).field,
            "cut");
  const Diagnostic late = first_problem([] {
    what_if(builtin().infrastructure,
            what_if_request("freight", {}, {}, {{"rasht-astara", Date{2028, 1, 0}}}));
  });
  EXPECT_EQ(late.field, "opened");
  EXPECT_NE(late.message.find("2028"), std::string::npos) << late.message;
}

TEST(WhatIf, OpeningsParseOnceWithOrWithoutAMonth) {
  EXPECT_EQ(parse_opened("tripp@2028-03", std::nullopt), std::make_pair(std::string("tripp"), Date{2028, 3, 0}));
  EXPECT_EQ(parse_opened("tripp", 2027), std::make_pair(std::string("tripp"), Date{2027, 1, 0}));
  for (const char* bad : {"tripp", "@2028-01", "tripp@2028", "tripp@2028-13"}) {
    const Diagnostic d = first_problem([&] { parse_opened(bad, std::nullopt, "open"); });
    EXPECT_EQ(d.file, kRequest) << bad;
    EXPECT_EQ(d.field, "open") << bad;
  }
}

TEST(WhatIf, AnIdleChangeIsExplained) {
  const auto& infra = builtin().infrastructure;
  // A link that carries nothing in the base case changes nothing when cut.
  const WhatIfResult base = what_if(infra, {});
  std::string idle;
  for (const auto& l : base.before.links)
    if (l.flow == 0 && l.capacity > 0) idle = l.link;
  ASSERT_FALSE(idle.empty());
  const WhatIfResult r = what_if(infra, what_if_request("gas", {idle}));
  const auto why = idle_changes(infra, r.scenario, r.before);
  ASSERT_EQ(why.size(), 1u);
  EXPECT_NE(why[0].find(idle), std::string::npos);
  EXPECT_TRUE(rerouted(r.before, r.after).empty());
}

// One rule for a link's state in a year: the one the network solves by.
TEST(Links, StateInAYearIsTheNetworksCapacity) {
  int differing_years = 0;
  std::map<std::string, std::set<std::string>> statuses;
  for (int year = 1990; year <= 2035; ++year) {
    const LinksResult r = network_links(builtin(), {year, ""});
    EXPECT_EQ(r.year, year);
    ASSERT_EQ(r.links.size(), builtin().infrastructure.links.size());
    for (const auto& [l, state] : r.links) {
      network::Scenario s;
      s.year = year;
      s.carrier = l->carrier;
      EXPECT_EQ(state.operating_capacity(), network::capacity_at(*l, s)) << l->id << " " << year;
      if (state.since) {
        EXPECT_LE(state.since->year, year) << l->id;
      }
      statuses[l->id].insert(state.status);
    }
  }
  for (const auto& [id, seen] : statuses) differing_years += seen.size() > 1;
  EXPECT_GT(differing_years, 0) << "no link changes state: the test cannot tell the rules apart";
}

TEST(Links, OneCarrierAndTheEncoding) {
  const LinksResult gas = network_links(builtin(), {0, "gas"});
  EXPECT_EQ(gas.year, builtin().view.year);  // the model's view by default
  ASSERT_FALSE(gas.links.empty());
  for (const auto& [l, state] : gas.links) EXPECT_EQ(l->carrier, "gas");
  const nlohmann::json j = to_json(builtin(), gas);
  EXPECT_EQ(j["links"].size(), gas.links.size());
  EXPECT_EQ(j["nodes"].size(), builtin().infrastructure.nodes.size());
  EXPECT_EQ(j["links"][0]["capacity_now"], gas.links[0].second.operating_capacity());
  EXPECT_EQ(first_problem([] { network_links(builtin(), {0, "gsa"}); }).field, "carrier");
}

}  // namespace
}  // namespace sphere::service

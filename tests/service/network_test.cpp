// The network what-if as both front ends run it.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"
#include "testing.h"

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
  const WhatIfResult r = what_if(builtin(), what_if_request("gas", {"scp-east"}));
  EXPECT_TRUE(r.changed());
  EXPECT_LT(r.after.delivered, r.before.delivered);
  const WhatIfResult none = what_if(builtin(), {});
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
  const Diagnostic d = first_problem([] { what_if(builtin(), what_if_request("gas", {"scp-eats"})); });
  EXPECT_EQ(d.file, kRequest);
  EXPECT_EQ(d.field, "cut");
  EXPECT_EQ(d.message, "unknown link 'scp-eats'; did you mean 'scp-east'?");
  const Diagnostic o = first_problem(
      [] { what_if(builtin(), what_if_request("gas", {}, {}, {{"RASHT-ASTARA", Date{2025, 1, 0}}})); });
  EXPECT_EQ(o.field, "opened");
  EXPECT_NE(o.message.find("did you mean 'rasht-astara'?"), std::string::npos) << o.message;
  const Diagnostic c = first_problem([] { what_if(builtin(), what_if_request("gsa")); });
  EXPECT_EQ(c.field, "carrier");
  EXPECT_NE(c.message.find("did you mean 'gas'?"), std::string::npos) << c.message;
}

TEST(WhatIf, ALinkOfAnotherCarrierOrOpeningAfterTheYearIsRefused) {
  EXPECT_EQ(first_problem([] { what_if(builtin(), what_if_request("gas", {"btc"})); }).field,
            "cut");
  const Diagnostic late = first_problem([] {
    what_if(builtin(),
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
  const WhatIfResult base = what_if(builtin(), {});
  std::string idle;
  for (const auto& l : base.before.links)
    if (l.flow == 0 && l.capacity > 0) idle = l.link;
  ASSERT_FALSE(idle.empty());
  const WhatIfResult r = what_if(builtin(), what_if_request("gas", {idle}));
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

// A request that gives no year asks about the model's [view] year, whichever use case it is.
TEST(NetworkYear, ZeroIsTheModelsViewYear) {
  kb::Model model = builtin();
  EXPECT_EQ(network_year(model, 2031), 2031);
  EXPECT_EQ(network_year(model, 0), model.view.year);
  model.view.year = 2028;  // another model's view
  EXPECT_EQ(what_if(model, what_if_request("freight", {}, {}, {}, 0)).scenario.year, 2028);
  EXPECT_EQ(network_links(model, {0, "oil"}).year, 2028);
  EXPECT_EQ(n_minus_1(model, {"GEO", 0}).year, 2028);
  const WhatIfResult implicit = what_if(model, what_if_request("freight", {}, {}, {}, 0));
  const WhatIfResult explicit_year = what_if(model, what_if_request("freight", {}, {}, {}, 2028));
  EXPECT_EQ(encode(to_json(model.infrastructure, implicit)),
            encode(to_json(model.infrastructure, explicit_year)));
  model.view.year = 0;  // a model whose view gives no year: the request must
  EXPECT_EQ(first_problem([&] { what_if(model, what_if_request("gas", {}, {}, {}, 0)); }).field,
            "year");
}

ContingencyRequest contingency_request(int k, int threads, std::size_t top = 20) {
  ContingencyRequest r;
  r.k = k;
  r.threads = threads;
  r.top = top;
  return r;
}

TEST(Contingency, TheRankingIsTheSameOnAnyThreadCountAndEncodedWithNames) {
  const ContingencySweep one = contingency(&builtin(), contingency_request(2, 1, 10));
  const ContingencySweep two = contingency(&builtin(), contingency_request(2, 2, 10));
  EXPECT_EQ(one.unit, "mcm/d");
  EXPECT_EQ(one.threads, 1);
  EXPECT_EQ(two.threads, 2);
  const std::size_t m = one.elements.size();
  ASSERT_GT(m, 2u);
  EXPECT_EQ(one.result.scenarios, m * (m - 1) / 2);
  ASSERT_EQ(one.result.worst.size(), 10u);
  nlohmann::json a = to_json(one), b = to_json(two);
  for (auto* j : {&a, &b})
    for (const char* timing : {"seconds", "cpu_seconds", "threads"}) j->erase(timing);
  EXPECT_EQ(encode(a), encode(b));
  const auto& worst = one.result.worst[0];
  EXPECT_EQ(a["worst"][0]["lost"], worst.lost);
  EXPECT_EQ(a["worst"][0]["delivered"], one.result.base - worst.lost);
  EXPECT_EQ(failed_links(one, worst), a["worst"][0]["failed"][0].get<std::string>() + " + " +
                                          a["worst"][0]["failed"][1].get<std::string>());
  // The worst first.
  for (std::size_t i = 1; i < one.result.worst.size(); ++i)
    EXPECT_GE(one.result.worst[i - 1].lost, one.result.worst[i].lost);
}

TEST(Contingency, TheYearAndCarrierChooseTheNetwork) {
  ContingencyRequest r = contingency_request(1, 1);
  r.carrier = "freight";
  r.year = 2028;
  const ContingencySweep freight = contingency(&builtin(), r);
  EXPECT_EQ(freight.unit, "kt/y");
  r.year = 2010;
  // A later year's network has links an earlier one lacks (several opened in between).
  EXPECT_LT(contingency(&builtin(), r).elements.size(), freight.elements.size());
  r.carrier = "water";
  EXPECT_EQ(field_of([&] { contingency(&builtin(), r); }), "carrier");
  r.carrier = "gas";
  r.year = 1800;
  EXPECT_EQ(field_of([&] { contingency(&builtin(), r); }), "year");
  r.year = 0;
  r.k = 4;
  EXPECT_EQ(field_of([&] { contingency(&builtin(), r); }), "k");
}

TEST(Contingency, ADimacsFileIsSweptWithoutAModel) {
  const auto file = std::filesystem::temp_directory_path() / "service_contingency_test.dimacs";
  std::ofstream(file) << "p max 4 5\nn 1 s\nn 4 t\na 1 2 4\na 1 3 2\na 2 3 1\na 2 4 3\na 3 4 5\n";
  ContingencyRequest r = contingency_request(1, 1);
  r.dimacs = file.string();
  const ContingencySweep sweep = contingency(nullptr, r);
  std::filesystem::remove(file);
  EXPECT_EQ(sweep.unit, "units");
  ASSERT_EQ(sweep.elements.size(), 5u);
  EXPECT_EQ(sweep.elements[0].name, "arc1");
  EXPECT_EQ(sweep.result.base, 6);  // min cut {1->2, 1->3}: 4 + 2
  ASSERT_FALSE(sweep.result.worst.empty());
  EXPECT_EQ(failed_links(sweep, sweep.result.worst[0]), "arc1");  // 4 of 6 lost
  EXPECT_EQ(sweep.result.worst[0].lost, 4);
}

TEST(N1, TheViewsAreaByDefaultAndTheEncoding) {
  const N1Result geo = n_minus_1(builtin(), {});
  EXPECT_EQ(geo.n1.area, builtin().view.area);
  EXPECT_EQ(geo.year, builtin().view.year);
  const nlohmann::json j = to_json(geo);
  EXPECT_EQ(j["area"], geo.n1.area);
  EXPECT_EQ(j["Dmax"], geo.n1.dmax);
  EXPECT_EQ(j["n1_percent"], geo.n1.formula);
  EXPECT_EQ(j["unit"], "mcm/d");
  // The formula's terms give its value.
  EXPECT_NEAR(geo.n1.formula,
              100.0 * static_cast<double>(geo.n1.epm + geo.n1.pm + geo.n1.sm + geo.n1.lngm - geo.n1.im) /
                  static_cast<double>(geo.n1.dmax),
              1e-9);
  EXPECT_EQ(field_of([] { n_minus_1(builtin(), {"XYZ", 0}); }), "area");
  kb::Model no_area = builtin();
  no_area.view.area.clear();
  EXPECT_EQ(field_of([&] { n_minus_1(no_area, {}); }), "area");
}

TEST(FlowValidation, ObservedAgainstModelledWithVerdictsAndTheEncoding) {
  sphere::testing::TempDir dir;
  const auto path = dir.path() / "gtf.csv";
  // Kipi in 2021 at two daily means the built-in network cannot both match, and a year before
  // the network's supplies.
  std::ofstream(path) << "borderpoint,exit,entry,maxflow_mcm_per_h,month,flow\n"
                      << "Kipi,Republic of Türkiye,Greece,1.4,2021-01,310\n"
                      << "Kipi,Republic of Türkiye,Greece,1.4,2010-01,31\n";
  const FlowValidation v = validate_flows(builtin(), {path.string(), 0.15});
  ASSERT_EQ(v.checks.size(), 2u);
  std::map<int, const network::FlowCheck*> by_year;
  for (const auto& c : v.checks) by_year[c.observed.year] = &c;
  const network::FlowCheck& y2021 = *by_year.at(2021);
  EXPECT_TRUE(y2021.network_has_flows);
  EXPECT_DOUBLE_EQ(y2021.observed.mean_mcm_per_day, 10.0);
  EXPECT_EQ(verdict(y2021), y2021.agrees ? "agrees"
                            : y2021.modelled > 10.0 ? "model too high" : "model too low");
  EXPECT_EQ(verdict(*by_year.at(2010)), "no supply or demand in the network this year");
  const nlohmann::json j = to_json(v);
  EXPECT_EQ(j["tolerance"], 0.15);
  ASSERT_EQ(j["checks"].size(), 2u);
  EXPECT_EQ(j["checks"][0]["verdict"], verdict(v.checks[0]));
  EXPECT_EQ(j["checks"][0]["observed_days"], v.checks[0].observed.days);
  EXPECT_EQ(field_of([&] { validate_flows(builtin(), {path.string(), 1.5}); }), "tolerance");
  const std::string missing = (dir.path() / "none.csv").string();
  EXPECT_EQ(field_of([&] { validate_flows(builtin(), {missing, 0.1}); }), "file " + missing);
}

}  // namespace
}  // namespace sphere::service

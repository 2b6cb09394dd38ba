// The engine's calibrated state as JSON (sphere replay --calibration; bench/sim).
#include <nlohmann/json.hpp>

#include "sim/sim.h"

namespace sphere::sim {

std::string Engine::calibration_json() const {
  using nlohmann::json;
  json pools = json::array();
  for (const auto& pool : dyad_pools_) pools.push_back(pool);
  json empirical = json::array();
  for (const auto& pool : empirical_) empirical.push_back(pool);
  json tools = json::array();
  for (const auto& t : tools_)
    tools.push_back({{"name", t.name}, {"cameo", t.cameo}, {"goldstein", t.goldstein},
                     {"gain", t.gain}, {"cost", t.cost}, {"coercive", t.coercive}});
  json shocks = json::array();
  for (const auto& s : shocks_)
    if (s.kind == ShockKind::kEvent)
      shocks.push_back({{"month", s.month}, {"from", s.from}, {"to", s.to}, {"cameo", s.cameo},
                        {"goldstein", s.goldstein}});
  json settle = json::array();
  for (const auto& issue : settle_) {
    json players = json::array();
    for (const auto& p : issue.players)
      players.push_back({p.capability, p.position, p.salience});
    // Each input's [low, stated, high], for runs that draw them (settle_inputs = "sampled").
    json ranges = json::array();
    auto range = [](const kb::IssueValue& v) { return json::array({v.low(), v.value, v.high()}); };
    for (const auto& p : issue.issue.positions)
      ranges.push_back({range(p.position), range(p.salience), range(p.influence)});
    settle.push_back({{"id", issue.issue.id}, {"players", players}, {"ranges", ranges},
                      {"status_quo_range", range(issue.issue.status_quo)}, {"a", issue.a},
                      {"b", issue.b}, {"status_quo", issue.status_quo}});
  }
  const json j = {
      {"actors", actors_}, {"n", n_}, {"dyads", dyads_}, {"start", start_},
      {"months", months()}, {"a", a_}, {"b", b_}, {"gas_seller", gs_}, {"gas_buyer", gb_},
      {"theta", theta_}, {"kappa", kappa_}, {"beta", beta_}, {"baseline", baseline_},
      {"mu", intensity_.mu}, {"alpha", intensity_.alpha}, {"decay", intensity_.decay},
      {"dyad_pools", pools}, {"class_pools", empirical}, {"tools", tools}, {"rho", rho_},
      {"hostility", hostility_}, {"retaliation", retaliation_}, {"block_months", block_months_},
      {"block_cut", block_cut_}, {"leverage_ab", lev0_ab_}, {"leverage_ba", lev0_ba_},
      {"leverage_ab_by_month", lev_ab_month_}, {"leverage_ba_by_month", lev_ba_month_},
      {"trade0", trade0_}, {"trade_elasticity", trade_el_}, {"gas_start", gas_start_},
      {"gas_target", gas_target_}, {"gas_ramp", gas_ramp_}, {"gas_elasticity", gas_el_},
      {"R0", R0_}, {"H0", H0_}, {"R_ring0", R_ring0_}, {"force_ring0", force_ring0_},
      {"rel_ring0", rel_ring0_}, {"rel0", rel0_}, {"gas_rel0", gas_rel0_}, {"shocks", shocks},
      {"gas_cap", gas_cap_}, {"gas_cap0", gas_cap0_}, {"settle", settle}, {"bargaining", bargaining_},
      {"settle_inputs", sample_issue_inputs_ ? "sampled" : "stated"},
      {"settle_every", settle_every_}, {"leverage_weight", leverage_weight_}};
  return j.dump();
}

}  // namespace sphere::sim

// JSON forms of computed results, one per result, shared by the CLI's --json and the HTTP API so
// that both state the same numbers under the same names (docs/openapi.yaml).
#pragma once

#include <nlohmann/json.hpp>

#include "leverage/leverage.h"
#include "network/network.h"

namespace sphere::app {

// A network state: unit, delivered, demand, destinations, supplies, links, bottlenecks, countries.
nlohmann::json outcome_json(const network::Outcome& outcome);
// A what-if: the scenario, the state before and after, the change per country, the links whose
// flow changed (re-routing) and, for each cut, block or open that changes nothing, why.
nlohmann::json what_if_json(const kb::Infrastructure& infra, const network::Scenario& scenario,
                            const network::Outcome& before, const network::Outcome& after);
// Links whose routed flow differs between two states of the same carrier, in file order.
struct Rerouted {
  std::string link;
  std::int64_t before = 0, after = 0, capacity = 0;
};
std::vector<Rerouted> rerouted(const network::Outcome& before, const network::Outcome& after);
// Why a cut, block or open of the scenario changes nothing, one line each (empty: all act).
std::vector<std::string> idle_changes(const kb::Infrastructure& infra,
                                      const network::Scenario& scenario,
                                      const network::Outcome& before);
// Checks a what-if beyond network::validate: every link cut or opened belongs to the scenario's
// carrier (one of another carrier cannot change it) and every opening falls within the year.
// Throws InputError naming the option (--cut, --open) and saying what would work.
void check_what_if(const kb::Infrastructure& infra, const network::Scenario& scenario);

// A leverage matrix: cells (with evidence when `evidence`) and the sums over channels ("pairs").
nlohmann::json leverage_json(const std::vector<leverage::Cell>& cells, bool evidence);

}  // namespace sphere::app

// JSON forms of results shared by the CLI and the HTTP API (app/results.h), and the explanations
// a what-if gives when one of its changes does nothing.
#include "app/results.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "app/app.h"

namespace sphere::app {

nlohmann::json outcome_json(const network::Outcome& o) {
  nlohmann::json j = {{"unit", o.unit},
                      {"delivered", o.delivered},
                      {"demand", o.demand},
                      {"destinations", nlohmann::json::array()},
                      {"supplies", nlohmann::json::array()},
                      {"links", nlohmann::json::array()},
                      {"bottlenecks", o.bottlenecks},
                      {"countries", nlohmann::json::array()}};
  for (const auto& d : o.destinations)
    j["destinations"].push_back({{"node", d.node}, {"country", d.country}, {"demand", d.target},
                                 {"delivered", d.volume}});
  for (const auto& s : o.supplies)
    j["supplies"].push_back({{"node", s.node}, {"country", s.country}, {"supply", s.target},
                             {"sent", s.volume}});
  for (const auto& l : o.links)
    j["links"].push_back({{"link", l.link}, {"capacity", l.capacity}, {"flow", l.flow},
                          {"saturated", l.saturated}});
  for (const auto& c : o.countries)
    j["countries"].push_back({{"country", c.country}, {"delivered", c.delivered},
                              {"supplied", c.supplied}, {"transit", c.transit}});
  return j;
}

std::vector<Rerouted> rerouted(const network::Outcome& before, const network::Outcome& after) {
  std::map<std::string, std::int64_t> was;
  for (const auto& l : before.links) was[l.link] = l.flow;
  std::vector<Rerouted> out;
  for (const auto& l : after.links)
    if (l.flow != was[l.link]) out.push_back({l.link, was[l.link], l.flow, l.capacity});
  return out;
}

std::vector<std::string> idle_changes(const kb::Infrastructure& infra,
                                      const network::Scenario& s,
                                      const network::Outcome& before) {
  std::map<std::string, std::int64_t> flow;
  for (const auto& l : before.links) flow[l.link] = l.flow;
  network::Scenario base;
  base.year = s.year;
  base.carrier = s.carrier;
  std::vector<std::string> why;
  for (const auto& id : s.cut) {
    const kb::InfraLink* link = infra.find_link(id);
    if (!link || link->carrier != s.carrier) continue;  // refused before solving
    if (network::capacity_at(*link, base) == 0)
      why.push_back(fmt::format("cutting {} changes nothing: it is not operating at the end of {}",
                                id, s.year));
    else if (flow[id] == 0)
      why.push_back(fmt::format("cutting {} changes nothing: it carries no flow in {} (the other "
                                "routes meet the demand)", id, s.year));
  }
  for (const auto& country : s.blocked) {
    bool carries = false;
    for (const auto& l : infra.links)
      if (l.carrier == s.carrier && flow[l.id] > 0 &&
          std::find(l.countries.begin(), l.countries.end(), country) != l.countries.end())
        carries = true;
    if (!carries)
      why.push_back(fmt::format("blocking {} changes nothing: no {} link carrying flow in {} "
                                "crosses it", country, s.carrier, s.year));
  }
  for (const auto& [id, from] : s.opened) {
    const kb::InfraLink* link = infra.find_link(id);
    if (!link || link->carrier != s.carrier) continue;
    if (network::capacity_at(*link, base) > 0)
      why.push_back(fmt::format("opening {} changes nothing: it already operates at the end of {}",
                                id, s.year));
  }
  return why;
}

void check_what_if(const kb::Infrastructure& infra, const network::Scenario& s) {
  network::validate(infra, s);
  Diagnostics problems;
  auto carrier_of = [&](const char* option, const std::string& id) {
    const kb::InfraLink* link = infra.find_link(id);
    if (link && link->carrier != s.carrier)
      problems.add(option, 0, "",
                   fmt::format("{} carries {}, not {}, so it cannot change the {} network; add "
                               "--carrier {}", id, link->carrier, s.carrier, s.carrier,
                               link->carrier));
  };
  for (const auto& id : s.cut) carrier_of("--cut", id);
  for (const auto& [id, from] : s.opened) {
    carrier_of("--open", id);
    if (from.year > s.year)
      problems.add("--open", 0, "",
                   fmt::format("{} opens {}, after the end of --year {}, so it would change "
                               "nothing; use --year {} or later", id, from.to_string(), s.year,
                               from.year));
  }
  if (!problems.empty()) throw InputError(problems);
}

nlohmann::json what_if_json(const kb::Infrastructure& infra, const network::Scenario& s,
                            const network::Outcome& before, const network::Outcome& after) {
  nlohmann::json j = {{"carrier", s.carrier}, {"year", s.year},       {"cut", s.cut},
                      {"blocked", s.blocked}, {"opened", nlohmann::json::array()}};
  for (const auto& [id, d] : s.opened) j["opened"].push_back({{"link", id}, {"from", d.to_string()}});
  j["before"] = outcome_json(before);
  j["after"] = outcome_json(after);
  std::map<std::string, std::pair<network::CountryVolume, network::CountryVolume>> all;
  for (const auto& c : before.countries) all[c.country].first = c;
  for (const auto& c : after.countries) all[c.country].second = c;
  j["changes_by_country"] = nlohmann::json::array();
  for (const auto& [code, v] : all)
    j["changes_by_country"].push_back({{"country", code},
                                       {"delivered", v.second.delivered - v.first.delivered},
                                       {"supplied", v.second.supplied - v.first.supplied},
                                       {"transit", v.second.transit - v.first.transit}});
  j["rerouted"] = nlohmann::json::array();
  for (const auto& r : rerouted(before, after))
    j["rerouted"].push_back({{"link", r.link}, {"before", r.before}, {"after", r.after},
                             {"capacity", r.capacity}});
  j["no_effect"] = idle_changes(infra, s, before);
  return j;
}

nlohmann::json leverage_json(const std::vector<leverage::Cell>& cells, bool evidence) {
  nlohmann::json out = {{"cells", nlohmann::json::array()}, {"pairs", nlohmann::json::array()}};
  for (const auto& c : cells) {
    nlohmann::json cell = {{"tie", c.tie},
                           {"channel", c.channel},
                           {"from", c.from},
                           {"to", c.to},
                           {"year", c.year},
                           {"what", c.what},
                           {"physical", c.physical},
                           {"common_scale", c.common},
                           {"sensitivity", c.sensitivity},
                           {"kept", c.kept},
                           {"vulnerability", c.vulnerability},
                           {"own_cost", c.own_cost},
                           {"leverage", c.leverage}};
    if (c.common) {
      const auto span = [](const leverage::Span& x) { return nlohmann::json{{"value", x.value}, {"low", x.low}, {"high", x.high}}; };
      cell["kept_short"] = span(c.kept_short);
      cell["loss_short"] = span(c.loss_short);
      cell["loss_long"] = span(c.loss_long);
      cell["cost"] = span(c.cost);
      cell["leverage_short"] = span(c.leverage_short);
      cell["leverage_long"] = span(c.leverage_long);
    }
    if (evidence) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& e : c.evidence) {
        nlohmann::json item = {{"label", e.label}, {"value", e.value}};
        if (!e.provenance.source.empty()) {
          item["source"] = e.provenance.source;
          if (!e.provenance.quote.empty()) item["quote"] = e.provenance.quote;
          if (!e.provenance.citation.empty()) item["citation"] = e.provenance.citation;
          if (!e.provenance.rationale.empty()) item["rationale"] = e.provenance.rationale;
          if (e.provenance.source == "assumption")
            item["range"] = {e.provenance.range_low, e.provenance.range_high};
          if (!e.provenance.derivation.empty()) item["derivation"] = e.provenance.derivation;
        } else {
          item["computed"] = e.note;
        }
        items.push_back(item);
      }
      cell["evidence"] = items;
    }
    out["cells"].push_back(cell);
  }
  for (const auto& t : leverage::totals(cells))
    out["pairs"].push_back({{"from", t.from}, {"to", t.to}, {"leverage", t.leverage},
                            {"low", t.low}, {"high", t.high}, {"short_run", t.short_run},
                            {"net", t.net}, {"channels", t.channels}});
  out["unit"] = "share of the loser's GDP (j's loss over GDP_j minus i's over GDP_i)";
  return out;
}

}  // namespace sphere::app

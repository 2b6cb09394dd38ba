// The leverage matrix over typed filters, and its JSON form.
#include <algorithm>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {

LeverageResult leverage_matrix(const kb::Model& model, const LeverageRequest& request) {
  static const std::vector<std::string> kChannels = {"trade",    "energy",   "transit",
                                                     "arms",     "security", "diaspora"};
  leverage::Filter filter;
  if (!request.channel.empty() &&
      std::find(kChannels.begin(), kChannels.end(), request.channel) == kChannels.end())
    throw InputError(kRequest, 0, "channel",
                     fmt::format("'{}' is not a channel; expected trade, energy, transit, arms, "
                                 "security or diaspora{}",
                                 request.channel, did_you_mean(request.channel, kChannels)));
  filter.channel = request.channel;
  filter.year = request.year;
  if (!request.actor.empty()) filter.actor = require_actor(model, request.actor, "actor").id;
  std::vector<std::string> links;
  for (const auto& l : model.infrastructure.links) links.push_back(l.id);
  Diagnostics problems;
  for (const auto& id : request.cut)
    if (!model.infrastructure.find_link(id))
      problems.add(kRequest, 0, "cut", fmt::format("unknown link '{}'{}", id, did_you_mean(id, links)));
  for (const auto& [id, from] : request.opened)
    if (!model.infrastructure.find_link(id))
      problems.add(kRequest, 0, "opened",
                   fmt::format("unknown link '{}'{}", id, did_you_mean(id, links)));
  if (!problems.empty()) throw InputError(problems);
  filter.cut = request.cut;
  filter.opened = request.opened;
  LeverageResult result;
  result.cells = leverage::matrix(model, filter);
  result.cut = request.cut;
  if (!request.cell.empty()) {
    std::vector<std::string> ties;
    for (const auto& c : result.cells) ties.push_back(c.tie);
    std::erase_if(result.cells, [&](const leverage::Cell& c) { return c.tie != request.cell; });
    if (result.cells.empty())
      throw InputError(kRequest, 0, "cell",
                       fmt::format("no tie '{}' (after the filters) in ties.toml{}", request.cell,
                                   did_you_mean(request.cell, ties)));
  }
  return result;
}

nlohmann::json to_json(const LeverageResult& result) {
  const std::vector<leverage::Cell>& cells = result.cells;
  const bool evidence = true;
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
      cell["kept_long"] = span(c.kept_long);
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
  out["cut"] = result.cut;
  return out;
}

}  // namespace sphere::service

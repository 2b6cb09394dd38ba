// `sphere network`: what reaches each destination before and after a disruption or a new link;
// `network contingency` (N-k sweeps), `network n1` (the EU N-1 indicator), `network links`.
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/app.h"
#include "network/network.h"

namespace sphere::app {
namespace {

// "LINK@YYYY-MM" → (link, date); a malformed one is a usage error naming --open.
std::pair<std::string, Date> parse_open(const std::string& text) {
  try {
    return service::parse_opened(text, std::nullopt);
  } catch (const InputError& e) {
    throw CLI::ValidationError("--open", e.diagnostics().items().at(0).message);
  }
}

service::WhatIfRequest request_of(const NetworkOptions& o) {
  service::WhatIfRequest r;
  r.year = o.year;
  r.carrier = o.carrier;
  r.cut = o.cut;
  r.blocked = o.block;
  for (const auto& text : o.open) r.opened.push_back(parse_open(text));
  return r;
}

void add_scenario_options(CLI::App& cmd, NetworkOptions& o) {
  cmd.add_option("--year", o.year,
                 "Year whose link states, supplies and demands are used (default: the model's "
                 "[view] year)");
  cmd.add_option("--carrier", o.carrier, "gas, oil or freight")->capture_default_str();
}

std::string signed_number(std::int64_t v) { return v > 0 ? fmt::format("+{}", v) : std::to_string(v); }

void print_what_if(const Output& output, const kb::Infrastructure& infra,
                   const service::WhatIfResult& result) {
  std::ostream& out = output.out;
  const network::Scenario& s = result.scenario;
  const network::Outcome &before = result.before, &after = result.after;
  const bool changed = result.changed();
  out << fmt::format("{} network, {} (links as at the end of the year; {})\n", s.carrier,
                     s.year, before.unit);
  std::vector<std::string> header = {"destination", "country", "demand", "before"};
  if (changed) header.insert(header.end(), {"after", "change"});
  Table dest(header);
  auto row = [&](std::vector<std::string> cells, std::int64_t after, std::int64_t before_volume) {
    if (changed) cells.insert(cells.end(), {std::to_string(after), signed_number(after - before_volume)});
    dest.add(std::move(cells));
  };
  for (std::size_t i = 0; i < before.destinations.size(); ++i) {
    const auto& b = before.destinations[i];
    row({b.node, b.country, std::to_string(b.target), std::to_string(b.volume)},
        after.destinations[i].volume, b.volume);
  }
  row({"total", "", std::to_string(before.demand), std::to_string(before.delivered)},
      after.delivered, before.delivered);
  output.write_table(dest);
  out << "\nSaturated links" << (changed ? " (after)" : "") << ": ";
  std::string saturated;
  for (const auto& l : after.links)
    if (l.saturated) saturated += (saturated.empty() ? "" : ", ") + fmt::format("{} ({})", l.link, l.capacity);
  out << (saturated.empty() ? "none" : saturated) << "\n";
  std::string cut;
  for (const auto& id : after.bottlenecks) cut += (cut.empty() ? "" : ", ") + id;
  out << "Minimum cut (the bottleneck)" << (changed ? " (after)" : "") << ": "
            << (cut.empty() ? "supply or demand, not a link" : cut) << "\n";
  if (!changed) return;
  Table countries({"country", "delivered to it", "sent from it", "carried into it"});
  const nlohmann::json changes = service::to_json(infra, result)["changes_by_country"];
  bool any = false;
  for (const auto& c : changes) {
    if (c["delivered"] == 0 && c["supplied"] == 0 && c["transit"] == 0) continue;
    countries.add({c["country"], signed_number(c["delivered"]), signed_number(c["supplied"]),
                   signed_number(c["transit"])});
    any = true;
  }
  if (any) {
    out << "\nWhat the change does to each country (" << before.unit << "):\n";
    output.write_table(countries);
  } else {
    out << "\nNo country's volumes change.\n";
  }
  // Re-routing: every link whose flow changed (routes at least link hops, before and after).
  const auto moved = rerouted(before, after);
  if (moved.empty()) {
    out << "\nNo link's flow changes";
  } else {
    out << "\nFlows per link, before and after (" << before.unit << "):\n";
    Table t({"link", "before", "after", "change", "capacity after"});
    for (const auto& r : moved)
      t.add({r.link, std::to_string(r.before), std::to_string(r.after),
             signed_number(r.after - r.before), std::to_string(r.capacity)});
    output.write_table(t);
  }
  const auto idle = idle_changes(infra, s, before);
  if (moved.empty())
    out << (idle.empty() ? ": the routes in use still meet the same demand.\n" : ":\n");
  for (const auto& why : idle) out << "note: " << why << "\n";
  for (const auto& [id, from] : s.opened) {
    bool used = false;
    for (const auto& l : after.links) used = used || (l.link == id && l.flow > 0);
    if (!used && network::capacity_at(*infra.find_link(id), s) > 0)
      out << fmt::format(
          "note: {} opens ({} {} of capacity) but carries no flow: the routes already in use meet "
          "every destination's demand over no more links, so no flow moves onto it; it would "
          "carry freight once they are cut or demand grows\n",
          id, network::capacity_at(*infra.find_link(id), s), before.unit);
  }
}

}  // namespace

int run_network(const NetworkOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  const kb::Model model = load_model(o.model);
  const auto result = service::what_if(model, request_of(o));
  if (output.json()) {
    output.write_json(service::to_json(model.infrastructure, result));
    return kExitOk;
  }
  print_what_if(output, model.infrastructure, result);
  return kExitOk;
}

namespace {

void add_what_if(CLI::App& cmd, Action& action) {
  auto o = std::make_shared<NetworkOptions>();
  add_model_options(cmd, o->model);
  add_scenario_options(cmd, *o);
  cmd.add_option("--cut", o->cut, "Close this link (repeatable; `sphere network links` lists them)");
  cmd.add_option("--block-country", o->block,
                 "Close every link that crosses this country (repeatable; e.g. GEO, RUS, IRN)");
  cmd.add_option("--open", o->open,
                 "Operate this link from this month, e.g. rasht-astara@2028-01 (repeatable)");
  cmd.callback([o, &cmd, &action] {
    if (cmd.get_subcommands().size() > 0) return;  // a sub-command sets the action
    request_of(*o);  // a malformed --open is a usage error while parsing
    action = [o](std::ostream& out) { return run_network(*o, out); };
  });
}

}  // namespace

int run_network_contingency(const NetworkContingencyOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.what_if.model.json)};
  service::ContingencyRequest request = o.request;
  request.year = o.what_if.year;
  request.carrier = o.what_if.carrier;
  // A DIMACS file is swept without the model.
  std::optional<kb::Model> model;
  if (request.dimacs.empty()) model = load_model(o.what_if.model);
  const service::ContingencySweep sweep =
      service::contingency(model ? &*model : nullptr, request);
  if (output.json()) {
    output.write_json(to_json(sweep));
    return kExitOk;
  }
  const network::ContingencyResult& r = sweep.result;
  out << fmt::format(
      "N-{}: {} combinations of {} links; {} lose delivery (base {} {}); {} max-flows solved, "
      "the rest exact by pruning; {} threads, {:.3f} s\n",
      sweep.k, r.scenarios, sweep.elements.size(), r.with_loss, r.base, sweep.unit, r.solved,
      sweep.threads, sweep.seconds);
  Table t({"rank", "failed", "delivered", "lost", "lost %"});
  int rank = 0;
  for (const auto& f : r.worst)
    t.add({std::to_string(++rank), service::failed_links(sweep, f), std::to_string(f.value),
           std::to_string(f.lost),
           r.base > 0 ? fmt::format("{:.1f}", 100.0 * static_cast<double>(f.lost) / static_cast<double>(r.base)) : "-"});
  output.write_table(t);
  return kExitOk;
}

namespace {

void add_contingency(CLI::App& parent, Action& action) {
  auto o = std::make_shared<NetworkContingencyOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "contingency", "Rank every single, double or triple link failure by lost delivery (N-k)");
  add_model_options(*cmd, o->what_if.model);
  add_scenario_options(*cmd, o->what_if);
  cmd->add_option("--k", o->request.k, "How many links fail together: 1, 2 or 3")
      ->check(CLI::Range(1, 3))->capture_default_str();
  cmd->add_option("--threads", o->request.threads, "Worker threads (default: every core); results do not depend on it");
  cmd->add_option("--top", o->request.top, "How many of the worst failures to list")->capture_default_str();
  cmd->add_option("--dimacs", o->request.dimacs,
                  "Sweep a DIMACS max-flow file (p max / n s / n t / a lines; each arc is a link) "
                  "instead of the model")
      ->check(CLI::ExistingFile);
  cmd->callback([o, &action] {
    action = [o](std::ostream& out) { return run_network_contingency(*o, out); };
  });
}

}  // namespace

int run_network_n1(const NetworkN1Options& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  const kb::Model model = load_model(o.model);
  const service::N1Result result = service::n_minus_1(model, o.request);
  if (output.json()) {
    output.write_json(to_json(result));
    return kExitOk;
  }
  const network::N1& r = result.n1;
  out << fmt::format(
      "N-1 for {} in {} (mcm/d)\n"
      "  Dmax {}  EPm {}  Pm {}  Sm {}  LNGm {}  Im {} ({})\n"
      "  N-1 = (EPm + Pm + Sm + LNGm - Im) / Dmax = {:.0f} %  (standard: >= 100 %)\n"
      "  network-aware: max-flow into {} is {} with every link, {} without {} = {:.0f} % of "
      "Dmax\n",
      r.area, result.year, r.dmax, r.epm, r.pm, r.sm, r.lngm, r.im, r.largest, r.formula, r.area,
      r.reachable, r.reachable_n1, r.worst.empty() ? "any single link" : r.worst, r.network);
  return kExitOk;
}

namespace {

void add_n1(CLI::App& parent, Action& action) {
  auto o = std::make_shared<NetworkN1Options>();
  CLI::App* cmd = parent.add_subcommand(
      "n1", "The EU N-1 indicator (Reg. (EU) 2017/1938, Annex II) for a country's gas supply, "
            "and a network-aware N-1");
  add_model_options(*cmd, o->model);
  cmd->add_option("--area", o->request.area, "Country code of the calculated area (default: the model's [view] area)");
  cmd->add_option("--year", o->request.year, "Year (default: the model's [view] year)");
  cmd->callback([o, &action] {
    action = [o](std::ostream& out) { return run_network_n1(*o, out); };
  });
}

}  // namespace

int run_network_links(const NetworkOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  const kb::Model model = load_model(o.model);
  const service::LinksResult links =
      service::network_links(model, {o.year, o.carrier});
  if (output.json()) {
    output.write_json(to_json(model, links));
    return kExitOk;
  }
  Table t({"link", "carrier", "from", "to", "countries", "capacity", "now", "status"});
  for (const auto& [l, state] : links.links) {
    std::string countries;
    for (const auto& c : l->countries) countries += (countries.empty() ? "" : ",") + c;
    t.add({l->id, l->carrier, l->from, l->to, countries, fmt::format("{} {}", l->capacity, l->unit),
           std::to_string(state.operating_capacity()),
           state.since ? state.status + " since " + state.since->to_string()
                       : "not yet (" + state.status + ")"});
  }
  output.write_table(t);
  return kExitOk;
}

namespace {

void add_links(CLI::App& parent, Action& action) {
  auto o = std::make_shared<NetworkOptions>();
  o->carrier = "";
  CLI::App* cmd = parent.add_subcommand("links", "Every link with its capacity and status in a year");
  add_model_options(*cmd, o->model);
  cmd->add_option("--year", o->year, "Year (default: the model's [view] year)");
  cmd->add_option("--carrier", o->carrier, "Only gas, oil or freight");
  cmd->callback([o, &action] {
    action = [o](std::ostream& out) { return run_network_links(*o, out); };
  });
}

}  // namespace

int run_network_validate(const NetworkValidateOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  kb::Model model = load_model(o.model);
  const service::FlowValidation validation = service::validate_flows(model, {o.iea, o.tolerance});
  if (output.json()) {
    output.write_json(service::to_json(validation));
    return kExitOk;
  }
  Table t({"point", "modelled as", "year", "days", "observed mcm/d", "modelled mcm/d",
           "capacity or demand", "gap", "verdict"});
  for (const auto& c : validation.checks)
    t.add({c.observed.point,
           c.observed.link.empty()
               ? fmt::format("delivered to {}", fmt::join(c.observed.destinations, " + "))
                                   : "link " + c.observed.link,
           std::to_string(c.observed.year),
           std::to_string(c.observed.days), fmt::format("{:.1f}", c.observed.mean_mcm_per_day),
           fmt::format("{:.0f}", c.modelled), fmt::format("{:.0f}", c.capacity),
           c.observed.mean_mcm_per_day > 0 ? fmt::format("{:+.0f}%", 100 * c.relative_gap) : "-",
           service::verdict(c)});
  out << "Observed: IEA (2022), Gas Trade Flows (September 2022 edition), mean of the "
         "months reported. Modelled: the gas network of each year as `sphere network "
         "--year Y` routes it.\n";
  output.write_table(t);
  out << fmt::format("Agreement: within {:.0f}% of the observed mean, plus 0.5 mcm/d. "
                     "docs/MODEL.md (Network, observed flows) says which input explains "
                     "each disagreement.\n", 100 * o.tolerance);
  return kExitOk;
}

// Observed against modelled flows at the Southern Gas Corridor's border points.
void add_validate(CLI::App& parent, Action& action) {
  auto o = std::make_shared<NetworkValidateOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "validate", "Observed (IEA Gas Trade Flows) against modelled gas flows by border point and "
                  "year");
  add_model_options(*cmd, o->model);
  cmd->add_option("--iea", o->iea, "gtf_long.csv of shared/data/infrastructure/iea-gas-trade-flows")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--tolerance", o->tolerance,
                  "Agreement: |modelled - observed| within this share of the observed mean")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->callback([o, &action] {
    action = [o](std::ostream& out) { return run_network_validate(*o, out); };
  });
}

void add_network_command(CLI::App& app, Action& action) {
  CLI::App* cmd = app.add_subcommand(
      "network",
      "What reaches each destination before and after cutting links, blocking countries or "
      "opening new links; sub-commands: contingency, n1, links, validate");
  cmd->require_subcommand(0, 1);
  add_contingency(*cmd, action);
  add_n1(*cmd, action);
  add_links(*cmd, action);
  add_validate(*cmd, action);
  add_what_if(*cmd, action);
}

}  // namespace sphere::app

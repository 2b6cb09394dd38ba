// `sphere leverage`: who can hurt whom, through which channel, and at what cost to itself.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/app.h"
#include "app/results.h"
#include "leverage/leverage.h"

namespace sphere::app {
namespace {

std::string share(double v) { return fmt::format("{:.3f}", v); }

// Where a number comes from, in one line.
std::string provenance_text(const kb::Provenance& p) {
  if (p.source == "assumption")
    return fmt::format("assumption, range {}-{}: {}", format_number(p.range_low),
                       format_number(p.range_high), p.rationale);
  std::string text = p.source == "data" ? "data: " + p.citation
                                        : fmt::format("{}: \"{}\"", p.source, p.quote);
  if (!p.derivation.empty()) text += " (" + p.derivation + ")";
  return text;
}

}  // namespace

void add_leverage_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    std::string channel, actor, cell;
    int year = 0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "leverage",
      "Who can hurt whom through which channel, and at what cost to itself (leverage matrix)");
  add_model_options(*cmd, o->model);
  cmd->add_option("--channel", o->channel, "trade, energy, transit, arms, security or diaspora");
  cmd->add_option("--actor", o->actor, "Only ties where this actor is i or j (id, name or alias)");
  cmd->add_option("--year", o->year, "Only ties of this year");
  cmd->add_option("--cell", o->cell, "Show the facts behind one tie (its id) with their sources");
  cmd->callback([o, &action] {
    action = [o] {
      kb::Model model = load_model(o->model);
      leverage::Filter filter;
      filter.channel = o->channel;
      filter.year = o->year;
      if (!o->actor.empty()) {
        const kb::Actor* a = resolve_actor(model, o->actor);
        if (!a) throw InputError("--actor", 0, "", fmt::format("no actor '{}' in {}", o->actor, model.location));
        filter.actor = a->id;
      }
      static const std::set<std::string> channels = {"trade", "energy", "transit", "arms", "security", "diaspora"};
      if (!o->channel.empty() && !channels.contains(o->channel))
        throw InputError("--channel", 0, "", fmt::format("'{}' is not a channel; expected trade, energy, "
                                                         "transit, arms, security or diaspora", o->channel));
      auto cells = leverage::matrix(model, filter);
      if (!o->cell.empty()) {
        std::erase_if(cells, [&](const leverage::Cell& c) { return c.tie != o->cell; });
        if (cells.empty())
          throw InputError("--cell", 0, "", fmt::format("no tie '{}' (after the filters) in ties.toml", o->cell));
      }
      if (o->model.json) {  // the JSON of the API's /api/leverage
        print_json(std::cout, leverage_json(cells, true));
        return kExitOk;
      }
      if (!o->cell.empty()) {
        const auto& c = cells.front();
        std::cout << fmt::format("{} — {} ({}, {}): {} over {}\n", c.tie, c.what, c.channel,
                                 c.year, c.from, c.to);
        std::cout << fmt::format(
            "  leverage {} = vulnerability {} - own cost {}\n"
            "  vulnerability {} = sensitivity {} x (1 - kept {})\n",
            share(c.leverage), share(c.vulnerability), share(c.own_cost), share(c.vulnerability),
            share(c.sensitivity), share(c.kept));
        for (const auto& e : c.evidence)
          std::cout << fmt::format("  {} = {}\n      {}\n", e.label, share(e.value),
                                   e.provenance.source.empty() ? "computed: " + e.note
                                                               : provenance_text(e.provenance));
        return kExitOk;
      }
      Table t({"tie", "channel", "i", "j", "year", "sensitivity", "kept", "vulnerability",
               "own cost", "leverage"});
      for (const auto& c : cells)
        t.add({c.tie, c.channel + (c.physical ? " (network)" : ""), c.from, c.to,
               std::to_string(c.year), share(c.sensitivity), share(c.kept),
               share(c.vulnerability), share(c.own_cost), share(c.leverage)});
      t.print(std::cout);
      std::cout << "\nLeverage of i over j, summed over channels:\n";
      Table p({"i", "j", "leverage", "channels"});
      for (const auto& s : leverage::totals(cells))
        p.add({s.from, s.to, share(s.leverage), std::to_string(s.channels)});
      p.print(std::cout);
      std::cout << "`sphere leverage --cell TIE` shows the facts behind a row, with their sources.\n";
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

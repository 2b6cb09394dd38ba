// `sphere leverage`: who can hurt whom, through which channel, and at what cost to itself.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/app.h"
#include "leverage/leverage.h"

namespace sphere::app {
namespace {

std::string share(double v) { return fmt::format("{:.3f}", v); }

// A share of GDP in per cent, to the precision its range supports: two significant digits.
std::string pct(double v) {
  const double p = 100.0 * v;
  if (p == 0.0) return "0";
  return fmt::format("{:.2g}", p);
}
std::string pct(const leverage::Span& s) {
  return fmt::format("{} [{}, {}]", pct(s.value), pct(s.low), pct(s.high));
}

// Where a number comes from, in one line.
std::string provenance_text(const kb::Provenance& p) {
  if (p.source == "assumption")
    return fmt::format("assumption, range {} to {}: {}", format_number(p.range_low),
                       format_number(p.range_high), p.rationale);
  std::string text = p.source == "data" ? "data: " + p.citation
                                        : fmt::format("{}: \"{}\"", p.source, p.quote);
  if (!p.derivation.empty()) text += " (" + p.derivation + ")";
  return text;
}

}  // namespace

int run_leverage(const LeverageOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  kb::Model model = load_model(o.model);
  service::LeverageRequest request;
  request.channel = o.channel;
  request.actor = o.actor;
  request.year = o.year;
  request.cell = o.cell;
  const service::LeverageResult result = service::leverage_matrix(model, request);
  const auto& cells = result.cells;
  auto kept = [](const leverage::Span& k) {
    return k.high > k.low ? fmt::format("{:.2f} [{:.2f}, {:.2f}]", k.value, k.low, k.high)
                          : fmt::format("{:.2f}", k.value);
  };
  if (output.json()) {  // the same bytes as the API's /api/leverage
    output.write_json(service::to_json(result));
    return kExitOk;
  }
  if (!o.cell.empty()) {
    const auto& c = cells.front();
    out << fmt::format("{} — {} ({}, {}): {} over {}\n", c.tie, c.what, c.channel, c.year, c.from,
                 c.to);
    if (c.common)
      out << fmt::format(
          "  per cent of the loser's GDP, value [low, high]:\n"
          "  long run:  leverage {} = {}'s loss {} - {}'s cost {} (kept {})\n"
          "  short run: leverage {} = {}'s loss {} - {}'s cost {} (kept {:.2f})\n",
          pct(c.leverage_long), c.to, pct(c.loss_long), c.from, pct(c.cost), kept(c.kept_long),
          pct(c.leverage_short), c.to, pct(c.loss_short), c.from, pct(c.cost), c.kept_short.value);
    else
      out << "  off the common scale: no money value for this channel\n";
    for (const auto& e : c.evidence)
      out << fmt::format("  {} = {}\n      {}\n", e.label, format_number(e.value),
                   e.provenance.source.empty() ? "computed: " + e.note
                                               : provenance_text(e.provenance));
    return kExitOk;
  }
  Table t({"tie", "channel", "i", "j", "year", "kept now", "kept later", "j's loss now",
           "j's loss later", "i's cost", "leverage later"});
  for (const auto& c : cells) {
    if (!c.common) {
      t.add({c.tie, c.channel, c.from, c.to, std::to_string(c.year), "-", share(c.kept), "-", "-",
             "-", "off scale"});
      continue;
    }
    t.add({c.tie, c.channel + (c.physical ? " (network)" : ""), c.from, c.to,
           std::to_string(c.year), fmt::format("{:.2f}", c.kept_short.value), kept(c.kept_long),
           pct(c.loss_short), pct(c.loss_long), pct(c.cost), pct(c.leverage_long)});
  }
  out << "Per cent of the loser's own GDP a year, value [low, high] over the inputs' "
         "ranges. now: before rerouting; later: after rerouting and substitution (within "
         "a year).\n";
  output.write_table(t);
  out << "\nLeverage of i over j, summed over channels (j's whole loss over GDP_j net "
         "of i's over GDP_i; net: minus j's leverage over i):\n";
  Table p({"i", "j", "leverage later [low, high]", "leverage now", "net of j over i", "channels"});
  for (const auto& s : leverage::totals(cells))
    p.add({s.from, s.to, fmt::format("{} [{}, {}]", pct(s.leverage), pct(s.low), pct(s.high)),
           pct(s.short_run), pct(s.net), std::to_string(s.channels)});
  output.write_table(p);
  out << "Off scale: channels with no money value in the sources (a security "
         "guarantee); they count in no total.\n";
  out << "`sphere leverage --cell TIE` shows the facts behind a row, with their sources.\n";
  return kExitOk;
}

void add_leverage_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<LeverageOptions>();
  CLI::App* cmd = app.add_subcommand(
      "leverage",
      "Who can hurt whom through which channel, and at what cost to itself (leverage matrix)");
  add_model_options(*cmd, o->model);
  cmd->add_option("--channel", o->channel, "trade, energy, transit, arms, security or diaspora");
  cmd->add_option("--actor", o->actor, "Only ties where this actor is i or j (id, name or alias)");
  cmd->add_option("--year", o->year, "Only ties of this year");
  cmd->add_option("--cell", o->cell, "Show the facts behind one tie (its id) with their sources");
  cmd->callback([o, &action] {
    action = [o](std::ostream& out) { return run_leverage(*o, out); };
  });
}

}  // namespace sphere::app

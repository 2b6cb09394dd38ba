#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/app.h"

namespace sphere::app {
namespace {

std::string value_text(const kb::Fact& f) {
  std::string value = format_number(f.value);
  if (f.value_high != f.value) value += "–" + format_number(f.value_high);
  if (f.qualifier != "exact") value = f.qualifier + " " + value;
  return value;
}

void print_conflicts(std::ostream& out, const kb::Model& model,
                     const std::vector<const kb::Conflict*>& shown) {
  for (const auto* c : shown) {
    out << fmt::format("⚑ {}  [{}]\n", c->topic, c->id);
    for (const auto& cl : c->claims) {
      const kb::Source* s = model.find_source(cl.quote.source);
      out << fmt::format("    {} ({}): {}\n        \"{}\"\n", cl.quote.source,
                   s ? s->publisher.empty() ? s->title : s->publisher : "", cl.claim,
                   cl.quote.text);
    }
  }
  out << fmt::format("{} disagreements between sources\n", shown.size());
}

}  // namespace

int run_facts(const FactsOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  const kb::Model model = load_model(o.model);
  // The actor is checked first, with or without --conflicts.
  const std::vector<const kb::Fact*> shown = service::find_facts(model, {o.text, o.actor});
  if (o.conflicts) {
    const auto conflicts = service::find_conflicts(model, o.text);
    if (output.json()) output.write_json(to_json(conflicts));
    else print_conflicts(out, model, conflicts);
    return kExitOk;
  }
  if (output.json()) {
    output.write_json(to_json(shown));
    return kExitOk;
  }
  for (const auto* f : shown)
    out << fmt::format("{}: {} {} ({}{})  [{}]\n    {}: \"{}\"\n", f->what, value_text(*f), f->unit,
                 f->year, f->year_basis == "stated" ? "" : ", as of the source's date", f->id,
                 f->quote.source, f->quote.text);
  out << fmt::format("{} of {} facts\n", shown.size(), model.facts.size());
  return kExitOk;
}

void add_facts_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<FactsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "facts", "Search the quantities the sources state; --conflicts lists disagreements");
  add_model_options(*cmd, opts->model);
  cmd->add_option("text", opts->text, "Words to look for in a fact (case-insensitive)");
  cmd->add_option("--actor", opts->actor, "Only facts about this actor (id, name or alias)");
  cmd->add_flag("--conflicts", opts->conflicts,
                "List every disagreement between sources, with both quotes");
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_facts(*opts, out); };
  });
}

}  // namespace sphere::app

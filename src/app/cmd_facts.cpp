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

void print_conflicts(const kb::Model& model, const std::vector<const kb::Conflict*>& shown) {
  for (const auto* c : shown) {
    std::cout << fmt::format("⚑ {}  [{}]\n", c->topic, c->id);
    for (const auto& cl : c->claims) {
      const kb::Source* s = model.find_source(cl.quote.source);
      std::cout << fmt::format("    {} ({}): {}\n        \"{}\"\n", cl.quote.source,
                               s ? s->publisher.empty() ? s->title : s->publisher : "", cl.claim,
                               cl.quote.text);
    }
  }
  std::cout << fmt::format("{} disagreements between sources\n", shown.size());
}

}  // namespace

void add_facts_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    std::string text, actor;
    bool conflicts = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "facts", "Search the quantities the sources state; --conflicts lists disagreements");
  add_model_options(*cmd, opts->model);
  cmd->add_option("text", opts->text, "Words to look for in a fact (case-insensitive)");
  cmd->add_option("--actor", opts->actor, "Only facts about this actor (id, name or alias)");
  cmd->add_flag("--conflicts", opts->conflicts,
                "List every disagreement between sources, with both quotes");
  cmd->callback([opts, &action] {
    action = [opts] {
      const kb::Model model = load_model(opts->model);
      // The actor is checked first, with or without --conflicts.
      const std::vector<const kb::Fact*> shown =
          service::find_facts(model, {opts->text, opts->actor});
      if (opts->conflicts) {
        const auto conflicts = service::find_conflicts(model, opts->text);
        if (opts->model.json) print_json(std::cout, to_json(conflicts));
        else print_conflicts(model, conflicts);
        return kExitOk;
      }
      if (opts->model.json) {
        print_json(std::cout, to_json(shown));
        return kExitOk;
      }
      for (const auto* f : shown)
        std::cout << fmt::format("{}: {} {} ({}{})  [{}]\n    {}: \"{}\"\n", f->what,
                                 value_text(*f), f->unit, f->year,
                                 f->year_basis == "stated" ? "" : ", as of the source's date",
                                 f->id, f->quote.source, f->quote.text);
      std::cout << fmt::format("{} of {} facts\n", shown.size(), model.facts.size());
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

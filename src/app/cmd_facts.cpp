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

bool matches(const kb::Fact& f, const std::string& needle) {
  if (needle.empty()) return true;
  for (const std::string* field : {&f.id, &f.what, &f.unit, &f.quote.text})
    if (ascii_lower(*field).find(needle) != std::string::npos) return true;
  return false;
}

void print_conflicts(const kb::Model& model, const std::vector<const kb::Conflict*>& shown,
                     bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto* c : shown) out.push_back(to_json(*c));
    print_json(std::cout, out);
    return;
  }
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
      kb::Model model = load_model(opts->model);
      const std::string needle = ascii_lower(opts->text);
      std::string actor_id;
      if (!opts->actor.empty()) {
        actor_id = service::require_actor(model, opts->actor, "actor").id;
      }
      if (opts->conflicts) {
        std::vector<const kb::Conflict*> shown;
        for (const auto& c : model.conflicts) {
          bool hit = needle.empty() || ascii_lower(c.topic).find(needle) != std::string::npos ||
                     ascii_lower(c.id).find(needle) != std::string::npos;
          for (const auto& cl : c.claims)
            hit = hit || ascii_lower(cl.claim).find(needle) != std::string::npos ||
                  ascii_lower(cl.quote.text).find(needle) != std::string::npos;
          if (hit) shown.push_back(&c);
        }
        print_conflicts(model, shown, opts->model.json);
        return kExitOk;
      }
      std::vector<const kb::Fact*> shown;
      for (const auto& f : model.facts) {
        if (!matches(f, needle)) continue;
        if (!actor_id.empty() &&
            std::find(f.actors.begin(), f.actors.end(), actor_id) == f.actors.end())
          continue;
        shown.push_back(&f);
      }
      if (opts->model.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto* f : shown) out.push_back(to_json(*f));
        print_json(std::cout, out);
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

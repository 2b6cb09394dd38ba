// `sphere actors` and `sphere sources`: the model's catalogues.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/app.h"

namespace sphere::app {

int run_actors(const ActorsOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  kb::Model model = load_model(o.model);
  std::vector<const kb::Actor*> shown;
  for (const auto& a : model.actors)
    if (o.kind.empty() || a.kind == o.kind) shown.push_back(&a);
  if (output.json()) {
    nlohmann::json actors = nlohmann::json::array();
    for (const auto* a : shown)
      actors.push_back({{"id", a->id},
                        {"name", a->name},
                        {"kind", a->kind},
                        {"aliases", a->aliases},
                        {"affiliation", a->affiliation},
                        {"sources", a->sources}});
    output.write_json(actors);
    return kExitOk;
  }
  Table table({"id", "kind", "name", "aliases", "sources"});
  for (const auto* a : shown)
    table.add({a->id, a->kind, a->name, fmt::format("{}", fmt::join(a->aliases, ", ")),
               fmt::format("{}", fmt::join(a->sources, ","))});
  output.write_table(table);
  out << fmt::format("{} actors\n", shown.size());
  return kExitOk;
}

void add_actors_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ActorsOptions>();
  CLI::App* cmd = app.add_subcommand("actors", "The actors of the model and who names them");
  add_model_options(*cmd, opts->model);
  cmd->add_option("--kind", opts->kind, "Only actors of this kind (state, person, ...)");
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_actors(*opts, out); };
  });
}

int run_sources(const ModelOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.json)};
  kb::Model model = load_model(o);
  if (output.json()) {
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& s : model.sources)
      sources.push_back({{"id", s.id},
                         {"file", s.file},
                         {"title", s.title},
                         {"author", s.author},
                         {"publisher", s.publisher},
                         {"date", s.date},
                         {"date_clues", s.date_clues},
                         {"perspective", s.perspective}});
    output.write_json(sources);
    return kExitOk;
  }
  for (const auto& s : model.sources) {
    out << fmt::format("{}  {}\n", s.id, s.title);
    out << fmt::format("    by {} · {} · {}\n", s.author.empty() ? "(no author)" : s.author,
                 s.publisher.empty() ? "(no publisher)" : s.publisher,
                 s.date.empty() ? "(undated)" : s.date);
    out << fmt::format("    date clues: {}\n    perspective: {}\n", s.date_clues, s.perspective);
  }
  return kExitOk;
}

void add_sources_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ModelOptions>();
  CLI::App* cmd = app.add_subcommand("sources", "The source documents the model is built from");
  add_model_options(*cmd, *opts);
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_sources(*opts, out); };
  });
}

}  // namespace sphere::app

// `sphere actors` and `sphere sources`: the model's catalogues.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/app.h"

namespace sphere::app {

void add_actors_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    std::string kind;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("actors", "The actors of the model and who names them");
  add_model_options(*cmd, opts->model);
  cmd->add_option("--kind", opts->kind, "Only actors of this kind (state, person, ...)");
  cmd->callback([opts, &action] {
    action = [opts] {
      kb::Model model = load_model(opts->model);
      std::vector<const kb::Actor*> shown;
      for (const auto& a : model.actors)
        if (opts->kind.empty() || a.kind == opts->kind) shown.push_back(&a);
      if (opts->model.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto* a : shown)
          out.push_back({{"id", a->id},
                         {"name", a->name},
                         {"kind", a->kind},
                         {"aliases", a->aliases},
                         {"affiliation", a->affiliation},
                         {"sources", a->sources}});
        print_json(std::cout, out);
        return kExitOk;
      }
      Table table({"id", "kind", "name", "aliases", "sources"});
      for (const auto* a : shown)
        table.add({a->id, a->kind, a->name, fmt::format("{}", fmt::join(a->aliases, ", ")),
                   fmt::format("{}", fmt::join(a->sources, ","))});
      table.print(std::cout);
      std::cout << fmt::format("{} actors\n", shown.size());
      return kExitOk;
    };
  });
}

void add_sources_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ModelOptions>();
  CLI::App* cmd = app.add_subcommand("sources", "The source documents the model is built from");
  add_model_options(*cmd, *opts);
  cmd->callback([opts, &action] {
    action = [opts] {
      kb::Model model = load_model(*opts);
      if (opts->json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : model.sources)
          out.push_back({{"id", s.id},
                         {"file", s.file},
                         {"title", s.title},
                         {"author", s.author},
                         {"publisher", s.publisher},
                         {"date", s.date},
                         {"date_clues", s.date_clues},
                         {"perspective", s.perspective}});
        print_json(std::cout, out);
        return kExitOk;
      }
      for (const auto& s : model.sources) {
        std::cout << fmt::format("{}  {}\n", s.id, s.title);
        std::cout << fmt::format("    by {} · {} · {}\n", s.author.empty() ? "(no author)" : s.author,
                                 s.publisher.empty() ? "(no publisher)" : s.publisher,
                                 s.date.empty() ? "(undated)" : s.date);
        std::cout << fmt::format("    date clues: {}\n    perspective: {}\n", s.date_clues,
                                 s.perspective);
      }
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

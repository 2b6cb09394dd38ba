#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/app.h"

namespace sphere::app {

void add_check_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    std::string sources_dir;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Validate a model; with --sources, also find every quote in its source text");
  add_model_options(*cmd, opts->model);
  cmd->add_option("--sources", opts->sources_dir,
                  "Folder holding the source texts named in sources.toml")
      ->check(CLI::ExistingDirectory);
  cmd->callback([opts, &action] {
    action = [opts] {
      kb::Model model = load_model(opts->model);
      kb::QuoteReport quotes;
      if (!opts->sources_dir.empty())
        quotes = kb::check_quotes(model, opts->sources_dir,
                                  {model_directory(opts->model), opts->model.data_root});
      if (opts->model.json) {
        nlohmann::json problems = nlohmann::json::array();
        for (const auto& d : quotes.problems.items())
          problems.push_back(
              {{"file", d.file}, {"line", d.line}, {"field", d.field}, {"message", d.message}});
        print_json(std::cout, {{"model", model.location},
                               {"sources", model.sources.size()},
                               {"actors", model.actors.size()},
                               {"events", model.events.size()},
                               {"facts", model.facts.size()},
                               {"conflicts", model.conflicts.size()},
                               {"quotes_checked", quotes.checked},
                               {"problems", problems}});
      } else {
        std::cout << fmt::format(
            "{}: valid ({} sources, {} actors, {} events, {} facts, {} conflicts)\n",
            model.location, model.sources.size(), model.actors.size(), model.events.size(),
            model.facts.size(), model.conflicts.size());
        if (!opts->sources_dir.empty())
          std::cout << fmt::format("quotes: {} checked, {} not found\n", quotes.checked,
                                   quotes.problems.size());
      }
      if (!quotes.problems.empty()) {
        std::cerr << quotes.problems.to_string();
        return kExitInvalidInput;
      }
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

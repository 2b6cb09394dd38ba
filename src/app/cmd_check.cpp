#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/app.h"

namespace sphere::app {

int run_check(const CheckOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json)};
  kb::Model model = load_model(o.model);
  kb::QuoteReport quotes;
  if (!o.sources_dir.empty())
    quotes = kb::check_quotes(model, o.sources_dir, {model_directory(o.model), o.model.data_root});
  if (output.json()) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& d : quotes.problems.items())
      problems.push_back(
          {{"file", d.file}, {"line", d.line}, {"field", d.field}, {"message", d.message}});
    output.write_json({{"model", model.location},
                       {"sources", model.sources.size()},
                       {"actors", model.actors.size()},
                       {"events", model.events.size()},
                       {"facts", model.facts.size()},
                       {"conflicts", model.conflicts.size()},
                       {"quotes_checked", quotes.checked},
                       {"problems", problems}});
  } else {
    out << fmt::format("{}: valid ({} sources, {} actors, {} events, {} facts, {} conflicts)\n",
                 model.location, model.sources.size(), model.actors.size(),
                 model.events.size(), model.facts.size(), model.conflicts.size());
    if (!o.sources_dir.empty())
      out << fmt::format("quotes: {} checked, {} not found\n", quotes.checked,
                   quotes.problems.size());
  }
  if (!quotes.problems.empty()) {
    std::cerr << quotes.problems.to_string();
    return kExitInvalidInput;
  }
  return kExitOk;
}

void add_check_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Validate a model; with --sources, also find every quote in its source text");
  add_model_options(*cmd, opts->model);
  cmd->add_option("--sources", opts->sources_dir,
                  "Folder holding the source texts named in sources.toml")
      ->check(CLI::ExistingDirectory);
  cmd->callback([opts, &action] {
    action = [opts](std::ostream& out) { return run_check(*opts, out); };
  });
}

}  // namespace sphere::app

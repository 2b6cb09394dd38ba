#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/app.h"

namespace sphere::app {
namespace {

Date parse_bound(const std::string& text, const char* option) {
  std::string why;
  auto d = Date::parse(text, &why);
  if (!d) throw CLI::ValidationError(option, why);
  return *d;
}

std::string sources_of(const kb::Event& e) {
  std::string out;
  for (const auto& q : e.quotes) out += (out.empty() ? "" : ",") + q.source;
  return out;
}

}  // namespace

void add_timeline_command(CLI::App& app, Action& action) {
  struct Options {
    ModelOptions model;
    std::string text, actor, from, to;
    bool csv = false, quotes = false, only = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("timeline", "Events in date order, each with its sources");
  add_model_options(*cmd, opts->model);
  cmd->add_option("text", opts->text,
                  "Only events whose id, summary or quotes contain these words (case-insensitive)");
  cmd->add_option("--actor", opts->actor,
                  "Only events with this actor or an actor it stands for: affiliated to it "
                  "(persons, companies, groups) or counted as it by the model (id, name or alias)");
  cmd->add_flag("--only", opts->only, "With --actor: that actor itself, not its affiliates");
  cmd->add_option("--from", opts->from, "First year or month (YYYY or YYYY-MM)");
  cmd->add_option("--to", opts->to, "Last year or month (YYYY or YYYY-MM)");
  cmd->add_flag("--csv", opts->csv, "Print CSV");
  cmd->add_flag("--quotes", opts->quotes, "Show each source's quote under the event");
  cmd->callback([opts, &action] {
    if (opts->csv && opts->model.json)
      throw CLI::ValidationError("--csv", "choose one of --csv and --json");
    service::TimelineRequest request;
    request.text = opts->text;
    request.actor = opts->actor;
    request.only = opts->only;
    if (!opts->from.empty()) request.from = parse_bound(opts->from, "--from");
    if (!opts->to.empty()) request.to = parse_bound(opts->to, "--to");
    action = [opts, request] {
      kb::Model model = load_model(opts->model);
      const service::TimelineResult result = service::timeline(model, request);
      const auto& shown = result.events;
      const auto& actors = result.actors;
      auto disputed = result.conflicts;
      if (opts->model.json) {  // the same bytes as the API's /api/timeline
        std::cout << service::encode(service::to_json(model, result));
      } else if (opts->csv) {
        std::cout << "id,date,actor1,actor2,cameo,goldstein,summary,sources,conflicts\n";
        for (const auto* e : shown) {
          std::string conflicts;
          for (const auto& c : disputed[e->id]) conflicts += (conflicts.empty() ? "" : "|") + c;
          std::cout << fmt::format("{},{},{},{},{},{},{},{},{}\n", csv_field(e->id),
                                   e->date.to_string(), e->actor1, e->actor2, e->cameo,
                                   format_number(e->goldstein), csv_field(e->summary),
                                   csv_field(sources_of(*e)), csv_field(conflicts));
        }
      } else {
        for (const auto* e : shown) {
          const auto& code = *model.codebook.find(e->cameo);
          std::cout << fmt::format("{:<10}  {} → {}  [{} {}, {:+.1f}]  {}  ({}){}\n",
                                   e->date.to_string(), e->actor1, e->actor2, e->cameo,
                                   code.description, e->goldstein, e->summary, sources_of(*e),
                                   disputed.contains(e->id) ? "  ⚑ sources disagree" : "");
          if (opts->quotes)
            for (const auto& q : e->quotes)
              std::cout << fmt::format("            {}: \"{}\"\n", q.source, q.text);
        }
        std::cout << fmt::format("{} of {} events", shown.size(), model.events.size());
        if (actors.size() > 1)
          std::cout << fmt::format(" of {} and the {} actors it stands for (--only: {} alone)",
                                   opts->actor, actors.size() - 1, opts->actor);
        std::cout << "; an event dated only to a year follows those dated within it";
        if (!disputed.empty()) std::cout << "; ⚑ marks events on which sources disagree "
                                            "(sphere facts --conflicts)";
        std::cout << "\n";
      }
      return kExitOk;
    };
  });
}

}  // namespace sphere::app

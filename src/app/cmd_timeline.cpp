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

service::TimelineRequest timeline_request(const TimelineOptions& o) {
  service::TimelineRequest request;
  request.text = o.text;
  request.actor = o.actor;
  request.only = o.only;
  if (!o.from.empty()) request.from = parse_bound(o.from, "--from");
  if (!o.to.empty()) request.to = parse_bound(o.to, "--to");
  return request;
}

}  // namespace

int run_timeline(const TimelineOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json, o.csv)};
  kb::Model model = load_model(o.model);
  const service::TimelineResult result = service::timeline(model, timeline_request(o));
  const auto& shown = result.events;
  const auto& actors = result.actors;
  auto disputed = result.conflicts;
  if (output.json()) {  // the same bytes as the API's /api/timeline
    output.write_json(service::to_json(model, result));
    return kExitOk;
  }
  if (output.csv()) {
    Table t({"id", "date", "actor1", "actor2", "cameo", "goldstein", "summary", "sources",
             "conflicts"});
    for (const auto* e : shown) {
      std::string conflicts;
      for (const auto& c : disputed[e->id]) conflicts += (conflicts.empty() ? "" : "|") + c;
      t.add({e->id, e->date.to_string(), e->actor1, e->actor2, e->cameo,
             format_number(e->goldstein), e->summary, sources_of(*e), conflicts});
    }
    output.write_table(t);
    return kExitOk;
  }
  for (const auto* e : shown) {
    const auto& code = *model.codebook.find(e->cameo);
    out << fmt::format("{:<10}  {} → {}  [{} {}, {:+.1f}]  {}  ({}){}\n", e->date.to_string(),
                 e->actor1, e->actor2, e->cameo, code.description, e->goldstein, e->summary,
                 sources_of(*e), disputed.contains(e->id) ? "  ⚑ sources disagree" : "");
    if (o.quotes)
      for (const auto& q : e->quotes) out << fmt::format("            {}: \"{}\"\n", q.source, q.text);
  }
  out << fmt::format("{} of {} events", shown.size(), model.events.size());
  if (actors.size() > 1)
    out << fmt::format(" of {} and the {} actors it stands for (--only: {} alone)", o.actor,
                 actors.size() - 1, o.actor);
  out << "; an event dated only to a year follows those dated within it";
  if (!disputed.empty())
    out << "; ⚑ marks events on which sources disagree (sphere facts --conflicts)";
  out << "\n";
  return kExitOk;
}

void add_timeline_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<TimelineOptions>();
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
    timeline_request(*opts);  // a malformed --from or --to is a usage error while parsing
    action = [opts](std::ostream& out) { return run_timeline(*opts, out); };
  });
}

}  // namespace sphere::app

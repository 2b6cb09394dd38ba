#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/app.h"

namespace sphere::app {
namespace {

// The first and last month an event's date may stand for ("2024" spans 2024-01..2024-12).
std::pair<int, int> month_span(const Date& d) {
  if (d.precision() == Date::Precision::kYear) return {d.year * 12, d.year * 12 + 11};
  return {d.month_index(), d.month_index()};
}

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

bool mentions(const kb::Event& e, const std::string& needle) {
  if (needle.empty()) return true;
  if (ascii_lower(e.id).find(needle) != std::string::npos) return true;
  if (ascii_lower(e.summary).find(needle) != std::string::npos) return true;
  for (const auto& q : e.quotes)
    if (ascii_lower(q.text).find(needle) != std::string::npos) return true;
  return false;
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
    // An event is shown when the months its date may stand for overlap [from, to].
    const int from = opts->from.empty() ? INT32_MIN : month_span(parse_bound(opts->from, "--from")).first;
    const int to = opts->to.empty() ? INT32_MAX : month_span(parse_bound(opts->to, "--to")).second;
    if (from > to) throw CLI::ValidationError("--to", "is before --from");
    action = [opts, from, to] {
      kb::Model model = load_model(opts->model);
      std::set<std::string> actors;
      if (!opts->actor.empty()) {
        const kb::Actor* a = resolve_actor(model, opts->actor);
        if (!a) {
          std::cerr << fmt::format("sphere timeline: --actor: no actor '{}' in {}\n",
                                   opts->actor, model.location);
          return kExitUsage;
        }
        actors = opts->only ? std::set<std::string>{a->id} : actor_family(model, a->id);
      }
      const std::string needle = ascii_lower(opts->text);
      auto disputed = conflicts_by_event(model);
      std::vector<const kb::Event*> shown;
      for (const kb::Event* e : timeline_events(model)) {
        auto [first, last] = month_span(e->date);
        if (last < from || first > to) continue;
        if (!actors.empty() && !actors.contains(e->actor1) && !actors.contains(e->actor2)) continue;
        if (!mentions(*e, needle)) continue;
        shown.push_back(e);
      }
      if (opts->model.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto* e : shown) {
          nlohmann::json j = to_json(*e);
          j["cameo_description"] = model.codebook.find(e->cameo)->description;
          j["conflicts"] = disputed.contains(e->id) ? disputed[e->id] : std::vector<std::string>{};
          out.push_back(j);
        }
        print_json(std::cout, out);
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

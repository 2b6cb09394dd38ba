#include <algorithm>
#include <cmath>
#include <iostream>
#include <tuple>

#include <fmt/format.h>

#include "app/app.h"

namespace sphere::app {
namespace {

std::size_t display_width(const std::string& text) {
  // Count UTF-8 code points: continuation bytes (10xxxxxx) do not start a character.
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

void add_model_options(CLI::App& command, ModelOptions& options, bool with_json) {
  command.add_option("--model", options.model_dir,
                     "Model directory to load instead of the built-in South Caucasus model")
      ->check(CLI::ExistingDirectory);
  if (with_json) command.add_flag("--json", options.json, "Print JSON instead of a table");
}

kb::Model load_model(const ModelOptions& options) {
  if (options.model_dir.empty()) return kb::load_builtin_model();
  return kb::load_model(kb::ModelFiles::directory(options.model_dir), kb::builtin_codebook());
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out << line << '\n';
  };
  print_row(header_);
  std::vector<std::string> rule;
  for (auto w : widths) rule.push_back(std::string(w, '-'));
  print_row(rule);
  for (const auto& row : rows_) print_row(row);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void print_json(std::ostream& out, const nlohmann::json& value) { out << value.dump(2) << '\n'; }

std::string format_number(double value) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
  return fmt::format("{}", value);
}

const kb::Actor* resolve_actor(const kb::Model& model, const std::string& name) {
  if (const kb::Actor* a = model.find_actor(name)) return a;
  const std::string wanted = ascii_lower(name);
  for (const kb::Actor& a : model.actors) {
    if (ascii_lower(a.id) == wanted || ascii_lower(a.name) == wanted) return &a;
    for (const auto& alias : a.aliases)
      if (ascii_lower(alias) == wanted) return &a;
  }
  return nullptr;
}

std::set<std::string> actor_family(const kb::Model& model, const std::string& actor_id) {
  std::set<std::string> family = {actor_id};
  // Grow to a fixed point: an actor joins when its affiliation or count_as target is already in.
  for (bool grew = true; grew;) {
    grew = false;
    for (const kb::Actor& a : model.actors) {
      if (family.contains(a.id)) continue;
      bool joins = !a.affiliation.empty() && family.contains(a.affiliation);
      if (model.simulation)
        if (auto it = model.simulation->count_as.find(a.id);
            it != model.simulation->count_as.end() && family.contains(it->second))
          joins = true;
      if (joins) grew = family.insert(a.id).second;
    }
  }
  return family;
}

bool timeline_before(const Date& a, const Date& b) {
  auto key = [](const Date& d) {
    return std::tuple(d.year, d.month == 0 ? 13 : d.month, d.day == 0 ? 32 : d.day);
  };
  return key(a) < key(b);
}

std::vector<const kb::Event*> timeline_events(const kb::Model& model) {
  std::vector<const kb::Event*> events;
  for (const kb::Event& e : model.events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](const kb::Event* a, const kb::Event* b) {
    return timeline_before(a->date, b->date);
  });
  return events;
}

std::map<std::string, std::vector<std::string>> conflicts_by_event(const kb::Model& model) {
  std::map<std::string, std::vector<std::string>> result;
  for (const kb::Conflict& c : model.conflicts)
    for (const auto& e : c.events) result[e].push_back(c.id);
  return result;
}

nlohmann::json to_json(const kb::Event& e) {
  nlohmann::json quotes = nlohmann::json::array();
  for (const auto& q : e.quotes) quotes.push_back({{"source", q.source}, {"quote", q.text}});
  return {{"id", e.id},           {"date", e.date.to_string()}, {"actor1", e.actor1},
          {"actor2", e.actor2},   {"cameo", e.cameo},           {"goldstein", e.goldstein},
          {"summary", e.summary}, {"sources", quotes},          {"confidence", e.confidence}};
}

nlohmann::json to_json(const kb::Fact& f) {
  return {{"id", f.id},
          {"what", f.what},
          {"value", f.value},
          {"value_high", f.value_high},
          {"qualifier", f.qualifier},
          {"unit", f.unit},
          {"year", f.year},
          {"year_basis", f.year_basis},
          {"actors", f.actors},
          {"source", f.quote.source},
          {"quote", f.quote.text}};
}

nlohmann::json to_json(const kb::Conflict& c) {
  nlohmann::json claims = nlohmann::json::array();
  for (const auto& cl : c.claims)
    claims.push_back({{"source", cl.quote.source}, {"claim", cl.claim}, {"quote", cl.quote.text}});
  return {{"id", c.id},         {"topic", c.topic},   {"events", c.events},
          {"facts", c.facts},   {"claims", claims}};
}

}  // namespace sphere::app

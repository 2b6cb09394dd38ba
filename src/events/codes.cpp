#define CSV_IO_NO_THREAD
#include <libfccp/csv.h>

#include <fmt/format.h>

#include "events/events.h"

namespace sphere::events {

namespace {

// Root -> class tables; index 0 unused.
constexpr std::array<int, 21> kGdelt = {-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3,
                                        3,  3, 3, 3, 4, 4, 4, 4, 4, 4};
constexpr std::array<int, 21> kPhoenix = {-1, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3,
                                          3,  3, 3, 4, 4, 3, 4, 4, 4, 4};

}  // namespace

const QuadScheme& QuadScheme::gdelt() {
  static const QuadScheme scheme("gdelt", kGdelt);
  return scheme;
}

const QuadScheme* QuadScheme::find(std::string_view name) {
  static const QuadScheme phoenix("phoenix", kPhoenix);
  if (name == "gdelt") return &gdelt();
  if (name == "phoenix") return &phoenix;
  return nullptr;
}

std::vector<std::string> QuadScheme::names() { return {"gdelt", "phoenix"}; }

int QuadScheme::classify(std::string_view code) const {
  if (code.size() < 2 || code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9')
    return -1;
  const int root = (code[0] - '0') * 10 + (code[1] - '0');
  return root >= 1 && root <= 20 ? by_root_[root] : -1;
}

std::string_view quad_label(int quad) {
  switch (quad) {
    case 0: return "neutral";
    case 1: return "verbal cooperation";
    case 2: return "material cooperation";
    case 3: return "verbal conflict";
    case 4: return "material conflict";
    default: return "unknown";
  }
}

CountryTable CountryTable::parse(std::string_view csv_text, const std::string& file) {
  CountryTable table;
  Diagnostics problems;
  try {
    io::CSVReader<4, io::trim_chars<' '>, io::double_quote_escape<',', '"'>> reader(
        file, csv_text.data(), csv_text.data() + csv_text.size());
    reader.read_header(io::ignore_no_column, "cameo", "actor", "name", "other_names");
    Entry e;
    std::string others;
    while (reader.read_row(e.cameo, e.actor, e.name, others)) {
      const int line = static_cast<int>(reader.get_file_line());
      if (e.cameo.size() != 3 || e.actor.empty() || e.name.empty()) {
        problems.add(file, line, e.cameo.size() != 3 ? "cameo" : "actor",
                     "expected a 3-letter CAMEO code, an actor id and a name");
        continue;
      }
      e.other_names = others.empty() ? std::vector<std::string>{} : split_trimmed(others, '|');
      if (!table.by_code_.emplace(e.cameo, e.actor).second)
        problems.add(file, line, "cameo", fmt::format("duplicate code '{}'", e.cameo));
      table.by_name_.emplace(ascii_lower(e.name), e.actor);
      for (const auto& n : e.other_names)
        if (!table.by_name_.emplace(ascii_lower(n), e.actor).second)
          problems.add(file, line, "other_names", fmt::format("name '{}' listed twice", n));
      table.entries_.push_back(e);
    }
  } catch (const io::error::base& e) {
    problems.add(file, 0, "", e.what());
  }
  if (!problems.empty()) throw InputError(problems);
  return table;
}

CountryTable CountryTable::builtin() {
  auto files = kb::ModelFiles::builtin("cameo");
  auto text = files.read("countries.csv");
  if (!text) throw InputError(files.label("countries.csv"), 0, "", "the country table is not built in");
  return parse(*text, files.label("countries.csv"));
}

std::string_view CountryTable::actor_for_code(std::string_view cameo) const {
  auto it = by_code_.find(cameo);
  return it == by_code_.end() ? cameo : std::string_view(it->second);
}

const std::string* CountryTable::actor_for_name(std::string_view name) const {
  auto it = by_name_.find(ascii_lower(name));
  return it == by_name_.end() ? nullptr : &it->second;
}

TypeTable TypeTable::parse(std::string_view csv_text, const std::string& file) {
  TypeTable table;
  Diagnostics problems;
  try {
    io::CSVReader<4, io::trim_chars<' '>, io::double_quote_escape<',', '"'>> reader(
        file, csv_text.data(), csv_text.data() + csv_text.size());
    reader.read_header(io::ignore_no_column, "country", "type", "actor", "note");
    Entry e;
    while (reader.read_row(e.country, e.type, e.actor, e.note)) {
      const int line = static_cast<int>(reader.get_file_line());
      if (e.type.size() != 3 || e.country.empty() || e.actor.empty()) {
        problems.add(file, line, e.type.size() != 3 ? "type" : "actor",
                     "expected a country actor id, a 3-letter CAMEO type code and an actor id");
        continue;
      }
      if (!table.by_pair_.emplace(std::pair{e.country, e.type}, e.actor).second)
        problems.add(file, line, "type", fmt::format("({}, {}) listed twice", e.country, e.type));
      table.entries_.push_back(e);
    }
  } catch (const io::error::base& e) {
    problems.add(file, 0, "", e.what());
  }
  if (!problems.empty()) throw InputError(problems);
  return table;
}

TypeTable TypeTable::builtin() {
  auto files = kb::ModelFiles::builtin("cameo");
  auto text = files.read("types.csv");
  if (!text) throw InputError(files.label("types.csv"), 0, "", "the actor-type table is not built in");
  return parse(*text, files.label("types.csv"));
}

std::string_view TypeTable::actor_for(std::string_view actor, std::string_view type) const {
  if (type.empty() || by_pair_.empty()) return actor;
  auto it = by_pair_.find(std::pair{std::string(actor), std::string(type)});
  return it == by_pair_.end() ? actor : std::string_view(it->second);
}

}  // namespace sphere::events

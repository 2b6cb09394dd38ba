#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "panel/panel.h"

namespace sphere::panel {

int Panel::measure_index(const std::string& name) const {
  for (std::size_t i = 0; i < measures.size(); ++i)
    if (measures[i].name == name) return static_cast<int>(i);
  return -1;
}

long Panel::find_pair(const std::string& a, const std::string& b) const {
  const auto code = [&](const std::string& c) -> int {
    const auto it = std::lower_bound(codes.begin(), codes.end(), c);
    return it != codes.end() && *it == c ? static_cast<int>(it - codes.begin()) : -1;
  };
  int x = code(a), y = code(b);
  if (x < 0 || y < 0) return -1;
  if (!directed && x > y) std::swap(x, y);
  const auto it = std::lower_bound(pairs.begin(), pairs.end(), Pair{x, y},
                                   [](const Pair& p, const Pair& q) {
                                     return std::tie(p.a, p.b) < std::tie(q.a, q.b);
                                   });
  return it != pairs.end() && it->a == x && it->b == y ? static_cast<long>(it - pairs.begin())
                                                        : -1;
}

std::string Panel::pair_name(std::size_t pair) const {
  return codes[pairs[pair].a] + (directed ? ">" : ":") + codes[pairs[pair].b];
}

std::string Panel::period_name(int period) const {
  const int p = first + period;
  if (yearly) return std::to_string(p);
  return month_text(p);
}

int Panel::period_of(const std::string& text, const std::string& where) const {
  const auto date = Date::parse(text);
  if (!date || (!yearly && date->month == 0))
    throw InputError(where, 0, "", "'" + text + "' is not a " + (yearly ? "year" : "YYYY-MM month"));
  return (yearly ? date->year : date->month_index()) - first;
}

std::pair<int, int> Panel::period_range(const std::string& text, const std::string& field) const {
  const auto dots = text.find("..");
  if (dots == std::string::npos)
    throw InputError(kRequest, 0, field,
                     fmt::format("'{}': expected FROM..TO, e.g. {}..{}", text, period_name(0),
                                 period_name(std::max(0, periods - 1))));
  try {
    return {period_of(text.substr(0, dots), field), period_of(text.substr(dots + 2), field)};
  } catch (const InputError& e) {
    throw InputError(kRequest, 0, field, e.diagnostics().items().front().message);
  }
}

std::vector<long> Panel::pairs_of(const std::string& text, const std::string& field) const {
  std::vector<long> out;
  for (const auto& spec : split_trimmed(text, ',')) {
    const auto parts = split_trimmed(spec, ':');
    const long d = parts.size() == 2 ? find_pair(parts[0], parts[1]) : -1;
    if (d < 0) throw InputError(kRequest, 0, field, "the panel never names the pair '" + spec + "'");
    out.push_back(d);
  }
  return out;
}

std::vector<Observation> read_observations(const std::string& model_dir,
                                           const std::vector<std::string>& actor_ids) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(model_dir) / "observations.toml";
  std::vector<Observation> out;
  if (!fs::exists(path)) return out;
  const std::string file = path.string();
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw InputError(file, static_cast<int>(e.source().begin.line), "", std::string(e.description()));
  }
  Diagnostics problems;
  const toml::array* list = root["observations"].as_array();
  if (!list) throw InputError(file, 0, "observations", "expected [[observations]] tables");
  for (const toml::node& node : *list) {
    const toml::table* t = node.as_table();
    const int line = static_cast<int>(node.source().begin.line);
    if (!t) {
      problems.add(file, line, "observations", "expected a table");
      continue;
    }
    Observation o;
    o.line = line;
    const auto text = [&](const char* key, std::string* into, bool required) {
      if (auto v = (*t)[key].value<std::string>()) {
        *into = *v;
      } else if (required) {
        problems.add(file, line, key, "missing (a string)");
      }
    };
    text("id", &o.id, true);
    text("file", &o.file, true);
    text("format", &o.format, true);
    text("target", &o.target, true);
    text("source", &o.source, false);
    if (o.source.empty()) o.source = o.id;
    if (!o.format.empty()) {
      try {
        parse_format(o.format, file);
      } catch (const InputError&) {
        problems.add(file, line, "format",
                     "unknown panel format '" + o.format +
                         "' (gdelt-monthly, icews-year, mid-incidents, dyad-csv, iea-flows)");
      }
    }
    if (const toml::table* actors = (*t)["actors"].as_table()) {
      for (const auto& [code, id] : *actors) {
        const auto actor = id.value<std::string>();
        if (!actor) {
          problems.add(file, line, "actors." + std::string(code.str()), "expected an actor id");
          continue;
        }
        if (std::find(actor_ids.begin(), actor_ids.end(), *actor) == actor_ids.end())
          problems.add(file, line, "actors." + std::string(code.str()),
                       "unknown actor '" + *actor + "' (not in actors.toml)");
        o.actors.emplace_back(std::string(code.str()), *actor);
      }
    } else {
      problems.add(file, line, "actors", "missing (panel code -> actor id table)");
    }
    o.resolved_path = (fs::path(model_dir) / o.file).lexically_normal().string();
    out.push_back(std::move(o));
  }
  if (!problems.empty()) throw InputError(problems);
  return out;
}

}  // namespace sphere::panel

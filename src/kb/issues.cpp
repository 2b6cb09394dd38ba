// Loading and validating issues.toml: the contested issues (0-100 scale, status quo, every
// actor's position, salience and issue-specific influence). The file is optional; a model without
// it has no issues. Every number carries its provenance and a plausible range (docs/DATA.md).
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "kb/fields.h"
#include "kb/internal.h"
#include "kb/kb.h"

namespace sphere::kb {
namespace {

constexpr int kMaxQuoteWords = 25;
constexpr double kScaleLow = 0.0, kScaleHigh = 100.0;

using fields::line_of;
// The fields of one TOML table (kb/fields.h).
using Table = fields::Fields;

// Whether a value must state its plausible range whatever its source (positions, saliences and
// influences are sampled over it) or only when it is an assumption (the status quo).
enum class Range { kAlways, kAssumptions };

// Reads `key = { value = ..., source = ..., quote | citation | rationale, range = [lo, hi] }`,
// checks the provenance rule and that low <= value <= high within [scale_low, scale_high]. The
// field named in messages is `key` (or key.range / key.quote ...), on the line of the inline
// table. A value without a range (allowed only for Range::kAssumptions) gets [value, value].
std::optional<IssueValue> read_value(const Table& parent, std::string_view key, double low,
                                     double high, const Model& model, Range need) {
  const toml::node* node = parent.table().get(key);
  if (!node || !node->is_table()) {
    parent.error(key, node ? "expected a table { value = ..., source = ..., quote = ... }"
                           : "missing; expected { value = ..., source = ..., quote = ..., "
                             "range = [low, high] }");
    return std::nullopt;
  }
  const std::string k(key);
  Diagnostics local;
  Table t(*node->as_table(), parent.file(), local,
          {"value", "source", "quote", "citation", "rationale", "range", "derivation"});
  IssueValue v;
  auto value = t.number("value");
  Provenance& p = v.provenance;
  p.origin = t.origin();
  p.source = t.string("source", false);
  p.quote = t.string("quote", false);
  p.citation = t.string("citation", false);
  p.rationale = t.string("rationale", false);
  p.derivation = t.string("derivation", false);
  for (const auto& d : local.items())  // name the field as key.field ("salience.range")
    parent.out().add(d.file, d.line, d.field == "value" ? k : k + "." + d.field, d.message);
  auto err = [&](std::string_view sub, std::string message) {
    parent.out().add(parent.file(), t.line(sub), sub == "value" ? k : k + "." + std::string(sub),
                     std::move(message));
  };
  if (value) {
    v.value = *value;
    if (v.value < low || v.value > high)
      err("value", fmt::format("{} is off the scale; expected a value in [{}, {}]", v.value, low,
                               high));
  }
  const bool assumption = p.source == "assumption";
  const toml::node* range = t.table().get("range");
  if (!range) {
    if (need == Range::kAlways || assumption)
      err("range", assumption ? "missing; an assumption needs range = [low, high]"
                              : "missing; every position, salience and influence needs its "
                                "plausible range = [low, high] (for a quoted value, the "
                                "uncertainty of coding the quote as a number)");
    p.range_low = p.range_high = v.value;
  } else {
    const toml::array* array = range->as_array();
    if (!array || array->size() != 2 || !(*array)[0].is_number() || !(*array)[1].is_number()) {
      err("range", "malformed; expected range = [low, high]");
    } else {
      p.range_low = (*array)[0].value<double>().value_or(0.0);
      p.range_high = (*array)[1].value<double>().value_or(0.0);
      if (p.range_high < p.range_low)
        err("range", fmt::format("low end {} exceeds the high end {}", p.range_low, p.range_high));
      else if (value && (v.value < p.range_low || v.value > p.range_high))
        err("value", fmt::format("{} lies outside its range [{}, {}]", v.value, p.range_low,
                                 p.range_high));
      else if (p.range_low < low || p.range_high > high)
        err("range", fmt::format("[{}, {}] leaves the scale [{}, {}]", p.range_low,
                                 p.range_high, low, high));
    }
  }
  if (p.source.empty()) {
    err("source", "missing; expected a source id, \"data\" or \"assumption\"");
  } else if (p.source == "data") {
    if (p.citation.empty())
      err("citation", "missing; source \"data\" needs the file, year and table it comes from");
  } else if (assumption) {
    if (p.rationale.empty()) err("rationale", "missing; an assumption needs a rationale");
  } else if (!model.find_source(p.source)) {
    err("source", fmt::format("unknown source '{}'; expected a source id, \"data\" or "
                              "\"assumption\"", p.source));
  } else if (p.quote.empty()) {
    err("quote", "missing; a number from a source needs a verbatim quote");
  } else if (count_words(p.quote) > kMaxQuoteWords) {
    err("quote", fmt::format("quote has {} words; at most {} allowed", count_words(p.quote),
                             kMaxQuoteWords));
  }
  if (!value) return std::nullopt;
  return v;
}

class IssueLoader {
 public:
  IssueLoader(const toml::table& root, std::string label, Model& model, Diagnostics& out)
      : root_(root), label_(std::move(label)), model_(model), out_(out) {}

  void run() {
    for (const auto& [key, node] : root_) {
      if (key.str() == "capability")
        out_.add(label_, line_of(node), "capability",
                 "one global capability per actor is no longer used; give each [[issue.position]] "
                 "its issue-specific influence = { value, source, ..., range }");
      else if (key.str() != "issue")
        out_.add(label_, line_of(node), std::string(key.str()),
                 "unknown top-level key; expected [[issue]] tables");
    }
    for (const toml::table* t : array_of_tables("issue")) load_issue(*t);
  }

 private:
  std::vector<const toml::table*> array_of_tables(std::string_view key) {
    std::vector<const toml::table*> result;
    const toml::node* node = root_.get(key);
    if (!node) return result;
    if (!node->is_array_of_tables()) {
      out_.add(label_, line_of(*node), std::string(key),
               fmt::format("expected an array of tables [[{}]]", key));
      return result;
    }
    for (const auto& item : *node->as_array()) result.push_back(item.as_table());
    return result;
  }

  bool known_actor(const Table& t, const std::string& id) {
    if (id.empty()) return false;
    if (model_.find_actor(id)) return true;
    t.error("actor", fmt::format("unknown actor '{}'; expected an id from actors.toml", id));
    return false;
  }

  void load_issue(const toml::table& table) {
    Table t(table, label_, out_, {"id", "title", "low", "high", "status_quo", "position"});
    Issue issue;
    issue.id = t.string("id");
    issue.title = t.string("title");
    issue.low = t.string("low");
    issue.high = t.string("high");
    issue.origin = t.origin();
    if (auto [it, fresh] = issue_lines_.emplace(issue.id, issue.origin.line); !fresh)
      t.error("id", fmt::format("duplicate id '{}' (first defined on line {})", issue.id,
                                it->second));
    if (auto v = read_value(t, "status_quo", kScaleLow, kScaleHigh, model_, Range::kAssumptions))
      issue.status_quo = *v;
    std::map<std::string, int> seen;
    for (const toml::table* pt : t.tables("position")) {
      Table p(*pt, label_, out_, {"actor", "position", "salience", "influence"});
      IssuePosition pos;
      pos.actor = p.string("actor");
      pos.origin = p.origin();
      known_actor(p, pos.actor);
      if (auto [it, fresh] = seen.emplace(pos.actor, pos.origin.line); !fresh && !pos.actor.empty())
        p.error("actor", fmt::format("second position of '{}' on this issue (first on line {})",
                                     pos.actor, it->second));
      if (auto v = read_value(p, "position", kScaleLow, kScaleHigh, model_, Range::kAlways))
        pos.position = *v;
      if (auto v = read_value(p, "salience", 0.0, 1.0, model_, Range::kAlways)) pos.salience = *v;
      if (auto v = read_value(p, "influence", 0.0, 1.0, model_, Range::kAlways)) {
        pos.influence = *v;
        if (v->value <= 0.0)
          p.error("influence", "0 is not an influence; an actor with none on the issue has no "
                               "position in it (drop the [[issue.position]])");
      }
      issue.positions.push_back(std::move(pos));
    }
    if (issue.positions.size() < 2)
      t.error("position", fmt::format("the issue has {} position(s); an issue needs the positions "
                                       "of at least two actors ([[issue.position]])",
                                       issue.positions.size()));
    model_.issues.push_back(std::move(issue));
  }

  const toml::table& root_;
  std::string label_;
  Model& model_;
  Diagnostics& out_;
  std::map<std::string, int> issue_lines_;
};

}  // namespace

void load_issues(const ModelFiles& files, Model& model, Diagnostics& out) {
  std::optional<toml::table> root = parse_toml_file(files, "issues.toml", false, out);
  if (!root) return;  // optional file, or a syntax error (reported)
  IssueLoader(*root, files.label("issues.toml"), model, out).run();
}

}  // namespace sphere::kb

// Loading and validating issues.toml: the actors' bargaining capabilities and the contested
// issues (0-100 scale, status quo, every actor's position and salience). The file is optional; a
// model without it has no issues. Every number carries its provenance (see docs/DATA.md).
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

// Reads `key = { value = ..., source = ..., quote | citation | rationale + range }` and checks
// the provenance rule and that the value lies in [low, high]. The field named in messages is
// `key` (or key.range / key.quote ...), on the line of the inline table.
std::optional<IssueValue> read_value(const Table& parent, std::string_view key, double low,
                                     double high, const Model& model) {
  const toml::node* node = parent.table().get(key);
  if (!node || !node->is_table()) {
    parent.error(key, node ? "expected a table { value = ..., source = ..., quote = ... }"
                           : "missing; expected { value = ..., source = ..., quote = ... }");
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
  if (p.source.empty()) {
    err("source", "missing; expected a source id, \"data\" or \"assumption\"");
  } else if (p.source == "data") {
    if (p.citation.empty())
      err("citation", "missing; source \"data\" needs the file, year and table it comes from");
  } else if (p.source == "assumption") {
    if (p.rationale.empty()) err("rationale", "missing; an assumption needs a rationale");
    const toml::node* range = t.table().get("range");
    const toml::array* array = range ? range->as_array() : nullptr;
    if (!array || array->size() != 2 || !(*array)[0].is_number() || !(*array)[1].is_number()) {
      err("range", "missing or malformed; an assumption needs range = [low, high]");
    } else {
      p.range_low = (*array)[0].value<double>().value_or(0.0);
      p.range_high = (*array)[1].value<double>().value_or(0.0);
      if (p.range_high < p.range_low) err("range", "high end is below the low end");
      else if (value && (v.value < p.range_low || v.value > p.range_high))
        err("range", fmt::format("value {} lies outside its range [{}, {}]", v.value,
                                 p.range_low, p.range_high));
      else if (p.range_low < low || p.range_high > high)
        err("range", fmt::format("[{}, {}] leaves the scale [{}, {}]", p.range_low,
                                 p.range_high, low, high));
    }
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
    for (const auto& [key, node] : root_)
      if (key.str() != "capability" && key.str() != "issue")
        out_.add(label_, line_of(node), std::string(key.str()),
                 "unknown top-level key; expected [[capability]] and [[issue]] tables");
    for (const toml::table* t : array_of_tables("capability")) load_capability(*t);
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

  void load_capability(const toml::table& table) {
    Table t(table, label_, out_, {"actor", "capability"});
    ActorCapability c;
    c.actor = t.string("actor");
    c.origin = t.origin();
    known_actor(t, c.actor);
    auto value = read_value(t, "capability", 0.0, std::numeric_limits<double>::max(), model_);
    if (value && value->value <= 0.0)
      t.error("capability", fmt::format("{} is not positive; a capability must be above 0",
                                        value->value));
    if (auto [it, fresh] = capability_lines_.emplace(c.actor, c.origin.line); !fresh)
      t.error("actor", fmt::format("second capability for '{}' (first on line {})", c.actor,
                                   it->second));
    if (value) c.capability = *value;
    model_.capabilities.push_back(std::move(c));
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
    if (auto v = read_value(t, "status_quo", kScaleLow, kScaleHigh, model_)) issue.status_quo = *v;
    std::map<std::string, int> seen;
    for (const toml::table* pt : t.tables("position")) {
      Table p(*pt, label_, out_, {"actor", "position", "salience"});
      IssuePosition pos;
      pos.actor = p.string("actor");
      pos.origin = p.origin();
      if (known_actor(p, pos.actor) && !capability_lines_.contains(pos.actor))
        p.error("actor", fmt::format("actor '{}' has no capability; add a [[capability]] for it",
                                     pos.actor));
      if (auto [it, fresh] = seen.emplace(pos.actor, pos.origin.line); !fresh && !pos.actor.empty())
        p.error("actor", fmt::format("second position of '{}' on this issue (first on line {})",
                                     pos.actor, it->second));
      if (auto v = read_value(p, "position", kScaleLow, kScaleHigh, model_)) pos.position = *v;
      if (auto v = read_value(p, "salience", 0.0, 1.0, model_)) pos.salience = *v;
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
  std::map<std::string, int> capability_lines_, issue_lines_;
};

}  // namespace

void load_issues(const ModelFiles& files, Model& model, Diagnostics& out) {
  std::optional<toml::table> root = parse_toml_file(files, "issues.toml", false, out);
  if (!root) return;  // optional file, or a syntax error (reported)
  IssueLoader(*root, files.label("issues.toml"), model, out).run();
}

}  // namespace sphere::kb

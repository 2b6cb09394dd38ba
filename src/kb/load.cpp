// Loading and validating a model directory. Every file is read in full and every problem is
// collected before anything is returned, so a model is either loaded whole or not at all.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "kb/fields.h"
#include "kb/internal.h"
#include "kb/kb.h"

namespace sphere::kb {

std::optional<toml::table> parse_toml_file(const ModelFiles& files, std::string_view name,
                                           bool required, Diagnostics& out) {
  const std::string label = files.label(name);
  std::optional<std::string> text = files.read(name);
  if (!text) {
    if (required) out.add(label, 0, "", "file not found");
    return std::nullopt;
  }
  try {
    return toml::parse(*text, label);
  } catch (const toml::parse_error& e) {
    out.add(label, static_cast<int>(e.source().begin.line), "",
            fmt::format("TOML syntax: {}", e.description()));
    return std::nullopt;
  }
}

namespace {

constexpr int kMaxQuoteWords = 25;
const std::set<std::string, std::less<>> kActorKinds = {
    "state", "bloc", "organisation", "company", "media", "group", "person", "region"};
const std::set<std::string, std::less<>> kConfidences = {"high", "medium", "low"};
const std::set<std::string, std::less<>> kQualifiers = {
    "exact", "about", "up to", "at least", "more than", "almost", "less than"};
const std::set<std::string, std::less<>> kYearBases = {"stated", "source date"};

using fields::line_of;
// The fields of one TOML table (kb/fields.h).
using Record = fields::Fields;

// Parses a TOML file and returns the tables of its top-level array `key` ([[key]]).
struct TomlFile {
  std::string label;
  toml::table root;
  std::vector<const toml::table*> records;
  bool ok = false;
};

TomlFile read_toml(const ModelFiles& files, std::string_view name, std::string_view key,
                   Diagnostics& out) {
  TomlFile file;
  file.label = files.label(name);
  std::optional<toml::table> root = parse_toml_file(files, name, true, out);
  if (!root) return file;
  file.root = std::move(*root);
  file.ok = true;
  if (key.empty()) return file;
  const toml::node* node = file.root.get(key);
  if (!node || !node->is_array_of_tables()) {
    out.add(file.label, node ? line_of(*node) : 0, std::string(key),
            fmt::format("expected an array of tables [[{}]]", key));
    return file;
  }
  for (const auto& item : *node->as_array()) file.records.push_back(item.as_table());
  for (const auto& [k, v] : file.root)
    if (k.str() != key)
      out.add(file.label, line_of(v), std::string(k.str()),
              fmt::format("unknown top-level key; expected only [[{}]] tables", key));
  return file;
}

// Ids seen so far in one file, to report duplicates with the line of the first.
class IdSet {
 public:
  // Returns false (and reports) when `id` is empty or was seen before.
  bool add(const std::string& id, const Record& record) {
    if (id.empty()) return false;
    auto [it, fresh] = seen_.emplace(id, record.line());
    if (!fresh)
      record.error("id", fmt::format("duplicate id '{}' (first defined on line {})", id,
                                     it->second));
    return fresh;
  }

 private:
  std::map<std::string, int, std::less<>> seen_;
};

void check_quote_text(const std::string& text, const std::string& file, int line,
                      const std::string& field, Diagnostics& out) {
  if (text.empty()) {
    out.add(file, line, field, "missing quote; every claim needs a verbatim quote");
    return;
  }
  const int words = count_words(text);
  if (words > kMaxQuoteWords)
    out.add(file, line, field,
            fmt::format("quote has {} words; at most {} allowed", words, kMaxQuoteWords));
}

// A file that does not parse defines none of its ids, so every reference to them from the other
// files would be reported as unknown and bury the one real error under hundreds. Those follow-on
// reports are dropped; the unreadable file gets one line saying how many were not checked.
Diagnostics without_cascade(const Diagnostics& all) {
  // File name -> the start of the messages that report a reference to one of its ids.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kDefines = {
      {"actors.toml", {"unknown actor '"}},
      {"sources.toml", {"unknown source '"}},
      {"facts.toml", {"unknown fact '"}},
      {"issues.toml", {"unknown issue '"}},
      {"infrastructure.toml", {"unknown link '", "unknown node '"}}};
  auto ends_with = [](const std::string& text, const std::string& tail) {
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
  };
  std::vector<std::pair<std::string, const std::vector<std::string>*>> unreadable;  // label, prefixes
  for (const Diagnostic& d : all.items())
    if (d.message.starts_with("TOML syntax"))
      for (const auto& [name, prefixes] : kDefines)
        if (ends_with(d.file, name)) unreadable.emplace_back(d.file, &prefixes);
  if (unreadable.empty()) return all;
  Diagnostics kept;
  std::vector<int> dropped(unreadable.size(), 0);
  for (const Diagnostic& d : all.items()) {
    bool follow_on = false;
    for (std::size_t u = 0; u < unreadable.size() && !follow_on; ++u)
      for (const std::string& prefix : *unreadable[u].second)
        if (d.file != unreadable[u].first && d.message.starts_with(prefix)) {
          follow_on = true;
          ++dropped[u];
          break;
        }
    if (!follow_on) kept.add(d.file, d.line, d.field, d.message);
  }
  for (std::size_t u = 0; u < unreadable.size(); ++u)
    if (dropped[u] > 0)
      kept.add(unreadable[u].first, 0, "",
               fmt::format("{} reference(s) to its ids from other files not checked until it parses",
                           dropped[u]));
  return kept;
}

class Loader {
 public:
  Loader(const ModelFiles& files, const Codebook& codebook) : files_(files) {
    model_.location = files.location();
    model_.codebook = codebook;
  }

  Model run() {
    load_info();
    load_sources();
    load_actors();
    load_events();
    load_facts();
    load_conflicts();
    load_issues(files_, model_, out_);  // issues.toml, contested issues (kb/issues.cpp)
    load_simulation(files_, model_, out_);  // model.toml's simulation set-up (kb/simulation.cpp)
    load_infrastructure(files_, model_, out_);  // infrastructure.toml (kb/infrastructure.cpp)
    load_ties(files_, model_, out_);            // ties.toml (kb/infrastructure.cpp)
    load_places(files_, model_, out_);          // places.toml (kb/places.cpp)
    if (!out_.empty()) throw InputError(without_cascade(out_));
    std::stable_sort(model_.events.begin(), model_.events.end(),
                     [](const Event& a, const Event& b) { return a.date < b.date; });
    return std::move(model_);
  }

 private:
  void known_source(const std::string& id, const std::string& file, int line,
                    const std::string& field) {
    if (!id.empty() && !source_ids_.contains(id))
      out_.add(file, line, field,
               fmt::format("unknown source '{}'; expected one of the ids in sources.toml", id));
  }
  void known_actor(const std::string& id, const std::string& file, int line,
                   const std::string& field) {
    if (!id.empty() && !actor_ids_.contains(id))
      out_.add(file, line, field,
               fmt::format("unknown actor '{}'; expected an id from actors.toml", id));
  }

  Date parse_date(const std::string& text, const Record& r, std::string_view key) {
    std::string why;
    auto date = Date::parse(text, &why);
    if (!date) {
      r.error(key, why);
      return {};
    }
    return *date;
  }

  void load_info() {
    TomlFile file = read_toml(files_, "model.toml", "", out_);
    if (!file.ok) return;
    Record r(file.root, file.label, out_, {"name", "region", "description", "period",
                                           "simulation", "parameter", "scenario", "outcome",
                                           "view"});
    model_.info.name = r.string("name");
    model_.info.region = r.string("region");
    model_.info.description = r.string("description", false);
    const toml::table* period = file.root["period"].as_table();
    if (!period) {
      r.error("period", "missing; expected a table { from = \"YYYY\", to = \"YYYY-MM\" }");
      return;
    }
    Record p(*period, file.label, out_, {"from", "to"});
    model_.info.from = parse_date(p.string("from"), p, "from");
    model_.info.to = parse_date(p.string("to"), p, "to");
    if (model_.info.to < model_.info.from) p.error("to", "the period ends before it starts");
  }

  void load_sources() {
    TomlFile file = read_toml(files_, "sources.toml", "source", out_);
    IdSet ids;
    for (const toml::table* t : file.records) {
      Record r(*t, file.label, out_,
               {"id", "file", "title", "author", "publisher", "date", "date_clues",
                "perspective", "kind"});
      Source s;
      s.id = r.string("id");
      s.file = r.string("file");
      s.title = r.string("title");
      s.author = r.string("author", true, true);
      s.publisher = r.string("publisher", true, true);
      s.date = r.string("date", true, true);
      if (!s.date.empty()) parse_date(s.date, r, "date");
      s.date_clues = r.string("date_clues");
      s.perspective = r.string("perspective");
      if (t->contains("kind")) s.kind = r.string("kind");
      if (s.kind != "text" && s.kind != "data")
        r.error("kind", fmt::format("'{}' is not a source kind; expected text or data", s.kind));
      s.origin = r.origin();
      if (ids.add(s.id, r)) {
        source_ids_.insert(s.id);
        model_.sources.push_back(std::move(s));
      }
    }
  }

  void load_actors() {
    TomlFile file = read_toml(files_, "actors.toml", "actor", out_);
    IdSet ids;
    std::vector<std::pair<std::string, int>> affiliations;
    for (const toml::table* t : file.records) {
      Record r(*t, file.label, out_,
               {"id", "name", "kind", "aliases", "affiliation", "sources"});
      Actor a;
      a.id = r.string("id");
      a.name = r.string("name");
      a.kind = r.string("kind");
      if (!a.kind.empty() && !kActorKinds.contains(a.kind))
        r.error("kind", fmt::format("'{}' is not a kind; expected one of: {}", a.kind,
                                    fmt::join(kActorKinds, ", ")));
      a.aliases = r.strings("aliases", false);
      a.affiliation = r.string("affiliation", false);
      if (!a.affiliation.empty()) affiliations.emplace_back(a.affiliation, r.line_of_field("affiliation"));
      a.sources = r.strings("sources");
      if (a.sources.empty() && t->contains("sources"))
        r.error("sources", "is empty; expected the ids of the sources that name this actor");
      for (const auto& s : a.sources) known_source(s, file.label, r.line_of_field("sources"), "sources");
      a.origin = r.origin();
      if (ids.add(a.id, r)) {
        actor_ids_.insert(a.id);
        model_.actors.push_back(std::move(a));
      }
    }
    for (const auto& [id, line] : affiliations) known_actor(id, file.label, line, "affiliation");
  }

  void load_events() {
    const std::string label = files_.label("events.csv");
    std::optional<std::string> text = files_.read("events.csv");
    if (!text) {
      out_.add(label, 0, "", "file not found");
      return;
    }
    std::map<std::string, int, std::less<>> ids;
    CsvReader reader(*text, label,
                     {"id", "date", "actor1", "actor2", "cameo", "goldstein", "summary",
                      "sources", "quotes", "confidence"});
    if (!reader.read_header(out_)) return;
    std::vector<std::string> row;
    while (reader.read_row(row, out_)) {
      const std::string &id = row[0], &date = row[1], &actor1 = row[2], &actor2 = row[3],
                        &cameo = row[4], &goldstein = row[5], &summary = row[6], &sources = row[7],
                        &quotes = row[8], &confidence = row[9];
      const int line = reader.line();
      auto err = [&](const char* field, std::string message) {
        out_.add(label, line, field, std::move(message));
      };
      Event ev;
      ev.id = id;
      ev.origin = {label, line};
      if (id.empty()) err("id", "is empty; expected a unique id");
      else if (auto [it, fresh] = ids.emplace(id, line); !fresh)
        err("id", fmt::format("duplicate id '{}' (first defined on line {})", id, it->second));
      std::string why;
      if (auto d = Date::parse(date, &why)) ev.date = *d;
      else err("date", why);
      known_actor(actor1, label, line, "actor1");
      known_actor(actor2, label, line, "actor2");
      if (actor1.empty()) err("actor1", "is empty; expected an actor id");
      if (actor2.empty()) err("actor2", "is empty; expected an actor id");
      ev.actor1 = actor1;
      ev.actor2 = actor2;
      ev.cameo = cameo;
      const CodebookEntry* code = model_.codebook.find(cameo);
      if (!code) err("cameo", fmt::format("'{}' is not a CAMEO event code", cameo));
      char* end = nullptr;
      ev.goldstein = std::strtod(goldstein.c_str(), &end);
      if (goldstein.empty() || *end != '\0')
        err("goldstein", fmt::format("'{}' is not a number", goldstein));
      else if (code && code->goldstein != ev.goldstein)
        err("goldstein", fmt::format("{} does not match CAMEO code {} ({}), whose Goldstein "
                                     "value is {:.1f}",
                                     goldstein, cameo, code->description, code->goldstein));
      ev.summary = summary;
      if (summary.empty()) err("summary", "is empty; expected a one-line summary");
      std::vector<std::string> source_ids = split_trimmed(sources, '|');
      std::vector<std::string> quote_texts = split_trimmed(quotes, '|');
      if (sources.empty()) err("sources", "is empty; expected at least one source id");
      if (quotes.empty()) err("quotes", "missing quote; every event needs a verbatim quote per source");
      else if (source_ids.size() != quote_texts.size())
        err("quotes", fmt::format("{} quote(s) for {} source(s); expected one quote per source",
                                  quote_texts.size(), source_ids.size()));
      for (std::size_t i = 0; i < source_ids.size(); ++i) {
        known_source(source_ids[i], label, line, "sources");
        if (i < quote_texts.size() && !quotes.empty()) {
          check_quote_text(quote_texts[i], label, line, "quotes", out_);
          ev.quotes.push_back({source_ids[i], quote_texts[i]});
        }
      }
      ev.confidence = confidence;
      if (!kConfidences.contains(confidence))
        err("confidence", fmt::format("'{}' is not a confidence; expected high, medium or low",
                                      confidence));
      model_.events.push_back(std::move(ev));
    }
  }

  void load_facts() {
    TomlFile file = read_toml(files_, "facts.toml", "fact", out_);
    IdSet ids;
    for (const toml::table* t : file.records) {
      Record r(*t, file.label, out_,
               {"id", "what", "value", "value_high", "qualifier", "unit", "year", "year_basis",
                "actors", "source", "quote"});
      Fact f;
      f.id = r.string("id");
      f.what = r.string("what");
      f.value = r.number("value").value_or(0.0);
      f.value_high = r.number("value_high", false).value_or(f.value);
      if (f.value_high < f.value)
        r.error("value_high", fmt::format("{} is below value {}", f.value_high, f.value));
      f.qualifier = r.string("qualifier", false);
      if (f.qualifier.empty()) f.qualifier = "exact";
      if (!kQualifiers.contains(f.qualifier))
        r.error("qualifier", fmt::format("'{}' is not a qualifier; expected one of: {}",
                                         f.qualifier, fmt::join(kQualifiers, ", ")));
      f.unit = r.string("unit");
      f.year = static_cast<int>(r.integer("year").value_or(0));
      if (t->contains("year") && (f.year < 1800 || f.year > 2100))
        r.error("year", fmt::format("{} is not a plausible year; expected 1800 to 2100", f.year));
      f.year_basis = r.string("year_basis", false);
      if (f.year_basis.empty()) f.year_basis = "stated";
      if (!kYearBases.contains(f.year_basis))
        r.error("year_basis",
                fmt::format("'{}' is not a year basis; expected stated or source date",
                            f.year_basis));
      f.actors = r.strings("actors", false);
      for (const auto& a : f.actors) known_actor(a, file.label, r.line_of_field("actors"), "actors");
      f.quote.source = r.string("source");
      known_source(f.quote.source, file.label, r.line_of_field("source"), "source");
      f.quote.text = r.string("quote", false);
      check_quote_text(f.quote.text, file.label, r.line_of_field("quote"), "quote", out_);
      f.origin = r.origin();
      if (ids.add(f.id, r)) {
        fact_ids_.insert(f.id);
        model_.facts.push_back(std::move(f));
      }
    }
  }

  void load_conflicts() {
    TomlFile file = read_toml(files_, "conflicts.toml", "conflict", out_);
    IdSet ids;
    for (const toml::table* t : file.records) {
      Record r(*t, file.label, out_, {"id", "topic", "events", "facts", "claim"});
      Conflict c;
      c.id = r.string("id");
      c.topic = r.string("topic");
      c.events = r.strings("events", false);
      c.facts = r.strings("facts", false);
      for (const auto& e : c.events)
        if (!model_.find_event(e))
          r.error("events", fmt::format("unknown event '{}'; expected an id from events.csv", e));
      for (const auto& f : c.facts)
        if (!fact_ids_.contains(f))
          r.error("facts", fmt::format("unknown fact '{}'; expected an id from facts.toml", f));
      std::set<std::string> sides;
      for (const toml::table* ct : r.tables("claim")) {
        Record cr(*ct, file.label, out_, {"source", "claim", "quote"});
        Claim claim;
        claim.claim = cr.string("claim");
        claim.quote.source = cr.string("source");
        known_source(claim.quote.source, file.label, cr.line_of_field("source"), "source");
        claim.quote.text = cr.string("quote", false);
        check_quote_text(claim.quote.text, file.label, cr.line_of_field("quote"), "quote", out_);
        claim.origin = cr.origin();
        sides.insert(claim.quote.source);
        c.claims.push_back(std::move(claim));
      }
      if (c.claims.size() < 2 || sides.size() < 2)
        r.error("claim", fmt::format("{} claim(s) from {} source(s); a conflict needs claims "
                                     "from at least two different sources",
                                     c.claims.size(), sides.size()));
      c.origin = r.origin();
      if (ids.add(c.id, r)) model_.conflicts.push_back(std::move(c));
    }
  }

  const ModelFiles& files_;
  Model model_;
  Diagnostics out_;
  std::set<std::string, std::less<>> source_ids_, actor_ids_, fact_ids_;
};

}  // namespace

Model load_model(const ModelFiles& files, const Codebook& codebook) {
  return Loader(files, codebook).run();
}

Model load_builtin_model() { return load_model(ModelFiles::builtin(), builtin_codebook()); }

}  // namespace sphere::kb

// Sphere's knowledge base: a model directory (sources, actors, events, facts, conflicts between
// sources) and the CAMEO codebook, loaded and validated as a whole. Every value carries its
// provenance; claims that contradict each other are kept side by side. See docs/DATA.md.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace sphere::kb {

// One CAMEO event code with its Goldstein value.
struct CodebookEntry {
  std::string code;  // a string with leading zeros: "01", "010", "0314"
  double goldstein = 0.0;
  std::string description;
};

// The CAMEO event codebook (data/cameo/codebook.csv).
class Codebook {
 public:
  // Parses codebook CSV text; `file` names it in diagnostics. Throws InputError.
  static Codebook parse(std::string_view csv_text, const std::string& file);

  // The entry for `code`, or nullptr when the code does not exist.
  const CodebookEntry* find(std::string_view code) const;
  const std::vector<CodebookEntry>& entries() const { return entries_; }

 private:
  std::vector<CodebookEntry> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

// A verbatim quote and the source it comes from.
struct Quote {
  std::string source;  // a source id
  std::string text;    // at most 25 words, verbatim
};

// Where a record was read from, for messages that point back to it.
struct Origin {
  std::string file;  // as shown to the user
  int line = 0;
};

struct Source {
  std::string id, file, title, author, publisher, date, date_clues, perspective;
  Origin origin;
};

struct Actor {
  std::string id, name, kind;
  std::vector<std::string> aliases;
  std::string affiliation;  // empty when none
  std::vector<std::string> sources;
  Origin origin;
};

struct Event {
  std::string id;
  Date date;
  std::string actor1, actor2;  // actor1 does `cameo` to actor2
  std::string cameo;
  double goldstein = 0.0;
  std::string summary;
  std::vector<Quote> quotes;  // one per source
  std::string confidence;     // high | medium | low
  Origin origin;
};

struct Fact {
  std::string id, what;
  double value = 0.0;
  double value_high = 0.0;  // equals value unless the text gives a range
  std::string qualifier;    // exact | about | up to | at least | more than | almost | less than
  std::string unit;
  int year = 0;
  std::string year_basis;  // stated | source date
  std::vector<std::string> actors;
  Quote quote;
  Origin origin;
};

// One source's side of a disagreement.
struct Claim {
  std::string claim;  // what this source says, in short
  Quote quote;
  Origin origin;
};

// A question on which sources disagree, with every side's claim.
struct Conflict {
  std::string id, topic;
  std::vector<std::string> events, facts;  // related records
  std::vector<Claim> claims;
  Origin origin;
};

struct ModelInfo {
  std::string name, region, description;
  Date from, to;
};

// A loaded, validated model. Every cross-reference in it resolves.
struct Model {
  std::string location;  // "builtin:caucasus" or the directory it was loaded from
  ModelInfo info;
  std::vector<Source> sources;
  std::vector<Actor> actors;
  std::vector<Event> events;  // in date order
  std::vector<Fact> facts;
  std::vector<Conflict> conflicts;
  Codebook codebook;

  const Actor* find_actor(std::string_view id) const;
  const Source* find_source(std::string_view id) const;
  const Event* find_event(std::string_view id) const;
};

// Where a model's files are read from: a directory on disk or the copy built into the binary.
class ModelFiles {
 public:
  static ModelFiles directory(std::filesystem::path dir);
  // `name` is a model directory under data/ at build time ("caucasus").
  static ModelFiles builtin(std::string name = "caucasus");

  // The contents of `name` ("events.csv"), or nullopt when the file does not exist.
  std::optional<std::string> read(std::string_view name) const;
  // How `name` is shown in messages: a path, or "builtin:caucasus/events.csv".
  std::string label(std::string_view name) const;
  // The model's location as shown to the user.
  std::string location() const;

 private:
  std::filesystem::path dir_;
  std::string builtin_;  // non-empty for the built-in model
};

// The codebook built into the binary.
Codebook builtin_codebook();

// Loads and validates every file of a model. Throws InputError listing every problem found
// (file, line, field, what was expected); nothing is returned half-loaded.
Model load_model(const ModelFiles& files, const Codebook& codebook);

// The built-in South Caucasus model.
Model load_builtin_model();

// Result of checking every quote of a model against the source texts.
struct QuoteReport {
  int checked = 0;
  Diagnostics problems;  // quotes not found, and source files that are missing
};

// Checks that every quote (events, facts, conflicts) appears verbatim in its source's text file
// under `sources_dir`, comparing after normalize_for_quote().
QuoteReport check_quotes(const Model& model, const std::filesystem::path& sources_dir);

}  // namespace sphere::kb

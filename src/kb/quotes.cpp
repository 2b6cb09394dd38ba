#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "kb/kb.h"

namespace sphere::kb {
namespace {

// The normalised text of each source, read once.
class SourceTexts {
 public:
  SourceTexts(const Model& model, const std::filesystem::path& dir, Diagnostics& problems) {
    for (const Source& s : model.sources) {
      if (s.kind == "data") continue;  // an imported data set: no text to search
      std::ifstream in(dir / s.file, std::ios::binary);
      if (!in) {
        problems.add(s.origin.file, s.origin.line, "file",
                     fmt::format("source text '{}' not found in {}", s.file, dir.string()));
        continue;
      }
      std::ostringstream text;
      text << in.rdbuf();
      texts_[s.id] = normalize_for_quote(text.str());
    }
  }

  // nullopt when the source's text could not be read (already reported).
  std::optional<bool> contains(const Quote& q) const {
    auto it = texts_.find(q.source);
    if (it == texts_.end()) return std::nullopt;
    return it->second.find(normalize_for_quote(q.text)) != std::string::npos;
  }

 private:
  std::map<std::string, std::string> texts_;
};

}  // namespace

std::filesystem::path shared_folder(const CitedFiles& where,
                                    const std::filesystem::path& sources_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!where.data_root.empty()) return fs::absolute(where.data_root).lexically_normal();
  if (!where.model_dir.empty())
    for (fs::path dir = fs::absolute(where.model_dir).lexically_normal();; dir = dir.parent_path()) {
      if (dir.filename().empty() && dir.has_parent_path() && dir != dir.root_path()) {
        dir = dir.parent_path();  // a trailing slash
      }
      if (dir.filename() == "shared" && fs::is_directory(dir, ec)) return dir;
      if (fs::is_directory(dir / "shared", ec)) return dir / "shared";
      if (dir == dir.root_path() || dir.parent_path() == dir) break;
    }
  fs::path texts = fs::absolute(sources_dir).lexically_normal();
  if (texts.filename().empty()) texts = texts.parent_path();  // a trailing slash
  const fs::path beside = texts.parent_path().parent_path() / "shared";
  if (fs::is_directory(beside, ec)) return beside;
  return {};
}

QuoteReport check_quotes(const Model& model, const std::filesystem::path& sources_dir,
                         const CitedFiles& where) {
  QuoteReport report;
  SourceTexts texts(model, sources_dir, report.problems);
  auto check = [&](const Quote& q, const Origin& at, const char* field) {
    // A data set's quotes are row references (docs/DATA.md), checked when imported, not here.
    if (const Source* s = model.find_source(q.source); s && s->kind == "data") return;
    ++report.checked;
    auto found = texts.contains(q);
    if (found && !*found)
      report.problems.add(at.file, at.line, field,
                          fmt::format("quote not found verbatim in {}: \"{}\"", q.source, q.text));
  };
  for (const Event& e : model.events)
    for (const Quote& q : e.quotes) check(q, e.origin, "quotes");
  for (const Fact& f : model.facts) check(f.quote, f.origin, "quote");
  for (const Conflict& c : model.conflicts)
    for (const Claim& cl : c.claims) check(cl.quote, cl.origin, "quote");
  // issues.toml: every number quoted from a source document.
  auto check_value = [&](const IssueValue& v, const char* field) {
    if (!v.provenance.quote.empty())
      check({v.provenance.source, v.provenance.quote}, v.provenance.origin, field);
  };
  for (const Issue& i : model.issues) {
    check_value(i.status_quo, "status_quo");
    for (const IssuePosition& p : i.positions) {
      check_value(p.position, "position");
      check_value(p.salience, "salience");
      check_value(p.influence, "influence");
    }
  }
  for (const Parameter& p : model.parameters)
    if (!p.quote.empty()) check({p.source, p.quote}, p.origin, "quote");
  for (const Scenario& sc : model.scenarios)
    if (sc.quote) check(*sc.quote, sc.origin, "quote");
  for (const Outcome& o : model.outcomes) check(o.quote, o.origin, "quote");
  // Numbers of infrastructure.toml and ties.toml quoted from a source document.
  // A "data" citation starts with the cited file's path under shared/ ("shared/data/..."): it
  // must exist in the folder that shared/ stands for (shared_folder()).
  const std::filesystem::path shared = shared_folder(where, sources_dir);
  int unchecked = 0;
  Origin first_unchecked;
  auto check_provenance = [&](const Provenance& p) {
    if (model.find_source(p.source)) check({p.source, p.quote}, p.origin, "quote");
    if (p.source != "data") return;
    const std::string file = p.citation.substr(0, p.citation.find_first_of(" ,;("));
    if (file.rfind("shared/", 0) != 0) return;
    if (shared.empty()) {  // reported once below, not once per citation
      if (unchecked++ == 0) first_unchecked = p.origin;
      return;
    }
    const std::filesystem::path path = shared / file.substr(7);
    // The first folder of the path that is missing, so that a misplaced tree reads as one.
    const std::filesystem::path missing = first_missing(path);
    if (missing.empty()) return;
    report.problems.add(p.origin.file, p.origin.line, "citation",
                        missing == path
                            ? fmt::format("cited file '{}' not found: {} has no {}", file,
                                          path.parent_path().string(), path.filename().string())
                            : fmt::format("cited file '{}' not found: the folder {} is missing",
                                          file, missing.string()));
  };
  for (const InfraLink& l : model.infrastructure.links) {
    check_provenance(l.provenance);
    for (const LinkStatus& s : l.statuses) check_provenance(s.provenance);
  }
  for (const InfraFlow& f : model.infrastructure.flows) check_provenance(f.provenance);
  for (const Tie& t : model.ties.ties) {
    check_provenance(t.sensitivity.provenance);
    if (t.substitution) check_provenance(t.substitution->provenance);
    check_provenance(t.own_cost.provenance);
  }
  if (unchecked > 0)
    report.problems.add(
        first_unchecked.file, first_unchecked.line, "citation",
        fmt::format("{} cited file{} under shared/ cannot be checked: no folder 'shared' in {} or "
                    "its parents, nor beside the source texts; give the data root (the folder "
                    "that shared/ stands for)",
                    unchecked, unchecked == 1 ? "" : "s",
                    where.model_dir.empty() ? "the model directory" : where.model_dir.string()));
  return report;
}

}  // namespace sphere::kb

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

QuoteReport check_quotes(const Model& model, const std::filesystem::path& sources_dir) {
  QuoteReport report;
  SourceTexts texts(model, sources_dir, report.problems);
  auto check = [&](const Quote& q, const Origin& at, const char* field) {
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
  return report;
}

}  // namespace sphere::kb

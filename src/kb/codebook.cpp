#include <cstdlib>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "kb/internal.h"
#include "kb/kb.h"

namespace sphere::kb {

Codebook Codebook::parse(std::string_view csv_text, const std::string& file) {
  auto table = std::make_shared<Table>();
  Diagnostics problems;
  CsvReader reader(csv_text, file, {"code", "goldstein", "description"});
  std::vector<std::string> row;
  if (reader.read_header(problems)) {
    CodebookEntry entry;
    while (reader.read_row(row, problems)) {
      entry.code = row[0];
      const std::string& goldstein = row[1];
      entry.description = row[2];
      const int line = reader.line();
      const bool digits = entry.code.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || entry.code.size() < 2 || entry.code.size() > 4) {
        problems.add(file, line, "code",
                     fmt::format("'{}' is not a CAMEO code; expected 2 to 4 digits", entry.code));
        continue;
      }
      // Parsed with strtod, like every other number Sphere reads, so that equal text gives equal
      // doubles.
      char* end = nullptr;
      entry.goldstein = std::strtod(goldstein.c_str(), &end);
      if (goldstein.empty() || *end != '\0') {
        problems.add(file, line, "goldstein", fmt::format("'{}' is not a number", goldstein));
        continue;
      }
      if (entry.goldstein < -10.0 || entry.goldstein > 10.0)
        problems.add(file, line, "goldstein",
                     fmt::format("{} is outside the Goldstein scale [-10, 10]", entry.goldstein));
      if (!table->index.emplace(entry.code, table->entries.size()).second) {
        problems.add(file, line, "code", fmt::format("duplicate code '{}'", entry.code));
        continue;
      }
      table->entries.push_back(entry);
    }
  }
  if (!problems.empty()) throw InputError(problems);
  Codebook book;
  book.table_ = std::move(table);
  return book;
}

const CodebookEntry* Codebook::find(std::string_view code) const {
  auto it = table_->index.find(code);
  return it == table_->index.end() ? nullptr : &table_->entries[it->second];
}

Codebook builtin_codebook() {
  const auto& files = embedded_files();
  auto it = files.find("cameo/codebook.csv");
  if (it == files.end())
    throw InputError("builtin:cameo/codebook.csv", 0, "", "the codebook is not built in");
  return Codebook::parse(it->second, "builtin:cameo/codebook.csv");
}

}  // namespace sphere::kb

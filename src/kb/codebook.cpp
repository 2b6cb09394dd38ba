#include <cstdlib>

#include <fmt/format.h>

#include "kb/internal.h"
#include "kb/kb.h"

namespace sphere::kb {

Codebook Codebook::parse(std::string_view csv_text, const std::string& file) {
  Codebook book;
  Diagnostics problems;
  try {
    CsvReader<3> reader(file, csv_text.data(), csv_text.data() + csv_text.size());
    reader.read_header(io::ignore_no_column, "code", "goldstein", "description");
    CodebookEntry entry;
    std::string goldstein;
    while (true) {
      try {
        if (!reader.read_row(entry.code, goldstein, entry.description)) break;
      } catch (const io::error::base& e) {
        add_csv_error(problems, file, e);
        continue;
      }
      const int line = static_cast<int>(reader.get_file_line());
      const bool digits = entry.code.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || entry.code.size() < 2 || entry.code.size() > 4) {
        problems.add(file, line, "code",
                     fmt::format("'{}' is not a CAMEO code; expected 2 to 4 digits", entry.code));
        continue;
      }
      // Parsed with strtod, like every other number Sphere reads, so that equal text gives equal
      // doubles (the CSV library's own float parser rounds differently).
      char* end = nullptr;
      entry.goldstein = std::strtod(goldstein.c_str(), &end);
      if (goldstein.empty() || *end != '\0') {
        problems.add(file, line, "goldstein", fmt::format("'{}' is not a number", goldstein));
        continue;
      }
      if (entry.goldstein < -10.0 || entry.goldstein > 10.0)
        problems.add(file, line, "goldstein",
                     fmt::format("{} is outside the Goldstein scale [-10, 10]", entry.goldstein));
      if (!book.index_.emplace(entry.code, book.entries_.size()).second) {
        problems.add(file, line, "code", fmt::format("duplicate code '{}'", entry.code));
        continue;
      }
      book.entries_.push_back(entry);
    }
  } catch (const io::error::base& e) {
    add_csv_error(problems, file, e);
  }
  if (!problems.empty()) throw InputError(problems);
  return book;
}

const CodebookEntry* Codebook::find(std::string_view code) const {
  auto it = index_.find(code);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

Codebook builtin_codebook() {
  const auto& files = embedded_files();
  auto it = files.find("cameo/codebook.csv");
  if (it == files.end())
    throw InputError("builtin:cameo/codebook.csv", 0, "", "the codebook is not built in");
  return Codebook::parse(it->second, "builtin:cameo/codebook.csv");
}

}  // namespace sphere::kb

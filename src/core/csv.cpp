// CsvReader: the model's CSV tables read line by line from text already in memory. The rules
// (trimming, quotes, line ends, the messages) are those the tables were first read with, so a
// table reads and fails the same way; only no fixed-size buffer is taken per file.
#include <algorithm>

#include <fmt/format.h>

#include "core/core.h"

namespace sphere {
namespace {

constexpr std::string_view kTrimmed = " \t";
// An error quotes at most this much of a column's name (a header may be any bytes).
constexpr std::size_t kNameQuoted = 63;

// The end of the field that starts at `i`: the next comma outside double quotes, or the line's
// end; npos when a quote is not closed. A quoted part may start anywhere in a field, and ""
// inside it is a quote.
std::size_t field_end(std::string_view line, std::size_t i) {
  while (i < line.size() && line[i] != ',') {
    if (line[i] != '"') {
      ++i;
      continue;
    }
    do {
      const std::size_t close = line.find('"', i + 1);
      if (close == std::string_view::npos) return std::string_view::npos;
      i = close + 1;
    } while (i < line.size() && line[i] == '"');
  }
  return i;
}

// A raw field as read: trimmed of spaces and tabs, then, when it is wholly in quotes, unquoted
// with each "" inside made one quote (a lone quote inside stays).
void clean_field(std::string_view raw, std::string& out) {
  const std::size_t first = raw.find_first_not_of(kTrimmed);
  if (first == std::string_view::npos) {
    out.clear();
    return;
  }
  raw = raw.substr(first, raw.find_last_not_of(kTrimmed) - first + 1);
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') {
    out.assign(raw);
    return;
  }
  raw = raw.substr(1, raw.size() - 2);
  out.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '"' && i + 1 < raw.size() && raw[i + 1] == '"') ++i;
    out.push_back(raw[i]);
  }
}

}  // namespace

bool split_csv_line(std::string_view line, std::vector<std::string>& fields) {
  std::size_t used = 0;
  for (std::size_t i = 0;;) {
    const std::size_t end = field_end(line, i);
    if (end == std::string_view::npos) {
      fields.resize(used);
      return false;
    }
    if (used == fields.size()) fields.emplace_back();  // the strings are reused across lines
    clean_field(line.substr(i, end - i), fields[used++]);
    if (end == line.size()) break;
    i = end + 1;
  }
  fields.resize(used);
  return true;
}

CsvReader::CsvReader(std::string_view text, std::string file, std::vector<std::string> columns)
    : rest_(text), file_(std::move(file)), columns_(std::move(columns)) {
  // A UTF-8 byte order mark is not part of the header's first name.
  if (rest_.starts_with("\xEF\xBB\xBF")) rest_.remove_prefix(3);
}

bool CsvReader::next_line(std::string_view* line) {
  if (rest_.empty()) return false;
  ++line_;
  const std::size_t end = rest_.find('\n');
  *line = rest_.substr(0, end);
  rest_ = end == std::string_view::npos ? std::string_view() : rest_.substr(end + 1);
  if (line->ends_with('\r')) line->remove_suffix(1);
  // A NUL byte ends the line, as it ends a C string.
  if (const std::size_t nul = line->find('\0'); nul != std::string_view::npos)
    line->remove_suffix(line->size() - nul);
  return true;
}

bool CsvReader::read_header(Diagnostics& out) {
  std::string_view line;
  if (!next_line(&line)) {
    out.add(file_, 0, "", "Header missing");
    return false;
  }
  auto column_error = [&](const char* what, std::string_view name) {
    out.add(file_, 0, "",
            fmt::format("{} column \"{}\" in header of file \"{}\".", what,
                        name.substr(0, kNameQuoted), file_));
    return false;
  };
  order_.clear();
  std::vector<bool> found(columns_.size(), false);
  std::string name;
  for (std::size_t i = 0;;) {
    const std::size_t end = field_end(line, i);
    if (end == std::string_view::npos) {
      out.add(file_, line_, "", "Escaped string was not closed");
      return false;
    }
    clean_field(line.substr(i, end - i), name);
    const auto known = std::find(columns_.begin(), columns_.end(), name);
    if (known == columns_.end()) return column_error("Extra", name);
    const auto index = static_cast<std::size_t>(known - columns_.begin());
    if (found[index]) return column_error("Duplicated", name);
    found[index] = true;
    order_.push_back(index);
    if (end == line.size()) break;
    i = end + 1;
  }
  for (std::size_t c = 0; c < columns_.size(); ++c)
    if (!found[c]) return column_error("Missing", columns_[c]);
  return true;
}

bool CsvReader::read_row(std::vector<std::string>& row, Diagnostics& out) {
  row.resize(columns_.size());
  std::string_view line;
  while (next_line(&line)) {
    const char* problem = nullptr;
    bool more = true;  // a field remains to be read
    std::size_t i = 0;
    for (std::size_t k = 0; k < order_.size() && !problem; ++k) {
      if (!more) {
        problem = "Too few columns";
        break;
      }
      const std::size_t end = field_end(line, i);
      if (end == std::string_view::npos) {
        problem = "Escaped string was not closed";
        break;
      }
      clean_field(line.substr(i, end - i), row[order_[k]]);
      more = end < line.size();
      i = end + 1;
    }
    if (!problem && more) problem = "Too many columns";
    if (!problem) return true;
    out.add(file_, line_, "", problem);
  }
  return false;
}

}  // namespace sphere

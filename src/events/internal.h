// Private helpers shared by the importers. Not part of the public API (events.h).
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "events/events.h"

namespace sphere::events::detail {

// Reads lines from a file descriptor in constant memory whatever the input's size. A regular file
// is mapped and read in place (no copy), the pages behind the reader released every few MB; a
// pipe is read through one fixed buffer. A line longer than `buffer_bytes` is reported and
// skipped, never split.
class LineReader {
 public:
  LineReader(int fd, std::size_t buffer_bytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  // The next line without its '\n' (and a trailing '\r'); false at end of input.
  // `*too_long` is set when the line was cut because it did not fit the buffer.
  bool next(std::string_view* line, bool* too_long);
  long long line_number() const { return line_number_; }
  long long bytes() const { return map_ ? static_cast<long long>(pos_) : bytes_; }

 private:
  bool fill();  // reads more; false at end of input
  bool next_mapped(std::string_view* line, bool* too_long);
  const char* map_ = nullptr;  // the mapped file, or nullptr when reading through the buffer
  std::size_t size_ = 0, pos_ = 0, released_ = 0, limit_ = 0;
  int fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  long long line_number_ = 0, bytes_ = 0;
};

// The codebook as a flat table indexed by code text: lookups without hashing or allocation.
class CodeTable {
 public:
  struct Code {
    bool known = false;
    double goldstein = 0.0;
    int quad = -1;        // under the import's scheme
    int gdelt_quad = -1;  // under GDELT's, to check a file's own QuadClass column
  };
  CodeTable(const kb::Codebook& codebook, const QuadScheme& scheme);
  // nullptr when `code` is not a code of the codebook.
  const Code* find(std::string_view code) const;

 private:
  static int index(std::string_view code);  // -1 when not 2 to 4 digits
  std::vector<Code> codes_;
};

// Counts a bad row under `reason`; with `strict`, throws InputError instead.
void count_bad(ImportReport& report, bool strict, const std::string& label, long long line,
               const std::string& field, const std::string& reason, const std::string& detail);

// Parses a whole field as a number; false when any character is left over.
template <typename T>
bool parse_number(std::string_view text, T* value) {
  if (text.empty()) return false;
  const char* first = text.data();
  if (*first == '+') ++first;  // from_chars rejects a leading '+'
  auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), *value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// A day-precision date from 8 digits YYYYMMDD (or from YYYY-MM-DD with `dashed`); nullopt when
// malformed or impossible (30 February).
std::optional<Date> parse_day(std::string_view text, bool dashed);

// Two uniform draws in (0, 1) that are a pure function of (seed, stream, counter): Random123's
// Philox4x32-10, so a draw never depends on the order or thread in which draws are made.
std::array<double, 2> philox_uniforms(std::uint64_t seed, std::uint32_t stream, std::uint64_t counter);

// Whether the filter keeps an event between these actors on this day.
bool keeps(const ImportFilter& filter, const Date& date, std::string_view a1, std::string_view a2);

}  // namespace sphere::events::detail

// Private helpers shared by the importers. Not part of the public API (events.h).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include "events/events.h"

namespace sphere::events::detail {

// Reads lines from a file descriptor in constant memory whatever the input's size: through one
// buffer of `buffer_bytes`, filled by read() calls of at most kChunk bytes so that the bytes
// just read are still in the CPU's cache when the lines are split (faster than mapping the file,
// whose page faults and page-table work cost more than the copy). A line longer than
// `buffer_bytes` is reported and skipped, never split.
class LineReader {
 public:
  static constexpr std::size_t kChunk = 128 << 10;
  LineReader(int fd, std::size_t buffer_bytes);
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  // The next line without its '\n' (and a trailing '\r'); false at end of input.
  // `*too_long` is set when the line was cut because it did not fit the buffer.
  bool next(std::string_view* line, bool* too_long);
  // As next(), with `find(start, size, readable, state)` in place of memchr: the offset of the
  // first '\n' of the size bytes at start, or size when there is none (bytes up to `readable`
  // may be loaded). The finder's last call before a line is returned covered that whole line, so
  // it can gather facts about the line on the way (GDELT counts its tabs).
  using Finder = std::size_t (*)(const char* start, std::size_t size, const char* readable, void* state);
  bool next(std::string_view* line, bool* too_long, Finder find, void* state);
  long long line_number() const { return line_number_; }
  long long bytes() const { return bytes_; }
  // End of the memory the reader owns after the last line returned: bytes up to it may be read
  // (and ignored) by a block-wise scan of that line.
  const char* readable_end() const { return buffer_.data() + buffer_.size(); }

 private:
  bool fill();  // reads more; false at end of input
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
  const Code* find(std::string_view code) const {
    const int i = index(code);
    return i >= 0 && codes_[static_cast<std::size_t>(i)].known ? &codes_[static_cast<std::size_t>(i)] : nullptr;
  }
  // A code's place in the table, for callers that keep something per code: [0, slots()).
  std::size_t slot(const Code* code) const { return static_cast<std::size_t>(code - codes_.data()); }
  std::size_t slots() const { return codes_.size(); }

 private:
  // Digits as a number, offset by length so that "01", "001" and "0001" differ; -1 when not 2 to
  // 4 digits.
  static int index(std::string_view code) {
    if (code.size() < 2 || code.size() > 4) return -1;
    int v = 0;
    for (char c : code) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return code.size() == 2 ? v : code.size() == 3 ? 100 + v : 1100 + v;
  }
  std::vector<Code> codes_;
};

// Counts a bad row under `reason`; with `strict`, throws InputError instead.
void count_bad(ImportReport& report, bool strict, const std::string& label, long long line,
               const std::string& field, const std::string& reason, const std::string& detail);

// Parses "-?digits(.digits)?" with at most 15 digits, the common form of a GDELT number, without
// from_chars: the digits as an integer and the power of ten are both exact doubles, so their
// IEEE quotient is the correctly rounded value, the same double from_chars gives. False when the
// text has another form (the caller falls back to from_chars).
inline bool parse_plain_decimal(std::string_view text, double* value) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* p = text.data();
  const char* const end = p + text.size();
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  std::uint64_t mantissa = 0;
  int digits = 0, fraction = -1;  // fraction: digits after the point, -1 before it
  for (; p != end; ++p) {
    if (*p >= '0' && *p <= '9') {
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
      ++digits;
      if (fraction >= 0) ++fraction;
    } else if (*p == '.' && fraction < 0 && digits > 0) {
      fraction = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || digits > 15 || fraction == 0) return false;
  const double v = static_cast<double>(mantissa) / kPow10[fraction < 0 ? 0 : fraction];
  *value = negative ? -v : v;
  return true;
}

// Parses a whole field as a number; false when any character is left over.
template <typename T>
inline __attribute__((always_inline)) bool parse_number(std::string_view text, T* value) {
  if (text.empty()) return false;
  if constexpr (std::is_same_v<T, int>) {  // one digit: QuadClass, IsRootEvent
    if (text.size() == 1 && text[0] >= '0' && text[0] <= '9') {
      *value = text[0] - '0';
      return true;
    }
  }
  if constexpr (std::is_same_v<T, double>) {
    if (parse_plain_decimal(text, value)) return true;
  }
  const char* first = text.data();
  if (*first == '+') ++first;  // from_chars rejects a leading '+'
  auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), *value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// A day-precision date from 8 digits YYYYMMDD (or from YYYY-MM-DD with `dashed`); nullopt when
// malformed or impossible (30 February). Inline: the importers call it on every row.
inline std::optional<Date> parse_day(std::string_view t, bool dashed) {
  auto digits = [](std::string_view s, int* out) {
    int v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    return !s.empty();
  };
  Date d;
  bool ok;
  if (dashed)
    ok = t.size() == 10 && t[4] == '-' && t[7] == '-' && digits(t.substr(0, 4), &d.year) &&
         digits(t.substr(5, 2), &d.month) && digits(t.substr(8, 2), &d.day);
  else
    ok = t.size() == 8 && digits(t.substr(0, 4), &d.year) && digits(t.substr(4, 2), &d.month) &&
         digits(t.substr(6, 2), &d.day);
  if (!ok || d.month < 1 || d.month > 12 || d.day < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  // The leap-year test (two divisions) only for 29 February.
  if (d.day > kDays[d.month - 1] &&
      !(d.month == 2 && d.day == 29 && ((d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0)))
    return std::nullopt;
  return d;
}

// Two uniform draws in (0, 1) that are a pure function of (seed, stream, counter): Random123's
// Philox4x32-10, so a draw never depends on the order or thread in which draws are made.
std::array<double, 2> philox_uniforms(std::uint64_t seed, std::uint32_t stream, std::uint64_t counter);

// Whether the filter keeps an event between these actors on this day.
bool keeps(const ImportFilter& filter, const Date& date, std::string_view a1, std::string_view a2);

// Writes all of `buffer` to `fd` (retrying short writes and EINTR) and clears it; throws
// std::runtime_error on a write error. The event writers' flush.
void write_all(int fd, std::string& buffer);

}  // namespace sphere::events::detail

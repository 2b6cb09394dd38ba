#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#define CSV_IO_NO_THREAD
#include <libfccp/csv.h>

#include <fmt/format.h>

#include "events/events.h"
#include "events/internal.h"

namespace sphere::events {

namespace detail {

namespace {
constexpr std::size_t kReleaseEvery = 8 << 20;  // bytes of a mapped file kept resident behind us
}

LineReader::LineReader(int fd, std::size_t buffer_bytes) : limit_(buffer_bytes), fd_(fd) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* map = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      map_ = static_cast<const char*>(map);
      size_ = static_cast<std::size_t>(st.st_size);
      ::madvise(map, size_, MADV_SEQUENTIAL);
      return;
    }
  }
  buffer_.resize(buffer_bytes);
}

LineReader::~LineReader() {
  if (map_) ::munmap(const_cast<char*>(map_), size_);
}

bool LineReader::next_mapped(std::string_view* line, bool* too_long) {
  *too_long = false;
  if (pos_ >= size_) return false;
  const char* start = map_ + pos_;
  const void* nl = std::memchr(start, '\n', size_ - pos_);
  const char* stop = nl ? static_cast<const char*>(nl) : map_ + size_;
  pos_ = static_cast<std::size_t>(stop - map_) + (nl ? 1 : 0);
  ++line_number_;
  if (stop > start && stop[-1] == '\r') --stop;
  *line = std::string_view(start, static_cast<std::size_t>(stop - start));
  if (line->size() >= limit_) {  // the same limit as through the buffer
    *too_long = true;
    *line = std::string_view();
  }
  // Pages already read leave this process (they stay in the page cache): resident memory stays
  // bounded by kReleaseEvery however large the file.
  if (pos_ - released_ >= 2 * kReleaseEvery) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t upto = (pos_ - kReleaseEvery) / page * page;
    ::madvise(const_cast<char*>(map_) + released_, upto - released_, MADV_DONTNEED);
    released_ = upto;
  }
  return true;
}

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {  // move the partial line to the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ < buffer_.size()) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<std::size_t>(n);
    bytes_ += n;
    break;  // one read at a time keeps the memmove small
  }
  return true;
}

bool LineReader::next(std::string_view* line, bool* too_long) {
  if (map_) return next_mapped(line, too_long);
  *too_long = false;
  while (true) {
    const char* start = buffer_.data() + begin_;
    if (const void* nl = std::memchr(start, '\n', end_ - begin_)) {
      const char* stop = static_cast<const char*>(nl);
      begin_ = static_cast<std::size_t>(stop - buffer_.data()) + 1;
      ++line_number_;
      if (stop > start && stop[-1] == '\r') --stop;
      *line = std::string_view(start, static_cast<std::size_t>(stop - start));
      return true;
    }
    if (begin_ == 0 && end_ == buffer_.size()) {
      // A line that fills the whole buffer: report it and drop it up to its newline.
      *too_long = true;
      ++line_number_;
      begin_ = end_ = 0;
      while (fill()) {
        if (const void* nl = std::memchr(buffer_.data(), '\n', end_)) {
          begin_ = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data()) + 1;
          break;
        }
        if (eof_ && end_ == 0) break;
        end_ = 0;
      }
      *line = std::string_view();
      return true;
    }
    if (eof_) {
      if (begin_ == end_) return false;
      ++line_number_;  // a last line without '\n'
      *line = std::string_view(buffer_.data() + begin_, end_ - begin_);
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      begin_ = end_;
      return true;
    }
    fill();
  }
}

CodeTable::CodeTable(const kb::Codebook& codebook, const QuadScheme& scheme) : codes_(11100) {
  for (const auto& e : codebook.entries()) {
    const int i = index(e.code);
    if (i < 0) continue;
    codes_[i] = {true, e.goldstein, scheme.classify(e.code), QuadScheme::gdelt().classify(e.code)};
  }
}

int CodeTable::index(std::string_view code) {
  if (code.size() < 2 || code.size() > 4) return -1;
  int v = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return code.size() == 2 ? v : code.size() == 3 ? 100 + v : 1100 + v;
}

const CodeTable::Code* CodeTable::find(std::string_view code) const {
  const int i = index(code);
  return i >= 0 && codes_[i].known ? &codes_[i] : nullptr;
}

void count_bad(ImportReport& report, bool strict, const std::string& label, long long line,
               const std::string& field, const std::string& reason, const std::string& detail) {
  if (strict) throw InputError(label, static_cast<int>(line), field, reason + ": " + detail);
  ++report.bad;
  auto& r = report.reasons[reason];
  if (r.count++ == 0) {
    r.first_line = line;
    r.example = field.empty() ? detail : "field '" + field + "': " + detail;
  }
}

std::optional<Date> parse_day(std::string_view t, bool dashed) {
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
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  if (d.day > kDays[d.month - 1] + (d.month == 2 && leap ? 1 : 0)) return std::nullopt;
  return d;
}

bool keeps(const ImportFilter& f, const Date& date, std::string_view a1, std::string_view a2) {
  if (f.from && date < *f.from) return false;
  if (f.to && date > *f.to) return false;
  if (f.actors.empty() && f.dyads.empty()) return true;
  for (const auto& a : f.actors)
    if (a == a1 || a == a2) return true;
  for (const auto& [x, y] : f.dyads)
    if ((x == a1 && y == a2) || (x == a2 && y == a1)) return true;
  return false;
}

}  // namespace detail

CsvEventWriter::CsvEventWriter(int fd) : fd_(fd) {
  buffer_ = "date,actor1,actor2,cameo,goldstein,quad\n";
}

CsvEventWriter::~CsvEventWriter() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; flush() explicitly to see write errors
  }
}

void CsvEventWriter::add(const EventView& e) {
  // Actor ids and codes hold no commas or quotes (CAMEO codes, Sphere ids); written as they are.
  fmt::format_to(std::back_inserter(buffer_), "{:04}-{:02}-{:02},{},{},{},{},{}\n", e.date.year,
                 e.date.month, e.date.day, e.actor1, e.actor2, e.code, e.goldstein, e.quad);
  if (buffer_.size() > (1 << 20)) flush();
}

void CsvEventWriter::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void read_event_csv(std::string_view text, const std::string& file, const kb::Codebook& codebook,
                    const QuadScheme& scheme, EventSink& sink) {
  Diagnostics problems;
  try {
    io::CSVReader<5, io::trim_chars<' '>, io::double_quote_escape<',', '"'>> reader(
        file, text.data(), text.data() + text.size());
    reader.read_header(io::ignore_extra_column, "date", "actor1", "actor2", "cameo", "goldstein");
    std::string date, a1, a2, code, goldstein;
    while (reader.read_row(date, a1, a2, code, goldstein)) {
      const int line = static_cast<int>(reader.get_file_line());
      std::string why;
      auto d = Date::parse(date, &why);
      if (!d) {
        problems.add(file, line, "date", why);
        continue;
      }
      const kb::CodebookEntry* entry = codebook.find(code);
      if (!entry) {
        problems.add(file, line, "cameo", fmt::format("'{}' is not a CAMEO code", code));
        continue;
      }
      EventView v;
      v.date = *d;
      v.actor1 = v.country1 = a1;
      v.actor2 = v.country2 = a2;
      v.code = code;
      if (!detail::parse_number(std::string_view(goldstein), &v.goldstein) ||
          v.goldstein != entry->goldstein) {
        problems.add(file, line, "goldstein",
                     fmt::format("'{}' is not the Goldstein value {} of code {}", goldstein,
                                 entry->goldstein, code));
        continue;
      }
      v.quad = scheme.classify(code);
      sink.add(v);
    }
  } catch (const io::error::base& e) {
    problems.add(file, 0, "", e.what());
  }
  if (!problems.empty()) throw InputError(problems);
}

}  // namespace sphere::events

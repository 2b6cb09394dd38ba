#include <unistd.h>

#include <algorithm>
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

LineReader::LineReader(int fd, std::size_t buffer_bytes) : fd_(fd), buffer_(buffer_bytes) {}

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {  // move the partial line to the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ < buffer_.size()) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, std::min(kChunk, buffer_.size() - end_));
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
  const Finder find = [](const char* start, std::size_t size, const char*, void*) {
    const void* nl = std::memchr(start, '\n', size);
    return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : size;
  };
  return next(line, too_long, find, nullptr);
}

bool LineReader::next(std::string_view* line, bool* too_long, Finder find, void* state) {
  *too_long = false;
  while (true) {
    const char* start = buffer_.data() + begin_;
    if (const std::size_t at = find(start, end_ - begin_, readable_end(), state); at < end_ - begin_) {
      const char* stop = start + at;
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

namespace {
// a == b, the first bytes compared inline: most rows name other actors than the filter's.
inline bool same(const std::string& a, std::string_view b) {
  return a.size() == b.size() && (a.empty() || (a[0] == b[0] && std::memcmp(a.data(), b.data(), a.size()) == 0));
}
}  // namespace

bool keeps(const ImportFilter& f, const Date& date, std::string_view a1, std::string_view a2) {
  // Actors first: they reject most rows of a large file.
  if (!f.actors.empty() || !f.dyads.empty()) {
    bool wanted = false;
    for (const auto& a : f.actors) wanted = wanted || same(a, a1) || same(a, a2);
    for (const auto& [x, y] : f.dyads)
      wanted = wanted || (same(x, a1) && same(y, a2)) || (same(x, a2) && same(y, a1));
    if (!wanted) return false;
  }
  if (f.from && date < *f.from) return false;
  if (f.to && date > *f.to) return false;
  return true;
}

}  // namespace detail

CsvEventWriter::CsvEventWriter(int fd) : fd_(fd) {
  buffer_ = "date,actor1,actor2,cameo,goldstein,quad\n";
}

CsvEventWriter::CsvEventWriter(std::ostream& out) : stream_(&out) {
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
  if (!stream_) return detail::write_all(fd_, buffer_);
  stream_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

namespace detail {

void write_all(int fd, std::string& buffer) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::write(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  buffer.clear();
}

}  // namespace detail

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

// Sphere's core: dates at the precision a text gives, diagnostics that carry file:line:field,
// the text normalisation used to find quotes in their sources, CSV tables read in memory, and
// atomic file writes.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sphere {

// Exit codes shared by every command: one per kind of error (ErrorKind).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;         // a malformed command line or request
inline constexpr int kExitInvalidInput = 2;  // an invalid model, input file or request value
inline constexpr int kExitIo = 3;            // a file that cannot be read or written
inline constexpr int kExitCorruption = 4;    // a file of Sphere's own that is damaged (checksum)

// What went wrong, as a front end reports it: each kind has one exit code (above) and one HTTP
// status.
enum class ErrorKind { kUsage, kInvalidInput, kIo, kCorruption };
int exit_code(ErrorKind kind);

// A calendar date known to a year, a month or a day ("2024", "2024-12", "2024-12-25").
// Ordering puts a coarser date before the finer dates it contains (2024 < 2024-01 < 2024-01-01),
// so a timeline sorted by Date lists an event "in 2024" before the dated events of 2024.
struct Date {
  int year = 0;
  int month = 0;  // 0 when only the year is known
  int day = 0;    // 0 when only the year or month is known

  enum class Precision { kYear, kMonth, kDay };
  Precision precision() const;
  std::string to_string() const;
  // Months since year 0; a year-only date counts as its January.
  int month_index() const { return year * 12 + (month == 0 ? 0 : month - 1); }
  auto operator<=>(const Date&) const = default;

  // Parses YYYY, YYYY-MM or YYYY-MM-DD. Returns nullopt and sets *why on a malformed or
  // impossible date (month 13, 30 February).
  static std::optional<Date> parse(std::string_view text, std::string* why = nullptr);
};
// A month index (Date::month_index) as YYYY-MM.
std::string month_text(int month_index);

// The `file` of a Diagnostic about a request (a command line, an API call): its `field` is then
// the request field's neutral name ("cut", "as_of"), which each front end shows as it knows it
// (the CLI as its flag, the server as its parameter or JSON path).
inline constexpr const char* kRequest = "request";

// One problem in an input, located as precisely as the input allows.
struct Diagnostic {
  std::string file;   // as the user should see it: a path or "builtin:caucasus/events.csv"
  int line = 0;       // 1-based; 0 when the problem concerns the whole file
  std::string field;  // the column or key at fault; empty when none applies
  std::string message;

  // "file:line: field 'x': message"
  std::string to_string() const;
};

// Collects every problem found in an input so that all of them are reported together.
class Diagnostics {
 public:
  void add(std::string file, int line, std::string field, std::string message);
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  void append(const Diagnostics& other);
  // All diagnostics, one per line.
  std::string to_string() const;

 private:
  std::vector<Diagnostic> items_;
};

// Thrown when an input is invalid (kInvalidInput, exit code 2) or one of Sphere's own files is
// damaged (kCorruption, exit code 4); carries every problem found.
class InputError : public std::runtime_error {
 public:
  explicit InputError(Diagnostics diagnostics, ErrorKind kind = ErrorKind::kInvalidInput);
  InputError(std::string file, int line, std::string field, std::string message,
             ErrorKind kind = ErrorKind::kInvalidInput);
  const Diagnostics& diagnostics() const { return diagnostics_; }
  ErrorKind kind() const { return kind_; }

 private:
  Diagnostics diagnostics_;
  ErrorKind kind_;
};

// Thrown when a file cannot be read or written (exit code 3); the message names the file.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A request naming `name` where `candidates` are allowed: "; did you mean 'x'?" with the closest
// candidate (case-insensitive edit distance at most a third of its length, at least 1), else "".
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

// Text as compared when looking for a quote in its source: curly quotes and apostrophes become
// straight ones, every run of whitespace (non-breaking spaces included) one space, trimmed.
std::string normalize_for_quote(std::string_view text);

// Number of whitespace-separated words.
int count_words(std::string_view text);

// A number without trailing zeros (2, 2.5, 0.25).
std::string format_number(double value);

// Splits on a single-character separator, trimming spaces around each part.
std::vector<std::string> split_trimmed(std::string_view text, char separator);

// Lower-cases ASCII letters; other bytes (UTF-8 included) are kept as they are.
std::string ascii_lower(std::string_view text);

// The Brier score of probabilities `p` over exclusive categories when category `observed`
// happened: sum over k of (p_k - [k = observed])^2, from 0 (certain and right) to 2.
double brier_score(const std::vector<double>& p, int observed);

// Reads CSV text held in memory, with a header line, as the model's tables are written: fields
// separated by commas and trimmed of spaces and tabs; a field wholly in double quotes may hold
// commas ("" in it is one quote), and a quoted part may sit inside a field; a quoted part cannot
// span lines. "\r\n" line ends and a UTF-8 byte order mark are accepted; a NUL byte ends its
// line. Lines are numbered from 1 (the header). Problems go to a Diagnostics with the file's name
// and line. Reads line by line in place: nothing is allocated in proportion to the file.
// Splits one CSV line (without its line end) into `fields` by CsvReader's rules: trimmed of
// spaces and tabs, a field wholly in double quotes unquoted ("" in it is one quote), a quoted part
// possibly inside a field. False when a quote is not closed (`fields` then holds the fields
// before it). The one CSV field splitter: the model's tables and the observation panels use it.
bool split_csv_line(std::string_view line, std::vector<std::string>& fields);

class CsvReader {
 public:
  // `text` must outlive the reader; `file` names it in diagnostics; `columns` are the header's
  // names, each wanted exactly once and no other.
  CsvReader(std::string_view text, std::string file, std::vector<std::string> columns);

  // Reads and checks the header; false (the problem added to `out`) when the text is empty or the
  // header's columns are not exactly `columns`, in any order.
  bool read_header(Diagnostics& out);
  // Reads the next row into `row`, one field per name of `columns` in their order. A line that
  // does not split into the header's columns (too few, too many, a quote not closed) is added to
  // `out` and skipped. False at the end of the text.
  bool read_row(std::vector<std::string>& row, Diagnostics& out);
  // The line last read.
  int line() const { return line_; }

 private:
  bool next_line(std::string_view* line);

  std::string_view rest_;
  std::string file_;
  std::vector<std::string> columns_;
  std::vector<std::size_t> order_;  // header position -> index in columns_
  std::vector<std::string_view> raw_;
  int line_ = 0;
};

// Draws from Random123's Philox4x32-10: the n-th draw of a stream is a pure function of
// (seed, run, month, purpose, index, n), whatever else was drawn before or on other threads.
// Transforms are our own (docs/MODEL.md): no std:: distributions. Not thread-safe; cheap to make.
// `purpose` (8 bits) names what a stream is for, so that adding draws for one purpose never
// shifts the draws of another.
class Rng {
 public:
  Rng(std::uint64_t seed, std::uint32_t run, std::uint32_t month, std::uint32_t purpose,
      std::uint32_t index);
  // Raw 32-bit word.
  std::uint32_t next_u32();
  // Uniform on the open interval (0, 1), 53 random bits.
  double uniform();
  // Standard normal (Box–Muller, cosine branch).
  double normal();
  // Poisson(lambda): inversion below 10, Hörmann's PTRS from 10 on.
  std::uint32_t poisson(double lambda);
  // Gamma(shape, 1): Marsaglia–Tsang.
  double gamma(double shape);
  // Uniform integer in [0, n), n > 0 (multiply-shift of 32 bits; bias below 2^-32 · n).
  std::uint32_t below(std::uint32_t n);

 private:
  void refill();
  std::array<std::uint32_t, 2> key_;
  std::array<std::uint32_t, 4> ctr_;
  std::array<std::uint32_t, 4> block_{};
  int used_ = 4;
};

// A file written under a unique temporary name (mkstemp) beside `path` and renamed over it by
// commit(), so that `path` is always either the old file or the complete new one, and two writers
// never share a temporary. Destroyed uncommitted (an error, an exception), it removes its
// temporary. Throws IoError naming the file when it cannot be written.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return fd_; }  // the temporary's descriptor, for writers of their own
  const std::filesystem::path& temporary() const { return temp_; }
  void write(std::string_view text);
  // Flushes to disk and renames the temporary over the target.
  void commit();

 private:
  std::filesystem::path path_, temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// AtomicFile for a whole text at once.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);
// The whole of a file as bytes; throws InputError naming it when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

// The shortest leading part of `path` that does not exist (the folder to create or point
// elsewhere, or the file itself when only it is missing); empty when `path` exists.
std::filesystem::path first_missing(const std::filesystem::path& path);

// An exclusive advisory lock (flock) on a directory, held for the object's lifetime, so that
// writers of the files in it take turns. When another process holds it, prints `waiting` to
// stderr (unless empty) and waits. Throws IoError when the directory cannot be opened.
class DirectoryLock {
 public:
  DirectoryLock(const std::filesystem::path& dir, std::string_view waiting);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace sphere

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <iostream>
#include <mutex>
#include <tuple>

#include <fmt/format.h>

#include "app/app.h"

namespace sphere::app {
namespace {

std::size_t display_width(const std::string& text) {
  // Count UTF-8 code points: continuation bytes (10xxxxxx) do not start a character.
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Set by SIGINT or SIGTERM while an InterruptGuard lives. A signal handler can reach only static
// storage: this flag is the process's one piece of global state, read only by progress checks.
volatile std::sig_atomic_t interrupt_signal = 0;
extern "C" void on_interrupt(int) { interrupt_signal = 1; }

struct sigaction old_int_action {}, old_term_action {};

}  // namespace

InterruptGuard::InterruptGuard() {
  interrupt_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int_action);
  sigaction(SIGTERM, &action, &old_term_action);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &old_int_action, nullptr);
  sigaction(SIGTERM, &old_term_action, nullptr);
}

void throw_if_interrupted() {
  if (interrupt_signal != 0) throw Interrupted{};
}

std::string duration_text(double seconds) {
  if (!(seconds >= 1.0)) return "under a second";
  if (seconds < 90) return fmt::format("about {:.0f} s", seconds);
  if (seconds < 90 * 60) return fmt::format("about {:.0f} min", seconds / 60);
  if (seconds < 48 * 3600) return fmt::format("about {:.2g} h", seconds / 3600);
  return fmt::format("about {:.2g} days", seconds / 86400);
}

struct ProgressBar::State {
  std::uint64_t total = 0;
  std::string unit;
  bool on = false, drawn = false, estimated = false;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::uint64_t done = 0;
  std::mutex mutex;
};

ProgressBar::ProgressBar(std::uint64_t total, std::string unit) : state_(std::make_unique<State>()) {
  state_->total = total;
  state_->unit = std::move(unit);
  state_->on = isatty(STDERR_FILENO) != 0;
}

ProgressBar::~ProgressBar() {
  if (state_->on && state_->drawn) std::cerr << "\r\033[K" << std::flush;
}

void ProgressBar::add(std::uint64_t count) {
  std::uint64_t done;
  {
    std::lock_guard lock(state_->mutex);
    done = state_->done += count;
  }
  update(done);
}

void ProgressBar::update(std::uint64_t done) {
  State& s = *state_;
  if (!s.on || s.total == 0 || done == 0) return;
  std::lock_guard lock(s.mutex);
  s.done = std::max(s.done, done);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - s.start).count();
  const double left = elapsed / static_cast<double>(done) * static_cast<double>(s.total - std::min(done, s.total));
  if (!s.estimated && done < s.total) {
    // The first batch is the timed sample the estimate of the whole run rests on.
    std::cerr << fmt::format("\r\033[Kestimated time: {} for {} {} (from the first {} in {:.2g} s)\n",
                             duration_text(elapsed + left), s.total, s.unit, done, elapsed);
    s.estimated = true;
  }
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(static_cast<double>(done) / s.total * kWidth);
  std::cerr << fmt::format("\r\033[K[{}{}] {:3d}% {}/{} {} · {} left", std::string(filled, '#'),
                           std::string(kWidth - std::min(filled, kWidth), ' '),
                           static_cast<int>(100.0 * done / s.total), done, s.total, s.unit,
                           duration_text(left))
            << std::flush;
  s.drawn = true;
}

void add_model_options(CLI::App& command, ModelOptions& options, bool with_json) {
  command.add_option("--model", options.model_dir,
                     "Model directory to load instead of the built-in South Caucasus model")
      ->check(CLI::ExistingDirectory);
  command.add_option("--data-root", options.data_root,
                     "The folder that cited shared/ files stand for (default: the first folder "
                     "named shared in or above the model directory)")
      ->check(CLI::ExistingDirectory);
  if (with_json) command.add_flag("--json", options.json, "Print JSON instead of a table");
}

kb::Model load_model(const ModelOptions& options) {
  if (options.model_dir.empty()) return kb::load_builtin_model();
  return kb::load_model(kb::ModelFiles::directory(options.model_dir), kb::builtin_codebook());
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out << line << '\n';
  };
  print_row(header_);
  std::vector<std::string> rule;
  for (auto w : widths) rule.push_back(std::string(w, '-'));
  print_row(rule);
  for (const auto& row : rows_) print_row(row);
}

void Table::print_csv(std::ostream& out) const {
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += ',';
      line += csv_field(row[i]);
    }
    out << line << '\n';
  };
  print_row(header_);
  for (const auto& row : rows_) print_row(row);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void print_json(std::ostream& out, const nlohmann::json& value) { out << service::encode(value); }

OutputMode output_mode(bool json, bool csv) {
  return json ? OutputMode::kJson : csv ? OutputMode::kCsv : OutputMode::kTable;
}

void Output::write_json(const nlohmann::json& value) const { print_json(out, value); }

void Output::write_table(const Table& table) const {
  if (csv()) table.print_csv(out);
  else table.print(out);
}

void suggest_names(CLI::App& app, std::ostream& out) {
  CLI::App* reached = &app;
  for (auto subs = reached->get_subcommands(); !subs.empty(); subs = reached->get_subcommands())
    reached = subs.front();
  std::vector<std::string> names;
  for (const CLI::Option* o : reached->get_options())
    for (const auto& name : o->get_lnames()) names.push_back("--" + name);
  for (const CLI::App* sub : reached->get_subcommands([](CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  for (const auto& word : reached->remaining()) {
    const std::string hint = did_you_mean(word, names);
    if (!hint.empty()) out << "'" << word << "': " << hint.substr(2) << "\n";
  }
}

std::string flag_of(std::string_view field) {
  // Where the flag is not the field's name with dashes.
  if (field == "blocked") return "--block-country";
  if (field == "opened") return "--open";
  if (field == "dyads" || field == "a" || field == "b") return "--dyad";
  std::string flag = "--" + std::string(field);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

int report_error(const std::exception& error) {
  // An option found wrong only once the command runs (against the model it loaded) is a usage
  // error like one found while parsing.
  if (dynamic_cast<const CLI::Error*>(&error)) {
    std::cerr << "sphere: usage error: " << error.what() << "\n";
    return sphere::exit_code(ErrorKind::kUsage);
  }
  const ErrorKind kind = service::error_kind(error);
  const auto* input = dynamic_cast<const InputError*>(&error);
  if (!input) {
    std::cerr << "sphere: " << error.what() << "\n";
    return sphere::exit_code(kind);
  }
  const auto& problems = input->diagnostics();
  const char* what = kind == ErrorKind::kIo           ? "cannot read or write"
                     : kind == ErrorKind::kCorruption ? "damaged file"
                     : kind == ErrorKind::kUsage      ? "usage error"
                                                      : "invalid input";
  std::cerr << fmt::format("sphere: {} ({} problem{}):\n", what, problems.size(),
                           problems.size() == 1 ? "" : "s")
            << service::describe(problems, flag_of);
  return sphere::exit_code(kind);
}

}  // namespace sphere::app

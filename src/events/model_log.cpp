#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "events/events.h"
#include "events/internal.h"

namespace sphere::events {

namespace {

// A row id as a kebab-case id part: letters and digits kept, anything else a dash; "" when none.
std::string id_part(std::string_view record_id) {
  std::string out;
  for (char c : record_id) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    out += alnum ? static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) : '-';
  }
  return out.find_first_not_of('-') == std::string::npos ? std::string() : out;
}

// The row reference as one quote of the log's `quotes` column, where '|' separates quotes:
// a '|' in a URL becomes %7C, which a URL means the same by.
std::string quote_text(std::string_view reference) {
  std::string out;
  for (char c : reference) {
    if (c == '|') out += "%7C";
    else out += c;
  }
  return out;
}

// Without the spaces some codebook descriptions end with.
std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

}  // namespace

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

ModelLogWriter::ModelLogWriter(const kb::Model& model, std::string source_id, std::string prefix,
                               int fd)
    : model_(model), source_id_(std::move(source_id)), prefix_(std::move(prefix)), fd_(fd) {
  for (const kb::Event& e : model.events) ids_.insert(e.id);
}

ModelLogWriter::~ModelLogWriter() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; flush() explicitly to see write errors
  }
}

void ModelLogWriter::add(const EventView& e) {
  if (e.actor1.empty() || e.actor2.empty()) {
    ++one_sided_;
    return;
  }
  if (!model_.find_actor(e.actor1) || !model_.find_actor(e.actor2)) {
    ++not_in_model_;
    return;
  }
  const std::string part = id_part(e.record_id);
  if (part.empty()) {
    ++no_id_;
    return;
  }
  std::string id = prefix_ + "-" + part;
  if (!ids_.insert(id).second) {
    ++already_;
    return;
  }
  const kb::CodebookEntry* code = model_.codebook.find(e.code);
  // Importers pass only codes of the codebook; a code the model's codebook lacks is not logged.
  if (!code) throw std::logic_error("event code not in the model's codebook: " + std::string(e.code));
  const std::string reference = e.reference.empty()
                                    ? fmt::format("{} record {}", prefix_, e.record_id)
                                    : quote_text(e.reference);
  fmt::format_to(std::back_inserter(buffer_), "{},{:04}-{:02}-{:02},{},{},{},{:.1f},{},{},{},low\n", id,
                 e.date.year, e.date.month, e.date.day, e.actor1, e.actor2, e.code, code->goldstein,
                 csv_field(fmt::format("{} (machine-coded, {} record {})", trim(code->description),
                                       prefix_, e.record_id)),
                 source_id_, csv_field(reference));
  ++written_;
  if (buffer_.size() > (1 << 20)) flush();
}

void ModelLogWriter::flush() { detail::write_all(fd_, buffer_); }

}  // namespace sphere::events

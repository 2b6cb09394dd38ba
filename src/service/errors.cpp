// Error kinds, exit codes and HTTP statuses, and problems described in a front end's own names.
#include <filesystem>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {

ErrorKind error_kind(const std::exception& error) {
  if (const auto* e = dynamic_cast<const InputError*>(&error)) return e->kind();
  if (dynamic_cast<const IoError*>(&error)) return ErrorKind::kIo;
  if (dynamic_cast<const std::filesystem::filesystem_error*>(&error)) return ErrorKind::kIo;
  return ErrorKind::kInvalidInput;
}

int exit_code(const std::exception& error) { return sphere::exit_code(error_kind(error)); }

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
    case ErrorKind::kInvalidInput: return 400;
    case ErrorKind::kIo:
    case ErrorKind::kCorruption: return 500;
  }
  return 500;
}

namespace {

std::string one(const Diagnostic& d, const FieldNames& names) {
  if (d.file == kRequest) return fmt::format("{}: {}", names(d.field), d.message);
  return d.to_string();
}

}  // namespace

std::string describe(const Diagnostics& problems, const FieldNames& names) {
  std::string out;
  for (const auto& d : problems.items()) out += one(d, names) + "\n";
  return out;
}

std::string describe_line(const Diagnostics& problems, const FieldNames& names) {
  std::string out;
  for (const auto& d : problems.items()) out += (out.empty() ? "" : "; ") + one(d, names);
  return out;
}

std::string encode(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sphere::service

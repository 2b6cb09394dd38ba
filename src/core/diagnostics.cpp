#include <fmt/format.h>

#include "core/core.h"

namespace sphere {

std::string Diagnostic::to_string() const {
  std::string where = line > 0 ? fmt::format("{}:{}", file, line) : file;
  if (field.empty()) return fmt::format("{}: {}", where, message);
  return fmt::format("{}: field '{}': {}", where, field, message);
}

void Diagnostics::add(std::string file, int line, std::string field, std::string message) {
  items_.push_back({std::move(file), line, std::move(field), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::string Diagnostics::to_string() const {
  std::string out;
  for (const auto& d : items_) {
    out += d.to_string();
    out += '\n';
  }
  return out;
}

InputError::InputError(Diagnostics diagnostics, ErrorKind kind)
    : std::runtime_error(diagnostics.to_string()), diagnostics_(std::move(diagnostics)), kind_(kind) {}

InputError::InputError(std::string file, int line, std::string field, std::string message,
                       ErrorKind kind)
    : InputError(
          [&] {
            Diagnostics d;
            d.add(std::move(file), line, std::move(field), std::move(message));
            return d;
          }(),
          kind) {}

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return kExitUsage;
    case ErrorKind::kInvalidInput: return kExitInvalidInput;
    case ErrorKind::kIo: return kExitIo;
    case ErrorKind::kCorruption: return kExitCorruption;
  }
  return kExitInvalidInput;
}

}  // namespace sphere

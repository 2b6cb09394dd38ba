// libFuzzer harness: Date::parse on any text; a parsed date must print back to what it read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/core.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  const auto date = sphere::Date::parse(text, &why);
  if (date && date->to_string() != text) std::abort();  // round trip
  if (!date && why.empty()) std::abort();               // a rejection always says why
  return 0;
}

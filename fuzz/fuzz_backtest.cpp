// libFuzzer harness: the reader of backtest.json (dyad::backtest_summary_from_json, which the
// report reads from a model directory). Any text is read or rejected with an InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dyad/dyad.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)sphere::dyad::backtest_summary_from_json(
        std::string(reinterpret_cast<const char*>(data), size), "backtest.json");
  } catch (const sphere::InputError&) {
  }
  return 0;
}

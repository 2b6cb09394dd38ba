// libFuzzer harness: the model loader's events.csv on the minimal test model (tests/fixtures/mini):
// the input replaces events.csv in memory (nothing written). The model's TOML files are fuzzed
// apart (fuzz_model). The built-in codebook, which the events are checked against, is shared
// by every loaded model, not copied. The model loads or throws InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kb/kb.h"
#include "minimal_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto mini = sphere::fuzz::minimal_model({});
  static const auto codebook = sphere::kb::builtin_codebook();
  try {
    (void)sphere::kb::load_model(
        mini.with("events.csv", std::string(reinterpret_cast<const char*>(data), size)),
        codebook);
  } catch (const sphere::InputError&) {
  }
  return 0;
}

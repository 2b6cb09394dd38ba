// libFuzzer harness: the model loader, one TOML file at a time, on a minimal model. Each input's
// first byte picks one of the TOML files the loader reads and the rest replaces that file of the
// small test model (tests/fixtures/mini, without events.csv: the CSV library takes a 48 MB buffer
// for every CSV it reads, which would cost more than the rest; fuzz_model_events covers it).
// Only the mutated file and a few hundred bytes of the others are parsed, so an input costs
// well under a millisecond instead of the whole 250 KB built-in model. The model loads or throws
// InputError, never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kb/kb.h"
#include "minimal_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The TOML files load_model reads; the seeds in fuzz/corpus/fuzz_model start with their index.
  static const char* const names[] = {"actors.toml", "conflicts.toml", "facts.toml",
                                      "infrastructure.toml", "issues.toml", "model.toml",
                                      "places.toml", "sources.toml", "ties.toml"};
  static const auto mini = sphere::fuzz::minimal_model({"events.csv"});
  // Only events.csv is checked against the CAMEO codebook, and the loader copies it into every
  // model: an empty one saves most of an input's allocations.
  static const sphere::kb::Codebook codebook;
  const std::string file = names[data[0] % (sizeof names / sizeof names[0])];
  try {
    (void)sphere::kb::load_model(
        mini.with(file, std::string(reinterpret_cast<const char*>(data + 1), size - 1)),
        codebook);
  } catch (const sphere::InputError&) {
  }
  return 0;
}

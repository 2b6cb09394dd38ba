// libFuzzer harness: the model loader, one TOML file at a time, on a minimal model. Each input's
// first byte picks one of the TOML files the loader reads and the rest replaces that file of the
// small test model (tests/fixtures/mini; its events.csv, the CSV loader, is fuzzed apart by
// fuzz_model_events). Only the mutated file and a few hundred bytes of the others are parsed, so
// an input costs well under a millisecond instead of the whole 250 KB built-in model. The model
// loads or throws InputError, never crashes.
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
  static const auto mini = sphere::fuzz::minimal_model({});
  // Only events.csv is checked against the codebook: the two codes the small model's events use
  // suffice, not the 300 of the built-in one.
  static const auto codebook = sphere::kb::Codebook::parse(
      "code,goldstein,description\n036,4.0,Express intent to meet or negotiate\n"
      "173,-5.0,Arrest\n",
      "fuzz:codebook.csv");
  const std::string file = names[data[0] % (sizeof names / sizeof names[0])];
  try {
    (void)sphere::kb::load_model(
        mini.with(file, std::string(reinterpret_cast<const char*>(data + 1), size - 1)),
        codebook);
  } catch (const sphere::InputError&) {
  }
  return 0;
}

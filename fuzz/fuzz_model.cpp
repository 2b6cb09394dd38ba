// libFuzzer harness: the model loader, one model file at a time, in memory. Each input's first
// byte picks one of the files the loader reads and the rest replaces that file of the built-in
// model (ModelFiles::with: nothing is written to disk); the model loads or throws InputError,
// never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kb/kb.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The files load_model reads; the seeds in fuzz/corpus/fuzz_model start with their index.
  static const char* const names[] = {"actors.toml",  "conflicts.toml", "events.csv",
                                      "facts.toml",   "infrastructure.toml", "issues.toml",
                                      "model.toml",   "places.toml",    "sources.toml",
                                      "ties.toml"};
  static const auto base = sphere::kb::ModelFiles::builtin("caucasus");
  static const auto codebook = sphere::kb::builtin_codebook();
  const std::string file = names[data[0] % (sizeof names / sizeof names[0])];
  try {
    (void)sphere::kb::load_model(
        base.with(file, std::string(reinterpret_cast<const char*>(data + 1), size - 1)), codebook);
  } catch (const sphere::InputError&) {
  }
  return 0;
}

// libFuzzer harness: the model-directory files read apart from the loader, observations.toml
// (panel::read_observations) and questions.toml (dyad::read_questions). The first byte picks the
// file; the rest is written to it in a temporary directory (both readers take a directory), and
// the reader parses it or throws InputError, never crashes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "dyad/dyad.h"
#include "panel/panel.h"

namespace {

// A temporary directory for the process, removed when it exits.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sphere-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const TempDir dir;
  static const std::vector<std::string> actors = {"ARM", "AZE", "RUS"};
  const bool questions = data[0] & 1;
  const char* const name = questions ? "questions.toml" : "observations.toml";
  {
    std::ofstream out(dir.path / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  try {
    if (questions)
      (void)sphere::dyad::read_questions(dir.path.string());
    else
      (void)sphere::panel::read_observations(dir.path.string(), actors);
  } catch (const sphere::InputError&) {
  }
  std::filesystem::remove(dir.path / name);
  return 0;
}

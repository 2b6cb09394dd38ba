// libFuzzer harness: the model loader, one model file at a time. A copy of the built-in model
// is made once; each input's first byte picks a file, the rest replaces it, and the model is
// loaded: it loads or throws InputError, never crashes. The file is restored after each input.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kb/kb.h"

namespace {

struct ModelCopy {
  std::filesystem::path dir;
  std::vector<std::string> names;
  std::vector<std::string> texts;

  ModelCopy() {
    dir = std::filesystem::temp_directory_path() / ("sphere-fuzz-model-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::copy(SPHERE_MODEL_DIR, dir);
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::ifstream in(dir / n, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      texts.push_back(text.str());
    }
  }
  ~ModelCopy() { std::filesystem::remove_all(dir); }
  void write(std::size_t i, const char* data, std::size_t size) const {
    std::ofstream(dir / names[i], std::ios::binary | std::ios::trunc).write(data, static_cast<std::streamsize>(size));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const ModelCopy model;
  static const auto codebook = sphere::kb::builtin_codebook();
  const std::size_t file = data[0] % model.names.size();
  model.write(file, reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    (void)sphere::kb::load_model(sphere::kb::ModelFiles::directory(model.dir), codebook);
  } catch (const sphere::InputError&) {
  }
  model.write(file, model.texts[file].data(), model.texts[file].size());
  return 0;
}

// The small test model (tests/fixtures/mini) held in memory, less the files named, so that a
// harness loads a model whose every file but the mutated one is tiny and nothing is read from
// disk per input: the files are ModelFiles::with replacements over a directory that does not
// exist, so a file left out (or one the model lacks) reads as absent.
#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

#include "kb/kb.h"

namespace sphere::fuzz {

inline kb::ModelFiles minimal_model(std::initializer_list<std::string> leave_out) {
  namespace fs = std::filesystem;
  const fs::path mini = SPHERE_FUZZ_MINI_MODEL;
  kb::ModelFiles files = kb::ModelFiles::directory(mini / "absent");
  for (const auto& entry : fs::directory_iterator(mini)) {
    const std::string name = entry.path().filename().string();
    bool skip = false;
    for (const auto& l : leave_out) skip = skip || l == name;
    if (skip) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    files = files.with(name, text.str());
  }
  return files;
}

}  // namespace sphere::fuzz

// The layers below the front ends speak of request fields, never of command-line flags: a flag
// in an error would reach HTTP clients verbatim.
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "testing.h"

namespace sphere::testing {
namespace {

TEST(Layering, NoFlagInAStringBelowTheFrontEnds) {
  const std::filesystem::path src = source_dir() / "src";
  const std::regex literal(R"("(?:[^"\\]|\\.)*")");
  const std::regex flag(R"(--[a-z])");
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(src)) {
    const auto& path = entry.path();
    if (path.extension() != ".cpp" && path.extension() != ".h") continue;
    if (path.parent_path().filename() == "app") continue;  // the CLI and the server name their own
    ++files;
    std::ifstream in(path);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (const auto comment = line.find("//"); comment != std::string::npos &&
                                                 line.find('"') > comment)
        line.erase(comment);  // a comment before any string
      for (std::sregex_iterator it(line.begin(), line.end(), literal), end; it != end; ++it) {
        const std::string text = it->str();
        EXPECT_FALSE(std::regex_search(text, flag))
            << path.lexically_relative(src).string() << ":" << number << ": " << text;
      }
    }
  }
  EXPECT_GT(files, 50);  // the scan found the sources
}

}  // namespace
}  // namespace sphere::testing

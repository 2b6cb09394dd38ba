// Helpers shared by the tests: fixture paths, the shared reference data, temporary model copies.
#pragma once

#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sphere::testing {

inline std::filesystem::path fixtures() { return SPHERE_FIXTURES; }
inline std::filesystem::path source_dir() { return SPHERE_SOURCE_DIR; }
inline std::filesystem::path shared_dir() { return SPHERE_SHARED_DIR; }

// Skips the current test, saying why, when a folder of the shared reference data is absent.
#define SPHERE_REQUIRE_SHARED(subdir)                                                   \
  do {                                                                                  \
    if (!std::filesystem::exists(::sphere::testing::shared_dir() / (subdir)))           \
      GTEST_SKIP() << "shared reference data absent: " << (::sphere::testing::shared_dir() / (subdir)) \
                   << " (only this check is skipped)";                                  \
  } while (0)

// A fresh temporary directory, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Result of running the sphere binary.
struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `sphere ARGS` (arguments as one shell string) and captures its output.
RunResult run_sphere(const std::string& args);

std::string read_file(const std::filesystem::path& path);

// Writes small.csv in `dir`, a panel in the GDELT monthly layout: ARM:AZE and AZE:RUS every month
// of 2020-2021, ARM:RUS every third. Its sum_score is constant per pair, or varies from month to
// month with `varied_scores` (for the level model). Returns the file's path.
std::string write_small_gdelt_panel(const std::filesystem::path& dir, bool varied_scores = false);

// One GDELT 2.0 event row (61 tab-separated columns, newline-terminated) with the columns the
// importer reads.
std::string gdelt_row(const std::string& id, const std::string& date, const std::string& actor1,
                      const std::string& actor2, const std::string& code, const std::string& quad,
                      const std::string& goldstein, const std::string& url);

// Starts `sphere ARGS` in the background, waits until `ready` exists (empty: `delay` seconds;
// else `delay` seconds more once it does), sends it `signal` (INT or TERM) and returns its exit
// status and stderr.
RunResult interrupt_sphere(const std::string& args, const std::filesystem::path& ready,
                           const std::string& signal = "INT", double delay = 0.5);

// The report's table cells for one scenario of `scenarios --json` at the horizon: P, the Monte
// Carlo interval and the parameter interval, in whole per cent as the report prints them.
inline std::string scenario_cells(const nlohmann::json& scenario) {
  const auto& last = scenario["curve"].back();
  const auto pc = [](const nlohmann::json& v) { return fmt::format("{:.0f}%", 100 * v.get<double>()); };
  return fmt::format("<td class=\"num\">{}</td><td class=\"num\">{}–{}</td><td class=\"num\">{}–{}</td>",
                     pc(last["p"]), pc(last["mc"][0]), pc(last["mc"][1]), pc(last["parameters"][0]),
                     pc(last["parameters"][1]));
}

}  // namespace sphere::testing

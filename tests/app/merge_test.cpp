// CLI tests of sharded forecasts and sensitivity analyses: `--shard K/N` and `sphere merge`.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing.h"

namespace sphere::testing {
namespace {

// 1300 runs: three reduction blocks of 512, 512 and 276 runs, so shards differ in size.
const std::string kEnsemble = "--runs 1300 --seed 9 --horizon 2027-06";

// Words joined by spaces (appends only: GCC 12 misreports -Wrestrict on chains of +).
std::string words(std::initializer_list<std::string> items) {
  std::string out;
  for (const auto& w : items) {
    if (!out.empty()) out.append(" ");
    out.append(w);
  }
  return out;
}

std::string part(const TempDir& dir, const std::string& name) {
  std::string quoted("'");
  quoted.append((dir.path() / name).string());
  quoted.append("'");
  return quoted;
}

std::string part_name(int k) {
  std::string name("p");
  name.append(std::to_string(k));
  name.append(".json");
  return name;
}

std::string shard_spec(int k, int n) {
  std::string spec(std::to_string(k));
  spec.append("/");
  spec.append(std::to_string(n));
  return spec;
}

// Runs shards 1..n of kEnsemble (plus `extra` options) into dir/p<k>.json.
void run_shards(const TempDir& dir, int n, const std::string& extra = "") {
  for (int k = 1; k <= n; ++k) {
    const RunResult r = run_sphere(words({"forecast", kEnsemble, extra, "--shard",
                                          shard_spec(k, n), "--out", part(dir, part_name(k))}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

std::string parts(const TempDir& dir, int n) {
  std::string out;
  for (int k = n; k >= 1; --k) {  // deliberately in reverse order
    out.append(" ");
    out.append(part(dir, part_name(k)));
  }
  return out;
}

long long count_rows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  long long n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(db);
  return n;
}

TEST(Merge, ShardsMergeToTheSingleProcessJsonFor1_2And3Shards) {
  const RunResult single = run_sphere("forecast " + kEnsemble + " --json --threads 2");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  for (int n : {1, 2, 3}) {
    TempDir dir;
    run_shards(dir, n);
    const RunResult merged = run_sphere("merge" + parts(dir, n) + " --json");
    ASSERT_EQ(merged.exit_code, 0) << merged.err;
    EXPECT_EQ(merged.out, single.out) << n << " shards";
  }
}

TEST(Merge, TablesAndShocksMatchTooAndMergeWritesTheDatabase) {
  const std::string shock = "--shock 'event:RUS>AZE:173@2026-03'";
  TempDir dir;
  run_shards(dir, 2, shock);
  const RunResult single = run_sphere(words({"forecast", kEnsemble, shock, "--csv"}));
  const RunResult merged = run_sphere("merge" + parts(dir, 2) + " --csv");
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(merged.out, single.out);
  const std::string db = (dir.path() / "m.sqlite").string();
  ASSERT_EQ(run_sphere("merge" + parts(dir, 2) + " --db '" + db + "'").exit_code, 0);
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM runs"), 1300);
  EXPECT_EQ(count_rows(db, "SELECT MAX(run) FROM runs"), 1299);
}

TEST(Merge, MissingShardFailsNamingItAndALostShardCanBeRerun) {
  TempDir dir;
  run_shards(dir, 3);
  std::filesystem::remove(dir.path() / "p2.json");
  const std::string given = " " + part(dir, "p1.json") + " " + part(dir, "p3.json");
  RunResult r = run_sphere("merge" + given + " --json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");  // nothing partial presented as complete
  EXPECT_NE(r.err.find("shard 2/3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
  // A file named but absent is named too.
  r = run_sphere("merge" + parts(dir, 3));
  EXPECT_EQ(r.exit_code, 3);  // a file that cannot be read: an I/O error
  EXPECT_NE(r.err.find("p2.json"), std::string::npos) << r.err;
  // Re-running the lost shard alone completes the set.
  ASSERT_EQ(run_sphere("forecast " + kEnsemble + " --shard 2/3 --out " + part(dir, "p2.json"))
                .exit_code,
            0);
  r = run_sphere("merge" + parts(dir, 3) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, run_sphere("forecast " + kEnsemble + " --json").out);
}

TEST(Merge, OverlappingShardsFail) {
  TempDir dir;
  run_shards(dir, 2);
  const RunResult r = run_sphere("merge" + parts(dir, 2) + " " + part(dir, "p1.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("given twice"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(Merge, ShardsOfDifferentSeedsOrModelsFail) {
  TempDir dir;
  run_shards(dir, 2);
  ASSERT_EQ(run_sphere("forecast --runs 1300 --seed 10 --horizon 2027-06 --shard 2/2 --out " +
                       part(dir, "other.json"))
                .exit_code,
            0);
  RunResult r = run_sphere("merge " + part(dir, "p1.json") + " " + part(dir, "other.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("seed 9 vs 10"), std::string::npos) << r.err;

  // The same shards merged against a model with one parameter changed.
  const std::filesystem::path model = dir.path() / "model";
  std::filesystem::copy(source_dir() / "data" / "caucasus", model,
                        std::filesystem::copy_options::recursive);
  std::string toml = read_file(model / "model.toml");
  const std::string from = "calibration_months = 72";
  ASSERT_NE(toml.find(from), std::string::npos);
  toml.replace(toml.find(from), from.size(), "calibration_months = 60");
  std::ofstream(model / "model.toml") << toml;
  r = run_sphere("merge" + parts(dir, 2) + " --model '" + model.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("another model"), std::string::npos) << r.err;
}

TEST(Merge, CorruptShardFailsWithoutOutput) {
  TempDir dir;
  run_shards(dir, 2);
  std::string text = read_file(dir.path() / "p1.json");
  const auto at = text.find("\"seed\":9");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 8, "\"seed\":8");
  std::ofstream(dir.path() / "p1.json") << text;
  RunResult r = run_sphere("merge" + parts(dir, 2) + " --json");
  EXPECT_EQ(r.exit_code, 4);  // a damaged file of Sphere's own
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sphere forecast --shard 1/2"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  std::ofstream(dir.path() / "p1.json") << text.substr(0, text.size() / 2);
  r = run_sphere("merge" + parts(dir, 2));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
}

// Rewrites a part's data with `edit` and a correct checksum: what a writer's bug, or a part
// made by another build, looks like to merge.
template <class F>
void rewrite_part(const std::filesystem::path& path, F edit) {
  nlohmann::json file = nlohmann::json::parse(read_file(path));
  edit(file["data"]);
  const std::string text = file["data"].dump();
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, ~0ULL, ~0ULL, true, true> crc;
  crc.process_bytes(text.data(), text.size());
  file["checksum"] = fmt::format("{:016x}", crc.checksum());
  std::ofstream(path, std::ios::trunc) << file.dump() << "\n";
}

TEST(Merge, CraftedPartsFailNamingTheFileAndFieldWithNoDatabase) {
  TempDir dir;
  run_shards(dir, 2);
  const std::string good = read_file(dir.path() / "p2.json");
  const std::string db = (dir.path() / "m.sqlite").string();
  struct Case {
    const char* what;
    const char* field;
    std::function<void(nlohmann::json&)> edit;
  };
  const std::vector<Case> cases = {
      {"scenario index 1000000", "outcome_scenario",
       [](nlohmann::json& d) { d["outcome_scenario"][3] = 1000000; }},
      {"scenario index -5", "outcome_scenario",
       [](nlohmann::json& d) { d["outcome_scenario"][3] = -5; }},
      {"bins_size 3e9", "bins_size", [](nlohmann::json& d) { d["bins_size"] = 3000000000ULL; }},
      {"a scenario too many", "counts", [](nlohmann::json& d) { d["counts"].push_back(0); }},
  };
  for (const auto& c : cases) {
    std::ofstream(dir.path() / "p2.json", std::ios::trunc) << good;
    rewrite_part(dir.path() / "p2.json", c.edit);
    const RunResult r = run_sphere("merge" + parts(dir, 2) + " --db '" + db + "'");
    EXPECT_EQ(r.exit_code, 2) << c.what << ": " << r.err;
    EXPECT_TRUE(r.err.find("p2.json") != std::string::npos ||
                r.err.find("shard 2/2") != std::string::npos)
        << c.what << ": " << r.err;
    EXPECT_NE(r.err.find(c.field), std::string::npos) << c.what << ": " << r.err;
    EXPECT_EQ(r.out, "") << c.what;
    EXPECT_FALSE(std::filesystem::exists(db)) << c.what;
    EXPECT_FALSE(std::filesystem::exists(db + "-journal")) << c.what;
  }
}

TEST(Merge, AShardBeyondACenturyIsRefusedBeforeTheWork) {
  TempDir dir;
  const RunResult r = run_sphere(words({"forecast --runs 10 --horizon 2200-01 --shard 1/2 --out",
                                        part(dir, "p1.json")}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--horizon"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "p1.json"));
}

TEST(Merge, BadShardSpecIsAUsageError) {
  for (const char* spec : {"0/3", "4/3", "2", "a/b", "1/0"})
    EXPECT_EQ(run_sphere(std::string("forecast --runs 10 --shard ") + spec).exit_code, 1) << spec;
  EXPECT_EQ(run_sphere("forecast --runs 10 --out x.json").exit_code, 1);
}

// A small Sobol design (n·(k+2) points of 4 runs each, to 2026-09), split into shards.
const std::string kSobol =
    "sensitivity --method sobol --output escalation --n 3 --runs 4 --bootstrap 20 --seed 5 "
    "--horizon 2026-09";
const std::string kMorris =
    "sensitivity --method morris --output rel_RUS_AZE --n 2 --runs 4 --seed 5 --horizon 2026-09";

// Runs shards 1..n of `design` into dir/p<k>.json.
void run_sensitivity_shards(const TempDir& dir, const std::string& design, int n) {
  for (int k = 1; k <= n; ++k) {
    const RunResult r = run_sphere(words({design, "--threads 1 --shard", shard_spec(k, n),
                                          "--out", part(dir, part_name(k))}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

TEST(MergeSensitivity, ShardsMergeToTheSingleProcessOutput) {
  const RunResult sobol = run_sphere(kSobol + " --json --threads 2");
  ASSERT_EQ(sobol.exit_code, 0) << sobol.err;
  ASSERT_NE(sobol.out.find("\"S1\""), std::string::npos);
  for (int n : {1, 3}) {
    TempDir dir;
    run_sensitivity_shards(dir, kSobol, n);
    const RunResult merged = run_sphere("merge" + parts(dir, n) + " --json");
    ASSERT_EQ(merged.exit_code, 0) << merged.err;
    EXPECT_EQ(merged.out, sobol.out) << n << " shards";
  }
  TempDir dir;
  run_sensitivity_shards(dir, kMorris, 2);
  const RunResult morris = run_sphere(kMorris);
  ASSERT_EQ(morris.exit_code, 0) << morris.err;
  ASSERT_NE(morris.out.find("mu*"), std::string::npos);
  const RunResult merged = run_sphere("merge" + parts(dir, 2));
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(merged.out, morris.out);
}

TEST(MergeSensitivity, LostOrCorruptShardNamesTheRerunAndTheRerunMergesIdentically) {
  TempDir dir;
  run_sensitivity_shards(dir, kMorris, 3);
  const std::string full = read_file(dir.path() / "p2.json");
  std::filesystem::remove(dir.path() / "p2.json");
  RunResult r = run_sphere("merge " + part(dir, "p1.json") + " " + part(dir, "p3.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("shard 2/3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sphere sensitivity --shard 2/3"), std::string::npos) << r.err;
  // A truncated copy is refused the same way, naming the file and the shard to re-run.
  std::ofstream(dir.path() / "p2.json") << full.substr(0, full.size() / 2);
  r = run_sphere("merge" + parts(dir, 3));
  EXPECT_EQ(r.exit_code, 4);  // a damaged file of Sphere's own
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sphere sensitivity --shard 2/3"), std::string::npos) << r.err;
  // Re-running the lost shard alone completes the set.
  ASSERT_EQ(run_sphere(words({kMorris, "--shard 2/3 --out", part(dir, "p2.json")})).exit_code, 0);
  r = run_sphere("merge" + parts(dir, 3) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, run_sphere(kMorris + " --json").out);
}

TEST(MergeSensitivity, MismatchedOverlappingOrMixedShardsFail) {
  TempDir dir;
  run_sensitivity_shards(dir, kMorris, 2);
  ASSERT_EQ(run_sphere(words({kMorris, "--levels 6 --shard 2/2 --out", part(dir, "other.json")}))
                .exit_code,
            0);
  RunResult r = run_sphere("merge " + part(dir, "p1.json") + " " + part(dir, "other.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--levels 4 vs 6"), std::string::npos) << r.err;
  r = run_sphere("merge" + parts(dir, 2) + " " + part(dir, "p2.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("given twice"), std::string::npos) << r.err;
  ASSERT_EQ(run_sphere(words({"forecast --runs 600 --shard 2/2 --out", part(dir, "f.json")}))
                .exit_code,
            0);
  r = run_sphere("merge " + part(dir, "p1.json") + " " + part(dir, "f.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sensitivity"), std::string::npos) << r.err;
  r = run_sphere("merge" + parts(dir, 2) + " --db " + part(dir, "x.sqlite"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x.sqlite"));
  EXPECT_EQ(r.out, "");

  // The same shards merged against a model whose first parameter range is wider.
  const std::filesystem::path model = dir.path() / "model";
  std::filesystem::copy(source_dir() / "data" / "caucasus", model,
                        std::filesystem::copy_options::recursive);
  std::string toml = read_file(model / "model.toml");
  const auto range = toml.find("range = [");
  ASSERT_NE(range, std::string::npos);
  toml.insert(toml.find(']', range), "1");  // high 0.15 becomes 0.151
  std::ofstream(model / "model.toml") << toml;
  r = run_sphere("merge" + parts(dir, 2) + " --model '" + model.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("another model"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace sphere::testing

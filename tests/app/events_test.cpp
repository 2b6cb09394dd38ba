// `sphere events series|import|fit` as a user runs them.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <set>

#include <nlohmann/json.hpp>

#include "testing.h"

namespace sphere {
namespace {

using sphere::testing::gdelt_row;

using sphere::testing::run_sphere;
using sphere::testing::TempDir;

const char* kSample = "data/gdelt-sample/20191024143000.export.CSV";
// The sample's path, quoted for the shell.
std::string sample() {
  std::string quoted = "'";
  quoted += (sphere::testing::shared_dir() / kSample).string();
  quoted += "'";
  return quoted;
}

TEST(EventsCli, SeriesOfTheBuiltinLogHasEveryMonth) {
  auto r = run_sphere("events series --dyad RUS:AZE --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["series"].size(), 2u);
  EXPECT_EQ(j["series"][0]["actor1"], "RUS");
  EXPECT_EQ(j["series"][1]["actor1"], "AZE");
  for (const auto& s : j["series"]) {
    const auto& months = s["months"];
    ASSERT_GT(months.size(), 12u);
    int zeros = 0, events = 0;
    for (std::size_t i = 0; i < months.size(); ++i) {
      const auto& m = months[i];
      const int q = m["quad"]["1"].get<int>() + m["quad"]["2"].get<int>() + m["quad"]["3"].get<int>() +
                    m["quad"]["4"].get<int>();
      EXPECT_EQ(m["events"].get<int>(), q);
      zeros += m["events"] == 0;
      events += m["events"].get<int>();
      if (i > 0) {  // consecutive months
        const std::string a = months[i - 1]["month"], b = m["month"];
        const int ia = std::stoi(a.substr(0, 4)) * 12 + std::stoi(a.substr(5)),
                  ib = std::stoi(b.substr(0, 4)) * 12 + std::stoi(b.substr(5));
        EXPECT_EQ(ib, ia + 1);
      }
    }
    EXPECT_GT(zeros, 0);
    EXPECT_GT(events, 0);
    EXPECT_FALSE(s["year_only"].empty());  // the log dates many events to a year only
  }
  auto csv = run_sphere("events series --dyad Russia:Azerbaijan --from 2024 --to 2024 --csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 1 + 2 * 12);
  auto chart = run_sphere("events series --dyad RUS:AZE");
  EXPECT_NE(chart.out.find("RUS → AZE"), std::string::npos);
  EXPECT_NE(chart.out.find("coop"), std::string::npos);
}

TEST(EventsCli, UsageErrors) {
  EXPECT_EQ(run_sphere("events series --dyad RUSAZE").exit_code, 1);
  EXPECT_EQ(run_sphere("events series --dyad RUS:AZE --csv --json").exit_code, 1);
  const auto unknown = run_sphere("events series --dyad RUS:AZEE");
  EXPECT_EQ(unknown.exit_code, 2);  // a name the model does not have: invalid input
  EXPECT_NE(unknown.err.find("--dyad: no actor 'AZEE' in the model; did you mean 'AZE'?"),
            std::string::npos) << unknown.err;
  EXPECT_EQ(run_sphere("events import /no/such/file").exit_code, 1);
  EXPECT_EQ(run_sphere("events fit --dyad RUS:AZE --class 7").exit_code, 1);
  EXPECT_EQ(run_sphere("events --help").exit_code, 0);
}

TEST(EventsCli, ImportReadsStandardInput) {
  SPHERE_REQUIRE_SHARED(kSample);
  TempDir dir;
  const auto out = dir.path() / "report.json";
  const std::string command = "cat " + sample() + " | '" + SPHERE_BINARY +
                              "' events import - --json > '" + out.string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto j = nlohmann::json::parse(sphere::testing::read_file(out));
  EXPECT_EQ(j["report"]["kept"], 2111);
  EXPECT_EQ(j["report"]["layouts"]["61"], 2111);
  EXPECT_EQ(j["input"], "<stdin>");
}

TEST(EventsCli, ImportedCsvGivesTheSameSeriesAsDirectImport) {
  SPHERE_REQUIRE_SHARED(kSample);
  TempDir dir;
  std::string csv = "'";
  csv += (dir.path() / "kept.csv").string();
  csv += "'";
  auto direct = run_sphere("events import " + sample() + " --dyad UKR:USA --series --json");
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  auto written = run_sphere("events import " + sample() + " --dyad UKR:USA --out " + csv);
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_NE(written.err.find("kept"), std::string::npos);
  auto reread = run_sphere("events series --events " + csv + " --dyad UKR:USA --json");
  ASSERT_EQ(reread.exit_code, 0) << reread.err;
  auto a = nlohmann::json::parse(direct.out)["series"], b = nlohmann::json::parse(reread.out)["series"];
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a, b);
  // UKR -> USA: 7 rows in the sample; duplicates (same day, actors, code) removed.
  int events = 0;
  for (const auto& m : a[0]["months"]) events += m["events"].get<int>();
  EXPECT_GT(events, 0);
  EXPECT_LE(events, 7);
}

// Files whose names start with '.': the temporaries of atomic writes.
int hidden_files(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().filename().string().starts_with(".");
  return n;
}

TEST(EventsCli, StrictStopsAtTheFirstBadRowAndWritesNothing) {
  SPHERE_REQUIRE_SHARED(kSample);
  TempDir dir;
  const auto bad = dir.path() / "bad.tsv";
  {
    std::ifstream in(sphere::testing::shared_dir() / kSample);
    std::ofstream out(bad);
    std::string line;
    for (int i = 0; i < 5 && std::getline(in, line); ++i) out << line << "\n";
    out << "1\t2\t3\n";
    while (std::getline(in, line)) out << line << "\n";
  }
  const auto kept = dir.path() / "kept.csv";
  auto lenient = run_sphere("events import '" + bad.string() + "' --json");
  ASSERT_EQ(lenient.exit_code, 0);
  auto j = nlohmann::json::parse(lenient.out);
  EXPECT_EQ(j["report"]["bad"], 1);
  EXPECT_EQ(j["report"]["bad_rows"]["wrong field count"]["first_line"], 6);
  EXPECT_EQ(j["report"]["kept"], 2111);
  auto strict = run_sphere("events import '" + bad.string() + "' --strict --out '" + kept.string() + "'");
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_NE(strict.err.find(":6:"), std::string::npos) << strict.err;
  EXPECT_FALSE(std::filesystem::exists(kept));
  EXPECT_EQ(hidden_files(dir.path()), 0);  // its temporary removed
}

TEST(EventsCli, ImportIntoAModelAppendsCheckedEventsAtomically) {
  TempDir dir;
  const auto model = dir.path() / "mini";
  std::filesystem::copy(sphere::testing::fixtures() / "mini", model);
  const auto rows = dir.path() / "rows.tsv";
  std::ofstream(rows) << gdelt_row("9001", "20240105", "RUS", "AZE", "111", "3", "-2.0",
                                   "https://example.org/a,b|c")
                      << gdelt_row("9002", "20240106", "AZE", "RUS", "036", "1", "4.0", "")
                      << gdelt_row("9003", "20240107", "UKR", "RUS", "111", "3", "-2.0", "u")
                      << gdelt_row("9004", "20240108", "RUS", "", "111", "3", "-2.0", "u");
  const std::string before_events = sphere::testing::read_file(model / "events.csv");
  const std::string into = " --into-model '" + model.string() + "'";

  auto r = run_sphere("events import '" + rows.string() + "'" + into + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out)["into_model"];
  EXPECT_EQ(j["appended"], 2);
  EXPECT_EQ(j["source_added"], true);
  EXPECT_EQ(j["skipped"]["actor_not_in_model"], 1);  // UKR is not in the mini model
  EXPECT_EQ(j["skipped"]["fewer_than_two_actors"], 1);

  // The model still validates (quotes of the text sources still found), and shows the events.
  auto check = run_sphere("check --model '" + model.string() + "' --sources '" +
                          (sphere::testing::fixtures() / "texts").string() + "' --json");
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto timeline = run_sphere("timeline --model '" + model.string() + "' --from 2024-01 --to 2024-01 --json");
  ASSERT_EQ(timeline.exit_code, 0) << timeline.err;
  std::set<std::string> ids;
  for (const auto& e : nlohmann::json::parse(timeline.out)) ids.insert(e["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"gdelt-9001", "gdelt-9002"}));
  const std::string log = sphere::testing::read_file(model / "events.csv");
  EXPECT_EQ(log.substr(0, before_events.size()), before_events);  // appended, the rest untouched
  EXPECT_NE(log.find("\"https://example.org/a,b%7Cc\""), std::string::npos) << log;
  EXPECT_NE(log.find("GDELT,gdelt record 9002,low"), std::string::npos) << log;  // no URL: the id
  EXPECT_NE(sphere::testing::read_file(model / "sources.toml").find("kind = \"data\""), std::string::npos);

  // Importing again adds nothing; a failing import (--strict, bad row) leaves both files alone.
  auto again = run_sphere("events import '" + rows.string() + "'" + into + " --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["into_model"]["appended"], 0);
  EXPECT_EQ(nlohmann::json::parse(again.out)["into_model"]["skipped"]["already_in_log"], 2);
  const std::string sources = sphere::testing::read_file(model / "sources.toml");
  std::ofstream(rows, std::ios::app) << gdelt_row("9005", "20240230", "RUS", "AZE", "111", "3", "-2.0", "u");
  std::ofstream(rows, std::ios::app) << gdelt_row("9006", "20240109", "RUS", "AZE", "111", "3", "-2.0", "u");
  const std::string after_first = sphere::testing::read_file(model / "events.csv");
  auto strict = run_sphere("events import '" + rows.string() + "'" + into + " --strict --source-id GDELT2");
  EXPECT_EQ(strict.exit_code, 2) << strict.err;
  EXPECT_EQ(sphere::testing::read_file(model / "events.csv"), after_first);
  EXPECT_EQ(sphere::testing::read_file(model / "sources.toml"), sources);
  EXPECT_EQ(hidden_files(model), 0);  // no temporary left behind
  // A text source cannot stand for imported rows.
  EXPECT_EQ(run_sphere("events import '" + rows.string() + "'" + into + " --source-id S0").exit_code, 1);
}

TEST(EventsCli, ConcurrentImportsIntoOneModelBothLand) {
  TempDir dir;
  // Two inputs with different records; each import also adds the GDELT source when missing.
  std::set<std::string> expected;
  for (int k = 0; k < 2; ++k) {
    std::ofstream rows(dir.path() / ("rows" + std::to_string(k) + ".tsv"));
    for (int i = 0; i < 400; ++i) {
      const std::string id = std::to_string(10000 * (k + 1) + i);
      rows << gdelt_row(id, "20240105", k ? "AZE" : "RUS", k ? "RUS" : "AZE", "111", "3", "-2.0", "u");
      expected.insert("gdelt-" + id);
    }
  }
  for (int round = 0; round < 3; ++round) {  // a fresh copy of the model each round
    const auto model = dir.path() / ("mini" + std::to_string(round));
    std::filesystem::copy(sphere::testing::fixtures() / "mini", model);
    const std::string into = " --into-model '" + model.string() + "' --json";
    std::vector<std::future<sphere::testing::RunResult>> imports;
    for (int k = 0; k < 2; ++k)
      imports.push_back(std::async(std::launch::async, [&, k] {
        return run_sphere("events import '" + (dir.path() / ("rows" + std::to_string(k) + ".tsv")).string() +
                          "'" + into);
      }));
    for (auto& f : imports) {
      const auto r = f.get();
      ASSERT_EQ(r.exit_code, 0) << r.err;  // the second waits for the first's lock
    }
    // Every event of both imports is in the log once, the source once, and the model loads.
    auto timeline = run_sphere("timeline --model '" + model.string() + "' --from 2024-01 --to 2024-01 --json");
    ASSERT_EQ(timeline.exit_code, 0) << timeline.err;
    std::set<std::string> ids;
    for (const auto& e : nlohmann::json::parse(timeline.out)) ids.insert(e["id"].get<std::string>());
    EXPECT_EQ(ids, expected) << "round " << round;
    const std::string sources = sphere::testing::read_file(model / "sources.toml");
    EXPECT_EQ(sources.find("id = \"GDELT\""), sources.rfind("id = \"GDELT\"")) << sources;
    EXPECT_EQ(hidden_files(model), 0);
  }
}

TEST(EventsCli, AFileInWhichNoRowParsesIsAnErrorAndWritesNothing) {
  TempDir dir;
  const auto input = dir.path() / "not-gdelt.csv";
  std::ofstream(input) << "name,value\nalpha,1\nbeta,2\n";
  const auto out = dir.path() / "kept.csv";
  auto r = run_sphere("events import '" + input.string() + "' --out '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("no row parses as GDELT (3 bad rows"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // only the input
}

// Runs a shell command line (`sphere` stands for the binary) and returns its exit status.
int shell(const std::string& line) {
  const std::string command =
      "sphere() { exec '" + std::string(SPHERE_BINARY) + "' \"$@\"; }; { " + line + "; } >/dev/null 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The events of a model (by id) as `timeline` lists them; empty when the model does not load.
std::set<std::string> event_ids(const std::filesystem::path& model) {
  auto r = run_sphere("timeline --model '" + model.string() + "' --json");
  std::set<std::string> ids;
  if (r.exit_code != 0) return ids;
  for (const auto& e : nlohmann::json::parse(r.out)) ids.insert(e["id"].get<std::string>());
  return ids;
}

TEST(EventsCli, AFullDiskLeavesEveryTargetWholeAndNoTemporary) {
  // A full disk, as the writer meets it: a file-size limit (SIGXFSZ ignored, so that writes fail
  // with an error instead of killing the process) below what the import writes.
  TempDir dir;
  const auto rows = dir.path() / "rows.tsv";
  {
    std::ofstream out(rows);
    for (int i = 0; i < 400; ++i)
      out << gdelt_row(std::to_string(50000 + i), "20240105", "RUS", "AZE", "111", "3", "-2.0", "u");
  }
  const auto model = dir.path() / "mini";
  std::filesystem::copy(sphere::testing::fixtures() / "mini", model);
  const std::string events = sphere::testing::read_file(model / "events.csv");
  const std::string sources = sphere::testing::read_file(model / "sources.toml");
  const std::string full = "trap '' XFSZ; ulimit -f 1; ";  // 512 bytes a file
  EXPECT_NE(shell(full + "sphere events import '" + rows.string() + "' --into-model '" + model.string() + "'"), 0);
  EXPECT_EQ(sphere::testing::read_file(model / "events.csv"), events);
  EXPECT_EQ(sphere::testing::read_file(model / "sources.toml"), sources);
  EXPECT_EQ(hidden_files(model), 0);
  // The CSV of an import and the HTML report: absent after the failure, no temporary beside them.
  const auto out = dir.path() / "out";
  std::filesystem::create_directory(out);
  EXPECT_NE(shell(full + "sphere events import '" + rows.string() + "' --out '" + (out / "e.csv").string() + "'"), 0);
  EXPECT_NE(shell(full + "sphere report --runs 10 --sensitivity-runs 0 --out '" + (out / "r.html").string() + "'"), 0);
  EXPECT_TRUE(std::filesystem::is_empty(out)) << "a target or temporary was left";
  // With room again, the same import lands whole.
  EXPECT_EQ(shell("sphere events import '" + rows.string() + "' --into-model '" + model.string() + "'"), 0);
  EXPECT_EQ(event_ids(model).count("gdelt-50399"), 1u);
}

TEST(EventsCli, AKilledImportLeavesTheModelAsItWasOrWhole) {
  // SIGKILL at several moments of an import of 20,000 events: the model is either untouched or
  // has every event, it loads, and the next import is not blocked by the dead one's lock.
  TempDir dir;
  const auto rows = dir.path() / "rows.tsv";
  {
    std::ofstream out(rows);
    for (int i = 0; i < 20000; ++i)
      out << gdelt_row(std::to_string(100000 + i), "20240105", "RUS", "AZE", "111", "3", "-2.0", "u");
  }
  const auto original = event_ids(sphere::testing::fixtures() / "mini");
  ASSERT_FALSE(original.empty());
  for (const char* delay : {"0.05", "0.2", "0.5"}) {
    const auto model = dir.path() / (std::string("mini-") + delay);
    std::filesystem::copy(sphere::testing::fixtures() / "mini", model);
    shell("sphere events import '" + rows.string() + "' --into-model '" + model.string() +
          "' & sleep " + delay + "; kill -9 $!; wait");
    const auto after = event_ids(model);
    EXPECT_TRUE(after == original || after.size() == original.size() + 20000)
        << "killed after " << delay << " s: " << after.size() << " events";
    EXPECT_EQ(shell("sphere events import '" + rows.string() + "' --into-model '" + model.string() + "'"), 0)
        << "killed after " << delay << " s";
    EXPECT_EQ(event_ids(model).size(), original.size() + 20000) << "killed after " << delay << " s";
  }
}

TEST(EventsCli, FitReportsWhatItCouldFit) {
  auto r = run_sphere("events fit --dyad RUS:AZE --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["time_unit"], "day");
  EXPECT_EQ(j["fits"].size() + j["not_fitted"].size(), 3u);
  ASSERT_FALSE(j["fits"].empty());
  for (const auto& f : j["fits"]) {
    EXPECT_GT(f["mu"][0]["estimate"].get<double>(), 0);
    // The built-in log has a handful of RUS–AZE events: below the minimum-information rule, so
    // the fit is marked unusable and no goodness-of-fit p-value is claimed.
    EXPECT_FALSE(f["usable"].get<bool>());
    EXPECT_NE(f["shortfall"].get<std::string>().find("fewer than the 20"), std::string::npos) << f;
    EXPECT_TRUE(f["ks_p_value"][0].is_null());
    EXPECT_EQ(f["alpha"][0][0]["interval"], "profile likelihood");
    EXPECT_GE(f["lr_p_value"].get<double>(), 0);
    EXPECT_LE(f["lr_p_value"].get<double>(), 1);
  }
  // The table says the same in words, and prints no four-digit estimates of a few events.
  auto text = run_sphere("events fit --dyad RUS:AZE");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Not usable by the engine"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("time-rescaling check"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace sphere

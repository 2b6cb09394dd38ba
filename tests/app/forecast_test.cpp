// CLI tests of the scenario engine: forecast, replay, hindcast, sensitivity, run.
#include <sqlite3.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing.h"

namespace sphere::testing {
namespace {

using nlohmann::json;

std::string query_text(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(db);
  return out;
}

TEST(Forecast, JsonIsBitwiseIdenticalFor1_2And8Threads) {
  const std::string args = "forecast --runs 600 --seed 7 --horizon 2028-06 --json --threads ";
  const RunResult one = run_sphere(args + "1"), two = run_sphere(args + "2"),
                  eight = run_sphere(args + "8");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, two.out);
  EXPECT_EQ(one.out, eight.out);
  const json j = json::parse(one.out);
  double total = 0;
  for (const auto& s : j["scenarios"]) {
    total += s["probability"].get<double>();
    EXPECT_LE(s["low95"].get<double>(), s["probability"].get<double>());
    EXPECT_GE(s["high95"].get<double>(), s["probability"].get<double>());
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_EQ(j["scenarios"].size(), 3u);
  EXPECT_EQ(j["indicators"]["rel_RUS_AZE"].size(), 30u);  // 2026-01 .. 2028-06
  EXPECT_EQ(j["horizon"], "2028-06");
  // No progress bar when stderr is not a terminal.
  EXPECT_EQ(one.err, "");
}

TEST(Forecast, WritesSqliteAndReplayReproducesAStoredRun) {
  TempDir dir;
  const std::string db = (dir.path() / "f.sqlite").string();
  const RunResult f = run_sphere("forecast --runs 200 --seed 3 --horizon 2027-12 --json --db '" + db + "'");
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(query_text(db, "SELECT COUNT(*) FROM runs"), "200");
  EXPECT_EQ(query_text(db, "SELECT seed FROM forecasts"), "3");
  for (int k : {0, 57, 199}) {
    const RunResult r = run_sphere("replay --engine structural --run " + std::to_string(k) +
                                   " --seed 3 --horizon 2027-12 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["scenario"].get<std::string>(),
              query_text(db, "SELECT scenario FROM runs WHERE run = " + std::to_string(k)));
    EXPECT_FALSE(j["events"].empty());
    EXPECT_EQ(j["indicators"].size(), 24u);
  }
}

TEST(Forecast, CsvHasOneRowPerIndicatorAndMonth) {
  const RunResult r = run_sphere("forecast --runs 50 --horizon 2026-12 --csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("indicator,month,mean,q025,q25,q50,q75,q975\n", 0), 0u);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 4 * 12);
  EXPECT_NE(r.out.find("trade_RUS_AZE,2026-12,"), std::string::npos);
}

TEST(Forecast, ShockIsAppliedAndRecorded) {
  const RunResult r = run_sphere(
      "replay --engine structural --run 0 --seed 1 --horizon 2026-06 --shock 'event:RUS>AZE:173@2026-02' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int shocks = 0;
  const json j = json::parse(r.out);
  for (const auto& e : j["events"])
    shocks += e["cause"].get<std::string>() == "shock" && e["cameo"].get<std::string>() == "173" &&
              e["month"].get<std::string>() == "2026-02";
  EXPECT_EQ(shocks, 1);
}

TEST(Forecast, BadInputExitsTwoAndWritesNothing) {
  TempDir dir;
  const std::string db = (dir.path() / "bad.sqlite").string();
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"--shock 'event:RUS>XYZ:173@2026-01'", "unknown shock target 'XYZ'"},
      {"--horizon 2025-06", "before the first simulated month"},
      {"--horizon 2025-13", "not a month"},
      {"--shock 'open:zangezur@2027-01'", "unknown shock target 'zangezur'"},
  };
  for (const Case& c : cases) {
    const RunResult r = run_sphere("forecast --runs 10 --db '" + db + "' " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(db)) << c.args;
  }
}

// A copy of the built-in model with one line of model.toml replaced.
std::filesystem::path model_with(const TempDir& dir, const std::string& from, const std::string& to) {
  const auto model = dir.path() / "model";
  std::filesystem::copy(source_dir() / "data" / "caucasus", model);
  std::string text = read_file(model / "model.toml");
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  std::ofstream(model / "model.toml") << text;
  return model;
}

// The forecast says where its intensities and leverage came from and what the issues settled at.
TEST(Forecast, ReportsCalibrationChoicesAndSettledIssues) {
  const RunResult r = run_sphere("forecast --runs 300 --horizon 2027-06 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const json& cal = j.at("calibration");
  EXPECT_TRUE(cal["intensities"]["method"] == "hawkes" || cal["intensities"]["method"] == "log-rate");
  EXPECT_FALSE(cal["intensities"]["note"].get<std::string>().empty());  // built-in: why it fell back
  EXPECT_NE(cal["leverage"]["ab"].get<std::string>().find("leverage layer"), std::string::npos);
  const json& issues = j.at("issues_mean_outcome");
  ASSERT_EQ(issues.size(), 6u);
  for (const auto& [id, by] : issues.items()) {
    EXPECT_GE(by["all"].get<double>(), 0.0) << id;
    EXPECT_LE(by["all"].get<double>(), 100.0) << id;
  }
  EXPECT_FALSE(j.at("drivers_mean_per_run").contains("issue:zangezur-corridor"));
  const RunResult text = run_sphere("forecast --runs 300 --horizon 2027-06");
  EXPECT_NE(text.out.find("Intensities: "), std::string::npos);
  EXPECT_NE(text.out.find("Issues settled by bargaining"), std::string::npos);
  const RunResult replay = run_sphere("replay --engine structural --run 2 --horizon 2027-06 --json");
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(json::parse(replay.out).at("settlements").size(), 6u * 2);  // 2026-12 and 2027-06
}

// An oil link moves only the leverage; with leverage from the parameters it would change nothing.
TEST(Forecast, NonGasLinkShockNeedsNetworkLeverage) {
  TempDir dir;
  const auto model = model_with(dir, "leverage = \"network\"", "leverage = \"parameters\"");
  const RunResult refused =
      run_sphere("forecast --runs 10 --model '" + model.string() + "' --shock 'block:btc@2026-03'");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("only gas links"), std::string::npos) << refused.err;
  EXPECT_EQ(run_sphere("forecast --runs 10 --shock 'block:btc@2026-03'").exit_code, 0);
}

TEST(Forecast, ModelErrorsExitTwoWithFileLineAndField) {
  {
    TempDir dir;
    const auto model = model_with(dir, "value = 0.05\nrange = [0.01, 0.15]", "value = 0.5\nrange = [0.01, 0.15]");
    const RunResult r = run_sphere("forecast --runs 10 --model '" + model.string() + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("model.toml:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("field 'value': 0.5 is outside its range"), std::string::npos) << r.err;
  }
  {
    TempDir dir;
    const auto model = model_with(dir, "when = \"rel12_RUS_AZE >= -1\"", "when = \"rel12_RUS_GEO >= -1\"");
    const RunResult r = run_sphere("forecast --runs 10 --model '" + model.string() + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("field 'when': unknown variable 'rel12_RUS_GEO'"), std::string::npos) << r.err;
  }
}

TEST(Hindcast, ScoresAgainstSourcedOutcomesWithBaselines) {
  const RunResult r = run_sphere("hindcast --as-of 2019-01 --as-of 2022-01 --runs 100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["scores"].size(), 3u);  // 2019-01 → 2019-12 and 2025-12; 2022-01 → 2025-12
  for (const auto& s : j["scores"]) {
    EXPECT_TRUE(s["brier"].contains("persistence"));
    EXPECT_NEAR(s["brier"]["uniform"].get<double>(), 2.0 / 3.0, 1e-9);
  }
  EXPECT_EQ(run_sphere("hindcast --as-of 2026-06 --runs 10").exit_code, 2);
}

TEST(Sensitivity, MorrisAndSobolRankEveryRangedParameter) {
  const RunResult m = run_sphere(
      "sensitivity --method morris --output rel_RUS_AZE --n 4 --runs 10 --horizon 2026-12 --json");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const json jm = json::parse(m.out);
  EXPECT_GT(jm["factors"].size(), 10u);
  for (std::size_t i = 1; i < jm["factors"].size(); ++i)
    EXPECT_GE(jm["factors"][i - 1]["mu_star"].get<double>(), jm["factors"][i]["mu_star"].get<double>());
  const RunResult s = run_sphere(
      "sensitivity --method sobol --output escalation --n 8 --runs 5 --bootstrap 10 "
      "--horizon 2026-06 --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(json::parse(s.out)["factors"].size(), jm["factors"].size());
  const RunResult bad = run_sphere("sensitivity --output nothing --n 4 --runs 2");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown output 'nothing'"), std::string::npos);
}

TEST(Run, EndsWithTheDefaultForecast) {
  const RunResult r = run_sphere("run");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = r.out.find("Most active dyads");
  // The scenario forecast of the estimated model; without the shared panel, it says why and the
  // structural engine's forecast follows.
  const bool panel = std::filesystem::exists(
      sphere::testing::shared_dir() / "data/events/gdelt-country-networks/monthly_2018_2022.csv");
  const auto forecast = r.out.find(panel ? "Scenarios for AZE–RUS" : "Forecast 2026-01 → 2030-12");
  ASSERT_NE(summary, std::string::npos);
  ASSERT_NE(forecast, std::string::npos) << r.out;
  EXPECT_LT(summary, forecast);
  if (!panel) {
    EXPECT_NE(r.out.find("cannot run"), std::string::npos);
  }
}

TEST(ForecastCli, AnInterruptedForecastLeavesNoDatabaseBehind) {
  // A forecast far too long to finish, stopped with Ctrl-C once its database exists: it stops
  // between batches, says so, exits 130 and removes the file (and journal) it had created.
  TempDir dir;
  const auto db = dir.path() / "f.sqlite";
  const auto script = dir.path() / "interrupt.sh";
  std::ofstream(script) << "'" << SPHERE_BINARY << "' forecast --runs 50000000 --threads 1 --db '"
                        << db.string() << "' >/dev/null 2>'" << (dir.path() / "err.txt").string()
                        << "' &\npid=$!\nfor i in $(seq 1 600); do [ -e '" << db.string()
                        << "' ] && break; sleep 0.1; done\nsleep 0.5\nkill -INT $pid\nwait $pid\n";
  const int status = std::system(("bash '" + script.string() + "'").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_NE(read_file(dir.path() / "err.txt").find("interrupted; nothing written"), std::string::npos)
      << read_file(dir.path() / "err.txt");
  EXPECT_FALSE(std::filesystem::exists(db));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "f.sqlite-journal"));
}

TEST(Forecast, AGasShockSaysWhatTheNetworkCanDeliverWithAndWithoutIt) {
  const RunResult r = run_sphere("forecast --runs 100 --horizon 2027-12 --shock 'block:tap@2027-01'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("block:tap@2027-01: the gas network can deliver 3.65 bcm/y to the buyer "
                       "(gas_AZE_EEC) in 2027, against 13.51 without it"),
            std::string::npos)
      << r.out;
}

TEST(Set, GivesAParameterAnotherValueInEveryEngineCommand) {
  const RunResult plain = run_sphere("forecast --runs 200 --horizon 2026-12 --json");
  const RunResult set = run_sphere("forecast --runs 200 --horizon 2026-12 --json --set theta=0.1 "
                                   "--set kappa=0.12");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(set.exit_code, 0) << set.err;
  const json p = json::parse(plain.out), s = json::parse(set.out);
  EXPECT_DOUBLE_EQ(p["parameters"]["theta"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(s["parameters"]["theta"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(s["parameters"]["kappa"].get<double>(), 0.12);
  EXPECT_NE(p["indicators"]["rel_RUS_AZE"], s["indicators"]["rel_RUS_AZE"]);
  // replay and hindcast take it too: the same run with another theta differs.
  const RunResult r0 = run_sphere("replay --engine structural --run 0 --horizon 2026-12 --json");
  const RunResult r1 =
      run_sphere("replay --engine structural --run 0 --horizon 2026-12 --json --set theta=0.15");
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_NE(json::parse(r0.out)["indicators"], json::parse(r1.out)["indicators"]);
  const RunResult h = run_sphere("hindcast --as-of 2022-01 --runs 50 --json --set kappa=0.03");
  ASSERT_EQ(h.exit_code, 0) << h.err;
  // A parameter that is set is not varied by a sensitivity analysis.
  const std::string sens = "sensitivity --method morris --output rel_RUS_AZE --n 2 --runs 4 "
                           "--horizon 2026-03 --json";
  const RunResult all = run_sphere(sens), fewer = run_sphere(sens + " --set theta=0.1");
  ASSERT_EQ(fewer.exit_code, 0) << fewer.err;
  // Parsed once and kept: a range-for over a member of a temporary would read freed memory.
  const json fewer_json = json::parse(fewer.out);
  EXPECT_EQ(fewer_json["factors"].size() + 1, json::parse(all.out)["factors"].size());
  for (const auto& f : fewer_json["factors"]) EXPECT_NE(f["parameter"], "theta");
}

TEST(Set, BadSettingsExitTwoInEveryCommandAndWriteNothing) {
  TempDir dir;
  const auto html = dir.path() / "r.html";
  struct Case {
    std::string set, message;
  };
  const Case cases[] = {
      {"thetta=0.1", "no parameter 'thetta' in model.toml; did you mean 'theta'"},
      {"theta=5", "theta=5 is outside the parameter's range [0.01, 0.15]"},
      {"theta", "expected NAME=VALUE"},
      {"theta=abc", "'abc' is not a number"},
  };
  const std::string commands[] = {
      "forecast --runs 10", "replay --engine structural --run 0",
      "hindcast --as-of 2022-01 --runs 10",
      "sensitivity --output escalation --n 2 --runs 2",
      "report --runs 10 --sensitivity-runs 0 --out '" + html.string() + "'"};
  for (const auto& command : commands)
    for (const Case& c : cases) {
      const RunResult r = run_sphere(command + " --set '" + c.set + "'");
      EXPECT_EQ(r.exit_code, 2) << command << " --set " << c.set << "\n" << r.err;
      EXPECT_NE(r.err.find(c.message), std::string::npos) << command << "\n" << r.err;
      EXPECT_NE(r.err.find("--set"), std::string::npos) << r.err;  // named as the user gave it
    }
  EXPECT_FALSE(std::filesystem::exists(html));
  // The estimated model's replay has no such parameters and says so.
  const RunResult estimated = run_sphere("replay --run 0 --set theta=0.1");
  EXPECT_EQ(estimated.exit_code, 2);
  EXPECT_NE(estimated.err.find("add --engine structural"), std::string::npos) << estimated.err;
  const RunResult questions = run_sphere("hindcast --set theta=0.1");
  EXPECT_EQ(questions.exit_code, 2);
  EXPECT_NE(questions.err.find("add --as-of"), std::string::npos) << questions.err;
}

TEST(Set, TheReportSaysWhatItsForecastWasSetTo) {
  TempDir dir;
  const auto html = dir.path() / "r.html", plain = dir.path() / "p.html";
  const RunResult r = run_sphere("report --runs 100 --sensitivity-runs 0 --set theta=0.1 --out '" +
                                 html.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(html).find("Parameters set for this report: theta = 0.1."),
            std::string::npos);
  ASSERT_EQ(run_sphere("report --runs 100 --sensitivity-runs 0 --out '" + plain.string() + "'").exit_code, 0);
  EXPECT_EQ(read_file(plain).find("Parameters set for this report"), std::string::npos);
}

// Sensitivity analyses and reports stop on Ctrl-C or SIGTERM like forecasts: exit 130, a message,
// and no file (or temporary file) left.
TEST(Interrupt, SensitivityAndReportStopAndWriteNothing) {
  TempDir dir;
  const auto part = dir.path() / "part.json";
  const RunResult s = interrupt_sphere(
      "sensitivity --method sobol --output escalation --n 5000 --runs 2000 --threads 1 "
      "--shard 1/1 --out '" + part.string() + "'",
      {}, "TERM", 3.0);
  EXPECT_EQ(s.exit_code, 130) << s.err;
  EXPECT_NE(s.err.find("interrupted; nothing written"), std::string::npos) << s.err;
  const auto html = dir.path() / "r.html";
  const RunResult r = interrupt_sphere(
      "report --runs 50000000 --threads 1 --out '" + html.string() + "'", {}, "INT", 3.0);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("interrupted; nothing written"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // neither file, nor a temporary one
}

// On a terminal a long run states its estimated time from its first batch, then shows a bar with
// the time left. `script` gives the command a terminal.
TEST(Progress, ALongRunOnATerminalEstimatesItsTime) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no `script` to give a terminal";
  TempDir dir;
  const auto log = dir.path() / "tty.txt";
  const std::string command = std::string("script -qec \"'") + SPHERE_BINARY +
                              "' forecast --runs 3000 --threads 1 --horizon 2026-06\" '" +
                              log.string() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const std::string text = read_file(log);
  EXPECT_NE(text.find("estimated time: "), std::string::npos) << text;
  EXPECT_NE(text.find("for 3000 runs (from the first 512"), std::string::npos) << text;
  EXPECT_NE(text.find(" left"), std::string::npos) << text;
  // Not on a terminal: nothing of it.
  const RunResult plain = run_sphere("forecast --runs 3000 --threads 1 --horizon 2026-06");
  EXPECT_EQ(plain.err.find("estimated time"), std::string::npos);
}

}  // namespace
}  // namespace sphere::testing

// sphere calibrate, backtest and scenarios as a user runs them.
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing.h"

namespace sphere {
namespace {

using sphere::testing::run_sphere;
using sphere::testing::TempDir;
using sphere::testing::read_file;

// A small panel in the GDELT monthly layout: three pairs over 24 months.
std::string small_panel(const TempDir& dir) { return sphere::testing::write_small_gdelt_panel(dir.path()); }

TEST(Calibrate, FitsAPanelAndWritesItsFile) {
  TempDir dir;
  const auto panel = small_panel(dir);
  const auto out = (dir.path() / "cal.json").string();
  const auto r = run_sphere("calibrate --panel " + panel + " --out " + out + " --dyads ARM:AZE --replicates 50");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Posterior-predictive checks"), std::string::npos);
  EXPECT_NE(r.out.find("alpha"), std::string::npos);
  const auto j = nlohmann::json::parse(sphere::testing::read_file(out));
  EXPECT_EQ(j["target"], "days_negative");
  EXPECT_EQ(j["partner"], "days_positive");
  EXPECT_EQ(j["fits"].size(), 2u);
  EXPECT_TRUE(j["anchors"].contains("ARM:AZE"));
  EXPECT_FALSE(j["anchors"].contains("AZE:RUS"));  // only the pairs asked for
}

TEST(Calibrate, BadPanelsExitTwoNamingFileLineAndFieldAndWriteNothing) {
  TempDir dir;
  const auto panel = (dir.path() / "bad.csv").string();
  std::ofstream(panel) << "month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score\n"
                          "2020-01,ARM,AZE,31,10,6,4,-120.5\n"
                          "2020-02,ARM,AZE,29,10,2.5,4,-120.5\n";
  const auto out = (dir.path() / "cal.json").string();
  const auto r = run_sphere("calibrate --strict --panel " + panel + " --out " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.csv:3: field 'days_negative'"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  const auto missing = run_sphere("calibrate --panel " + small_panel(dir) + " --target nothing --no-write");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no measure 'nothing'"), std::string::npos) << missing.err;
}

// A copied model whose declared panel is not where its relative path points: the error names the
// first folder of that path that does not exist.
TEST(Calibrate, AMissingDeclaredPanelNamesTheMissingFolder) {
  TempDir dir;
  const auto model = dir.path() / "deep" / "model";
  std::filesystem::create_directories(model.parent_path());
  std::filesystem::copy(sphere::testing::source_dir() / "data" / "caucasus", model);
  const auto missing = std::filesystem::absolute(model / "../../../shared").lexically_normal();
  if (std::filesystem::exists(missing)) GTEST_SKIP() << missing << " exists here";
  const auto r = run_sphere("calibrate --no-write --model '" + model.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("observations.toml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the folder " + missing.string() + " does not exist"), std::string::npos)
      << r.err;
}

TEST(Backtest, ScoresEveryModelAndRefusesBadRequests) {
  TempDir dir;
  const auto panel = small_panel(dir);
  const auto csv = (dir.path() / "f.csv").string();
  const auto r = run_sphere("backtest --panel " + panel + " --origins 2021-06..2021-09 --horizons 1,2 "
                            "--paths 8 --bootstrap 50 --forecasts-out " + csv + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["origins"], 4);
  EXPECT_EQ(j["models"].size(), 11u);
  EXPECT_EQ(j["models"][0]["model"], "sphere");
  const std::string forecasts = sphere::testing::read_file(csv);
  EXPECT_EQ(forecasts.substr(0, 60), "origin,month,horizon,country1,country2,mean,q05,q10,q15,q20,");
  // A header, then 4 origins x 2 horizons x 3 pairs.
  EXPECT_EQ(std::count(forecasts.begin(), forecasts.end(), '\n'), 1 + 4 * 2 * 3);

  EXPECT_EQ(run_sphere("backtest --panel " + panel + " --origins 2019-01..2021-06").exit_code, 2);
  EXPECT_EQ(run_sphere("backtest --panel " + panel + " --origins 2021-01..2021-06 --horizons 0").exit_code, 2);
  EXPECT_EQ(run_sphere("backtest --panel " + panel + " --origins 2021-01..2021-06 --target x").exit_code, 2);
  const auto pair = run_sphere("backtest --panel " + panel + " --origins 2021-01..2021-06 --pairs GEO:RUS");
  EXPECT_EQ(pair.exit_code, 2);
  EXPECT_NE(pair.err.find("never names the pair 'GEO:RUS'"), std::string::npos) << pair.err;
}

TEST(Backtest, OneTargetMonthGivesNoIntervalAndSaysWhy) {
  TempDir dir;
  const auto panel = small_panel(dir);
  const auto r = run_sphere("backtest --panel " + panel + " --origins 2021-12..2021-12 --horizons 1 "
                            "--paths 8 --bootstrap 50 --no-ablations");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[none]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("none: fewer than two target periods"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RPS h=1"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(
      run_sphere("backtest --panel " + panel + " --origins 2021-12..2021-12 --horizons 1 --paths 8 "
                 "--bootstrap 50 --no-ablations --json").out);
  EXPECT_TRUE(j["skill"][0]["low"].is_null());
  EXPECT_TRUE(j["skill"][0].contains("no_interval"));
  EXPECT_TRUE(j["rps_skill"][0]["high"].is_null());
}

TEST(Backtest, ALevelTargetTakesTheLevelModel) {
  TempDir dir;
  const auto panel = (dir.path() / "levels.csv").string();
  {
    std::ofstream out(panel);
    out << "month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score\n";
    for (int m = 0; m < 24; ++m) {
      const std::string month = fmt::format("{}-{:02}", 2020 + m / 12, m % 12 + 1);
      out << month << ",ARM,AZE,30,10,5,5," << -100 + 37 * ((m * 5) % 7) << "\n";
      out << month << ",AZE,RUS,30,8,1,7," << 50 + 11 * ((m * 3) % 5) << "\n";
      out << month << ",ARM,RUS,30,2,1,1," << 4 * (m % 4) - 3 << "\n";
    }
  }
  const auto csv = (dir.path() / "f.csv").string();
  const auto r = run_sphere("backtest --panel " + panel + " --target sum_score --origins 2021-06..2021-09 "
                            "--horizons 1,2 --bootstrap 50 --forecasts-out " + csv + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kind"], "level");
  EXPECT_EQ(j["models"].size(), 7u);
  EXPECT_EQ(j["models"][0]["horizons"][0]["n"], 4 * 3);
  const std::string forecasts = sphere::testing::read_file(csv);
  EXPECT_EQ(std::count(forecasts.begin(), forecasts.end(), '\n'), 1 + 4 * 2 * 3);
  const auto db = run_sphere("backtest --panel " + panel + " --target sum_score --origins 2021-06..2021-09 "
                             "--db " + (dir.path() / "bt.sqlite").string());
  EXPECT_EQ(db.exit_code, 2);
  EXPECT_NE(db.err.find("is a level"), std::string::npos) << db.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "bt.sqlite"));
}

TEST(Backtest, AnInterruptedBacktestLeavesNoStoreAndNoForecastsFile) {
  // Many paths per origin: stopped with SIGTERM once its store exists, it stops at the next
  // origin (the check between steps), exits 130 and
  // removes the store it created (and its journal) and the forecasts file's temporary file.
  TempDir dir;
  const auto panel = small_panel(dir);
  TempDir out;
  const auto db = out.path() / "bt.sqlite", csv = out.path() / "f.csv";
  const auto r = sphere::testing::interrupt_sphere(
      "backtest --panel " + panel + " --origins 2021-01..2021-12 --horizons 1,2,3 --paths 100000 "
      "--threads 1 --db '" + db.string() + "' --forecasts-out '" + csv.string() + "'",
      db, "TERM", 1.0);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("interrupted; nothing written"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(out.path()));
}

// The same three pairs in the dyad-csv layout, `months` long from 2020-01 (a longer file is a
// newer vintage: the months they share are equal).
std::string dyad_csv(const TempDir& dir, const std::string& name, int months) {
  const auto path = (dir.path() / name).string();
  std::ofstream out(path);
  out << "period,actor1,actor2,conflict,coop\n";
  for (int m = 0; m < months; ++m) {
    const std::string month = fmt::format("{}-{:02}", 2020 + m / 12, m % 12 + 1);
    out << month << ",ARM,AZE," << 3 + (m * 7) % 5 << "," << 2 + m % 3 << "\n";
    out << month << ",AZE,RUS," << (m * 3) % 4 << ",4\n";
    out << month << ",ARM,RUS," << (m % 3 == 0) << ",1\n";
  }
  return path;
}

TEST(Backtest, StoresForecastsAndScoresThemAgainstNewerData) {
  TempDir dir;
  const auto old_panel = dyad_csv(dir, "old.csv", 24), new_panel = dyad_csv(dir, "new.csv", 27);
  const auto db = (dir.path() / "bt.sqlite").string();
  const std::string common = " --format dyad-csv --target conflict --horizons 1,3 --paths 8 --bootstrap 50 --db " + db;
  // The last origin, 2022-01, is the month after the old panel's end: a true forecast.
  const auto made = run_sphere("backtest --panel " + old_panel + " --origins 2021-10..2022-01" + common);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("Stored every forecast and score in"), std::string::npos);

  const auto scored = run_sphere("backtest --score-only --db " + db + " --panel " + new_panel +
                                 " --format dyad-csv --json");
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  const auto j = nlohmann::json::parse(scored.out);
  ASSERT_EQ(j.size(), 1u);
  // 4 origins x 2 horizons x 3 pairs; with data to 2022-03 every target month is known.
  EXPECT_EQ(j[0]["forecasts"], 24);
  EXPECT_EQ(j[0]["scored"], 24);
  EXPECT_EQ(j[0]["pending"], 0);
  EXPECT_EQ(j[0]["made_on"]["data_through"], "2021-12");
  EXPECT_EQ(j[0]["results"]["models"][0]["model"], "sphere");
  // Against the old panel, the forecasts past its end wait.
  const auto old = run_sphere("backtest --score-only --db " + db + " --panel " + old_panel +
                              " --format dyad-csv --json");
  ASSERT_EQ(old.exit_code, 0) << old.err;
  const auto k = nlohmann::json::parse(old.out);
  EXPECT_EQ(k[0]["scored"], 3 * 3 + 1 * 3);  // h=1: origins to 2021-12; h=3: 2021-10 alone
  EXPECT_EQ(k[0]["pending"], 24 - k[0]["scored"].get<int>());

  // Another target, or a panel of another kind, is refused with nothing written.
  const auto before = std::filesystem::file_size(db);
  const auto other = run_sphere("backtest --panel " + old_panel + " --format dyad-csv --target coop "
                                "--origins 2021-10..2021-12 --horizons 1 --paths 8 --bootstrap 50 --db " + db);
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("target 'conflict', not 'coop'"), std::string::npos) << other.err;
  const auto kind = run_sphere("backtest --score-only --db " + db + " --panel " + small_panel(dir));
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_NE(kind.err.find("'conflict'"), std::string::npos) << kind.err;
  EXPECT_EQ(std::filesystem::file_size(db), before);
  const auto fresh = (dir.path() / "fresh.sqlite").string();
  EXPECT_EQ(run_sphere("backtest --panel " + old_panel + " --format dyad-csv --target conflict "
                       "--origins 2019-01..2021-12 --db " + fresh).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(fresh));
  EXPECT_EQ(run_sphere("backtest --score-only --panel " + new_panel + " --format dyad-csv").exit_code, 2);
}

TEST(Calibrate, TheBuiltinCalibrationIsReproducedFromTheSharedPanel) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  TempDir dir;
  const auto out = (dir.path() / "cal.json").string();
  const auto r = run_sphere("calibrate --out " + out + " --replicates 50");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto fresh = nlohmann::json::parse(sphere::testing::read_file(out));
  const auto committed = nlohmann::json::parse(
      sphere::testing::read_file(sphere::testing::source_dir() / "data/caucasus/calibration.json"));
  ASSERT_EQ(fresh["fits"].size(), committed["fits"].size());
  for (std::size_t i = 0; i < fresh["fits"].size(); ++i) {
    for (const char* k : {"delta", "beta", "alpha", "gamma", "log_r", "rho"})
      EXPECT_NEAR(fresh["fits"][i]["params"][k]["value"].get<double>(),
                  committed["fits"][i]["params"][k]["value"].get<double>(), 1e-9)
          << k;
    EXPECT_NEAR(fresh["fits"][i]["trend"]["value"].get<double>(),
                committed["fits"][i]["trend"]["value"].get<double>(), 1e-12);
  }
  EXPECT_EQ(fresh["anchors"], committed["anchors"]);
  // The predictive checks of the built-in pairs pass on the calibration data (the binomial rule
  // of dyad::summarise_checks, at 5% / 4 for each statistic).
  EXPECT_NE(r.out.find("statistics inside their simulated range"), std::string::npos);
  EXPECT_NE(r.out.find("The checks pass"), std::string::npos) << r.out;
}

TEST(Scenarios, HorizonCurvesWithBothIntervalsAttributionAndRobustness) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  const auto r = run_sphere("scenarios --runs 600 --draws 10 --horizon 2027-12 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["scenarios"].size(), 3u);
  double total = 0;
  for (const auto& s : j["scenarios"]) {
    const auto& last = s["curve"].back();
    EXPECT_EQ(last["month"], "2027-12");
    EXPECT_LE(last["mc"][0].get<double>(), last["p"].get<double>());
    EXPECT_GE(last["parameters"][1].get<double>(), last["parameters"][0].get<double>());
    total += last["p"].get<double>();
    EXPECT_FALSE(s["resolution"].get<std::string>().empty());
  }
  EXPECT_NEAR(total, 1.0, 1e-9);  // the scenarios are exhaustive and exclusive
  EXPECT_FALSE(j["evidence"].empty());
  EXPECT_EQ(j["attribution"].size(), 3u);
  // Shapley values add up to the forecast less the forecast with every mechanism off.
  for (const auto& s : j["scenarios"]) {
    const std::string id = s["scenario"];
    double sum = 0;
    for (const auto& m : j["attribution"]) sum += m["shapley"][id].get<double>();
    EXPECT_NEAR(sum, s["curve"].back()["p"].get<double>() - j["attribution_all_off"][id].get<double>(), 1e-9);
    // The robustness range holds the forecast itself.
    EXPECT_LE(s["robustness"][0].get<double>(), s["curve"].back()["p"].get<double>() + 1e-12);
    EXPECT_GE(s["robustness"][1].get<double>(), s["curve"].back()["p"].get<double>() - 1e-12);
  }
  // The disputed custody deaths enter in each source's reading: S2's (June 2025, in
  // Yekaterinburg) leaves out S0's 2024 event (the S2/S4 event itself is between Russia and the
  // diaspora, which the model does not count as Azerbaijan).
  bool s2_reading = false;
  for (const auto& d : j["disputed_readings"])
    if (d["conflict"] == "custody-deaths-date" && d["source"] == "S2") {
      s2_reading = true;
      EXPECT_EQ(d["left_out"], nlohmann::json::array({"custody-deaths-s0"})) << d;
    }
  EXPECT_TRUE(s2_reading) << j["disputed_readings"];
  // Same seed, same numbers, whatever the thread count.
  const auto one = run_sphere("scenarios --runs 600 --draws 10 --horizon 2027-12 --json --threads 1");
  EXPECT_EQ(one.out, r.out);
}

// `sphere run` states one forecast: the estimated model's scenarios, printed and in its report
// (the same numbers, computed once), and no second set of probabilities from the structural engine.
TEST(Run, PrintsTheEstimatedScenariosAndItsReportStatesTheSameNumbers) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  TempDir dir;
  const auto html = dir.path() / "r.html";
  const auto r = run_sphere("run --json --report '" + html.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("scenarios"));
  EXPECT_FALSE(j.contains("forecast"));  // the structural engine's scenario probabilities
  const std::string report = read_file(html);
  const auto section = report.find("<section id=\"scenarios\">");
  ASSERT_NE(section, std::string::npos);
  const std::string scenarios = report.substr(section, report.find("</section>", section) - section);
  for (const auto& s : j["scenarios"]["scenarios"]) {
    const std::string row = sphere::testing::scenario_cells(s);
    EXPECT_NE(scenarios.find(row), std::string::npos) << s["scenario"] << " " << row;
  }
  // The structural engine's section keeps its indicators but not its own scenario classes.
  const auto what_if = report.find("<section id=\"forecast\">");
  ASSERT_NE(what_if, std::string::npos);
  EXPECT_EQ(report.find("rel12: mean relation index", what_if), std::string::npos);
  const auto text = run_sphere("run --report ''");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Scenarios for AZE–RUS"), std::string::npos);
  EXPECT_EQ(text.out.find("Drivers: mean uses per run"), std::string::npos);
  EXPECT_EQ(text.out.find("Wilson"), std::string::npos);
}

// A replayed run of the scenario forecast shows only what the estimated model simulates: counts
// of hostile and friendly days per month, and the scenario each month reaches.
TEST(Replay, ARunOfTheScenarioForecastShowsMonthlyCountsAndItsScenario) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  const auto r = run_sphere("replay --run 7 --runs 400 --draws 4 --horizon 2026-12 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j.contains("events"));
  EXPECT_EQ(j["first_simulated"], "2023-01");
  ASSERT_EQ(j["months"].size(), 48u);  // 2023-01 .. 2026-12
  for (const auto& m : j["months"]) {
    const double hostile = m["target"].get<double>(), friendly = m["partner"].get<double>();
    EXPECT_EQ(hostile, std::floor(hostile));
    EXPECT_GE(hostile, 0);
    EXPECT_LE(hostile, 31);  // days in a month
    EXPECT_LE(friendly, 31);
  }
  EXPECT_EQ(j["scenario_at_horizon"], j["months"].back()["scenario"]);
  EXPECT_EQ(j["parameter_draw"], 7 * 4 / 400);
  EXPECT_FALSE(j["evidence"].empty());
  // The same run again: the same numbers.
  EXPECT_EQ(run_sphere("replay --run 7 --runs 400 --draws 4 --horizon 2026-12 --json --threads 1").out, r.out);
  // Shocks belong to the structural engine; a run outside the ensemble is refused.
  const auto shock = run_sphere("replay --run 1 --shock 'block:btc@2026-03'");
  EXPECT_EQ(shock.exit_code, 2);
  EXPECT_NE(shock.err.find("--engine structural"), std::string::npos) << shock.err;
  const auto outside = run_sphere("replay --run 400 --runs 400");
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_NE(outside.err.find("0 to 399"), std::string::npos) << outside.err;
}

// `sphere hindcast` scores the scenario questions on the panel by default: each as-of month's
// forecast against what the panel shows, beside uniform, climatology and persistence.
TEST(Hindcast, ScoresTheScenarioQuestionsOnThePanelByDefault) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  const auto r = run_sphere("hindcast --window 2021-01..2021-04 --runs 200 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["scores"].size(), 4u);
  EXPECT_EQ(j["scores"][0]["forecaster"], "model");
  for (const auto& s : j["scores"]) {
    EXPECT_GE(s["rps"].get<double>(), 0.0);
    EXPECT_LE(s["rps"].get<double>(), 1.0);
    EXPECT_LE(s["brier_interval"][0].get<double>(), s["brier"].get<double>());
    EXPECT_GE(s["brier_interval"][1].get<double>(), s["brier"].get<double>());
  }
  ASSERT_FALSE(j["rows"].empty());
  for (const auto& row : j["rows"]) {
    const std::string as_of = row["as_of"];
    EXPECT_TRUE(as_of == "2021-01" || as_of == "2021-04") << as_of;
    double total = 0;
    for (double p : row["forecast"]) total += p;
    EXPECT_NEAR(total, 1.0, 1e-9);
  }
  const auto mixed = run_sphere("hindcast --engine estimated --as-of 2021-01");
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("--window"), std::string::npos) << mixed.err;
}

}  // namespace
}  // namespace sphere

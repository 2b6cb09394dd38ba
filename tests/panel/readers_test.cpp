#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "panel/panel.h"
#include "testing.h"

namespace sphere::panel {
namespace {

using sphere::testing::TempDir;

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

const char* kGdeltHeader =
    "month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score\n";

TEST(GdeltMonthly, ZeroFillsMissingPairsAndKeepsExposure) {
  TempDir dir;
  const auto path = write(dir, "m.csv",
                          std::string(kGdeltHeader) +
                              "2020-01,ARM,AZE,31,10,6,4,-120.5\n"
                              "2020-01,AZE,RUS,31,3,1,2,10\n"
                              "2020-02,ARM,AZE,28,12,9,3,-300\n"
                              "2020-03,AZE,RUS,30,5,0,5,44.25\n");
  const Panel p = read_panel(path, Format::kGdeltMonthly, {});
  EXPECT_FALSE(p.directed);
  EXPECT_EQ(p.periods, 3);
  EXPECT_EQ(p.period_name(0), "2020-01");
  ASSERT_EQ(p.pairs.size(), 2u);
  EXPECT_EQ(p.exposure, (std::vector<double>{31, 28, 30}));
  const long arm_aze = p.find_pair("AZE", "ARM");  // order-free for undirected panels
  ASSERT_GE(arm_aze, 0);
  const int neg = p.measure_index("days_negative");
  EXPECT_EQ(p.value(arm_aze, neg, 1), 9.0f);
  EXPECT_EQ(p.value(arm_aze, neg, 2), 0.0f);  // no row in 2020-03: zero
  const long aze_rus = p.find_pair("AZE", "RUS");
  EXPECT_EQ(p.value(aze_rus, p.measure_index("sum_score"), 2), 44.25f);
  EXPECT_EQ(p.find_pair("ARM", "RUS"), -1);
}

TEST(GdeltMonthly, UntilIgnoresLaterRows) {
  TempDir dir;
  const auto path = write(dir, "m.csv",
                          std::string(kGdeltHeader) +
                              "2020-01,ARM,AZE,31,10,6,4,-120.5\n"
                              "2020-02,ARM,AZE,28,12,9,3,-300\n"
                              "2020-03,ARM,AZE,31,12,9,3,-300\n");
  ReadOptions o;
  o.until = 2020 * 12 + 1;  // before 2020-02
  const Panel p = read_panel(path, Format::kGdeltMonthly, o);
  EXPECT_EQ(p.periods, 1);
  EXPECT_EQ(p.rows_used, 1u);
}

TEST(GdeltMonthly, MonthsWhoseRowsAreAllLeftOutAreNotPeriods) {
  // The first and last months have rows only of codes not kept, or of a country with itself.
  std::istringstream in(std::string(kGdeltHeader) +
                        "2020-01,GEO,TUR,31,10,6,4,-120.5\n"
                        "2020-02,ARM,AZE,29,12,9,3,-300\n"
                        "2020-03,ARM,AZE,31,12,9,3,-300\n"
                        "2020-04,ARM,ARM,30,1,1,0,-1\n");
  ReadOptions o;
  o.codes = {"ARM", "AZE"};
  const Panel p = read_panel(in, "m.csv", Format::kGdeltMonthly, o);
  EXPECT_EQ(p.period_name(0), "2020-02");
  EXPECT_EQ(p.periods, 2);
  EXPECT_EQ(p.exposure, (std::vector<double>{29, 31}));
}

TEST(GdeltMonthly, BadRowsAreCountedByReasonWithLineNumbers) {
  TempDir dir;
  const auto path = write(dir, "bad.csv",
                          std::string(kGdeltHeader) +
                              "2020-01,ARM,AZE,31,10,6,4,-120.5\n"
                              "2020-01,AZE,RUS,31,3,-1,2,10\n"     // negative count
                              "2020-01,AZE,TUR,31,3,2.5,0,10\n"    // a count of 2.5
                              "2020-02,AZE,TUR,31,3,1,0,x\n"       // not a number
                              "2020-01,AZE,IRN,31,3,1,0,1\n"       // month out of order
                              "2020-02,ARM,AZE,29,3,1,0,1\n");
  const Panel p = read_panel(path, Format::kGdeltMonthly, {});
  EXPECT_EQ(p.bad.total(), 4u);
  ASSERT_FALSE(p.bad.reasons.empty());
  EXPECT_EQ(p.bad.reasons[0].first_lines.front(), 3);
  EXPECT_EQ(p.rows_used, 2u);

  // A quote left open is a bad row of its own (core's CSV rules), not a shifted field.
  const auto quoted = write(dir, "quote.csv",
                            std::string(kGdeltHeader) + "2020-01,ARM,AZE,31,10,6,4,-120.5\n"
                                                        "2020-01,\"AZE,RUS,31,3,1,2,10\n");
  const Panel q = read_panel(quoted, Format::kGdeltMonthly, {});
  EXPECT_EQ(q.bad.total(), 1u);
  ASSERT_EQ(q.bad.reasons.size(), 1u);
  EXPECT_EQ(q.bad.reasons[0].what, "a quote is not closed");
  EXPECT_EQ(q.bad.reasons[0].first_lines.front(), 3);
  EXPECT_EQ(q.rows_used, 1u);

  ReadOptions strict;
  strict.strict = true;
  try {
    read_panel(path, Format::kGdeltMonthly, strict);
    FAIL() << "strict read accepted a negative count";
  } catch (const InputError& e) {
    const auto& d = e.diagnostics().items().front();
    EXPECT_EQ(d.file, path);
    EXPECT_EQ(d.line, 3);
    EXPECT_EQ(d.field, "days_negative");
  }
}

TEST(GdeltMonthly, WrongHeaderAndMissingFileAreErrors) {
  TempDir dir;
  const auto path = write(dir, "h.csv", "month,a,b\n2020-01,ARM,AZE\n");
  EXPECT_THROW(read_panel(path, Format::kGdeltMonthly, {}), InputError);
  EXPECT_THROW(read_panel((dir.path() / "absent.csv").string(), Format::kGdeltMonthly, {}), InputError);
}

TEST(GdeltMonthly, MissingFileNamesItAndWhy) {
  TempDir dir;
  const auto path = (dir.path() / "absent.csv").string();
  try {
    read_panel(path, Format::kGdeltMonthly, {});
    FAIL() << "an absent file was read";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items().front().file, path);
    EXPECT_NE(e.diagnostics().items().front().message.find("No such file"), std::string::npos);
  }
}

TEST(ReadPanel, AStreamReadsAsTheFile) {
  TempDir dir;
  // A byte order mark, CRLF line ends and a last line without one.
  const std::string text = "\xEF\xBB\xBF" + std::string(kGdeltHeader) +
                           "2020-01,ARM,AZE,31,10,6,4,-120.5\r\n"
                           "\n"
                           "2020-02,ARM,AZE,28,12,9,3,-300";
  const Panel from_file = read_panel(write(dir, "m.csv", text), Format::kGdeltMonthly, {});
  std::istringstream in(text);
  const Panel from_stream = read_panel(in, "memory.csv", Format::kGdeltMonthly, {});
  EXPECT_EQ(from_stream.file, "memory.csv");
  EXPECT_EQ(from_stream.periods, 2);
  EXPECT_EQ(from_stream.rows_read, 2u);
  EXPECT_EQ(from_stream.rows_used, 2u);
  EXPECT_EQ(from_stream.values, from_file.values);
  EXPECT_EQ(from_stream.exposure, (std::vector<double>{31, 28}));
  EXPECT_EQ(from_file.values, from_stream.values);
  EXPECT_EQ(from_file.rows_used, 2u);
}

TEST(ReadPanel, ALineOverAMegabyteIsAnErrorAtItsLine) {
  std::istringstream in(std::string(kGdeltHeader) + "2020-01,ARM,AZE,31,10,6,4,-120.5\n" +
                        std::string(2 << 20, 'x') + "\n2020-02,ARM,AZE,28,12,9,3,-300\n");
  try {
    read_panel(in, "long.csv", Format::kGdeltMonthly, {});
    FAIL() << "a 2 MB line was read";
  } catch (const InputError& e) {
    const auto& d = e.diagnostics().items().front();
    EXPECT_EQ(d.file, "long.csv");
    EXPECT_EQ(d.line, 3);
    EXPECT_NE(d.message.find("longer than"), std::string::npos);
  }
  // A line of exactly the limit, as the last line without a newline, is read (and rejected as a
  // row, not as a line).
  std::istringstream exact(std::string(kGdeltHeader) + "2020-01,ARM,AZE,31,10,6,4,-120.5\n" +
                           std::string(1 << 20, 'x'));
  const Panel p = read_panel(exact, "exact.csv", Format::kGdeltMonthly, {});
  EXPECT_EQ(p.rows_read, 2u);
  EXPECT_EQ(p.bad.total(), 1u);
}

TEST(IcewsYear, ReadsDirectedDyadYearsWithQuotedNames) {
  TempDir dir;
  const auto path = write(dir, "i.csv",
                          "\"i\",\"j\",\"i_iso3c\",\"j_iso3c\",\"year\",\"verbCoop\",\"matlCoop\",\"verbConf\",\"matlConf\"\n"
                          "\"Korea, Republic of\",\"Russia\",\"KOR\",\"RUS\",2002,5,1,2,0\n"
                          "\"Russia\",\"Korea, Republic of\",\"RUS\",\"KOR\",2002,7,0,1,1\n"
                          "\"Russia\",\"Korea, Republic of\",\"RUS\",\"KOR\",2003,3,0,4,2\n");
  const Panel p = read_panel(path, Format::kIcewsYear, {});
  EXPECT_TRUE(p.directed);
  EXPECT_TRUE(p.yearly);
  EXPECT_EQ(p.first, 2002);
  EXPECT_EQ(p.periods, 2);
  const long rk = p.find_pair("RUS", "KOR"), kr = p.find_pair("KOR", "RUS");
  ASSERT_GE(rk, 0);
  ASSERT_GE(kr, 0);
  EXPECT_NE(rk, kr);
  EXPECT_EQ(p.value(rk, p.measure_index("verbConf"), 1), 4.0f);
  EXPECT_EQ(p.value(kr, p.measure_index("verbConf"), 1), 0.0f);
}

TEST(MidIncidents, SideAToSideBIncidentsByStartMonth) {
  TempDir dir;
  const auto path = write(
      dir, "midip.csv",
      "dispnum,incidnum,stabb,ccode,stday,stmon,styear,endday,endmon,endyear,insidea,sidea,fatality,fatalpre,action,hostlev,revtype1,revtype2,version\n"
      "1,101,\"ARM\",371,1,3,2008,1,3,2008,1,1,0,0,7,3,1,0,5\n"
      "1,101,\"AZE\",373,1,3,2008,1,3,2008,1,0,0,0,7,3,1,0,5\n"
      "1,102,\"AZE\",373,5,3,2008,5,3,2008,1,1,0,0,7,3,1,0,5\n"
      "1,102,\"ARM\",371,5,3,2008,5,3,2008,1,0,0,0,7,3,1,0,5\n"
      "1,103,\"AZE\",373,5,6,2008,5,6,2008,1,1,0,0,7,3,1,0,5\n"
      "1,103,\"ARM\",371,5,6,2008,5,6,2008,1,0,0,0,7,3,1,0,5\n");
  const Panel p = read_panel(path, Format::kMidIncidents, {});
  EXPECT_TRUE(p.directed);
  const long az = p.find_pair("AZE", "ARM"), ar = p.find_pair("ARM", "AZE");
  ASSERT_GE(az, 0);
  ASSERT_GE(ar, 0);
  EXPECT_EQ(p.periods, 4);  // 2008-03 .. 2008-06
  EXPECT_EQ(p.value(az, 0, 0), 1.0f);
  EXPECT_EQ(p.value(ar, 0, 0), 1.0f);
  EXPECT_EQ(p.value(az, 0, 3), 1.0f);
  EXPECT_EQ(p.value(az, 0, 1), 0.0f);
}

TEST(IeaFlows, BorderPointsOfOnePairAreSummedAndUnreportedMonthsCounted) {
  TempDir dir;
  const auto path = write(dir, "gtf.csv",
                          "borderpoint,exit,entry,maxflow_mcm_per_h,month,flow\n"
                          "Kipi,Republic of Türkiye,Greece,1.1,2021-01,500.5\n"
                          "Kipi,Republic of Türkiye,Greece,1.1,2021-02,N/A\n"
                          "Kipoi 2,Republic of Türkiye,Greece,,2021-01,10.0\n"
                          "Türkgözü,Georgia,Republic of Türkiye,,2021-02,-1.3\n"
                          "Nowhere,Atlantis,Greece,,2021-02,4\n");
  const Panel p = read_panel(path, Format::kIeaFlows, {});
  EXPECT_TRUE(p.directed);
  EXPECT_FALSE(p.measures[0].count);  // a level: million m3, and small negative flows occur
  const long tg = p.find_pair("TUR", "GRC"), gt = p.find_pair("GEO", "TUR");
  ASSERT_GE(tg, 0);
  ASSERT_GE(gt, 0);
  EXPECT_LT(p.find_pair("GRC", "TUR"), 0);  // directed: no flow the other way
  EXPECT_FLOAT_EQ(p.value(tg, 0, 0), 510.5f);  // two border points summed
  EXPECT_FLOAT_EQ(p.value(gt, 0, 1), -1.3f);
  ASSERT_EQ(p.bad.total(), 2u);
  EXPECT_EQ(p.bad.reasons[0].what, "flow: not reported (empty or N/A)");
  EXPECT_EQ(p.bad.reasons[0].first_lines[0], 3);
  EXPECT_EQ(p.bad.reasons[1].what, "exit: a country name the IEA table does not use");
  ReadOptions strict;
  strict.strict = true;
  EXPECT_THROW(read_panel(path, Format::kIeaFlows, strict), InputError);
  EXPECT_EQ(parse_format("iea-flows", "x"), Format::kIeaFlows);
}

TEST(DyadCsv, CountsAndLevelsWithTheirChecks) {
  TempDir dir;
  const auto path = write(dir, "d.csv",
                          "period,actor1,actor2,protests,level:tone\n"
                          "2021-01,ARM,AZE,3,-1.5\n"
                          "2021-02,ARM,AZE,2.5,0\n"
                          "2021-03,AZE,ARM,1,2\n");
  ReadOptions o;
  o.directed = true;
  const Panel p = read_panel(path, Format::kDyadCsv, o);
  EXPECT_EQ(p.measures.size(), 2u);
  EXPECT_TRUE(p.measures[0].count);
  EXPECT_FALSE(p.measures[1].count);
  EXPECT_EQ(p.bad.total(), 1u);  // 2.5 protests
  EXPECT_EQ(p.bad.reasons[0].first_lines[0], 3);
  EXPECT_NE(p.find_pair("ARM", "AZE"), p.find_pair("AZE", "ARM"));
}

TEST(MidIncidents, AnImpossibleYearIsABadRowNotAnOverflow) {
  TempDir dir;
  const std::string header =
      "dispnum,incidnum,stabb,ccode,stday,stmon,styear,endday,endmon,endyear,insidea,sidea,fatality,fatalpre,action,hostlev,revtype1,revtype2,version\n";
  const auto path = write(dir, "midip.csv",
                          header +
                              "1,101,\"ARM\",371,1,3,2008,1,3,2008,1,1,0,0,7,3,1,0,5\n"
                              "1,101,\"AZE\",373,1,3,2008,1,3,2008,1,0,0,0,7,3,1,0,5\n"
                              "1,102,\"AZE\",373,1,3,2000000000,1,3,2008,1,1,0,0,7,3,1,0,5\n");
  const Panel p = read_panel(path, Format::kMidIncidents, {});
  EXPECT_EQ(p.periods, 1);
  ASSERT_EQ(p.bad.total(), 1u);
  EXPECT_NE(p.bad.reasons[0].what.find("styear"), std::string::npos) << p.bad.reasons[0].what;
  EXPECT_EQ(p.bad.reasons[0].first_lines[0], 4);
}

TEST(MidIncidents, AStateOnBothSidesIsABadRowAndTwiceOnOneSideCountsOnce) {
  const std::string header =
      "dispnum,incidnum,stabb,ccode,stday,stmon,styear,endday,endmon,endyear,insidea,sidea,fatality,fatalpre,action,hostlev,revtype1,revtype2,version\n";
  std::istringstream in(header +
                        "1,101,\"ARM\",371,1,3,2008,1,3,2008,1,1,0,0,7,3,1,0,5\n"
                        "1,101,\"AZE\",373,1,3,2008,1,3,2008,1,0,0,0,7,3,1,0,5\n"
                        "1,101,\"ARM\",371,1,3,2008,1,3,2008,1,0,0,0,7,3,1,0,5\n"   // ARM on side B too
                        "1,101,\"AZE\",373,1,3,2008,1,3,2008,1,0,0,0,7,3,1,0,5\n");  // AZE twice
  const Panel p = read_panel(in, "midip.csv", Format::kMidIncidents, {});
  ASSERT_EQ(p.pairs.size(), 1u);  // ARM -> AZE only: no pair of ARM with itself
  EXPECT_EQ(p.value(p.find_pair("ARM", "AZE"), 0, 0), 1.0f);  // one incident, counted once
  ASSERT_EQ(p.bad.total(), 1u);
  EXPECT_EQ(p.bad.reasons[0].first_lines[0], 4);
  EXPECT_NE(p.bad.reasons[0].what.find("other side"), std::string::npos) << p.bad.reasons[0].what;
}

TEST(DyadCsv, ATableTooLargeToHoldIsRefusedBeforeItIsAllocated) {
  // 50 pairs x 50 measures over years 1..9999 of months: 3 x 10^8 cells (1.2 GB) from 100 rows.
  TempDir dir;
  std::string text = "period,actor1,actor2";
  std::string zeros;
  for (int m = 0; m < 50; ++m) {
    text += ",m" + std::to_string(m);
    zeros += ",0";
  }
  text += "\n";
  for (int i = 0; i < 50; ++i) {
    const std::string pair = ",A" + std::to_string(i) + ",B" + std::to_string(i);
    text += "0001-01" + pair + zeros + "\n" + "9999-12" + pair + zeros + "\n";
  }
  const auto path = write(dir, "wide.csv", text);
  try {
    read_panel(path, Format::kDyadCsv, {});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("wide.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cells"), std::string::npos) << e.what();
  }
  // Year 0000 is not a month of the calendar.
  const auto zero = write(dir, "zero.csv", "period,actor1,actor2,n\n0000-01,A,B,1\n2000-01,A,B,1\n");
  EXPECT_EQ(read_panel(zero, Format::kDyadCsv, {}).bad.total(), 1u);
}

TEST(Observations, ValidatesFormatAndActors) {
  TempDir dir;
  write(dir, "observations.toml",
        "[[observations]]\nid = \"g\"\nfile = \"p.csv\"\nformat = \"gdelt-monthly\"\n"
        "target = \"days_negative\"\nactors = { RUS = \"RUS\", AZE = \"AZE\" }\n");
  const auto obs = read_observations(dir.path().string(), {"RUS", "AZE"});
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].resolved_path, (dir.path() / "p.csv").string());
  EXPECT_EQ(obs[0].actors.size(), 2u);
  try {
    read_observations(dir.path().string(), {"RUS"});
    FAIL() << "an unknown actor was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "actors.AZE");
    EXPECT_EQ(e.diagnostics().items()[0].line, 1);
  }
  write(dir, "observations.toml",
        "[[observations]]\nid = \"g\"\nfile = \"p.csv\"\nformat = \"gdelt\"\n"
        "target = \"days_negative\"\nactors = { }\n");
  EXPECT_THROW(read_observations(dir.path().string(), {}), InputError);
}

TEST(SharedPanels, GdeltMonthlyReproducesTheReadmeChecks) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  const auto path = (sphere::testing::shared_dir() /
                     "data/events/gdelt-country-networks/monthly_2018_2022.csv").string();
  const Panel p = read_panel(path, Format::kGdeltMonthly, {});
  EXPECT_EQ(p.rows_read, 357531u);
  EXPECT_EQ(p.bad.total(), 0u);
  EXPECT_EQ(p.periods, 60);
  const long d = p.find_pair("ARM", "AZE");
  ASSERT_GE(d, 0);
  const int score = p.measure_index("sum_score");
  // The README's checks: 2020-07 -15,305.7 (Tovuz), 2020-09 -16,772.4, 2020-10 -35,501.6.
  EXPECT_NEAR(p.value(d, score, p.period_of("2020-07", "test")), -15305.7, 0.1);
  EXPECT_NEAR(p.value(d, score, p.period_of("2020-09", "test")), -16772.4, 0.1);
  EXPECT_NEAR(p.value(d, score, p.period_of("2020-10", "test")), -35501.6, 0.1);
}

TEST(SharedPanels, IeaFlowsReproduceTheReadmeFigures) {
  SPHERE_REQUIRE_SHARED("data/infrastructure/iea-gas-trade-flows/gtf_long.csv");
  const Panel p = read_panel(
      (sphere::testing::shared_dir() / "data/infrastructure/iea-gas-trade-flows/gtf_long.csv").string(),
      Format::kIeaFlows, {});
  // README: every name is a country or LNG/NES; yearly Türkgözü (Georgia -> Türkiye, the only
  // GEO -> TUR point) 2019 9,546 and 2020 11,548 mcm.
  for (const auto& r : p.bad.reasons) EXPECT_EQ(r.what, "flow: not reported (empty or N/A)");
  const long gt = p.find_pair("GEO", "TUR");
  ASSERT_GE(gt, 0);
  auto year = [&](int y) {
    double sum = 0;
    for (int m = 0; m < 12; ++m) sum += p.value(gt, 0, p.period_of(fmt::format("{}-{:02}", y, m + 1), "t"));
    return sum;
  };
  EXPECT_NEAR(year(2019), 9546, 1);
  EXPECT_NEAR(year(2020), 11548, 1);
}

TEST(SharedPanels, IcewsAndMidRead) {
  SPHERE_REQUIRE_SHARED("data/events/icews-dyad-year/icews_dyad_year_quad.csv");
  const auto icews = read_panel((sphere::testing::shared_dir() /
                                 "data/events/icews-dyad-year/icews_dyad_year_quad.csv").string(),
                                Format::kIcewsYear, {});
  EXPECT_EQ(icews.bad.total(), 0u);
  EXPECT_EQ(icews.first, 2002);
  EXPECT_EQ(icews.periods, 13);
  const long rg = icews.find_pair("RUS", "GEO");
  ASSERT_GE(rg, 0);
  // The 2008 war is the largest RUS -> GEO year.
  int peak = 0;
  for (int t = 0; t < icews.periods; ++t)
    if (icews.value(rg, 3, t) > icews.value(rg, 3, peak)) peak = t;
  EXPECT_EQ(icews.period_name(peak), "2008");

  SPHERE_REQUIRE_SHARED("data/events/cow-mid5/MIDIP 5.0.csv");
  const auto mid = read_panel((sphere::testing::shared_dir() / "data/events/cow-mid5/MIDIP 5.0.csv").string(),
                              Format::kMidIncidents, {});
  const long aa = mid.find_pair("ARM", "AZE"), za = mid.find_pair("AZE", "ARM");
  ASSERT_GE(aa, 0);
  ASSERT_GE(za, 0);
  double total = 0;
  for (int t = 0; t < mid.periods; ++t) total += mid.value(aa, 0, t) + mid.value(za, 0, t);
  EXPECT_GT(total, 50);  // the README counts 154 ARM-AZE incidents
}

}  // namespace
}  // namespace sphere::panel

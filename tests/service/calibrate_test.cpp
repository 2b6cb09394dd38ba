// The calibrate use case in process: the request's problems named by its fields, the checks of
// the chosen pairs, and the file written with their anchors only.
#include <fstream>

#include <gtest/gtest.h>

#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

using sphere::testing::TempDir;

ResolvedPanel small_panel(const TempDir& dir) {
  const auto path = (dir.path() / "small.csv").string();
  {
    std::ofstream out(path);
    out << "month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score\n";
    for (int m = 0; m < 24; ++m) {
      const std::string month = (m < 12 ? "2020-" : "2021-") + std::string(m % 12 < 9 ? "0" : "") +
                                std::to_string(m % 12 + 1);
      out << month << ",ARM,AZE,30," << 10 + m % 5 << "," << 5 + (m * 7) % 6 << ",5,-100\n";
      out << month << ",AZE,RUS,30,8," << (m * 3) % 4 << ",7,50\n";
      if (m % 3 == 0) out << month << ",ARM,RUS,30,2,1,1,0\n";
    }
  }
  PanelRequest request;
  request.file = path;
  return resolve_panel(nullptr, request);
}

CalibrateRequest quick() {
  CalibrateRequest r;
  r.replicates = 40;
  r.threads = 1;
  r.write = false;
  return r;
}

std::string field_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    const auto& d = e.diagnostics().items().front();
    return d.file == kRequest ? d.field : "file " + d.file;
  }
  return "no error";
}

TEST(Calibrate, ARequestsProblemsNameItsFields) {
  TempDir dir;
  const ResolvedPanel p = small_panel(dir);
  CalibrateRequest r = quick();
  r.dyads = {"ARM:GEO"};
  EXPECT_EQ(field_of([&] { calibrate(p, r); }), "dyads");
  r = quick();
  r.write = true;  // a panel file and no model directory: where to write must be given
  EXPECT_EQ(field_of([&] { calibrate(p, r); }), "out");
}

TEST(Calibrate, ChecksTheChosenPairsAndWritesTheirAnchorsOnly) {
  TempDir dir;
  const ResolvedPanel p = small_panel(dir);
  CalibrateRequest r = quick();
  r.dyads = {"ARM:AZE"};
  r.write = true;
  r.out = (dir.path() / "cal.json").string();
  r.command = "sphere calibrate (test)";
  const CalibrateOutcome out = calibrate(p, r);
  ASSERT_EQ(out.checks.size(), 1u);
  EXPECT_EQ(out.checks.front().pair, "ARM:AZE");
  ASSERT_TRUE(out.summary.has_value());
  EXPECT_EQ(out.summary->total, 4);
  EXPECT_EQ(out.written, r.out);
  const auto file = nlohmann::json::parse(sphere::testing::read_file(r.out));
  EXPECT_EQ(file["command"], "sphere calibrate (test)");
  EXPECT_TRUE(file["anchors"].contains("ARM:AZE"));
  EXPECT_FALSE(file["anchors"].contains("AZE:RUS"));
  const auto json = nlohmann::json::parse(calibrate_to_json(out, p.panel));
  EXPECT_EQ(json["checks"].size(), 1u);
  EXPECT_EQ(json["written"], r.out);
  EXPECT_FALSE(json.contains("anchors"));
  for (const auto& f : out.calibration.fits) {
    const double pv = no_dynamics_p_value(f);
    EXPECT_GE(pv, 0.0);
    EXPECT_LE(pv, 1.0);
  }
}

}  // namespace
}  // namespace sphere::service

// The calibrate use case in process: the request's problems named by its fields, the checks of
// the chosen pairs, and the file written with their anchors only.
#include <fstream>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

using sphere::testing::TempDir;

ResolvedPanel calibrate_panel(const TempDir& dir) {
  const std::string path = sphere::testing::write_small_gdelt_panel(dir.path(), false);
  PanelRequest request;
  request.file = path;
  return resolve_panel(nullptr, request);
}

CalibrateRequest quick_calibration() {
  CalibrateRequest r;
  r.replicates = 40;
  r.threads = 1;
  r.write = false;
  return r;
}

TEST(Calibrate, ARequestsProblemsNameItsFields) {
  TempDir dir;
  const ResolvedPanel p = calibrate_panel(dir);
  CalibrateRequest r = quick_calibration();
  r.dyads = {"ARM:GEO"};
  EXPECT_EQ(field_of([&] { calibrate(p, r); }), "dyads");
  r = quick_calibration();
  r.write = true;  // a panel file and no model directory: where to write must be given
  EXPECT_EQ(field_of([&] { calibrate(p, r); }), "out");
}

TEST(Calibrate, ChecksTheChosenPairsAndWritesTheirAnchorsOnly) {
  TempDir dir;
  const ResolvedPanel p = calibrate_panel(dir);
  CalibrateRequest r = quick_calibration();
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

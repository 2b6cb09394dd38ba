// The report's model as both front ends make it (service::report_model).
#include <gtest/gtest.h>

#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

const kb::Model& builtin() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

// The cheap report: no ensemble runs.
ReportRequest quick() {
  ReportRequest r;
  r.runs = 0;
  r.sensitivity_runs = 0;
  return r;
}

TEST(ReportModel, TheModelsViewChoosesTheDyadsYearAndRegion) {
  const report::Report r = report_model(builtin(), quick());
  ASSERT_TRUE(r.dyads.data.has_value());
  ASSERT_EQ(r.dyads.data->size(), builtin().view.dyads.size());
  EXPECT_EQ(r.dyads.data->front().a, "RUS");
  EXPECT_EQ(r.dyads.data->front().b, "AZE");
  ASSERT_TRUE(r.map.data.has_value());
  EXPECT_EQ(r.map.data->focus, builtin().view.focus);
  EXPECT_NE(r.map.data->caption.find("end of 2025"), std::string::npos) << r.map.data->caption;
  EXPECT_EQ(r.forecast.missing, "not run (no runs asked for).");
}

TEST(ReportModel, TheRequestOverridesTheView) {
  ReportRequest request = quick();
  request.dyads = parse_dyads(builtin(), {"ARM:AZE", "TUR:AZE"});
  request.year = 2019;
  const report::Report r = report_model(builtin(), request);
  ASSERT_TRUE(r.dyads.data.has_value());
  ASSERT_EQ(r.dyads.data->size(), 2u);
  EXPECT_EQ(r.dyads.data->at(1).a, "TUR");
  EXPECT_NE(r.map.data->caption.find("end of 2019"), std::string::npos) << r.map.data->caption;
  // The map alone is the report's map.
  EXPECT_NE(render_map(builtin(), request), render_map(builtin(), quick()));
}

TEST(ReportModel, ABadDyadNamesTheRequestField) {
  for (const std::string spec : {"RUS", "RUS:RUS", "RUS:NOBODY"}) {
    try {
      parse_dyads(builtin(), {spec});
      ADD_FAILURE() << spec << " accepted";
    } catch (const InputError& e) {
      const Diagnostic& d = e.diagnostics().items().at(0);
      EXPECT_EQ(d.file, kRequest) << spec;
      EXPECT_EQ(d.field, "dyads") << spec;
      EXPECT_NE(d.message.find(spec), std::string::npos) << d.message;
    }
  }
}

TEST(ReportModel, ProgressCountsEveryRunAndCanStopTheWork) {
  ReportRequest request = quick();
  request.runs = 40;
  request.threads = 1;
  std::uint64_t last = 0, total = 0;
  int calls = 0;
  request.progress = [&](std::uint64_t done, std::uint64_t of) {
    EXPECT_GE(done, last);  // never goes back
    last = done;
    total = of;
    ++calls;
  };
  const report::Report r = report_model(builtin(), request);
  ASSERT_TRUE(r.forecast.data.has_value()) << r.forecast.missing;
  EXPECT_GT(calls, 0);
  EXPECT_EQ(total, 40u);
  EXPECT_EQ(last, 40u);
  struct Stop {};  // not a std::exception: it is not taken for a failed section
  request.progress = [](std::uint64_t, std::uint64_t) { throw Stop{}; };
  EXPECT_THROW(report_model(builtin(), request), Stop);
}

TEST(ReportModel, TheShippedBacktestIsReadFromTheModelDirectory) {
  ReportRequest request = quick();
  EXPECT_FALSE(report_model(builtin(), request).backtest.data.has_value());
  request.model_dir = (sphere::testing::source_dir() / "data" / "caucasus").string();
  const report::Report r = report_model(builtin(), request);
  ASSERT_TRUE(r.backtest.data.has_value()) << r.backtest.missing;
  EXPECT_FALSE(r.backtest.data->models.empty());
  EXPECT_FALSE(r.backtest.data->level);
  EXPECT_FALSE(r.backtest.data->reliability.empty());
  // And the level model's, which has no exceedance probabilities to draw a reliability diagram of.
  ASSERT_TRUE(r.level_backtest.data.has_value()) << r.level_backtest.missing;
  EXPECT_TRUE(r.level_backtest.data->level);
  EXPECT_EQ(r.level_backtest.data->models.front().name, "sphere-level");
  EXPECT_TRUE(r.level_backtest.data->reliability.empty());
  EXPECT_NE(r.level_backtest.data->caption.find("backtest-levels.json"), std::string::npos);
}

}  // namespace
}  // namespace sphere::service

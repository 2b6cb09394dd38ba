// model.toml [view]: what the report, the dashboard and the network commands show by default.
#include "kb/kb.h"
#include "testing.h"

namespace sphere::kb {
namespace {

using sphere::testing::fixtures;

Model mini_with(const std::string& view) {
  const ModelFiles disk = ModelFiles::directory(fixtures() / "mini");
  return load_model(disk.with("model.toml", *disk.read("model.toml") + view), builtin_codebook());
}

std::vector<Diagnostic> problems_of(const std::string& view) {
  try {
    mini_with(view);
  } catch (const InputError& e) {
    return e.diagnostics().items();
  }
  return {};
}

TEST(View, TheBuiltInModelNamesItsDefaults) {
  const Model m = load_builtin_model();
  ASSERT_EQ(m.view.dyads.size(), 1u);
  EXPECT_EQ(m.view.dyads[0], std::make_pair(std::string("RUS"), std::string("AZE")));
  EXPECT_EQ(m.view.year, 2025);
  EXPECT_EQ(m.view.area, "GEO");
  EXPECT_EQ(m.view.focus, (std::vector<std::string>{"AZE", "ARM", "GEO"}));
}

TEST(View, WithoutOneTheYearIsThePeriodsLastAndNothingElseIsChosen) {
  const Model m = mini_with("");
  EXPECT_EQ(m.view.year, m.info.to.year);
  EXPECT_TRUE(m.view.dyads.empty());
  EXPECT_TRUE(m.view.area.empty());
  EXPECT_TRUE(m.view.focus.empty());
  const Model set = mini_with("[view]\ndyads = [\"AZE:RUS\"]\nyear = 2019\n");
  EXPECT_EQ(set.view.year, 2019);
  ASSERT_EQ(set.view.dyads.size(), 1u);
  EXPECT_EQ(set.view.dyads[0].first, "AZE");
}

TEST(View, BadEntriesNameTheirLineAndField) {
  const auto unknown = problems_of("[view]\ndyads = [\"RUS:XXX\"]\n");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].field, "dyads");
  EXPECT_GT(unknown[0].line, 3);
  EXPECT_NE(unknown[0].message.find("XXX"), std::string::npos);
  const auto same = problems_of("[view]\ndyads = [\"RUS:RUS\"]\n");
  ASSERT_EQ(same.size(), 1u);
  EXPECT_NE(same[0].message.find("two different"), std::string::npos);
  const auto year = problems_of("[view]\nyear = 20.5\n");
  ASSERT_EQ(year.size(), 1u);
  EXPECT_EQ(year[0].field, "year");
  const auto field = problems_of("[view]\nzoom = 3\n");
  ASSERT_EQ(field.size(), 1u);
  EXPECT_EQ(field[0].field, "zoom");
}

}  // namespace
}  // namespace sphere::kb

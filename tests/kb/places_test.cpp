// places.toml: map positions of infrastructure nodes, validated with file, line and field.
#include <fstream>

#include <gtest/gtest.h>

#include "kb/kb.h"
#include "testing.h"

namespace sphere::kb {
namespace {

using sphere::testing::TempDir;

TEST(Places, BuiltInModelPlacesItsNodesAsAssumptions) {
  const Model model = load_builtin_model();
  ASSERT_FALSE(model.places.empty());
  for (const auto& p : model.places) {
    EXPECT_NE(model.infrastructure.find_node(p.node), nullptr) << p.node;
    EXPECT_EQ(p.provenance.source, "assumption");
    EXPECT_FALSE(p.provenance.rationale.empty());
    EXPECT_LT(p.provenance.range_low, 0);
    EXPECT_GT(p.provenance.range_high, 0);
  }
  const Place* baku = model.find_place("sangachal");
  ASSERT_NE(baku, nullptr);
  EXPECT_GT(baku->lon, 49);
  EXPECT_LT(baku->lon, 50);
  EXPECT_EQ(model.find_place("no-such-node"), nullptr);
}

// The built-in model copied to a directory with `places` as its places.toml.
std::string load_error(const TempDir& dir, const std::string& places) {
  std::filesystem::copy(sphere::testing::source_dir() / "data" / "caucasus", dir.path() / "m",
                        std::filesystem::copy_options::recursive);
  std::ofstream(dir.path() / "m" / "places.toml") << places;
  try {
    load_model(ModelFiles::directory(dir.path() / "m"), builtin_codebook());
  } catch (const InputError& e) {
    return e.diagnostics().to_string();
  }
  return "";
}

TEST(Places, BadPositionsAreReportedWithLineAndField) {
  TempDir dir;
  const std::string errors = load_error(dir,
                                        "[provenance]\nsource = \"assumption\"\nrationale = \"r\"\n"
                                        "range = [-0.3, 0.3]\n\n"
                                        "[[place]]\nnode = \"sangachal\"\nlon = 200\nlat = 40\n\n"
                                        "[[place]]\nnode = \"atlantis\"\nlon = 1\nlat = 2\n\n"
                                        "[[place]]\nnode = \"sangachal\"\nlon = 49\nlat = \"north\"\n");
  EXPECT_NE(errors.find("places.toml:6: field 'lon'"), std::string::npos) << errors;
  EXPECT_NE(errors.find("unknown node 'atlantis'"), std::string::npos) << errors;
  EXPECT_NE(errors.find("placed twice"), std::string::npos) << errors;
  EXPECT_NE(errors.find("field 'lat': expected a number"), std::string::npos) << errors;
}

TEST(Places, PositionsNeedAProvenance) {
  TempDir dir;
  const std::string errors =
      load_error(dir, "[provenance]\nsource = \"assumption\"\n\n[[place]]\nnode = \"acg\"\nlon = 50\nlat = 40\n");
  EXPECT_NE(errors.find("field 'rationale'"), std::string::npos) << errors;
  EXPECT_NE(errors.find("field 'range'"), std::string::npos) << errors;
}

}  // namespace
}  // namespace sphere::kb

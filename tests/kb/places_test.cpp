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

TEST(Places, EveryLinkIsDrawableAndPipelinesFollowTheirCourses) {
  const Model model = load_builtin_model();
  for (const auto& l : model.infrastructure.links) {
    EXPECT_NE(model.find_place(l.from), nullptr) << l.id << " from " << l.from;
    EXPECT_NE(model.find_place(l.to), nullptr) << l.id << " to " << l.to;
  }
  // BTC avoids Armenia: its course runs north of the Armenian border through Georgia, so some
  // waypoint lies north of 41.3°N (Tbilisi area) between Azerbaijan and Türkiye.
  const Route* btc = model.find_route("btc");
  ASSERT_NE(btc, nullptr);
  EXPECT_EQ(btc->provenance.source, "data");
  EXPECT_NE(btc->provenance.citation.find("Global Energy Monitor"), std::string::npos);
  bool through_georgia = false;
  for (const auto& [lon, lat] : btc->points) through_georgia |= lon > 43.5 && lon < 45.5 && lat > 41.3;
  EXPECT_TRUE(through_georgia);
  const Route* east = model.find_route("instc-east");
  ASSERT_NE(east, nullptr);
  EXPECT_EQ(east->provenance.source, "assumption");
  double most_east = 0;
  for (const auto& [lon, lat] : east->points) most_east = std::max(most_east, lon);
  EXPECT_GT(most_east, 53) << "the eastern branch runs east of the Caspian";
  EXPECT_NE(model.find_route("tap"), nullptr);
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

TEST(Places, BadRoutesAreReportedWithLineAndField) {
  TempDir dir;
  const std::string errors = load_error(
      dir,
      "[provenance]\nsource = \"assumption\"\nrationale = \"r\"\nrange = [-0.3, 0.3]\n\n"
      "[[route]]\nlink = \"no-such-link\"\npoints = [[45, 41]]\n\n"
      "[[route]]\nlink = \"btc\"\npoints = [[45, \"x\"]]\n\n"
      "[[route]]\nlink = \"tap\"\nsource = \"data\"\npoints = [[20, 40]]\n");
  EXPECT_NE(errors.find("unknown link 'no-such-link'"), std::string::npos) << errors;
  EXPECT_NE(errors.find("places.toml:12: field 'points'"), std::string::npos) << errors;
  EXPECT_NE(errors.find("field 'citation': data needs a citation"), std::string::npos) << errors;
}

}  // namespace
}  // namespace sphere::kb

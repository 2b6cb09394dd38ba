#include "kb/kb.h"
#include "testing.h"

namespace sphere::kb {
namespace {

using sphere::testing::fixtures;

TEST(ModelFiles, WithReadsOneFileFromMemoryAndLeavesTheOthers) {
  const ModelFiles disk = ModelFiles::directory(fixtures() / "mini");
  const ModelFiles changed = disk.with("model.toml", "name = \"Changed\"\n");
  EXPECT_EQ(changed.read("model.toml"), "name = \"Changed\"\n");
  EXPECT_EQ(changed.read("actors.toml"), disk.read("actors.toml"));
  EXPECT_EQ(changed.label("model.toml"), disk.label("model.toml"));  // named as the file it replaces
  EXPECT_NE(disk.read("model.toml"), changed.read("model.toml"));    // the original is unchanged
  // A file the model lacks can be given; the built-in model's files are replaced the same way.
  EXPECT_EQ(disk.with("ties.toml", "").read("ties.toml"), "");
  EXPECT_EQ(ModelFiles::builtin().with("events.csv", "x").read("events.csv"), "x");
}

TEST(ModelFiles, ALoadSeesTheReplacedFile) {
  const ModelFiles disk = ModelFiles::directory(fixtures() / "mini");
  std::string text = *disk.read("model.toml");
  const auto at = text.find("Mini");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, "Other");
  EXPECT_EQ(load_model(disk.with("model.toml", text), builtin_codebook()).info.name, "Other");
  EXPECT_THROW(load_model(disk.with("actors.toml", "[[actors]\n"), builtin_codebook()), InputError);
}

}  // namespace
}  // namespace sphere::kb

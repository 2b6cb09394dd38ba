#include <filesystem>
#include <fstream>

#include "kb/kb.h"
#include "testing.h"

namespace sphere::kb {
namespace {

namespace fs = std::filesystem;
using sphere::testing::TempDir;

// A model whose only sourced numbers are flows citing files under shared/.
Model citing(const std::vector<std::string>& citations) {
  Model m;
  int line = 10;
  for (const auto& c : citations) {
    InfraFlow f;
    f.node = "n";
    f.carrier = "gas";
    f.kind = "demand";
    f.provenance.source = "data";
    f.provenance.citation = c;
    f.provenance.origin = {"infrastructure.toml", line++};
    m.infrastructure.flows.push_back(f);
  }
  return m;
}

// root/shared/data/x.csv, root/models/mine (the model), root/texts (source texts elsewhere).
struct Tree {
  TempDir tmp;
  fs::path root = tmp.path(), model = root / "models" / "mine", texts = root / "texts";
  Tree() {
    fs::create_directories(root / "shared" / "data");
    fs::create_directories(model);
    fs::create_directories(texts);
    std::ofstream(root / "shared" / "data" / "x.csv") << "a\n";
  }
};

TEST(CitedFiles, AreFoundThroughTheModelDirectorysParents) {
  Tree t;
  EXPECT_EQ(shared_folder({t.model, {}}, t.texts), fs::absolute(t.root / "shared"));
  const QuoteReport ok = check_quotes(citing({"shared/data/x.csv row 2"}), t.texts, {t.model, {}});
  EXPECT_TRUE(ok.problems.empty()) << ok.problems.to_string();
}

TEST(CitedFiles, AMissingFileNamesTheFirstMissingFolder) {
  Tree t;
  const QuoteReport r = check_quotes(
      citing({"shared/data/y.csv row 2", "shared/dta/x.csv, table 1"}), t.texts, {t.model, {}});
  ASSERT_EQ(r.problems.size(), 2u) << r.problems.to_string();
  const auto& file = r.problems.items()[0];
  EXPECT_EQ(file.field, "citation");
  EXPECT_EQ(file.line, 10);
  EXPECT_NE(file.message.find("has no y.csv"), std::string::npos) << file.message;
  const auto& folder = r.problems.items()[1];
  EXPECT_NE(folder.message.find("the folder " + (fs::absolute(t.root) / "shared" / "dta").string() +
                                " is missing"),
            std::string::npos)
      << folder.message;
}

TEST(CitedFiles, WithoutASharedFolderOneProblemSaysSoAndTheDataRootFixesIt) {
  Tree t;
  TempDir elsewhere;  // a copied model with no shared/ above it
  const fs::path model = elsewhere.path() / "copy";
  fs::create_directories(model);
  const Model m = citing({"shared/data/x.csv row 1", "shared/data/x.csv row 2",
                          "shared/data/x.csv row 3"});
  const QuoteReport lost = check_quotes(m, model, {model, {}});
  ASSERT_EQ(lost.problems.size(), 1u) << lost.problems.to_string();
  EXPECT_NE(lost.problems.items()[0].message.find("3 cited files under shared/ cannot be checked"),
            std::string::npos)
      << lost.problems.items()[0].message;
  const QuoteReport found = check_quotes(m, model, {model, t.root / "shared"});
  EXPECT_TRUE(found.problems.empty()) << found.problems.to_string();
}

}  // namespace
}  // namespace sphere::kb

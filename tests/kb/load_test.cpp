#include <fstream>
#include <sstream>

#include "kb/kb.h"
#include "testing.h"

namespace sphere::kb {
namespace {

using sphere::testing::fixtures;
using sphere::testing::TempDir;

Model load_mini() {
  return load_model(ModelFiles::directory(fixtures() / "mini"), builtin_codebook());
}

TEST(Load, MiniModelLoadsWithEveryRecord) {
  Model m = load_mini();
  EXPECT_EQ(m.info.name, "Mini");
  EXPECT_EQ(m.sources.size(), 2u);
  EXPECT_EQ(m.actors.size(), 2u);
  ASSERT_EQ(m.events.size(), 2u);
  EXPECT_EQ(m.facts.size(), 2u);
  ASSERT_EQ(m.conflicts.size(), 1u);
  const Event* raid = m.find_event("raid");
  ASSERT_NE(raid, nullptr);
  EXPECT_EQ(raid->date.to_string(), "2024-07");
  EXPECT_DOUBLE_EQ(raid->goldstein, -5.0);
  ASSERT_EQ(raid->quotes.size(), 2u);
  EXPECT_EQ(raid->quotes[1].source, "S1");
  EXPECT_EQ(raid->quotes[1].text, "\"Staff were arrested,\" it said.");
  EXPECT_EQ(raid->summary, "Baku raids a news office, arrests staff");
  EXPECT_EQ(m.facts[1].qualifier, "about");
  EXPECT_EQ(m.conflicts[0].claims.size(), 2u);
}

TEST(Load, EventsComeInDateOrder) {
  Model m = load_mini();
  for (std::size_t i = 1; i < m.events.size(); ++i)
    EXPECT_LE(m.events[i - 1].date, m.events[i].date);
}

// Copies the mini model into a temporary directory and overlays one bad-input case on it.
void prepare_case(const std::filesystem::path& case_dir, const std::filesystem::path& target) {
  std::filesystem::copy(fixtures() / "mini", target);
  for (const auto& entry : std::filesystem::directory_iterator(case_dir)) {
    const auto name = entry.path().filename().string();
    if (name == "expect") continue;
    if (name == "remove") {
      std::istringstream lines(sphere::testing::read_file(entry.path()));
      for (std::string file; std::getline(lines, file);)
        if (!file.empty()) std::filesystem::remove(target / file);
      continue;
    }
    std::filesystem::copy_file(entry.path(), target / name,
                               std::filesystem::copy_options::overwrite_existing);
  }
}

// Every bad-input fixture names the file, line and field at fault.
TEST(Load, EveryBadInputFixtureIsReportedWithFileLineAndField) {
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures() / "bad")) {
    SCOPED_TRACE(entry.path().filename().string());
    std::istringstream expect(sphere::testing::read_file(entry.path() / "expect"));
    std::string file, field, message;
    int line = -1;
    expect >> file >> line >> field;
    std::getline(expect >> std::ws, message);
    TempDir dir;
    const auto model_dir = dir.path() / "model";
    prepare_case(entry.path(), model_dir);
    try {
      load_model(ModelFiles::directory(model_dir), builtin_codebook());
      ADD_FAILURE() << "loaded without error";
    } catch (const InputError& e) {
      bool found = false;
      for (const Diagnostic& d : e.diagnostics().items()) {
        if (d.file == (model_dir / file).string() && d.line == line &&
            d.field == (field == "-" ? "" : field) &&
            d.message.find(message) != std::string::npos)
          found = true;
      }
      EXPECT_TRUE(found) << "expected " << file << ":" << line << " field " << field << ": "
                         << message << "\ngot:\n" << e.diagnostics().to_string();
    }
    ++cases;
  }
  EXPECT_GE(cases, 15);
}

TEST(Load, ReportsAllErrorsTogether) {
  TempDir dir;
  const auto model_dir = dir.path() / "model";
  std::filesystem::copy(fixtures() / "mini", model_dir);
  std::ofstream(model_dir / "events.csv")
      << "id,date,actor1,actor2,cameo,goldstein,summary,sources,quotes,confidence\n"
         "a,2024-13,AZE,RUS,173,-5.0,x,S0,q,high\n"
         "b,2024,AZE,NOPE,173,-5.0,x,S0,q,high\n"
         "b,2024,AZE,RUS,173,-5.0,x,S7,q,sure\n";
  try {
    load_model(ModelFiles::directory(model_dir), builtin_codebook());
    FAIL() << "loaded without error";
  } catch (const InputError& e) {
    // bad month; unknown actor; duplicate id, unknown source, bad confidence; and the
    // conflict that names event 'raid', which no longer exists.
    EXPECT_GE(e.diagnostics().size(), 6u) << e.diagnostics().to_string();
  }
}

TEST(Quotes, FoundAfterNormalisingAndMissingOnesAreReported) {
  Model m = load_mini();
  QuoteReport ok = check_quotes(m, fixtures() / "texts");
  EXPECT_EQ(ok.checked, 7);  // 3 event quotes, 2 fact quotes, 2 conflict claims
  EXPECT_TRUE(ok.problems.empty()) << ok.problems.to_string();

  m.facts[0].quote.text = "Nine people were arrested.";
  QuoteReport bad = check_quotes(m, fixtures() / "texts");
  ASSERT_EQ(bad.problems.size(), 1u) << bad.problems.to_string();
  const Diagnostic& d = bad.problems.items()[0];
  EXPECT_NE(d.file.find("facts.toml"), std::string::npos);
  EXPECT_EQ(d.line, m.facts[0].origin.line);
  EXPECT_EQ(d.field, "quote");
}

TEST(Load, ASyntaxErrorDoesNotCascadeIntoEveryReferenceToTheFile) {
  // The built-in model with one broken line in actors.toml: one syntax error and one line saying
  // how many references were left unchecked, not hundreds of "unknown actor" reports.
  TempDir dir;
  const auto model_dir = dir.path() / "model";
  std::filesystem::copy(sphere::testing::source_dir() / "data/caucasus", model_dir);
  std::string text = sphere::testing::read_file(model_dir / "actors.toml");
  text.insert(text.find("[[actor]]"), "this is = = broken\n");
  std::ofstream(model_dir / "actors.toml") << text;
  try {
    load_model(ModelFiles::directory(model_dir), builtin_codebook());
    FAIL() << "loaded without error";
  } catch (const InputError& e) {
    const auto& items = e.diagnostics().items();
    ASSERT_EQ(items.size(), 2u) << e.diagnostics().to_string();
    EXPECT_NE(items[0].message.find("TOML syntax"), std::string::npos);
    EXPECT_EQ(items[1].file, (model_dir / "actors.toml").string());
    EXPECT_NE(items[1].message.find("not checked until it parses"), std::string::npos);
  }
  // A genuine unknown actor elsewhere is still reported when actors.toml parses.
  std::ofstream(model_dir / "actors.toml") << sphere::testing::read_file(
      sphere::testing::source_dir() / "data/caucasus/actors.toml");
  std::string events = sphere::testing::read_file(model_dir / "events.csv");
  events.replace(events.find(",SUN,AZE,"), 9, ",XXX,AZE,");
  std::ofstream(model_dir / "events.csv") << events;
  try {
    load_model(ModelFiles::directory(model_dir), builtin_codebook());
    FAIL() << "loaded without error";
  } catch (const InputError& e) {
    EXPECT_NE(e.diagnostics().to_string().find("unknown actor 'XXX'"), std::string::npos)
        << e.diagnostics().to_string();
  }
}

}  // namespace
}  // namespace sphere::kb

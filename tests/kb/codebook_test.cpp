#include "kb/kb.h"
#include "testing.h"

namespace sphere::kb {
namespace {

constexpr const char* kTwoCodes =
    "code,goldstein,description\n036,4.0,Express intent to meet or negotiate\n173,-5.0,Arrest\n";

TEST(Codebook, FindsEachCodeWithItsGoldsteinValue) {
  const Codebook book = Codebook::parse(kTwoCodes, "codebook.csv");
  ASSERT_EQ(book.entries().size(), 2u);
  ASSERT_NE(book.find("173"), nullptr);
  EXPECT_DOUBLE_EQ(book.find("173")->goldstein, -5.0);
  EXPECT_EQ(book.find("036")->description, "Express intent to meet or negotiate");
  EXPECT_EQ(book.find("36"), nullptr);  // leading zeros are part of the code
  EXPECT_EQ(book.find("999"), nullptr);
}

TEST(Codebook, AnEmptyCodebookFindsNothing) {
  const Codebook book;
  EXPECT_TRUE(book.entries().empty());
  EXPECT_EQ(book.find("036"), nullptr);
}

TEST(Codebook, CopiesShareOneTableAndOutliveTheOriginal) {
  Codebook copy;
  const CodebookEntry* entry = nullptr;
  {
    const Codebook book = Codebook::parse(kTwoCodes, "codebook.csv");
    copy = book;
    EXPECT_EQ(&copy.entries(), &book.entries());  // a copy costs a count, not 300 entries
    entry = book.find("173");
  }
  EXPECT_EQ(copy.find("173"), entry);  // still valid once the original is gone
  EXPECT_EQ(copy.find("173")->description, "Arrest");
}

TEST(Codebook, BadRowsNameTheFileLineAndField) {
  auto problem = [](const std::string& csv) {
    try {
      (void)Codebook::parse(csv, "codebook.csv");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto says = [&](const std::string& csv, const std::string& part) {
    return problem(csv).find(part) != std::string::npos;
  };
  const std::string header = "code,goldstein,description\n";
  EXPECT_TRUE(says(header + "03a,1.0,x\n", "codebook.csv:2")) << problem(header + "03a,1.0,x\n");
  EXPECT_TRUE(says(header + "03a,1.0,x\n", "not a CAMEO code"));
  EXPECT_TRUE(says(header + "036,high,x\n", "goldstein"));
  EXPECT_TRUE(says(header + "036,11,x\n", "Goldstein scale"));
  EXPECT_TRUE(says(header + "036,1,x\n036,2,y\n", "codebook.csv:3"));
  EXPECT_TRUE(says(header + "036,1,x\n036,2,y\n", "duplicate code '036'"));
  EXPECT_TRUE(says(header + "036,1,x\n", "no error"));
}

}  // namespace
}  // namespace sphere::kb

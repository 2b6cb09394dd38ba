#include <gtest/gtest.h>

#include "core/core.h"

namespace sphere {
namespace {

// Reads `text` with the columns a, b, c: the rows read and every problem reported.
struct Read {
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  Diagnostics problems;
  bool header = false;
};
Read read_csv(std::string_view text) {
  Read r;
  CsvReader reader(text, "t.csv", {"a", "b", "c"});
  r.header = reader.read_header(r.problems);
  std::vector<std::string> row;
  if (r.header)
    while (reader.read_row(row, r.problems)) {
      r.rows.push_back(row);
      r.lines.push_back(reader.line());
    }
  return r;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(SplitCsvLine, TheReadersRulesOnOneLine) {
  std::vector<std::string> f = {"left over", "from", "a longer line", "x"};
  ASSERT_TRUE(split_csv_line(" a ,\t\"b, c\" ,\"say \"\"hi\"\"\",", f));
  EXPECT_EQ(f, (std::vector<std::string>{"a", "b, c", "say \"hi\"", ""}));
  ASSERT_TRUE(split_csv_line("", f));
  EXPECT_EQ(f, (std::vector<std::string>{""}));
  ASSERT_TRUE(split_csv_line("x\"y,z\"w", f));  // a quoted part inside a field, kept as written
  EXPECT_EQ(f, (std::vector<std::string>{"x\"y,z\"w"}));
  EXPECT_FALSE(split_csv_line("1,\"open,2", f));
  EXPECT_EQ(f, (std::vector<std::string>{"1"}));
}

TEST(CsvReader, ReadsFieldsTrimmedUnquotedAndInTheHeadersOrder) {
  Read r = read_csv("c, b ,a\r\n3,\t2 ,1\n\"x, y\",\"say \"\"hi\"\"\", \" a \" \nz,y,x");
  ASSERT_TRUE(r.header);
  EXPECT_TRUE(r.problems.empty()) << r.problems.to_string();
  EXPECT_EQ(r.rows, (Rows{{"1", "2", "3"}, {" a ", "say \"hi\"", "x, y"}, {"x", "y", "z"}}));
  EXPECT_EQ(r.lines, (std::vector<int>{2, 3, 4}));
}

TEST(CsvReader, KeepsAQuotedPartInsideAFieldAsWritten) {
  // A quoted part may hold a comma anywhere in a field; only a field wholly in quotes is unquoted,
  // and a lone quote inside one stays.
  Read r = read_csv("a,b,c\nx\"1,2\"y,\"p\"q\"r\",\"\"\n");
  EXPECT_TRUE(r.problems.empty()) << r.problems.to_string();
  EXPECT_EQ(r.rows, (Rows{{"x\"1,2\"y", "p\"q\"r", ""}}));
}

TEST(CsvReader, ReportsABadRowWithItsLineAndReadsOn) {
  Read r = read_csv("a,b,c\n1,2\n\n1,2,3,4\n1,\"2,3\n7,8,9\n");
  EXPECT_EQ(r.rows, (Rows{{"7", "8", "9"}}));
  EXPECT_EQ(r.lines, (std::vector<int>{6}));
  ASSERT_EQ(r.problems.size(), 4u) << r.problems.to_string();
  const auto& p = r.problems.items();
  EXPECT_EQ(p[0].file, "t.csv");
  EXPECT_EQ(p[0].line, 2);
  EXPECT_EQ(p[0].message, "Too few columns");
  EXPECT_EQ(p[1].line, 3);  // a blank line is a row with one empty field
  EXPECT_EQ(p[1].message, "Too few columns");
  EXPECT_EQ(p[2].line, 4);
  EXPECT_EQ(p[2].message, "Too many columns");
  EXPECT_EQ(p[3].line, 5);
  EXPECT_EQ(p[3].message, "Escaped string was not closed");
}

TEST(CsvReader, AcceptsAByteOrderMarkAndALastLineWithoutItsEnd) {
  Read r = read_csv("\xEF\xBB\xBF" "a,b,c\n1,2,3");
  EXPECT_TRUE(r.problems.empty()) << r.problems.to_string();
  EXPECT_EQ(r.rows, (Rows{{"1", "2", "3"}}));
}

TEST(CsvReader, ANulByteEndsItsLine) {
  using namespace std::string_view_literals;
  Read r = read_csv("a,b,c\n1,2,3\0,4\n1,2\0,3\n"sv);
  EXPECT_EQ(r.rows, (Rows{{"1", "2", "3"}}));
  ASSERT_EQ(r.problems.size(), 1u) << r.problems.to_string();
  EXPECT_EQ(r.problems.items()[0].line, 3);
  EXPECT_EQ(r.problems.items()[0].message, "Too few columns");
}

TEST(CsvReader, RejectsAHeaderWithoutExactlyTheColumns) {
  const std::pair<std::string_view, std::string> cases[] = {
      {"", "Header missing"},
      {"\xEF\xBB\xBF", "Header missing"},
      {"a,b,c,d\n", "Extra column \"d\" in header of file \"t.csv\"."},
      {"a,b,a,c\n", "Duplicated column \"a\" in header of file \"t.csv\"."},
      {"a,c\n", "Missing column \"b\" in header of file \"t.csv\"."},
  };
  for (const auto& [text, message] : cases) {
    Read r = read_csv(text);
    EXPECT_FALSE(r.header) << text;
    ASSERT_EQ(r.problems.size(), 1u) << text;
    EXPECT_EQ(r.problems.items()[0].line, 0) << text;
    EXPECT_EQ(r.problems.items()[0].message, message);
  }
  Read open = read_csv("a,\"b,c\n");
  ASSERT_EQ(open.problems.size(), 1u);
  EXPECT_EQ(open.problems.items()[0].line, 1);
  EXPECT_EQ(open.problems.items()[0].message, "Escaped string was not closed");
  // A column's name is quoted in part only.
  Read longer = read_csv("a,b,c," + std::string(1000, 'x') + "\n");
  ASSERT_EQ(longer.problems.size(), 1u);
  EXPECT_LT(longer.problems.items()[0].message.size(), 120u);
}

}  // namespace
}  // namespace sphere

#include <gtest/gtest.h>

#include "core/core.h"

namespace sphere {
namespace {

TEST(Date, ParsesEachPrecision) {
  auto y = Date::parse("1992");
  ASSERT_TRUE(y);
  EXPECT_EQ(y->precision(), Date::Precision::kYear);
  EXPECT_EQ(y->to_string(), "1992");
  auto m = Date::parse("2025-06");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->precision(), Date::Precision::kMonth);
  EXPECT_EQ(m->month, 6);
  auto d = Date::parse("2024-12-25");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->precision(), Date::Precision::kDay);
  EXPECT_EQ(d->to_string(), "2024-12-25");
}

TEST(Date, RejectsMalformedAndImpossibleDates) {
  std::string why;
  for (const char* bad : {"", "92", "1992-1", "1992/01", "2024-13", "2024-00", "2023-02-29",
                          "2024-04-31", "20x4", "2024-12-25T"}) {
    EXPECT_FALSE(Date::parse(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_TRUE(Date::parse("2024-02-29"));  // a leap year
  EXPECT_FALSE(Date::parse("1900-02-29"));  // not one
}

TEST(Date, CoarserDateSortsFirst) {
  EXPECT_LT(*Date::parse("2024"), *Date::parse("2024-01"));
  EXPECT_LT(*Date::parse("2024-01"), *Date::parse("2024-01-01"));
  EXPECT_LT(*Date::parse("2024-12-31"), *Date::parse("2025"));
  EXPECT_EQ(Date::parse("2024-03")->month_index(), 2024 * 12 + 2);
}

TEST(Text, NormalisesQuotesAndWhitespace) {
  EXPECT_EQ(normalize_for_quote("  Baku\u2019s \u201Cnew\u201D\n\tline\u00A0here "),
            "Baku's \"new\" line here");
  EXPECT_EQ(normalize_for_quote("a\r\n\r\nb"), "a b");
}

TEST(Text, CountsWordsAndSplits) {
  EXPECT_EQ(count_words("  one two\tthree\n"), 3);
  EXPECT_EQ(count_words(""), 0);
  auto parts = split_trimmed(" S0 | S2|S4 ", '|');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "S0");
  EXPECT_EQ(parts[2], "S4");
  EXPECT_EQ(ascii_lower("Türkiye AZE"), "türkiye aze");
}

TEST(Diagnostics, NameFileLineAndField) {
  Diagnostics d;
  d.add("events.csv", 12, "date", "bad");
  d.add("model.toml", 0, "", "file not found");
  EXPECT_EQ(d.items()[0].to_string(), "events.csv:12: field 'date': bad");
  EXPECT_EQ(d.items()[1].to_string(), "model.toml: file not found");
  InputError e(d);
  EXPECT_EQ(e.diagnostics().size(), 2u);
  EXPECT_NE(std::string(e.what()).find("events.csv:12"), std::string::npos);
}


TEST(Text, SuggestsTheClosestName) {
  const std::vector<std::string> links = {"btc-pipeline", "scp-pipeline", "bts-railway"};
  EXPECT_EQ(did_you_mean("btc-pipline", links), "; did you mean 'btc-pipeline'?");
  EXPECT_EQ(did_you_mean("BTC-PIPELINE", links), "; did you mean 'btc-pipeline'?");
  EXPECT_EQ(did_you_mean("scp-pipelien", links), "; did you mean 'scp-pipeline'?");
  EXPECT_EQ(did_you_mean("tanap", links), "");  // nothing close: no guess
  EXPECT_EQ(did_you_mean("gsa", std::vector<std::string>{"gas", "oil"}), "; did you mean 'gas'?");
  EXPECT_EQ(did_you_mean("AZ", std::vector<std::string>{"AZE", "ARM"}), "; did you mean 'AZE'?");
  EXPECT_EQ(did_you_mean("x", std::vector<std::string>{}), "");
}

TEST(Errors, OneExitCodePerKind) {
  EXPECT_EQ(exit_code(ErrorKind::kUsage), 1);
  EXPECT_EQ(exit_code(ErrorKind::kInvalidInput), 2);
  EXPECT_EQ(exit_code(ErrorKind::kIo), 3);
  EXPECT_EQ(exit_code(ErrorKind::kCorruption), 4);
  EXPECT_EQ(InputError("f", 1, "x", "bad").kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(InputError("f", 0, "checksum", "bad", ErrorKind::kCorruption).kind(),
            ErrorKind::kCorruption);
}

}  // namespace
}  // namespace sphere

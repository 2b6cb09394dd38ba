// The streaming GDELT importer against the real GDELT 2.0 sample and its independently computed
// facts, rebuilt GDELT 1.0 layouts, and broken rows.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "events/events.h"
#include "testing.h"

namespace sphere::events {
namespace {

using sphere::testing::TempDir;

const char* kSample = "data/gdelt-sample/20191024143000.export.CSV";

// Tallies what the importer passes on.
struct Tally : EventSink {
  long long rows = 0, roots = 0, empty1 = 0, empty2 = 0;
  std::map<int, long long> quad;
  double goldstein = 0;
  std::map<std::pair<std::string, std::string>, std::pair<int, double>> dyads;
  std::vector<Date> dates;
  void add(const EventView& e) override {
    ++rows;
    roots += e.root_event;
    empty1 += e.country1.empty();
    empty2 += e.country2.empty();
    ++quad[e.quad];
    goldstein += e.goldstein;
    auto& d = dyads[{std::string(e.country1), std::string(e.country2)}];
    ++d.first;
    d.second += e.goldstein;
    dates.push_back(e.date);
  }
};

ImportReport import_file(const std::filesystem::path& path, EventSink& sink,
                         ImportOptions options = {}) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << path;
  static const kb::Codebook codebook = kb::builtin_codebook();
  ImportReport r = import_gdelt(fd, path.string(), codebook, CountryTable::builtin(), options, sink);
  ::close(fd);
  return r;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream s(line);
  std::string x;
  while (std::getline(s, x, '\t')) f.push_back(x);
  if (!line.empty() && line.back() == '\t') f.push_back("");
  return f;
}

std::string join(const std::vector<std::string>& f) {
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "\t" : "") + f[i];
  return out;
}

TEST(Gdelt, SampleFileMatchesItsIndependentFacts) {
  SPHERE_REQUIRE_SHARED(kSample);
  Tally t;
  ImportReport r = import_file(sphere::testing::shared_dir() / kSample, t);
  EXPECT_EQ(r.lines, 2111);
  EXPECT_EQ(r.bad, 0) << (r.reasons.empty() ? "" : r.reasons.begin()->second.example);
  EXPECT_EQ(r.layouts[61], 2111);
  EXPECT_EQ(t.rows, 2111);
  EXPECT_EQ(t.quad[1], 1222);
  EXPECT_EQ(t.quad[2], 281);
  EXPECT_EQ(t.quad[3], 271);
  EXPECT_EQ(t.quad[4], 337);
  EXPECT_NEAR(t.goldstein, 954.6, 1e-6);
  EXPECT_EQ(t.roots, 1259);
  EXPECT_EQ(t.empty1, 820);
  EXPECT_EQ(t.empty2, 1093);
  EXPECT_EQ(*std::min_element(t.dates.begin(), t.dates.end()), (Date{2018, 10, 24}));
  EXPECT_EQ(*std::max_element(t.dates.begin(), t.dates.end()), (Date{2019, 10, 24}));
  const std::map<std::pair<std::string, std::string>, std::pair<int, double>> expected = {
      {{"IRN", "RUS"}, {5, 31.4}}, {{"IRN", "TUR"}, {6, 24.6}},  {{"ISR", "USA"}, {3, 9.5}},
      {{"RUS", "TUR"}, {1, 1.0}},  {{"RUS", "UKR"}, {2, -19.0}}, {{"RUS", "USA"}, {1, -2.0}},
      {{"TUR", "ISR"}, {3, 15.0}}, {{"UKR", "USA"}, {7, 32.8}},  {{"USA", "ISR"}, {8, 10.0}},
      {{"USA", "RUS"}, {1, -9.0}}, {{"USA", "TUR"}, {3, -7.0}},  {{"USA", "UKR"}, {3, -20.4}}};
  const std::set<std::string> region = {"RUS", "AZE", "ARM", "TUR", "IRN", "ISR", "USA", "GEO", "UKR"};
  std::size_t found = 0;
  for (const auto& [dyad, value] : t.dyads) {
    if (!region.count(dyad.first) || !region.count(dyad.second) || dyad.first == dyad.second) continue;
    ++found;
    auto it = expected.find(dyad);
    ASSERT_NE(it, expected.end()) << dyad.first << "->" << dyad.second;
    EXPECT_EQ(value.first, it->second.first) << dyad.first << "->" << dyad.second;
    EXPECT_NEAR(value.second, it->second.second, 1e-9) << dyad.first << "->" << dyad.second;
  }
  EXPECT_EQ(found, expected.size());

  // The SSE2 baseline splitter passes on exactly the same events.
  ImportOptions baseline;
  baseline.baseline_simd = true;
  Tally b;
  import_file(sphere::testing::shared_dir() / kSample, b, baseline);
  EXPECT_EQ(b.rows, t.rows);
  EXPECT_EQ(b.quad, t.quad);
  EXPECT_EQ(b.goldstein, t.goldstein);
  EXPECT_EQ(b.dyads, t.dyads);
  EXPECT_EQ(b.dates, t.dates);
}

TEST(Gdelt, FiltersByDyadAndDateOnTheFly) {
  SPHERE_REQUIRE_SHARED(kSample);
  Tally t;
  ImportOptions o;
  o.filter.dyads = {{"USA", "ISR"}};
  ImportReport r = import_file(sphere::testing::shared_dir() / kSample, t, o);
  // USA->ISR 8 and ISR->USA 3 by country code; group codes can only add rows without one.
  EXPECT_GE(r.kept, 11);
  EXPECT_EQ(r.kept + r.filtered_out, 2111);
  o.filter.from = Date{2019, 10, 24};
  o.filter.to = Date{2019, 10, 24};
  Tally day;
  ImportReport d = import_file(sphere::testing::shared_dir() / kSample, day, o);
  EXPECT_LT(d.kept, r.kept + 1);
  for (const Date& x : day.dates) EXPECT_EQ(x, (Date{2019, 10, 24}));
}

// GDELT 1.0 rows rebuilt from the 2.0 sample (the three ADM2 columns removed; 57 columns also
// without SOURCEURL) and mixed in one file give the same facts: the layout is detected per row.
TEST(Gdelt, DetectsTheLayoutOfEveryRow) {
  SPHERE_REQUIRE_SHARED(kSample);
  std::ifstream in(sphere::testing::shared_dir() / kSample);
  TempDir dir;
  std::ofstream out(dir.path() / "mixed.tsv");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f = split(line);
    ASSERT_EQ(f.size(), 61u);
    if (n % 3 != 0) {
      for (int c : {55, 47, 39}) f.erase(f.begin() + c);  // *_ADM2Code
      f[56] = f[56].substr(0, 8);                          // DATEADDED YYYYMMDD
      if (n % 3 == 2) f.pop_back();                        // backfile: no SOURCEURL
    }
    out << join(f) << (n % 5 == 0 ? "\r\n" : "\n");
    ++n;
  }
  out.close();
  Tally t;
  ImportReport r = import_file(dir.path() / "mixed.tsv", t);
  EXPECT_EQ(r.bad, 0);
  EXPECT_EQ(r.layouts[61], 704);
  EXPECT_EQ(r.layouts[58], 704);
  EXPECT_EQ(r.layouts[57], 703);
  EXPECT_EQ(t.quad[1], 1222);
  EXPECT_EQ(t.quad[4], 337);
  EXPECT_NEAR(t.goldstein, 954.6, 1e-6);
}

std::string row(const std::string& date, const std::string& code, const std::string& quad,
                const std::string& goldstein, int fields = 61) {
  std::vector<std::string> f(fields);
  f[0] = "1";
  f[1] = date;
  f[7] = "RUS";
  f[17] = "AZE";
  f[25] = "1";
  f[26] = code;
  f[29] = quad;
  f[30] = goldstein;
  return join(f);
}

TEST(Gdelt, CountsBadRowsByReasonWithTheirFirstLine) {
  TempDir dir;
  {
    std::ofstream out(dir.path() / "bad.tsv");
    out << row("20240105", "111", "3", "-2.0") << "\n"   // 1 good
        << row("20240105", "111", "3", "-2.0", 40) << "\n"  // 2 field count
        << row("20240230", "111", "3", "-2.0") << "\n"   // 3 date (30 February)
        << row("20240105", "999", "3", "-2.0") << "\n"   // 4 unknown code
        << row("20240105", "111", "3", "x") << "\n"      // 5 number
        << row("20240105", "111", "3", "-2.0", 59) << "\n"  // 6 field count again
        << row("20240105", "111", "3", "2.0") << "\n"    // 7 Goldstein not the code's
        << row("20240105", "111", "1", "-2.0") << "\n"   // 8 QuadClass not the code's
        << row("2024015", "111", "3", "-2.0") << "\n"    // 9 date
        << row("20240105", "111", "3", "-2.0").replace(16, 3, "R\xffS") << "\n"  // 10 actor code
        << row("20240106", "0311", "1", "5.2");          // 11 good, no final newline
  }
  Tally t;
  ImportReport r = import_file(dir.path() / "bad.tsv", t);
  EXPECT_EQ(r.lines, 11);
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(r.bad, 9);
  EXPECT_EQ(r.reasons["bad actor code"].first_line, 10);
  EXPECT_EQ(r.reasons["wrong field count"].count, 2);
  EXPECT_EQ(r.reasons["wrong field count"].first_line, 2);
  EXPECT_EQ(r.reasons["bad date"].count, 2);
  EXPECT_EQ(r.reasons["bad date"].first_line, 3);
  EXPECT_EQ(r.reasons["unknown event code"].first_line, 4);
  EXPECT_EQ(r.reasons["unparsable number"].first_line, 5);
  EXPECT_EQ(r.reasons["Goldstein differs from the codebook"].first_line, 7);
  EXPECT_EQ(r.reasons["QuadClass differs from the code's root"].first_line, 8);
  EXPECT_NE(r.reasons["bad date"].example.find("20240230"), std::string::npos);

  ImportOptions strict;
  strict.strict = true;
  Tally s;
  try {
    import_file(dir.path() / "bad.tsv", s, strict);
    FAIL() << "--strict did not stop";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].line, 2);
    EXPECT_EQ(s.rows, 1);
  }
}

// Both ways of reading: a mapped regular file, and a pipe read through the fixed buffer.
TEST(Gdelt, ALineLongerThanTheBufferIsReportedNotSplit) {
  TempDir dir;
  std::string text = row("20240105", "111", "3", "-2.0") + "\n" + std::string(5000, 'x') + "\n" +
                     row("20240106", "111", "3", "-2.0") + "\n";
  for (int i = 0; i < 300; ++i) text += row("20240107", "111", "3", "-2.0") + "\n";  // > 1 buffer
  std::ofstream(dir.path() / "long.tsv") << text;
  ImportOptions o;
  o.buffer_bytes = 1024;
  Tally t;
  ImportReport r = import_file(dir.path() / "long.tsv", t, o);
  EXPECT_EQ(t.rows, 302);
  EXPECT_EQ(r.lines, 303);
  EXPECT_EQ(r.bytes, static_cast<long long>(text.size()));
  EXPECT_EQ(r.reasons["line too long"].first_line, 2);

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_LT(text.size(), 60000u);  // fits in the pipe: written whole before reading
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  Tally p;
  ImportReport pr = import_gdelt(fds[0], "<pipe>", kb::builtin_codebook(), CountryTable::builtin(), o, p);
  ::close(fds[0]);
  EXPECT_EQ(p.rows, 302);
  EXPECT_EQ(pr.lines, 303);
  EXPECT_EQ(pr.bytes, static_cast<long long>(text.size()));
  EXPECT_EQ(pr.reasons["line too long"].first_line, 2);
}

// With the type table, a kept row's actor becomes its country's sub-actor of the row's CAMEO
// type where the table has one; the filter still sees countries. Row ids and URLs are passed on.
TEST(Gdelt, ActorTypesRefineKeptActors) {
  TempDir dir;
  std::vector<std::string> media = split(row("20240105", "111", "3", "-2.0")), military = media;
  media[0] = "77";
  media[12] = "MED";
  media[60] = "https://example.org/x";
  military[22] = "MIL";
  std::ofstream(dir.path() / "types.tsv") << join(media) << "\n" << join(military) << "\n";
  struct Ids : EventSink {
    std::vector<std::string> a1, a2, ids, refs;
    void add(const EventView& e) override {
      a1.emplace_back(e.actor1);
      a2.emplace_back(e.actor2);
      ids.emplace_back(e.record_id);
      refs.emplace_back(e.reference);
    }
  };
  const TypeTable types = TypeTable::builtin();
  ImportOptions o;
  o.filter.dyads = {{"RUS", "AZE"}};
  o.types = &types;
  Ids got;
  ImportReport r = import_file(dir.path() / "types.tsv", got, o);
  EXPECT_EQ(r.kept, 2);
  EXPECT_EQ(got.a1, (std::vector<std::string>{"RUS_MEDIA", "RUS"}));
  EXPECT_EQ(got.a2, (std::vector<std::string>{"AZE", "AZE"}));  // no military sub-actor
  EXPECT_EQ(got.ids, (std::vector<std::string>{"77", "1"}));
  EXPECT_EQ(got.refs, (std::vector<std::string>{"https://example.org/x", ""}));
  Ids plain;
  o.types = nullptr;
  import_file(dir.path() / "types.tsv", plain, o);
  EXPECT_EQ(plain.a1, (std::vector<std::string>{"RUS", "RUS"}));
}

// The block-wise splitter against the obvious count, for lines of every length around the block
// size and buffer edges: rows of 55 to 63 fields with padded fields of varied length.
TEST(Gdelt, FieldCountsAgreeWithAPlainCountAtEveryLength) {
  TempDir dir;
  std::string text;
  long long expected_bad = 0, expected_kept = 0;
  unsigned seed = 12345;
  auto next = [&seed](unsigned bound) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % bound;
  };
  for (int i = 0; i < 3000; ++i) {
    const int fields = 55 + static_cast<int>(next(9));
    std::vector<std::string> f = split(row("20240105", "111", "3", "-2.0", std::max(fields, 31)));
    f.resize(static_cast<std::size_t>(fields));
    f[2] = std::string(next(130), 'x');  // moves the fields read across 64-byte blocks
    f[static_cast<std::size_t>(fields) - 1] = std::string(next(300), 'y');
    const bool good = fields == 57 || fields == 58 || fields == 61;
    expected_bad += !good;
    expected_kept += good;
    text += join(f) + (i % 7 == 0 ? "\r\n" : "\n");
  }
  std::ofstream(dir.path() / "lengths.tsv") << text;
  // Both splitters: AVX2 where the CPU has it, and the SSE2 baseline every x86-64 runs.
  for (bool baseline : {false, true}) {
    for (std::size_t buffer : {std::size_t{4} << 20, std::size_t{1024}}) {
      ImportOptions o;
      o.buffer_bytes = buffer;
      o.baseline_simd = baseline;
      Tally t;
      ImportReport r = import_file(dir.path() / "lengths.tsv", t, o);
      EXPECT_EQ(r.lines, 3000) << buffer << baseline;
      EXPECT_EQ(r.reasons["wrong field count"].count, expected_bad) << buffer << baseline;
      EXPECT_EQ(r.kept, expected_kept) << buffer << baseline;
      EXPECT_EQ(t.goldstein, -2.0 * static_cast<double>(expected_kept)) << buffer << baseline;
    }
  }
}

// The splitters store every tab's offset up to the fields read, whatever the block's tab count:
// rows whose first 31 fields are all empty (31 tabs in one block), or spread over many blocks,
// give the same fields from both, and the fields read land where they belong.
TEST(Gdelt, BothSplittersReadTheSameFieldsWhereverTheTabsFall) {
  TempDir dir;
  std::string text;
  for (int pad = 0; pad < 200; pad += 7) {
    std::vector<std::string> f = split(row("20240105", "111", "3", "-2.0"));
    for (int c : {0, 2, 3, 4, 5, 9, 10, 11, 13, 14, 15, 19, 20, 21, 23, 24, 27, 28})
      f[static_cast<std::size_t>(c)] = pad % 2 ? std::string(static_cast<std::size_t>(pad), 'z') : "";
    text += join(f) + "\n";
  }
  std::ofstream(dir.path() / "tabs.tsv") << text;
  for (bool baseline : {false, true}) {
    ImportOptions o;
    o.baseline_simd = baseline;
    Tally t;
    ImportReport r = import_file(dir.path() / "tabs.tsv", t, o);
    EXPECT_EQ(r.bad, 0) << baseline;
    EXPECT_EQ(t.rows, 29) << baseline;
    EXPECT_EQ(t.goldstein, -2.0 * 29) << baseline;
    for (const Date& d : t.dates) EXPECT_EQ(d.day, 5) << baseline;
  }
}

// Lines far longer than a block, with tabs on both sides of every point where the AVX2 line
// finder flushes its per-byte counters (255 blocks of 32 bytes), and a last line without '\n':
// the field counts stay exact on both paths, through a large and a small buffer.
TEST(Gdelt, LongLinesKeepTheirFieldCountsExact) {
  TempDir dir;
  std::string text;
  long long expected_kept = 0;
  for (int i = 0; i < 60; ++i) {
    const int fields = 60 + i % 3;
    std::vector<std::string> f = split(row("20240105", "111", "3", "-2.0", 61));
    f.resize(static_cast<std::size_t>(fields));
    f[35] = std::string(static_cast<std::size_t>(8150 + i), 'y');
    f[45] = std::string(static_cast<std::size_t>(i * 331), 'z');
    expected_kept += fields == 61;
    text += join(f) + (i + 1 < 60 ? "\n" : "");
  }
  std::ofstream(dir.path() / "long.tsv") << text;
  for (bool baseline : {false, true}) {
    for (std::size_t buffer : {std::size_t{4} << 20, std::size_t{64} << 10}) {
      ImportOptions o;
      o.buffer_bytes = buffer;
      o.baseline_simd = baseline;
      Tally t;
      ImportReport r = import_file(dir.path() / "long.tsv", t, o);
      EXPECT_EQ(r.lines, 60) << buffer << baseline;
      EXPECT_EQ(r.kept, expected_kept) << buffer << baseline;
      EXPECT_EQ(r.reasons["wrong field count"].count, 60 - expected_kept) << buffer << baseline;
      EXPECT_EQ(r.reasons["wrong field count"].first_line, 1) << buffer << baseline;
    }
  }
  // Nothing but tabs: every per-byte counter reaches its limit before a flush.
  std::ofstream(dir.path() / "tabs.tsv") << std::string(20000, '\t') << "\n" << std::string(8160, '\t');
  for (bool baseline : {false, true}) {
    ImportOptions o;
    o.baseline_simd = baseline;
    Tally t;
    ImportReport r = import_file(dir.path() / "tabs.tsv", t, o);
    EXPECT_EQ(r.reasons["wrong field count"].count, 2) << baseline;
    EXPECT_NE(r.reasons["wrong field count"].example.find("20001 fields"), std::string::npos)
        << r.reasons["wrong field count"].example;
  }
}

// 29 February only in leap years: every fourth year, but not centuries other than every fourth.
TEST(Gdelt, LeapDaysOnlyInLeapYears) {
  TempDir dir;
  {
    std::ofstream out(dir.path() / "leap.tsv");
    for (const char* date : {"20240229", "20230229", "19000229", "20000229", "20240230", "21000229",
                             "20240228", "20230228", "20230431", "20231231"})
      out << row(date, "111", "3", "-2.0") << "\n";
  }
  Tally t;
  ImportReport r = import_file(dir.path() / "leap.tsv", t);
  EXPECT_EQ(r.reasons["bad date"].count, 5);
  EXPECT_EQ(r.reasons["bad date"].first_line, 2);
  ASSERT_EQ(t.rows, 5);
  EXPECT_EQ(t.dates[0].day, 29);
  EXPECT_EQ(t.dates[1].year, 2000);
}

// A Goldstein text once found right for a code skips the parse on later rows; texts that differ
// from it, however slightly, are still parsed and checked, for every code on its own.
TEST(Gdelt, GoldsteinTextsAreCheckedForEveryCode) {
  TempDir dir;
  {
    std::ofstream out(dir.path() / "goldstein.tsv");
    out << row("20240105", "111", "3", "-2.0") << "\n"        // 1 good, remembered
        << row("20240105", "111", "3", "-2.0") << "\n"        // 2 good, known
        << row("20240105", "111", "3", "-2.00") << "\n"       // 3 good, parsed
        << row("20240105", "111", "3", "-2.1") << "\n"        // 4 differs
        << row("20240105", "111", "3", "-2.0000000") << "\n"  // 5 good, 10 bytes
        << row("20240105", "111", "3", "-2.0x") << "\n"       // 6 unparsable
        << row("20240105", "0311", "1", "-2.0") << "\n"       // 7 differs: another code
        << row("20240105", "0311", "1", "5.2") << "\n"        // 8 good
        << row("20240105", "111", "3", "-2.0") << "\n"        // 9 good, known
        << row("20240105", "111", "3", "-2.000001") << "\n"  // 10 differs, 9 bytes
        << row("20240105", "111", "3", "-2.00001") << "\n";   // 11 differs, 8 bytes
  }
  Tally t;
  ImportReport r = import_file(dir.path() / "goldstein.tsv", t);
  EXPECT_EQ(t.rows, 6);
  EXPECT_EQ(r.bad, 5);
  EXPECT_EQ(r.reasons["Goldstein differs from the codebook"].count, 4);
  EXPECT_EQ(r.reasons["Goldstein differs from the codebook"].first_line, 4);
  EXPECT_EQ(r.reasons["unparsable number"].first_line, 6);
  EXPECT_NEAR(t.goldstein, -2.0 * 5 + 5.2, 1e-9);
}

TEST(Gdelt, CsvRoundTripKeepsEveryValue) {
  SPHERE_REQUIRE_SHARED(kSample);
  TempDir dir;
  const auto csv = dir.path() / "kept.csv";
  {
    const int fd = ::open(csv.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    CsvEventWriter w(fd);
    import_file(sphere::testing::shared_dir() / kSample, w);
    w.flush();
    ::close(fd);
  }
  Tally t;
  read_event_csv(sphere::testing::read_file(csv), csv.string(), kb::builtin_codebook(),
                 QuadScheme::gdelt(), t);
  EXPECT_EQ(t.rows, 2111);
  EXPECT_EQ(t.quad[3], 271);
  EXPECT_NEAR(t.goldstein, 954.6, 1e-6);
}

}  // namespace
}  // namespace sphere::events

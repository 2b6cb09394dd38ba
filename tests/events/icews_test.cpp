// The ICEWS importer: columns found by header name, country names mapped to actor ids.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "events/events.h"
#include "testing.h"

namespace sphere::events {
namespace {

struct Collect : EventSink {
  std::vector<std::tuple<std::string, std::string, std::string, double, Date>> rows;
  void add(const EventView& e) override {
    rows.emplace_back(std::string(e.actor1), std::string(e.actor2), std::string(e.code), e.goldstein, e.date);
  }
};

const char* kHeader =
    "Event ID\tEvent Date\tSource Name\tSource Sectors\tSource Country\tEvent Text\tCAMEO Code\t"
    "Intensity\tTarget Name\tTarget Sectors\tTarget Country\tStory ID\tSentence Number\tPublisher\t"
    "City\tDistrict\tProvince\tCountry\tLatitude\tLongitude\n";

std::string icews_row(const std::string& date, const std::string& source, const std::string& code,
                      const std::string& intensity, const std::string& target) {
  return "1\t" + date + "\tSergey Lavrov\tGovernment\t" + source + "\tMake statement\t" + code + "\t" +
         intensity + "\tIlham Aliyev\tGovernment\t" + target +
         "\t9\t1\tpub\tBaku\t\tBaki\tAzerbaijan\t40.4\t49.9\n";
}

ImportReport run(const std::string& text, Collect& sink, ImportOptions o = {}) {
  sphere::testing::TempDir dir;
  const auto path = dir.path() / "events.tab";
  std::ofstream(path) << text;
  const int fd = ::open(path.c_str(), O_RDONLY);
  ImportReport r = import_icews(fd, path.string(), kb::builtin_codebook(), CountryTable::builtin(), o, sink);
  ::close(fd);
  return r;
}

TEST(Icews, MapsCountryNamesAndCountsWhatItSkips) {
  Collect c;
  ImportReport r = run(std::string(kHeader) +
                           icews_row("2024-01-05", "Russian Federation", "111", "-2", "Azerbaijan") +
                           icews_row("2024-01-06", "Azerbaijan", "036", "4", "Russian Federation") +
                           icews_row("2024-01-07", "Atlantis", "036", "4", "Azerbaijan") +
                           icews_row("2024-13-07", "Armenia", "036", "4", "Azerbaijan") +
                           icews_row("2024-01-08", "Armenia", "0999", "4", "Azerbaijan") +
                           icews_row("2024-01-09", "Armenia", "036", "strong", "Azerbaijan") +
                           "1\t2024-01-10\ttoo few fields\n" +
                           icews_row("2024-01-11", "Georgia", "0871", "9", "Armenia"),
                       c);
  ASSERT_EQ(c.rows.size(), 3u);
  EXPECT_EQ(std::get<0>(c.rows[0]), "RUS");
  EXPECT_EQ(std::get<1>(c.rows[0]), "AZE");
  EXPECT_DOUBLE_EQ(std::get<3>(c.rows[0]), -2.0);
  EXPECT_EQ(std::get<0>(c.rows[2]), "GEO");
  EXPECT_DOUBLE_EQ(std::get<3>(c.rows[2]), 9.0);  // 0871's Goldstein value
  EXPECT_EQ(r.skipped["unmapped country name"].count, 1);
  EXPECT_EQ(r.skipped["unmapped country name"].first_line, 4);
  EXPECT_EQ(r.reasons["bad date"].first_line, 5);
  EXPECT_EQ(r.reasons["unknown event code"].first_line, 6);
  EXPECT_EQ(r.reasons["unparsable number"].first_line, 7);
  EXPECT_EQ(r.reasons["wrong field count"].first_line, 8);
  EXPECT_EQ(r.bad, 4);

  Collect f;
  ImportOptions o;
  o.filter.actors = {"GEO"};
  ImportReport fr = run(std::string(kHeader) + icews_row("2024-01-11", "Georgia", "0871", "9", "Armenia") +
                            icews_row("2024-01-05", "Russian Federation", "111", "-2", "Azerbaijan"),
                        f, o);
  EXPECT_EQ(f.rows.size(), 1u);
  EXPECT_EQ(fr.filtered_out, 1);
}

TEST(Icews, AFileWithoutTheColumnsIsRejected) {
  Collect c;
  EXPECT_THROW(run("a\tb\tc\n1\t2\t3\n", c), InputError);
}

}  // namespace
}  // namespace sphere::events

// Events of a data set imported into a model directory: appended and cited on commit, the model
// untouched otherwise.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

using sphere::testing::gdelt_row;

using sphere::testing::read_file;
using sphere::testing::TempDir;

// Streams the rows of `file` into `import`.
void feed(const std::filesystem::path& file, ModelImport& import) {
  const int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  events::import_gdelt(fd, file.string(), kb::builtin_codebook(), events::CountryTable::builtin(),
                       {}, import.sink());
  ::close(fd);
}

int hidden_files(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().filename().string().starts_with(".") ? 1 : 0;
  return n;
}

struct MiniModel {
  TempDir dir;
  std::filesystem::path model = dir.path() / "mini";
  std::filesystem::path rows = dir.path() / "rows.tsv";
  MiniModel() {
    std::filesystem::copy(sphere::testing::fixtures() / "mini", model);
    std::ofstream(rows) << gdelt_row("9001", "20240105", "RUS", "AZE", "111", "3", "-2.0", "a")
                        << gdelt_row("9002", "20240106", "AZE", "RUS", "036", "1", "4.0", "")
                        << gdelt_row("9003", "20240107", "UKR", "RUS", "111", "3", "-2.0", "u")
                        << gdelt_row("9004", "20240108", "RUS", "", "111", "3", "-2.0", "u");
  }
  ModelImportRequest request(std::string source_id = "") const {
    return {model.string(), std::move(source_id), "gdelt", rows.string()};
  }
};

TEST(ModelImport, CommitAppendsTheEventsAndCitesADataSource) {
  const MiniModel mini;
  const std::string before = read_file(mini.model / "events.csv");
  ModelImportSummary summary;
  {
    ModelImport import(mini.request());
    feed(mini.rows, import);
    import.commit();
    summary = import.summary();
  }
  EXPECT_EQ(summary.appended, 2);
  EXPECT_TRUE(summary.source_added);
  EXPECT_EQ(summary.not_in_model, 1);  // UKR is not in the mini model
  EXPECT_EQ(summary.one_sided, 1);
  const nlohmann::json j = to_json(summary);
  EXPECT_EQ(j["appended"], 2);
  EXPECT_EQ(j["skipped"]["actor_not_in_model"], 1);
  const std::string log = read_file(mini.model / "events.csv");
  EXPECT_EQ(log.substr(0, before.size()), before);  // appended, the rest untouched
  // The model reads back with the events, citing the data-set source added to it.
  const kb::Model model =
      kb::load_model(kb::ModelFiles::directory(mini.model.string()), kb::builtin_codebook());
  const kb::Source* source = model.find_source("GDELT");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->kind, "data");
  int imported = 0;
  for (const auto& e : model.events) imported += e.id.starts_with("gdelt-") ? 1 : 0;
  EXPECT_EQ(imported, 2);
  EXPECT_EQ(hidden_files(mini.model), 0);
  // Again: nothing new, and the source is not added twice.
  ModelImport again(mini.request());
  feed(mini.rows, again);
  again.commit();
  EXPECT_EQ(again.summary().appended, 0);
  EXPECT_EQ(again.summary().already, 2);
  EXPECT_FALSE(again.summary().source_added);
}

TEST(ModelImport, WithoutCommitTheModelIsLeftAsItWas) {
  const MiniModel mini;
  const std::string events = read_file(mini.model / "events.csv");
  const std::string sources = read_file(mini.model / "sources.toml");
  {
    ModelImport import(mini.request("ICEWS-test"));
    feed(mini.rows, import);
    EXPECT_EQ(import.summary().appended, 2);  // written to the temporary only
  }
  EXPECT_EQ(read_file(mini.model / "events.csv"), events);
  EXPECT_EQ(read_file(mini.model / "sources.toml"), sources);
  EXPECT_EQ(hidden_files(mini.model), 0);  // the temporary removed
}

TEST(ModelImport, ATextSourceCannotStandForImportedRows) {
  const MiniModel mini;
  try {
    ModelImport import(mini.request("S0"));
    ADD_FAILURE() << "imported rows citing a text source";
  } catch (const InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_EQ(e.diagnostics().items()[0].file, kRequest);
    EXPECT_EQ(e.diagnostics().items()[0].field, "source_id");
  }
  EXPECT_EQ(hidden_files(mini.model), 0);
}

TEST(ModelImport, TheSourceEntryIsOneEscapedDataSourceTable) {
  const std::string entry = data_source_entry("X\"Y", "icews", "/data/icews 2024.tab");
  EXPECT_EQ(entry.substr(0, 11), "[[source]]\n");
  EXPECT_NE(entry.find("id = \"X\\\"Y\"\n"), std::string::npos) << entry;
  EXPECT_NE(entry.find("kind = \"data\"\n"), std::string::npos) << entry;
  EXPECT_NE(entry.find("file = \"icews 2024.tab\"\n"), std::string::npos) << entry;
  EXPECT_NE(entry.find("Story ID"), std::string::npos) << entry;
  EXPECT_NE(data_source_entry("GDELT", "gdelt", "-").find("file = \"<stdin>\""), std::string::npos);
}

TEST(EventImport, OneStreamFeedsTheCsvTheSeriesAndTheModel) {
  const MiniModel mini;
  EventImportRequest request;
  request.input = mini.rows.string();
  request.out = (mini.dir.path() / "kept.csv").string();
  request.series = true;
  request.into_model = mini.model.string();
  const EventImport r = import_events(request);
  EXPECT_EQ(r.report.lines, 4);
  EXPECT_EQ(r.report.kept, 4);
  EXPECT_EQ(r.report.bad, 0);
  ASSERT_TRUE(r.into_model);
  EXPECT_EQ(r.into_model->appended, 2);
  // Every two-sided event is in a series: RUS→AZE, AZE→RUS and UKR→RUS, one each.
  EXPECT_EQ(r.all.size(), 3u);
  EXPECT_EQ(r.one_sided, 1);
  for (const auto& s : r.all) {
    int events = 0;
    for (const auto& c : s.series.months) events += c.events;
    EXPECT_EQ(events, 1) << s.series.actor1 << "→" << s.series.actor2;
  }
  // The CSV reads back as the same events.
  events::SeriesBuilder reread;
  events::read_event_csv(read_file(request.out), request.out, kb::builtin_codebook(),
                         events::QuadScheme::gdelt(), reread);
  EXPECT_EQ(reread.all().size(), r.all.size());
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["report"]["kept"], 4);
  EXPECT_EQ(j["series"].size(), 3u);
  EXPECT_EQ(j["into_model"]["appended"], 2);
}

TEST(EventImport, StandardOutputIsTheFrontEndsStream) {
  const MiniModel mini;
  EventImportRequest request;
  request.input = mini.rows.string();
  request.out = "-";
  std::ostringstream out;
  request.standard_output = &out;
  const EventImport r = import_events(request);
  const std::string csv = out.str();
  EXPECT_EQ(csv.rfind("date,actor1,actor2,cameo,goldstein,quad\n", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + r.report.kept);
  request.standard_output = nullptr;  // a caller must say where "-" goes
  EXPECT_THROW(import_events(request), std::logic_error);
}

TEST(EventImport, AFilteredDyadGivesBothDirections) {
  const MiniModel mini;
  EventImportRequest request;
  request.input = mini.rows.string();
  request.series = true;
  request.filter.dyads = {{"AZE", "RUS"}};
  const EventImport r = import_events(request);
  EXPECT_EQ(r.report.kept, 2);
  EXPECT_EQ(r.report.filtered_out, 2);
  ASSERT_EQ(r.dyads.size(), 1u);
  EXPECT_TRUE(r.all.empty());
  EXPECT_EQ(r.dyads[0].ab.series.actor1, "AZE");
  EXPECT_EQ(r.dyads[0].ba.series.actor1, "RUS");
  EXPECT_EQ(to_json(r)["series"].size(), 2u);
  EXPECT_FALSE(to_json(r).contains("into_model"));
}

TEST(EventImport, AFileWhereNoRowParsesWritesNothing) {
  const MiniModel mini;
  const auto bad = mini.dir.path() / "bad.tsv";
  std::ofstream(bad) << "not\ta\tgdelt\trow\n";
  const std::string events = read_file(mini.model / "events.csv");
  EventImportRequest request;
  request.input = bad.string();
  request.out = (mini.dir.path() / "kept.csv").string();
  request.into_model = mini.model.string();
  try {
    import_events(request);
    ADD_FAILURE() << "imported a file in which no row parses";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].file, bad.string());
    EXPECT_EQ(e.diagnostics().items()[0].line, 1);
  }
  EXPECT_FALSE(std::filesystem::exists(request.out));
  EXPECT_EQ(read_file(mini.model / "events.csv"), events);
  EXPECT_EQ(hidden_files(mini.model), 0);
  EXPECT_EQ(hidden_files(mini.dir.path()), 0);
}

}  // namespace
}  // namespace sphere::service

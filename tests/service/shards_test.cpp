// A forecast computed in shards (files, or cooperating processes) and folded: the bytes of one
// process, and every missing, repeated or foreign shard refused before anything is stored.
#include <filesystem>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

using sphere::testing::TempDir;

ForecastRequest small_request(std::uint64_t seed = 9) {
  ForecastRequest r;
  r.seed = seed;
  r.runs = 1300;  // three blocks of 512 runs, the last one partial
  r.threads = 2;
  r.horizon = parse_month("2026-06", "horizon");
  return r;
}

// The front end's words for a field, visibly so.
std::string neutral(std::string_view field) { return std::string(field); }

// Writes shards `which` (0-based) of `count` of the request into `dir`; returns the files.
std::vector<std::string> write_shards(const kb::Model& model, const ForecastRequest& request,
                                      const std::filesystem::path& dir, std::uint32_t count,
                                      std::vector<std::uint32_t> which = {}) {
  if (which.empty())
    for (std::uint32_t k = 0; k < count; ++k) which.push_back(k);
  std::vector<std::string> files;
  for (std::uint32_t k : which) {
    const Shard shard{k, count};
    const std::string file = (dir / default_part_file(shard)).string();
    const WrittenShard w = write_forecast_shard(model, {request, shard, file});
    EXPECT_EQ(w.file, file);
    EXPECT_EQ(w.unit, "runs");
    EXPECT_EQ(w.size, request.runs);
    files.push_back(file);
  }
  return files;
}

TEST(Shards, ParsesKOfNAndRefusesTheRestAsAUsageError) {
  const Shard s = parse_shard("2/4");
  EXPECT_EQ(s.index, 1u);
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(default_part_file(s), "part-2-of-4.json");
  for (const char* bad : {"0/4", "5/4", "2", "2/", "/4", "a/4", "2/4x", "-1/4", "1/100001"}) {
    try {
      parse_shard(bad);
      ADD_FAILURE() << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage) << bad;
      EXPECT_EQ(e.diagnostics().items()[0].file, kRequest) << bad;
      EXPECT_EQ(e.diagnostics().items()[0].field, "shard") << bad;
    }
  }
}

TEST(Shards, RunRangesAndSettingsAsAShardRecordsThem) {
  EXPECT_EQ(run_range(1300, 0, 1), "runs 0–511");
  EXPECT_EQ(run_range(1300, 2, 3), "runs 1024–1299");
  EXPECT_EQ(run_range(1300, 3, 3), "no runs");
  const std::vector<std::string> texts = setting_texts({{"theta", 0.1}, {"alpha", 1.0 / 3}});
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0].substr(0, 6), "alpha=");
  EXPECT_EQ(texts[1], "theta=0.1");
  // Read back, each value is the same number.
  EXPECT_EQ(parse_settings(texts).at("alpha"), 1.0 / 3);
}

TEST(Shards, MergedInAnyOrderGiveTheBytesOfOneProcessAndAreStored) {
  const kb::Model model = kb::load_builtin_model();
  const ForecastRequest request = small_request();
  const sim::Engine engine = forecast_engine(model, request);
  const std::string single = encode(to_json(engine, forecast(engine, request)));
  TempDir dir;
  std::vector<std::string> files = write_shards(model, request, dir.path(), 3);
  std::swap(files[0], files[2]);  // the order given does not matter
  const ShardSet set = read_shards(files, neutral);
  ASSERT_EQ(set.forecast.size(), 3u);
  EXPECT_TRUE(set.sensitivity.empty());
  for (std::uint32_t k = 0; k < 3; ++k) EXPECT_EQ(set.forecast[k].shard, k);
  const std::string db = (dir.path() / "m.sqlite").string();
  const MergedForecast merged = merge_forecast(model, set.forecast, {db, "sphere merge"});
  EXPECT_EQ(encode(to_json(merged.forecast.engine, merged.forecast.summary)), single);
  EXPECT_EQ(merged.db, db);
  EXPECT_GT(merged.forecast_id, 0);
  EXPECT_TRUE(std::filesystem::exists(db));
}

TEST(Shards, AMissingOrRepeatedShardIsNamedWithHowToComputeItAgain) {
  const kb::Model model = kb::load_builtin_model();
  const ForecastRequest request = small_request();
  TempDir dir;
  std::vector<std::string> files = write_shards(model, request, dir.path(), 3, {0, 2});
  try {
    read_shards(files, bracketed);
    ADD_FAILURE() << "merged without shard 2/3";
  } catch (const InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    ASSERT_EQ(e.diagnostics().size(), 1u);
    const std::string& message = e.diagnostics().items()[0].message;
    EXPECT_NE(message.find("shard 2/3 (runs 512–1023) is missing"), std::string::npos) << message;
    // The advice in the front end's own words.
    EXPECT_NE(message.find("sphere forecast <shard> 2/3"), std::string::npos) << message;
    EXPECT_NE(message.find("<seed> 9 <runs> 1300"), std::string::npos) << message;
  }
  files.push_back(files[0]);
  try {
    read_shards(files, neutral);
    ADD_FAILURE() << "merged a shard given twice";
  } catch (const InputError& e) {
    bool twice = false;
    for (const auto& d : e.diagnostics().items()) twice = twice || d.message.find("given twice") != std::string::npos;
    EXPECT_TRUE(twice) << e.diagnostics().to_string();
  }
}

TEST(Shards, ShardsOfAnotherEnsembleOrAnUnreadableFileAreRefused) {
  const kb::Model model = kb::load_builtin_model();
  TempDir dir;
  const auto a = write_shards(model, small_request(9), dir.path() / "", 2, {0});
  std::filesystem::create_directory(dir.path() / "b");
  const auto b = write_shards(model, small_request(10), dir.path() / "b", 2, {1});
  try {
    read_shards({a[0], b[0]}, bracketed);
    ADD_FAILURE() << "merged shards of two ensembles";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "ensemble");
    EXPECT_NE(e.diagnostics().items()[0].message.find("<seed> 9 vs 10"), std::string::npos)
        << e.diagnostics().to_string();
  }
  try {
    read_shards({a[0], (dir.path() / "absent.json").string()}, neutral);
    ADD_FAILURE() << "merged without a readable second shard";
  } catch (const InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(e.diagnostics().to_string().find("absent.json"), std::string::npos);
  }
}

TEST(Shards, PartsOfAnotherModelAreRefusedAndAnIncompleteSetStoresNothing) {
  const kb::Model model = kb::load_builtin_model();
  const ForecastRequest request = small_request();
  const sim::Engine engine = forecast_engine(model, request);
  std::vector<store::Partial> parts = {forecast_shard(model, engine, request, {0, 2}),
                                       forecast_shard(model, engine, request, {1, 2})};
  TempDir dir;
  const std::string db = (dir.path() / "m.sqlite").string();
  std::vector<store::Partial> foreign = parts;
  foreign[0].digest = "0000000000000000";
  try {
    merge_forecast(model, foreign, {db, "sphere merge"});
    ADD_FAILURE() << "merged parts of another model";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "model");
  }
  parts.pop_back();  // the last runs are missing
  EXPECT_ANY_THROW(merge_forecast(model, parts, {db, "sphere merge"}));
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(Shards, AShardCannotSpanMoreThanACentury) {
  const kb::Model model = kb::load_builtin_model();
  ForecastRequest request = small_request();
  request.horizon = parse_month("2200-01", "horizon");
  TempDir dir;
  const std::string file = (dir.path() / "p.json").string();
  try {
    write_forecast_shard(model, {request, {0, 2}, file});
    ADD_FAILURE() << "accepted a horizon past a century";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "horizon");
  }
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST(Shards, CooperatingProcessesFoldToTheBytesOfOne) {
  const kb::Model model = kb::load_builtin_model();
  const ForecastRequest request = small_request(4);
  const sim::Engine engine = forecast_engine(model, request);
  const std::string single = encode(to_json(engine, forecast(engine, request)));
  // Processes 1 and 2 hand their parts over and return nothing; process 0 gets them in order.
  std::vector<std::string> texts(3);
  for (std::uint32_t rank : {2u, 1u}) {
    const auto other = distributed_forecast(model, request, {rank, 3}, [&](const std::string& mine) {
      texts[rank] = mine;
      return std::vector<std::string>{};
    });
    EXPECT_FALSE(other.has_value());
  }
  const auto first = distributed_forecast(model, request, {0, 3}, [&](const std::string& mine) {
    texts[0] = mine;
    return texts;
  });
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(encode(to_json(first->forecast.engine, first->forecast.summary)), single);
  EXPECT_TRUE(first->db.empty());
  // A process that sends another kind of part is named.
  store::SensitivityPartial wrong;
  wrong.method = "morris";
  EXPECT_THROW(distributed_forecast(model, request, {0, 2}, [&](const std::string& mine) {
                 return std::vector<std::string>{mine, store::partial_to_text(wrong)};
               }),
               InputError);
}

}  // namespace
}  // namespace sphere::service

// A sensitivity analysis computed in one process, in shards and by cooperating processes: the
// same indices, ranked, with every missing or foreign shard refused.
#include <algorithm>
#include <atomic>
#include <filesystem>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

using sphere::testing::TempDir;

SensitivityRequest small_analysis(const std::string& method) {
  SensitivityRequest r;
  r.forecast.seed = 5;
  r.forecast.runs = 4;  // trajectories per point
  r.forecast.threads = 2;
  r.forecast.horizon = parse_month("2026-09", "horizon");
  r.method = method;
  r.output = "escalation";
  r.n = 3;
  r.bootstrap = 20;
  return r;
}


TEST(Sensitivity, ShardsInFilesGiveTheIndicesOfOneProcess) {
  const kb::Model model = kb::load_builtin_model();
  for (const std::string method : {"sobol", "morris"}) {
    const SensitivityRequest request = small_analysis(method);
    const SensitivityResult one = sensitivity(model, request);
    ASSERT_FALSE(one.rows.empty()) << method;
    EXPECT_EQ(one.morris(), method == "morris");
    const std::string single = encode(to_json(one));
    TempDir dir;
    std::vector<std::string> files;
    for (std::uint32_t k = 0; k < 3; ++k) {
      const Shard shard{k, 3};
      const std::string file = (dir.path() / default_part_file(shard)).string();
      const WrittenShard w = write_sensitivity_shard(model, {request, shard, file});
      EXPECT_EQ(w.unit, "points");
      EXPECT_EQ(w.method, method);
      EXPECT_EQ(to_json(w)["points"], w.size);
      files.push_back(file);
    }
    std::reverse(files.begin(), files.end());
    const ShardSet set = read_shards(files, bracketed);
    ASSERT_EQ(set.sensitivity.size(), 3u) << method;
    EXPECT_TRUE(set.forecast.empty());
    EXPECT_EQ(encode(to_json(merge_sensitivity(model, set.sensitivity))), single) << method;
    // Without its middle shard, the advice names the analysis's options in the front end's words.
    try {
      read_shards({files[0], files[2]}, bracketed);
      ADD_FAILURE() << "merged without shard 2/3";
    } catch (const InputError& e) {
      const std::string text = e.diagnostics().to_string();
      EXPECT_NE(text.find("sphere sensitivity <shard> 2/3"), std::string::npos) << text;
      EXPECT_NE(text.find("<method> " + method), std::string::npos) << text;
      EXPECT_NE(text.find(method == "morris" ? "<levels> 4" : "<bootstrap> 20"),
                std::string::npos)
          << text;
    }
  }
}

TEST(Sensitivity, IndicesAreRankedAndEncodedPerMethod) {
  const kb::Model model = kb::load_builtin_model();
  const SensitivityResult sobol = sensitivity(model, small_analysis("sobol"));
  for (std::size_t i = 1; i < sobol.rows.size(); ++i)
    EXPECT_GE(sobol.rows[i - 1].st, sobol.rows[i].st);
  const nlohmann::json j = to_json(sobol);
  EXPECT_EQ(j["method"], "sobol");
  EXPECT_EQ(j["runs_per_point"], 4);
  ASSERT_EQ(j["factors"].size(), sobol.rows.size());
  EXPECT_EQ(j["factors"][0]["parameter"], sobol.rows[0].factor.name);
  EXPECT_TRUE(j["factors"][0].contains("ST_low95"));
  EXPECT_FALSE(j["factors"][0].contains("mu_star"));
  const SensitivityResult morris = sensitivity(model, small_analysis("morris"));
  for (std::size_t i = 1; i < morris.rows.size(); ++i)
    EXPECT_GE(morris.rows[i - 1].mu_star, morris.rows[i].mu_star);
  EXPECT_TRUE(to_json(morris)["factors"][0].contains("mu_star"));
  // Every parameter with a range is a factor, whatever the method.
  EXPECT_EQ(morris.rows.size(), sobol.rows.size());
  EXPECT_EQ(morris.rows.size(), model_factors(model).size());
}

TEST(Sensitivity, CooperatingProcessesGiveTheIndicesOfOne) {
  const kb::Model model = kb::load_builtin_model();
  const SensitivityRequest request = small_analysis("sobol");
  const std::string single = encode(to_json(sensitivity(model, request)));
  std::vector<std::string> texts(2);
  EXPECT_FALSE(distributed_sensitivity(model, request, {1, 2}, [&](const std::string& mine) {
                 texts[1] = mine;
                 return std::vector<std::string>{};
               }).has_value());
  const auto first = distributed_sensitivity(model, request, {0, 2}, [&](const std::string& mine) {
    texts[0] = mine;
    return texts;
  });
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(encode(to_json(*first)), single);
}

TEST(Sensitivity, ProgressCountsEveryPointAndCanStopTheWork) {
  const kb::Model model = kb::load_builtin_model();
  const SensitivityRequest request = small_analysis("morris");
  std::atomic<std::uint64_t> calls{0}, total{0};
  const store::SensitivityPartial whole =
      sensitivity_shard(model, request, {0, 1}, [&](std::uint64_t done, std::uint64_t of) {
        if (done == 0) total = of;
        else ++calls;
      });
  EXPECT_EQ(total.load(), whole.points);
  EXPECT_EQ(calls.load(), whole.points);
  EXPECT_EQ(whole.outputs.size(), whole.points);
  struct Stop {};
  EXPECT_THROW(sensitivity(model, request,
                           [](std::uint64_t done, std::uint64_t) {
                             if (done > 0) throw Stop{};
                           }),
               Stop);
}

TEST(Sensitivity, BadRequestsAndForeignShardsNameTheirField) {
  const kb::Model model = kb::load_builtin_model();
  SensitivityRequest request = small_analysis("sobol");
  request.output = "escalatoin";
  try {
    sensitivity(model, request);
    ADD_FAILURE() << "accepted an unknown output";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "output");
    EXPECT_NE(e.diagnostics().items()[0].message.find("did you mean 'escalation'?"),
              std::string::npos);
  }
  request = small_analysis("fast");
  try {
    sensitivity(model, request);
    ADD_FAILURE() << "accepted an unknown method";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "method");
  }
  request = small_analysis("morris");
  store::SensitivityPartial part = sensitivity_shard(model, request, {0, 1});
  part.digest = "0000000000000000";
  try {
    merge_sensitivity(model, {part});
    ADD_FAILURE() << "merged the shard of another model";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "model");
  }
}

}  // namespace
}  // namespace sphere::service

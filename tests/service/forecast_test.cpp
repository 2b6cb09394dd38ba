// A forecast's one JSON form, and a forecast stored as it runs.
#include <cmath>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "service/service.h"
#include "testing.h"

namespace sphere::service {
namespace {

TEST(Forecast, EncodesScenariosIndicatorsAndTheRequest) {
  const kb::Model model = kb::load_builtin_model();
  sim::EngineOptions eo;
  eo.horizon = Date{2026, 6, 0};
  const sim::Engine engine = sim::Engine::build(model, eo);
  sim::EnsembleOptions o;
  o.runs = 64;
  o.seed = 7;
  const sim::ForecastSummary summary = sim::run_ensemble(engine, o);
  const nlohmann::json j = to_json(engine, summary);
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["runs"], 64);
  EXPECT_EQ(j["horizon"], "2026-06");
  ASSERT_EQ(j["scenarios"].size(), engine.scenarios().size());
  std::uint32_t runs = 0;
  for (std::size_t k = 0; k < summary.scenarios.size(); ++k) {
    const auto& s = j["scenarios"][k];
    EXPECT_EQ(s["probability"].get<double>(), summary.scenarios[k].p);
    EXPECT_LE(s["low95"].get<double>(), s["probability"].get<double>());
    EXPECT_GE(s["high95"].get<double>(), s["probability"].get<double>());
    runs += s["runs"].get<std::uint32_t>();
  }
  EXPECT_EQ(runs, 64u);  // every run ends in one scenario
  for (const auto& [name, months] : j["indicators"].items()) {
    ASSERT_EQ(months.size(), static_cast<std::size_t>(engine.months())) << name;
    for (const auto& m : months) EXPECT_LE(m["q025"].get<double>(), m["q975"].get<double>()) << name;
  }
  // The same summary encodes to the same bytes (what `--json` and the API's job both send).
  EXPECT_EQ(encode(j), encode(to_json(engine, sim::run_ensemble(engine, o))));
}

TEST(Forecast, ARequestRunsTheSameWhateverTheThreads) {
  const kb::Model model = kb::load_builtin_model();
  ForecastRequest request;
  request.seed = 11;
  request.runs = 96;
  request.horizon = parse_month("2026-03", "horizon");
  request.shocks = sim::parse_shock_specs({"event:RUS>AZE:173@2026-01"});
  const sim::Engine engine = forecast_engine(model, request);
  EXPECT_EQ(engine.horizon(), (Date{2026, 3, 0}));
  ASSERT_EQ(engine.shocks().size(), 1u);
  request.threads = 1;
  const std::string one = encode(to_json(engine, forecast(engine, request)));
  request.threads = 3;
  EXPECT_EQ(encode(to_json(engine, forecast(engine, request))), one);
  EXPECT_EQ(ensemble_options(request).threads, 3);
  EXPECT_GE(thread_count(0), 1);
  EXPECT_EQ(thread_count(5), 5);
}

TEST(Forecast, BadMonthsAndShocksNameTheirField) {
  const kb::Model model = kb::load_builtin_model();
  for (const char* bad : {"2026", "2026-13", "soon"}) {
    try {
      parse_month(bad, "horizon");
      ADD_FAILURE() << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(e.diagnostics().items()[0].file, kRequest);
      EXPECT_EQ(e.diagnostics().items()[0].field, "horizon");
    }
  }
  ForecastRequest request;
  request.shocks = sim::parse_shock_specs({"block:scp-eats@2026-01"});
  try {
    forecast_engine(model, request);
    ADD_FAILURE() << "accepted an unknown link";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "shock");
    EXPECT_NE(e.diagnostics().items()[0].message.find("did you mean 'scp-east'?"), std::string::npos)
        << e.diagnostics().items()[0].message;
  }
}

ForecastRequest small_stored_request() {
  ForecastRequest request;
  request.seed = 5;
  request.runs = 40;
  request.threads = 2;
  request.horizon = Date{2026, 3, 0};
  return request;
}

TEST(Forecast, AStoredForecastIsTheForecastWithEveryRunInTheFile) {
  const kb::Model model = kb::load_builtin_model();
  const ForecastRequest request = small_stored_request();
  const sim::Engine engine = forecast_engine(model, request);
  std::vector<int> scenario_of_run(request.runs, -1);
  const sim::ForecastSummary plain =
      forecast(engine, request, [&](std::span<const sim::RunOutcome> runs) {
        for (const auto& r : runs) scenario_of_run.at(r.run) = r.scenario;
      });
  const testing::TempDir dir;
  const std::string db = (dir.path() / "f.sqlite").string();
  const StoredForecast stored = stored_forecast(model, request, {db, "sphere forecast"});
  EXPECT_EQ(encode(to_json(stored.forecast.engine, stored.forecast.summary)),
            encode(to_json(engine, plain)));
  EXPECT_EQ(stored.db, db);
  ASSERT_GT(stored.forecast_id, 0);
  for (std::uint32_t run = 0; run < request.runs; ++run)
    EXPECT_EQ(store::stored_run_scenario(db, stored.forecast_id, run),
              engine.scenarios().at(scenario_of_run[run]).id) << run;
  EXPECT_EQ(store::stored_run_scenario(db, stored.forecast_id, request.runs), "");
  // Without a store: the same forecast, nothing written.
  const StoredForecast unstored = stored_forecast(model, request);
  EXPECT_TRUE(unstored.db.empty());
  EXPECT_EQ(unstored.forecast_id, 0);
  EXPECT_EQ(encode(to_json(unstored.forecast.engine, unstored.forecast.summary)),
            encode(to_json(engine, plain)));
}

TEST(Forecast, AStoredForecastThatStopsOrCannotStartLeavesNoFile) {
  const kb::Model model = kb::load_builtin_model();
  const testing::TempDir dir;
  const std::string db = (dir.path() / "f.sqlite").string();
  struct Stop {};
  EXPECT_THROW(stored_forecast(model, small_stored_request(), {db, "sphere forecast"},
                               [](std::uint32_t) { throw Stop{}; }),
               Stop);
  EXPECT_FALSE(std::filesystem::exists(db));
  ForecastRequest bad = small_stored_request();
  bad.shocks = sim::parse_shock_specs({"block:scp-eats@2026-01"});
  try {
    stored_forecast(model, bad, {db, "sphere forecast"});
    ADD_FAILURE() << "accepted an unknown link";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "shock");
  }
  EXPECT_FALSE(std::filesystem::exists(db));  // checked before the file is touched
}

TEST(Sensitivity, AnOutputIsAScenarioProbabilityOrAnIndicatorMean) {
  const kb::Model model = kb::load_builtin_model();
  const auto factors = model_factors(model);
  ASSERT_FALSE(factors.empty());
  for (const auto& f : factors) EXPECT_LT(f.low, f.high) << f.name;
  ForecastRequest request;
  request.runs = 40;
  request.seed = 3;
  request.horizon = Date{2026, 6, 0};
  const sim::Engine base = forecast_engine(model, request);
  std::vector<double> middle;
  for (const auto& f : factors) middle.push_back(0.5 * (f.low + f.high));
  const std::string scenario = base.scenarios().at(0).id;
  const double p = sensitivity_output(model, request, base, factors, scenario)(middle);
  EXPECT_GE(p, 0.0);
  EXPECT_LE(p, 1.0);
  EXPECT_DOUBLE_EQ(p * request.runs, std::round(p * request.runs));  // a share of 40 runs
  // A pure function of the point: the same point, the same value.
  const auto indicator = sensitivity_output(model, request, base, factors, base.indicator_names().at(0));
  EXPECT_EQ(indicator(middle), indicator(middle));
  try {
    sensitivity_output(model, request, base, factors, scenario + "x");
    ADD_FAILURE() << "accepted an unknown output";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].field, "output");
    EXPECT_NE(e.diagnostics().items()[0].message.find("did you mean '" + scenario + "'?"),
              std::string::npos) << e.diagnostics().items()[0].message;
  }
}

}  // namespace
}  // namespace sphere::service

// Bargaining over the model's issues, and the models scored on DEU III and the known cases.
#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "service/requests.h"
#include "testing.h"

namespace sphere::service {
namespace {

const kb::Model& bargaining_model() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

BargainRequest bargain_request(int draws, BargainMethod method = BargainMethod::kAll,
                               std::string issue = "") {
  BargainRequest r;
  r.draws = draws;
  r.method = method;
  r.issue = std::move(issue);
  return r;
}

TEST(Bargain, EveryIssueUnderTheThreeModelsWithinItsActorsPositions) {
  const auto& model = bargaining_model();
  const BargainOutcome outcome = bargain_issues(model, bargain_request(0));
  ASSERT_FALSE(model.issues.empty());
  ASSERT_EQ(outcome.issues.size(), model.issues.size());
  EXPECT_EQ(outcome.model, model.location);
  for (std::size_t k = 0; k < outcome.issues.size(); ++k) {
    const IssueBargain& r = outcome.issues[k];
    SCOPED_TRACE(r.issue->id);
    EXPECT_EQ(r.issue, &model.issues[k]);  // issues.toml order
    EXPECT_FALSE(r.sampled);
    ASSERT_EQ(r.players.size(), r.issue->positions.size());
    double low = 100.0, high = 0.0;
    for (const auto& p : r.players) low = std::min(low, p.position), high = std::max(high, p.position);
    // A weighted mean of the positions lies among them.
    EXPECT_GE(r.compromise, low - 1e-9);
    EXPECT_LE(r.compromise, high + 1e-9);
    EXPECT_EQ(r.eu.rounds.size(), 10u);  // the default round count, no convergence rule
    // The Nash solution is the status quo exactly when there is no agreement, and says so.
    if (!r.nash.agreement) {
      EXPECT_DOUBLE_EQ(r.nash.outcome, r.issue->status_quo.value);
    }
    EXPECT_EQ(nash_reason(r).rfind("the status quo stands", 0) == 0, !r.nash.agreement)
        << nash_reason(r);
  }
}

TEST(Bargain, TheEncodingShowsTheRequestedModelsOnly) {
  const auto& model = bargaining_model();
  const std::string id = model.issues.front().id;
  BargainRequest request = bargain_request(50, BargainMethod::kExpectedUtility, id);
  request.eu.rounds = 4;
  const nlohmann::json j = to_json(bargain_issues(model, request));
  EXPECT_EQ(j["rounds"], 4);
  EXPECT_EQ(j["draws"], 50);
  EXPECT_EQ(j["probability"], "scholz-code");
  ASSERT_EQ(j["issues"].size(), 1u);
  const auto& issue = j["issues"][0];
  EXPECT_EQ(issue["id"], id);
  EXPECT_FALSE(issue.contains("compromise"));
  EXPECT_FALSE(issue.contains("nbs"));
  ASSERT_EQ(issue["eu"]["rounds"].size(), 4u);
  EXPECT_EQ(issue["eu"]["forecast"], issue["eu"]["rounds"][3]["median"]);
  EXPECT_TRUE(issue["distribution"].contains("eu"));
  EXPECT_FALSE(issue["distribution"].contains("nbs"));
  for (const auto& round : issue["eu"]["rounds"])
    for (const auto& m : round["moves"]) EXPECT_EQ(round["positions"][m["actor"].get<std::string>()], m["to"]);

  const nlohmann::json all = to_json(bargain_issues(model, bargain_request(0)));
  EXPECT_FALSE(all["issues"][0].contains("distribution"));
  for (const char* key : {"compromise", "nbs", "eu"}) EXPECT_TRUE(all["issues"][0].contains(key)) << key;
}

TEST(Bargain, DrawsAreReproducibleBySeed) {
  const auto& model = bargaining_model();
  BargainRequest request = bargain_request(200);
  request.seed = 5;
  const std::string a = encode(to_json(bargain_issues(model, request)));
  EXPECT_EQ(encode(to_json(bargain_issues(model, request))), a);
  request.seed = 6;
  EXPECT_NE(encode(to_json(bargain_issues(model, request))), a);
  for (const auto& r : bargain_issues(model, request).issues) {
    ASSERT_TRUE(r.sampled);
    EXPECT_EQ(r.sampled->draws, 200);
    EXPECT_LE(r.sampled->compromise.low, r.sampled->compromise.median);
    EXPECT_LE(r.sampled->compromise.median, r.sampled->compromise.high);
  }
}

TEST(Bargain, BadRequestsNameTheirField) {
  const auto& model = bargaining_model();
  EXPECT_EQ(field_of([&] { bargain_issues(model, bargain_request(0, BargainMethod::kAll, "no-such")); }),
            "issue");
  // A mistyped id is answered with the closest one.
  const std::string id = model.issues.front().id;
  try {
    bargain_issues(model, bargain_request(0, BargainMethod::kAll, id + "x"));
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean '" + id + "'"), std::string::npos) << e.what();
  }
  auto with = [&](auto change) {
    BargainRequest r = bargain_request(0);
    change(r);
    return field_of([&] { bargain_issues(model, r); });
  };
  EXPECT_EQ(with([](BargainRequest& r) { r.eu.rounds = 0; }), "rounds");
  EXPECT_EQ(with([](BargainRequest& r) { r.eu.q = 1.5; }), "q");
  EXPECT_EQ(with([](BargainRequest& r) { r.eu.tolerance = -0.1; }), "tolerance");
  EXPECT_EQ(with([](BargainRequest& r) { r.draws = -1; }), "draws");
  EXPECT_EQ(with([](BargainRequest&) {}), "no error");
}

TEST(Bargain, MethodsParseAndPrintBothWays) {
  for (const char* name : {"all", "compromise", "nbs", "eu"}) {
    const auto m = parse_bargain_method(name);
    ASSERT_TRUE(m) << name;
    EXPECT_EQ(to_string(*m), name);
  }
  EXPECT_FALSE(parse_bargain_method("median"));
  EXPECT_TRUE(shows(BargainMethod::kAll, BargainMethod::kNash));
  EXPECT_FALSE(shows(BargainMethod::kCompromise, BargainMethod::kNash));
}

TEST(BargainValidation, EveryModelHasItsOwnKeyAndTheCompromiseItsReference) {
  std::set<std::string> keys;
  for (const auto m : bargain::all_deu_models()) keys.insert(deu_key(m));
  EXPECT_EQ(keys.size(), bargain::all_deu_models().size());
  EXPECT_EQ(deu_reference(bargain::DeuModel::kCompromise, bargain::DeuCapability::kGdp).all, "23.21");
  EXPECT_EQ(deu_reference(bargain::DeuModel::kCompromise, bargain::DeuCapability::kEqual).all, "23.64");
  EXPECT_EQ(deu_reference(bargain::DeuModel::kNash, bargain::DeuCapability::kGdp).all, "");
}

TEST(BargainValidation, DeuForecastsDoNotDependOnTheThreadCount) {
  SPHERE_REQUIRE_SHARED("data/bargaining/deu3_dataset_deu_iii.tsv");
  DeuRequest request;
  request.file = (testing::shared_dir() / "data/bargaining/deu3_dataset_deu_iii.tsv").string();
  request.eu.rounds = 2;
  request.threads = 1;
  const DeuForecasts one = deu_forecasts(request);
  request.threads = 3;
  const DeuForecasts three = deu_forecasts(request);
  EXPECT_EQ(three.threads, 3);
  ASSERT_EQ(one.issues.size(), three.issues.size());
  for (std::size_t k = 0; k < one.issues.size(); ++k) EXPECT_EQ(one.issues[k].forecasts, three.issues[k].forecasts);
  const nlohmann::json j = to_json(one);
  EXPECT_EQ(j["issues"].size(), one.issues.size());
  EXPECT_TRUE(j["issues"][0].contains("eu_scholz_code"));

  const DeuValidation v = validate_deu(request);
  EXPECT_EQ(v.issues, one.issues.size());
  const auto compromise = std::find_if(v.scores.begin(), v.scores.end(), [](const auto& s) {
    return s.model == bargain::DeuModel::kCompromise;
  });
  ASSERT_NE(compromise, v.scores.end());
  EXPECT_NEAR(compromise->all.mae, 23.21, 0.005);  // GDP x salience-weighted mean (data README)
  // The score is the mean absolute error of the forecasts listed.
  double sum = 0.0;
  for (const auto& row : one.issues) sum += std::abs(*row.forecasts.at("compromise") - row.outcome);
  EXPECT_NEAR(sum / static_cast<double>(one.issues.size()), compromise->all.mae, 1e-9);
}

TEST(BargainValidation, CaseMeansAreTheMeansOfTheCaseErrors) {
  SPHERE_REQUIRE_SHARED("data/bargaining/known_outcomes.csv");
  const CaseScores scores =
      score_cases((testing::shared_dir() / "data/bargaining").string(), bargain::EuOptions{});
  ASSERT_FALSE(scores.cases.empty());
  ASSERT_FALSE(scores.means.empty());
  for (const auto& mean : scores.means) {
    double sum = 0.0;
    int n = 0;
    for (const auto& [c, forecasts] : scores.cases)
      for (const auto& f : forecasts)
        if (f.model == mean.model && f.value) sum += error_pct(c, *f.value), ++n;
    EXPECT_EQ(mean.cases, n) << mean.model;
    if (n > 0) {
      EXPECT_NEAR(mean.error_pct, sum / n, 1e-9) << mean.model;
    }
  }
  const nlohmann::json j = to_json(scores);
  EXPECT_EQ(j["cases"].size(), scores.cases.size());
}

}  // namespace
}  // namespace sphere::service

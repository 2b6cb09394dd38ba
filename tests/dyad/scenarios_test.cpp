#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "dyad/dyad.h"
#include "dyad/synthetic.h"
#include "testing.h"

namespace sphere::dyad {
namespace {

using sphere::testing::TempDir;

TEST(Questions, TheBuiltinClassifierReadsThePanelAsTheSourcesDescribeIt) {
  SPHERE_REQUIRE_SHARED("data/events/gdelt-country-networks/monthly_2018_2022.csv");
  const QuestionSet qs = read_questions((sphere::testing::source_dir() / "data/caucasus").string());
  ASSERT_EQ(qs.questions.size(), 3u);
  const panel::Panel p = panel::read_panel(
      (sphere::testing::shared_dir() / "data/events/gdelt-country-networks/monthly_2018_2022.csv").string(),
      panel::Format::kGdeltMonthly, {});
  const long d = p.find_pair(qs.pair_a, qs.pair_b);
  ASSERT_GE(d, 0);
  const float* neg = p.series(d, p.measure_index("days_negative"));
  const float* pos = p.series(d, p.measure_index("days_positive"));
  const std::vector<double> y(neg, neg + p.periods), x(pos, pos + p.periods);
  const auto classes = classify(qs, y, x, p.periods);  // no first passage inside the panel
  const auto id = [&](const char* month) { return qs.questions[classes[p.period_of(month, "t")]].id; };
  // S1: "pragmatic cooperation between Baku and Moscow—similar to patterns observed in the 2010s".
  for (const char* m : {"2018-12", "2019-06", "2019-12"}) EXPECT_EQ(id(m), "balancing") << m;
  EXPECT_EQ(id("2020-12"), "confrontation");  // the year of the 44-day war
  EXPECT_EQ(id("2022-12"), "balancing");
  // ARM–AZE through the same questions: never balancing, escalation-level in the war year.
  const long aa = p.find_pair("ARM", "AZE");
  const float* an = p.series(aa, p.measure_index("days_negative"));
  const float* ap = p.series(aa, p.measure_index("days_positive"));
  const auto war = classify(qs, std::vector<double>(an, an + p.periods),
                            std::vector<double>(ap, ap + p.periods), 0);
  EXPECT_EQ(qs.questions[war[p.period_of("2020-12", "t")]].id, "escalation");
}

TEST(Questions, BadDefinitionsNameFileLineAndField) {
  TempDir dir;
  const auto write = [&](const std::string& text) {
    std::ofstream(dir.path() / "questions.toml") << text;
  };
  write("pair = [\"A\", \"B\"]\n[[question]]\nid = \"x\"\nobservable = \"gdp\"\ncriterion = \">= 1\"\n"
        "resolution = \"r\"\n[[question]]\nid = \"y\"\notherwise = true\n");
  try {
    read_questions(dir.path().string());
    FAIL() << "accepted an unknown observable and a question without resolution";
  } catch (const InputError& e) {
    bool observable = false, resolution = false;
    for (const auto& d : e.diagnostics().items()) {
      observable |= d.field == "observable" && d.line == 2;
      resolution |= d.field == "resolution" && d.line == 7;
    }
    EXPECT_TRUE(observable) << e.diagnostics().to_string();
    EXPECT_TRUE(resolution) << e.diagnostics().to_string();
  }
  write("pair = [\"A\", \"B\"]\n[[question]]\nid = \"x\"\nobservable = \"target_sum\"\ncriterion = \">= 1\"\n"
        "resolution = \"r\"\n");
  EXPECT_THROW(read_questions(dir.path().string()), InputError);  // no "otherwise"
  // A window that is not a whole number of periods from 1 to 120 (a fuzzer's 6.8e27 made the TOML
  // library convert a float to an integer out of range: undefined behaviour).
  for (const char* window : {"6777777777777777777777777333.333", "2.5", "0", "121", "\"12\"",
                             "-9223372036854775808"}) {
    write(std::string("pair = [\"A\", \"B\"]\nwindow = ") + window +
          "\n[[question]]\nid = \"y\"\notherwise = true\n");
    try {
      read_questions(dir.path().string());
      ADD_FAILURE() << "accepted window = " << window;
    } catch (const InputError& e) {
      EXPECT_EQ(e.diagnostics().items().front().field, "window") << window;
    }
  }
  // The built-in questions with another whole window read.
  std::ifstream in(sphere::testing::source_dir() / "data/caucasus/questions.toml");
  std::string builtin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = builtin.find("\nwindow = 12\n");
  ASSERT_NE(at, std::string::npos);
  write(builtin.replace(at, 13, "\nwindow = 6\n"));
  EXPECT_EQ(read_questions(dir.path().string()).window, 6);
}

TEST(Questions, ClassesFollowTheOrderAndFirstPassageHolds) {
  QuestionSet qs;
  qs.window = 2;
  Question high;
  high.id = "high";
  high.observable = "target_sum";
  high.threshold = 10;
  high.any = true;
  Question low;
  low.id = "low";
  low.observable = "target_sum";
  low.at_least = false;
  low.threshold = 2;
  Question other;
  other.id = "other";
  qs.questions = {high, low, other};
  const std::vector<double> y = {0, 1, 5, 6, 0, 0, 1, 4}, x(8, 0.0);
  const auto c = classify(qs, y, x, 2);
  EXPECT_EQ(c[0], -1);
  EXPECT_EQ(c[1], 1);  // 1 <= 2
  EXPECT_EQ(c[2], 2);  // 6
  EXPECT_EQ(c[3], 0);  // 11: reached
  EXPECT_EQ(c[5], 0);  // and it stays reached (first passage)
  EXPECT_EQ(classify(qs, y, x, 8)[5], 1);  // without first passage, the state is read
}

// A small simulated world: a panel, its calibration, three questions and two documented events.
struct World {
  panel::Panel p = testing::empty_panel(30, 48);
  Calibration c;
  QuestionSet qs;
  std::vector<Evidence> evidence;
  OutlookOptions o;
};
World small_world() {
  World w;
  panel::Panel& p = w.p;
  testing::simulate_into(&p, {0.0, 0.5, 0.3, 0.15, std::log(3.0)}, {0.0, 0.4, 0.3, 0.1, std::log(2.0)}, 5);
  Spec spec;
  spec.target = "conflict";
  const Calibration c = fit(p, spec, {0, 1});
  QuestionSet qs;
  qs.file = "questions.toml";
  qs.window = 6;
  auto question = [](const char* id, const char* observable, bool at_least, double threshold, bool any) {
    Question q;
    q.id = id;
    q.observable = observable;
    q.at_least = at_least;
    q.threshold = threshold;
    q.any = any;
    q.resolution = "a resolution";
    return q;
  };
  qs.questions = {question("high", "target_sum", true, 12, true),
                  question("low", "target_sum", false, 2, false), question("other", "", true, 0, false)};
  qs.order = {1, 2, 0};
  // Documented events in the simulated months: a hostile one and a friendly one.
  std::vector<Evidence> evidence(2);
  evidence[0].id = "hostile";
  evidence[0].period = evidence[0].last = p.periods + 1;
  evidence[0].reliability = 0.9;
  evidence[1].id = "friendly";
  evidence[1].period = p.periods + 3;
  evidence[1].last = p.periods + 5;
  evidence[1].cooperative = true;
  OutlookOptions o;
  o.runs = 400;
  o.parameter_draws = 4;
  o.horizon = p.periods + 17;
  o.first_reported = p.periods;
  o.seed = 3;
  o.threads = 2;
  w.c = c;
  w.qs = qs;
  w.evidence = evidence;
  w.o = o;
  return w;
}

TEST(Outlook, ConditioningOnlyWeightsAndAttributionReusesTheForecast) {
  const World w = small_world();
  const panel::Panel& p = w.p;
  const Calibration& c = w.c;
  const QuestionSet& qs = w.qs;
  const std::vector<Evidence>& evidence = w.evidence;
  const OutlookOptions& o = w.o;
  const Outlook on = outlook(p, c, 0, qs, evidence, o);
  OutlookOptions plain = o;
  plain.conditioning = false;
  const Outlook off = outlook(p, c, 0, qs, evidence, plain);
  // The conditioning weights the same trajectories; it does not change them.
  EXPECT_EQ(on.classes, off.classes);
  Outlook reweighted = on;
  summarise(reweighted, {true, true});
  EXPECT_EQ(reweighted.probability, off.probability);
  const std::vector<double> unweighted = reweighted_final(on, std::vector<bool>{true, true});
  for (std::size_t k = 0; k < unweighted.size(); ++k)
    EXPECT_NEAR(unweighted[k], off.probability[k][off.periods - 1], 1e-12);
  // Attribution from the forecast already made is the attribution computed from scratch.
  const Attribution given = attribute(p, c, 0, qs, evidence, o, &on);
  const Attribution fresh = attribute(p, c, 0, qs, evidence, o);
  EXPECT_EQ(given.shapley, fresh.shapley);
  EXPECT_EQ(given.all_off, fresh.all_off);
  // Shapley values add up to the difference between every mechanism on and every one off.
  const int last = on.periods - 1;
  for (std::size_t k = 0; k < qs.questions.size(); ++k) {
    double sum = 0;
    for (const auto& m : given.shapley) sum += m[k];
    EXPECT_NEAR(sum, on.probability[k][last] - given.all_off[k], 1e-12) << k;
  }
}

// The common trend's uncertainty is drawn with the other parameters: its standard error changes
// the sampled trajectories (the pair's level and its factor after the fit move with each draw),
// and nothing when the parameters are fixed.
TEST(Outlook, TheTrendIsDrawnWithTheParameters) {
  const World w = small_world();
  ASSERT_GT(w.c.fits[0].trend_se, 0);
  Calibration certain = w.c;
  for (auto& f : certain.fits) f.trend_se = 0;
  const Outlook drawn = outlook(w.p, w.c, 0, w.qs, w.evidence, w.o);
  const Outlook held = outlook(w.p, certain, 0, w.qs, w.evidence, w.o);
  EXPECT_NE(drawn.classes, held.classes);
  OutlookOptions fixed = w.o;
  fixed.sample_parameters = false;
  EXPECT_EQ(outlook(w.p, w.c, 0, w.qs, w.evidence, fixed).classes,
            outlook(w.p, certain, 0, w.qs, w.evidence, fixed).classes);
}

// Each as-of month of the hindcast uses every period before it, also those after the year's fit:
// months between the fit and an as-of month move that forecast and no earlier one.
TEST(Hindcast, EachAsOfMonthUsesTheDataBeforeIt) {
  const World w = small_world();
  HindcastOptions h;
  h.as_of = {24, 27};  // 2002-01 and 2002-04: one fit, on the data before 2002-01
  h.lead = 6;
  h.pairs = {0};
  h.outlook = w.o;
  h.outlook.runs = 200;
  h.outlook.sample_parameters = false;
  h.spec.target = "conflict";
  const HindcastResult before = hindcast(w.p, w.qs, h);
  panel::Panel changed = w.p;
  for (int t = 24; t < 27; ++t) changed.values[static_cast<std::size_t>(t)] += 20;  // pair 0, target
  const HindcastResult after = hindcast(changed, w.qs, h);
  ASSERT_EQ(before.rows.size(), 2u);
  ASSERT_EQ(after.rows.size(), 2u);
  EXPECT_EQ(before.rows[0].forecast, after.rows[0].forecast);
  EXPECT_NE(before.rows[1].forecast, after.rows[1].forecast);
}

// In a directed panel the partner series is the reverse pair: its anchors (not zeros) steer the
// partner's state and the cross term, so changing them changes the outlook.
TEST(Outlook, ADirectedPairsPartnerIsTheReversePairWithItsAnchors) {
  panel::Panel p = testing::empty_panel(1, 48, {{"conflict", true, false, "events"}});
  p.directed = true;
  p.pairs = {{0, 1}, {1, 0}};
  p.values.assign(p.pairs.size() * p.periods, 0.0f);
  Rng rng(17, 0, 0, 96, 0);
  for (float& v : p.values) v = static_cast<float>(rng.poisson(3.0));
  Spec spec;
  spec.target = "conflict";
  spec.partner = "reverse";
  const Calibration c = fit(p, spec, {0, 1});
  ASSERT_EQ(c.fits.size(), 1u);
  const World w = small_world();
  OutlookOptions o = w.o;
  o.horizon = p.periods + 17;
  o.first_reported = p.periods;
  o.sample_parameters = false;
  // The simulated months of a few runs, summed: the reverse pair's anchors move them.
  const auto simulated = [&](const Calibration& cal) {
    double sum = 0;
    for (int run = 0; run < 20; ++run) {
      const ReplayedRun r = replay(p, cal, 0, w.qs, {}, o, run);
      for (int t = r.first_simulated; t <= o.horizon; ++t) sum += r.target[t] + r.partner[t];
    }
    return sum;
  };
  const double base = simulated(c);
  Calibration moved = c;
  moved.anchors[0][1].m += 1.0f;  // the reverse pair's level
  moved.anchors[0][1].level += 1.0f;
  EXPECT_NE(simulated(moved), base);
  EXPECT_EQ(simulated(c), base);
}

// A replayed run is run i of the ensemble: the same class path and the same evidence likelihoods,
// its observed part is the panel, and an index outside the ensemble is refused.
TEST(Outlook, ReplayReproducesEachRunOfTheEnsemble) {
  const World w = small_world();
  const Outlook on = outlook(w.p, w.c, 0, w.qs, w.evidence, w.o);
  for (int i : {0, 137, w.o.runs - 1}) {
    const ReplayedRun r = replay(w.p, w.c, 0, w.qs, w.evidence, w.o, i);
    EXPECT_EQ(r.draw, i * on.draws / w.o.runs);
    EXPECT_EQ(r.first_simulated, w.p.periods);
    ASSERT_EQ(r.classes.size(), static_cast<std::size_t>(w.o.horizon + 1));
    for (int t = 0; t < on.periods; ++t)
      EXPECT_EQ(r.classes[on.first_reported + t], on.classes[static_cast<std::size_t>(i) * on.periods + t]) << i;
    for (std::size_t e = 0; e < w.evidence.size(); ++e)
      EXPECT_EQ(r.evidence_log_lik[e], on.evidence_log_lik[e][i]);
    const PairSeries s = pair_series(w.p, w.c, 0);
    for (int t = 0; t < w.p.periods; ++t) EXPECT_EQ(r.target[t], s.y[t]);
    for (int t = r.first_simulated; t <= w.o.horizon; ++t) {
      EXPECT_GE(r.target[t], 0);
      EXPECT_EQ(r.target[t], std::floor(r.target[t]));  // counts
    }
  }
  EXPECT_THROW(replay(w.p, w.c, 0, w.qs, w.evidence, w.o, w.o.runs), InputError);
  EXPECT_THROW(replay(w.p, w.c, 0, w.qs, w.evidence, w.o, -1), InputError);
}

}  // namespace
}  // namespace sphere::dyad

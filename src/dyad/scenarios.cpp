// Scenario questions on simulated observables, and the outlook ensemble: parameter draws from
// the calibration's covariance, trajectories from the panel's end to the horizon, importance
// weights from documented events, class paths per trajectory.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include <Eigen/Dense>
#include <toml++/toml.h>

#include "dyad/internal.h"

namespace sphere::dyad {
namespace {

bool parse_criterion(const std::string& text, bool* at_least, double* threshold) {
  std::string t = text;
  t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
  if (t.size() < 3) return false;
  if (t.rfind(">=", 0) == 0) *at_least = true;
  else if (t.rfind("<=", 0) == 0) *at_least = false;
  else return false;
  try {
    std::size_t used = 0;
    *threshold = std::stod(t.substr(2), &used);
    return used == t.size() - 2;
  } catch (const std::exception&) {
    return false;
  }
}

double observable(const Question& q, const std::vector<double>& y, const std::vector<double>& x,
                  int t, int window) {
  double sy = 0, sx = 0;
  for (int i = t - window + 1; i <= t; ++i) sy += y[i], sx += x[i];
  if (q.observable == "target_sum") return sy;
  return sy + sx > 0 ? sy / (sy + sx) : 0.0;
}

// Parameter draw b: the estimate plus Cholesky(covariance) times standard normals, kept inside
// the bounds; the estimate itself when the covariance is unusable.
Params draw_params(const MeasureFit& fit, std::uint64_t seed, int b, std::uint32_t which) {
  const auto mean = fit.params.as_array();
  Eigen::Matrix<double, Params::kCount, Params::kCount> cov;
  for (int i = 0; i < Params::kCount; ++i)
    for (int j = 0; j < Params::kCount; ++j) cov(i, j) = fit.covariance[i][j];
  // Fixed parameters have zero rows; add a tiny ridge so the factorisation exists, then zero them.
  for (int i = 0; i < Params::kCount; ++i)
    if (!fit.free[i]) cov(i, i) = 1e-300;
  Eigen::LLT<Eigen::Matrix<double, Params::kCount, Params::kCount>> llt(cov);
  if (llt.info() != Eigen::Success) return fit.params;
  Rng rng(seed, static_cast<std::uint32_t>(b), which, detail::kPurposeDyad + 4, 0);
  Eigen::Matrix<double, Params::kCount, 1> z;
  for (int i = 0; i < Params::kCount; ++i) z(i) = rng.normal();
  const Eigen::Matrix<double, Params::kCount, 1> shift = llt.matrixL() * z;
  // A draw outside the bounds or the stationary region is pulled back towards the estimate.
  for (double scale = 1.0; scale > 0.01; scale *= 0.5) {
    std::array<double, Params::kCount> out = mean;
    for (int i = 0; i < Params::kCount; ++i) {
      if (!fit.free[i]) continue;
      out[i] = std::clamp(mean[i] + scale * shift(i), detail::kLower[i], detail::kUpper[i]);
    }
    if (detail::stationary(Params::from_array(out))) return Params::from_array(out);
  }
  return fit.params;
}

}  // namespace

QuestionSet read_questions(const std::string& model_dir) {
  namespace fs = std::filesystem;
  QuestionSet out;
  out.file = (fs::path(model_dir) / "questions.toml").string();
  if (!fs::exists(out.file)) throw InputError(out.file, 0, "", "absent: the model defines no scenario questions");
  toml::table root;
  try {
    root = toml::parse_file(out.file);
  } catch (const toml::parse_error& e) {
    throw InputError(out.file, static_cast<int>(e.source().begin.line), "", std::string(e.description()));
  }
  Diagnostics problems;
  const toml::array* pair = root["pair"].as_array();
  if (!pair || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string()) {
    problems.add(out.file, 0, "pair", "expected two panel codes, e.g. [\"AZE\", \"RUS\"]");
  } else {
    out.pair_a = *(*pair)[0].value<std::string>();
    out.pair_b = *(*pair)[1].value<std::string>();
  }
  out.window = root["window"].value_or(12);
  if (out.window < 1 || out.window > 120) problems.add(out.file, 0, "window", "must be 1 to 120 periods");
  const toml::array* list = root["question"].as_array();
  if (!list || list->empty()) {
    problems.add(out.file, 0, "question", "expected [[question]] tables");
    throw InputError(problems);
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const toml::table* t = (*list)[i].as_table();
    const int line = static_cast<int>((*list)[i].source().begin.line);
    if (!t) continue;
    Question q;
    q.line = line;
    q.id = (*t)["id"].value_or(std::string());
    q.name = (*t)["name"].value_or(std::string());
    q.resolution = (*t)["resolution"].value_or(std::string());
    q.source = (*t)["source"].value_or(std::string());
    q.quote = (*t)["quote"].value_or(std::string());
    q.not_modelled = (*t)["not_modelled"].value_or(std::string());
    if (q.id.empty()) problems.add(out.file, line, "id", "missing");
    if (q.resolution.empty())
      problems.add(out.file, line, "resolution", "a question needs a resolution source and criterion");
    const bool otherwise = (*t)["otherwise"].value_or(false);
    if (otherwise != (i + 1 == list->size()))
      problems.add(out.file, line, "otherwise",
                   "exactly the last question is `otherwise = true` (it makes the scenarios exhaustive)");
    if (!otherwise) {
      q.observable = (*t)["observable"].value_or(std::string());
      if (q.observable != "negative_share" && q.observable != "target_sum")
        problems.add(out.file, line, "observable",
                     "'" + q.observable + "' is not an observable the model simulates (negative_share, target_sum)");
      if (!parse_criterion((*t)["criterion"].value_or(std::string()), &q.at_least, &q.threshold))
        problems.add(out.file, line, "criterion", "expected '>= NUMBER' or '<= NUMBER'");
      const std::string path = (*t)["path"].value_or(std::string("end"));
      if (path != "any" && path != "end") problems.add(out.file, line, "path", "expected \"any\" or \"end\"");
      q.any = path == "any";
    }
    out.questions.push_back(q);
  }
  // The classes from mildest to most severe, for the ranked probability score.
  if (const toml::array* order = root["order"].as_array()) {
    for (const auto& node : *order) {
      const std::string id = node.value_or(std::string());
      const auto it = std::find_if(out.questions.begin(), out.questions.end(),
                                   [&](const Question& q) { return q.id == id; });
      if (it == out.questions.end()) problems.add(out.file, 0, "order", "'" + id + "' is not a question id");
      else out.order.push_back(static_cast<int>(it - out.questions.begin()));
    }
    if (out.order.size() != out.questions.size())
      problems.add(out.file, 0, "order", "must list every question once");
  } else {
    for (std::size_t i = 0; i < out.questions.size(); ++i) out.order.push_back(static_cast<int>(i));
  }
  if (!problems.empty()) throw InputError(problems);
  return out;
}

std::vector<int> classify(const QuestionSet& qs, const std::vector<double>& y,
                          const std::vector<double>& x, int from) {
  const int n = static_cast<int>(y.size());
  std::vector<int> out(n, -1);
  std::vector<bool> reached(qs.questions.size(), false);
  for (int t = qs.window - 1; t < n; ++t) {
    int k = static_cast<int>(qs.questions.size()) - 1;
    for (std::size_t q = 0; q + 1 < qs.questions.size(); ++q) {
      const Question& question = qs.questions[q];
      const double v = observable(question, y, x, t, qs.window);
      const bool holds = question.at_least ? v >= question.threshold : v <= question.threshold;
      if (question.any && t >= from && holds) reached[q] = true;
      if (question.any ? reached[q] : holds) {
        k = static_cast<int>(q);
        break;
      }
    }
    out[t] = k;
  }
  return out;
}

Outlook outlook(const panel::Panel& panel, const Calibration& cal, std::size_t pair,
                const QuestionSet& qs, const std::vector<Evidence>& evidence,
                const OutlookOptions& o) {
  Outlook out;
  for (const auto& q : qs.questions) out.ids.push_back(q.id);
  const int observed = std::min(panel.periods, cal.until - panel.first);
  if (o.horizon < observed || o.first_reported < observed || o.first_reported > o.horizon)
    throw InputError(qs.file, 0, "horizon", "the reported periods must lie after the panel's end");
  if (o.horizon - observed + 1 < 1) throw InputError(qs.file, 0, "horizon", "nothing to simulate");
  for (const auto& e : evidence)
    if (e.period < observed || e.last > o.horizon || e.last < e.period)
      throw InputError(qs.file, 0, "evidence",
                       "conditioning event '" + e.id + "' lies outside the simulated period");
  const int total = o.horizon + 1;  // periods 0..horizon
  out.first_reported = o.first_reported;
  out.periods = total - o.first_reported;
  out.runs = o.runs;
  out.draws = o.sample_parameters ? std::max(1, o.parameter_draws) : 1;
  out.classes.assign(static_cast<std::size_t>(o.runs) * out.periods, 0);
  out.log_weight.assign(o.runs, 0.0);
  out.evidence_log_lik.assign(evidence.size(), std::vector<double>(o.runs, 0.0));

  const PairSeries s = pair_series(panel, cal, pair);
  const bool two = cal.fits.size() > 1;
  const int target = panel.measure_index(cal.target);
  const bool bounded = panel.measures[target].bounded;
  const Anchor ay = cal.anchors[0][pair];
  const Anchor ax = two ? cal.anchors[1][pair] : Anchor{0, 0};
  if (std::isnan(ay.m)) throw InputError(qs.file, 0, "pair", "the calibration has no anchors for this pair");

  // Parameters of each draw, with the interventions applied.
  std::vector<std::array<Params, 2>> draws(out.draws);
  for (int b = 0; b < out.draws; ++b) {
    Params py = o.sample_parameters && out.draws > 1 ? draw_params(cal.fits[0], o.seed, b, 0) : cal.fits[0].params;
    Params px = two ? (o.sample_parameters && out.draws > 1 ? draw_params(cal.fits[1], o.seed, b, 1)
                                                             : cal.fits[1].params)
                    : py;
    for (Params* p : {&py, &px}) {
      if (!o.excitation) p->alpha = 0;
      if (!o.cross) p->gamma = 0;
    }
    draws[b] = {py, px};
  }
  const auto run = [&](int i, std::vector<double>& y, std::vector<double>& x) {
    const int b = static_cast<int>(static_cast<long>(i) * out.draws / o.runs);
    const Params& py = draws[b][0];
    const Params& px = draws[b][1];
    const double ry = std::exp(py.log_r), rx = std::exp(px.log_r);
    double ey = detail::clamp_eta(ay.m + py.delta), ex = detail::clamp_eta(ax.m + px.delta);
    for (int t = 0; t < observed; ++t) {
      y[t] = s.y[t];
      x[t] = s.x ? s.x[t] : 0.0;
      double ly = ay.level, lx = ax.level;
      if (panel.exposure[t] > 0) ly = std::log1p(y[t]), lx = std::log1p(x[t]);
      const double ny = detail::next_eta(py, ay.m, ey, ly, ay.level, lx, ax.level);
      const double nx = detail::next_eta(px, ax.m, ex, lx, ax.level, ly, ay.level);
      ey = ny, ex = nx;
    }
    Rng rng(o.seed, static_cast<std::uint32_t>(i), 0, detail::kPurposeDyad + 5,
            static_cast<std::uint32_t>(pair));
    for (int t = observed; t < total; ++t) {
      double factor = 1.0;
      int bound = -1;
      if (!panel.yearly && cal.exposure_scale != 1.0) {
        const int days = detail::days_in_month(panel.first + t);
        factor = days / cal.exposure_scale;
        if (bounded) bound = days;
      }
      y[t] = detail::draw_nb(rng, factor * std::exp(ey), ry, bound);
      x[t] = (s.x || two) ? detail::draw_nb(rng, factor * std::exp(ex), rx, bound) : 0;
      const double ly = std::log1p(y[t]), lx = std::log1p(x[t]);
      const double ny = detail::next_eta(py, ay.m, ey, ly, ay.level, lx, ax.level);
      const double nx = detail::next_eta(px, ax.m, ex, lx, ax.level, ly, ay.level);
      ey = ny, ex = nx;
    }
    for (std::size_t e = 0; e < evidence.size(); ++e) {
      const Evidence& ev = evidence[e];
      bool seen = false;
      for (int t = ev.period; t <= ev.last && !seen; ++t) seen = (ev.cooperative ? x[t] : y[t]) >= 1;
      // A report is true with probability `reliability`: a trajectory without a matching day in
      // the event's months keeps the probability that the report is wrong, 1 - reliability.
      const double ll = seen ? 0.0 : std::log(std::max(1e-12, 1.0 - ev.reliability));
      out.evidence_log_lik[e][i] = ll;
    }
    const auto classes = classify(qs, y, x, observed);
    for (int t = 0; t < out.periods; ++t)
      out.classes[static_cast<std::size_t>(i) * out.periods + t] =
          static_cast<std::uint8_t>(classes[o.first_reported + t]);
  };
  const int n = std::max(1, std::min(o.threads, o.runs));
  std::vector<std::thread> pool;
  const auto work = [&](int from) {
    std::vector<double> y(total), x(total);
    for (int i = from; i < o.runs; i += n) run(i, y, x);
  };
  for (int t = 1; t < n; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& t : pool) t.join();

  summarise(out, std::vector<bool>(evidence.size(), !o.conditioning));
  return out;
}

void summarise(Outlook& out, const std::vector<bool>& excluded) {
  const int K = static_cast<int>(out.ids.size());
  for (int i = 0; i < out.runs; ++i) {
    double lw = 0;
    for (std::size_t e = 0; e < out.evidence_log_lik.size(); ++e)
      if (!excluded[e]) lw += out.evidence_log_lik[e][i];
    out.log_weight[i] = lw;
  }
  // Weighted probabilities, the Monte Carlo interval from the effective sample size, and the
  // spread of the per-draw probabilities.
  double top = -1e300;
  for (double lw : out.log_weight) top = std::max(top, lw);
  std::vector<double> w(out.runs);
  double sw = 0, sw2 = 0;
  for (int i = 0; i < out.runs; ++i) {
    w[i] = std::exp(out.log_weight[i] - top);
    sw += w[i];
    sw2 += w[i] * w[i];
  }
  out.effective_runs = sw * sw / sw2;
  const auto sized = [&] { return std::vector<std::vector<double>>(K, std::vector<double>(out.periods, 0.0)); };
  out.probability = sized();
  out.mc_low = sized();
  out.mc_high = sized();
  out.param_low = sized();
  out.param_high = sized();
  std::vector<std::vector<std::vector<double>>> per_draw(
      out.draws, std::vector<std::vector<double>>(K, std::vector<double>(out.periods, 0.0)));
  std::vector<double> draw_weight(out.draws, 0.0);
  for (int i = 0; i < out.runs; ++i) {
    const int b = static_cast<int>(static_cast<long>(i) * out.draws / out.runs);
    draw_weight[b] += w[i];
    const std::uint8_t* c = out.classes.data() + static_cast<std::size_t>(i) * out.periods;
    for (int t = 0; t < out.periods; ++t) {
      out.probability[c[t]][t] += w[i] / sw;
      per_draw[b][c[t]][t] += w[i];
    }
  }
  for (int k = 0; k < K; ++k)
    for (int t = 0; t < out.periods; ++t) {
      const double p = out.probability[k][t];
      const double half = 1.96 * std::sqrt(std::max(p * (1 - p), 0.0) / out.effective_runs);
      out.mc_low[k][t] = std::max(0.0, p - half);
      out.mc_high[k][t] = std::min(1.0, p + half);
      std::vector<double> v;
      for (int b = 0; b < out.draws; ++b)
        if (draw_weight[b] > 0) v.push_back(per_draw[b][k][t] / draw_weight[b]);
      std::sort(v.begin(), v.end());
      if (v.size() >= 2) {
        out.param_low[k][t] = v[static_cast<std::size_t>(0.025 * (v.size() - 1))];
        out.param_high[k][t] = v[static_cast<std::size_t>(std::ceil(0.975 * (v.size() - 1)))];
      } else {
        out.param_low[k][t] = out.param_high[k][t] = p;
      }
    }
}

Attribution attribute(const panel::Panel& panel, const Calibration& cal, std::size_t pair,
                      const QuestionSet& qs, const std::vector<Evidence>& evidence,
                      const OutlookOptions& options, const Outlook* full) {
  Attribution out;
  out.mechanisms = {"self-excitation", "cross-excitation", "conditioning on documented events"};
  const int m = 3, K = static_cast<int>(qs.questions.size());
  std::vector<std::vector<double>> value(1 << m);
  const std::vector<bool> none(evidence.size(), true);
  // The simulated mechanisms need a run each (the one with both on may be given); conditioning
  // only weights the trajectories, so both of its settings come from the same runs.
  for (int simulated = 0; simulated < 4; ++simulated) {
    OutlookOptions o = options;
    o.excitation = simulated & 1;
    o.cross = simulated & 2;
    o.conditioning = true;
    const bool reuse = simulated == 3 && full && options.excitation && options.cross;
    const Outlook computed = reuse ? Outlook{} : outlook(panel, cal, pair, qs, evidence, o);
    const Outlook& r = reuse ? *full : computed;
    value[simulated | 4] = reweighted_final(r, std::vector<bool>(evidence.size(), false));
    value[simulated] = reweighted_final(r, none);
  }
  out.all_off = value[0];
  out.shapley.assign(m, std::vector<double>(K, 0.0));
  // Shapley weights |S|! (m - |S| - 1)! / m! for m = 3: 1/3, 1/6, 1/3.
  static const double weight[] = {1.0 / 3, 1.0 / 6, 1.0 / 3};
  for (int i = 0; i < m; ++i)
    for (int mask = 0; mask < (1 << m); ++mask) {
      if (mask & (1 << i)) continue;
      const int size = __builtin_popcount(mask);
      for (int k = 0; k < K; ++k)
        out.shapley[i][k] += weight[size] * (value[mask | (1 << i)][k] - value[mask][k]);
    }
  return out;
}

std::vector<double> reweighted_final(const Outlook& out, const std::vector<bool>& excluded) {
  const int K = static_cast<int>(out.ids.size());
  std::vector<double> lw(out.runs, 0.0);
  for (std::size_t e = 0; e < out.evidence_log_lik.size(); ++e)
    if (!excluded[e])
      for (int i = 0; i < out.runs; ++i) lw[i] += out.evidence_log_lik[e][i];
  double top = -1e300;
  for (double v : lw) top = std::max(top, v);
  std::vector<double> p(K, 0.0);
  double sw = 0;
  for (int i = 0; i < out.runs; ++i) {
    const double w = std::exp(lw[i] - top);
    sw += w;
    p[out.classes[static_cast<std::size_t>(i) * out.periods + out.periods - 1]] += w;
  }
  for (double& v : p) v /= sw;
  return p;
}

std::vector<double> reweighted_final(const Outlook& out, int skip) {
  std::vector<bool> excluded(out.evidence_log_lik.size(), false);
  if (skip >= 0) excluded[static_cast<std::size_t>(skip)] = true;
  return reweighted_final(out, excluded);
}

}  // namespace sphere::dyad

namespace sphere::dyad {
namespace {

// The class of the window ending at t on the criteria alone (first passages read as states).
int state_class(const QuestionSet& qs, const std::vector<double>& y, const std::vector<double>& x, int t) {
  for (std::size_t q = 0; q + 1 < qs.questions.size(); ++q) {
    const Question& question = qs.questions[q];
    const double v = observable(question, y, x, t, qs.window);
    if (question.at_least ? v >= question.threshold : v <= question.threshold) return static_cast<int>(q);
  }
  return static_cast<int>(qs.questions.size()) - 1;
}

double rps(const std::vector<double>& p, int observed, const std::vector<int>& order) {
  double F = 0, O = 0, total = 0;
  for (std::size_t i = 0; i + 1 < order.size(); ++i) {
    F += p[order[i]];
    O += order[i] == observed ? 1.0 : 0.0;
    total += (F - O) * (F - O);
  }
  return total / static_cast<double>(order.size() - 1);
}

double brier(const std::vector<double>& p, int observed) {
  double total = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double o = static_cast<int>(k) == observed ? 1.0 : 0.0;
    total += (p[k] - o) * (p[k] - o);
  }
  return total;
}

}  // namespace

HindcastResult hindcast(const panel::Panel& panel, const QuestionSet& qs, const HindcastOptions& o) {
  HindcastResult out;
  const int K = static_cast<int>(qs.questions.size());
  Calibration cal;
  int fitted_year = -1;
  for (std::size_t i = 0; i < o.as_of.size(); ++i) {
    const int a = o.as_of[i];
    const int target = a + o.lead - 1;
    if (a < qs.window || target >= panel.periods)
      throw InputError(qs.file, 0, "as_of",
                       "as-of " + panel.period_name(a) + ": the scored window must lie inside the panel");
    const int year = (panel.first + a) / 12;
    if (year != fitted_year) {
      if (o.progress) o.progress("fitting on data before " + panel.period_name(a), static_cast<int>(i),
                                 static_cast<int>(o.as_of.size()));
      FitOptions fo;
      fo.until = a;
      fo.threads = o.outlook.threads;
      cal = fit(panel, o.spec, fo);
      fitted_year = year;
    }
    if (o.progress) o.progress("forecasting from " + panel.period_name(a), static_cast<int>(i),
                               static_cast<int>(o.as_of.size()));
    for (long pair : o.pairs) {
      OutlookOptions oo = o.outlook;
      oo.horizon = target;
      oo.first_reported = target;
      oo.conditioning = false;
      const Outlook r = outlook(panel, cal, pair, qs, {}, oo);
      HindcastRow row;
      row.as_of = a;
      row.target = target;
      row.pair = pair;
      for (int k = 0; k < K; ++k) row.forecast.push_back(r.probability[k][0]);
      const PairSeries s = pair_series(panel, cal, pair);
      std::vector<double> y(s.y, s.y + panel.periods), x(panel.periods, 0.0);
      if (s.x) x.assign(s.x, s.x + panel.periods);
      row.observed = classify(qs, y, x, a)[target];
      row.persistence = state_class(qs, y, x, a - 1);
      row.climatology.assign(K, 0.0);
      int n = 0;
      for (int t = qs.window - 1; t < a; ++t) row.climatology[state_class(qs, y, x, t)] += 1, ++n;
      for (double& c : row.climatology) c /= n;
      out.rows.push_back(row);
    }
  }
  // Scores, and a bootstrap over as-of periods (all pairs of an as-of period together).
  const auto scores = [&](const HindcastRow& r, int f, bool ranked) {
    std::vector<double> p;
    if (f == 0) p = r.forecast;
    else if (f == 1) p.assign(K, 1.0 / K);
    else if (f == 2) p = r.climatology;
    else {
      p.assign(K, 0.0);
      p[r.persistence] = 1.0;
    }
    return ranked ? rps(p, r.observed, qs.order) : brier(p, r.observed);
  };
  for (int f = 0; f < 4; ++f) {
    for (const auto& r : out.rows) out.rps[f] += scores(r, f, true), out.brier[f] += scores(r, f, false);
    out.rps[f] /= out.rows.size();
    out.brier[f] /= out.rows.size();
    std::vector<double> boot;
    Rng rng(o.outlook.seed, static_cast<std::uint32_t>(f), 0, detail::kPurposeDyad + 6, 0);
    const int m = static_cast<int>(o.as_of.size());
    for (int b = 0; b < 1000; ++b) {
      double sum = 0;
      int n = 0;
      for (int j = 0; j < m; ++j) {
        const int a = o.as_of[rng.below(static_cast<std::uint32_t>(m))];
        for (const auto& r : out.rows)
          if (r.as_of == a) sum += scores(r, f, true), ++n;
      }
      boot.push_back(sum / n);
    }
    std::sort(boot.begin(), boot.end());
    out.rps_interval[f] = {boot[24], boot[974]};
  }
  return out;
}

}  // namespace sphere::dyad

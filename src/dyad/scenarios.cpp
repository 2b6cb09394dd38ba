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
  // Fixed parameters, and those on a bound, have zero rows; add a tiny ridge so the factorisation
  // exists (their shift is then nothing).
  for (int i = 0; i < Params::kCount; ++i)
    if (!fit.free[i] || cov(i, i) == 0.0) cov(i, i) = 1e-300;
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
  // An integer only: a float (6.8e27) converted to int would be undefined behaviour.
  if (const toml::node* w = root.get("window")) {
    const auto* i = w->as_integer();
    out.window = i && i->get() >= 1 && i->get() <= 120 ? static_cast<int>(i->get()) : 0;
  }
  if (const auto* from = root["report_from"].as_string()) {
    out.report_from = from->get();
    out.report_from_line = static_cast<int>(from->source().begin.line);
    const bool shape = out.report_from.size() == 7 && out.report_from[4] == '-' &&
                       std::all_of(out.report_from.begin(), out.report_from.end(),
                                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '-'; });
    const int month = shape ? std::atoi(out.report_from.c_str() + 5) : 0;
    if (month < 1 || month > 12)
      problems.add(out.file, out.report_from_line, "report_from", "expected a month YYYY-MM, got '" + out.report_from + "'");
  }
  if (out.window < 1 || out.window > 120) problems.add(out.file, 0, "window", "must be a whole number of periods from 1 to 120");
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

namespace {

// One configuration's trajectories: the parameter draws (with the interventions applied), the
// pair's observed history and anchors. Run i is a pure function of (seed, i), so the outlook and
// a replay of one run produce the same numbers.
class Simulator {
 public:
  Simulator(const panel::Panel& panel, const Calibration& cal, std::size_t pair,
            const QuestionSet& qs, const std::vector<Evidence>& evidence, const OutlookOptions& o)
      : panel_(panel), cal_(cal), pair_(pair), o_(o) {
    observed_ = std::min(panel.periods, o.observed_through > 0 ? o.observed_through : cal.until - panel.first);
    if (observed_ < cal.until - panel.first)
      throw InputError(qs.file, 0, "observed_through", "the observed periods end before the calibration's vintage");
    if (o.horizon < observed_ || o.first_reported < observed_ || o.first_reported > o.horizon)
      throw InputError(qs.file, 0, "horizon", "the reported periods must lie after the panel's end");
    for (const auto& e : evidence)
      if (e.period < observed_ || e.last > o.horizon || e.last < e.period)
        throw InputError(qs.file, 0, "evidence",
                         "conditioning event '" + e.id + "' lies outside the simulated period");
    total_ = o.horizon + 1;  // periods 0..horizon
    draws_ = o.sample_parameters ? std::max(1, o.parameter_draws) : 1;
    s_ = pair_series(panel, cal, pair);
    two_ = cal.fits.size() > 1;
    bounded_ = panel.measures[panel.measure_index(cal.target)].bounded;
    ay_ = cal.anchors[0][pair];
    ax_ = partner_anchor(panel, cal, pair);
    if (std::isnan(ay_.m)) throw InputError(qs.file, 0, "pair", "the calibration has no anchors for this pair");
    params_.resize(draws_);
    for (int b = 0; b < draws_; ++b) {
      Params py = o.sample_parameters && draws_ > 1 ? draw_params(cal.fits[0], o.seed, b, 0) : cal.fits[0].params;
      Params px = two_ ? (o.sample_parameters && draws_ > 1 ? draw_params(cal.fits[1], o.seed, b, 1)
                                                             : cal.fits[1].params)
                       : py;
      for (Params* p : {&py, &px}) {
        if (!o.excitation) p->alpha = 0;
        if (!o.cross) p->gamma = 0;
      }
      params_[b] = {py, px};
    }
    // The common trends too: each draw's kappa from its estimate and Newey-West error; the pair's
    // pooled level follows (m pools the counts over exposures that carry the trend), and so does
    // the factor held after the fit.
    trends_.resize(draws_);
    for (int b = 0; b < draws_; ++b) {
      for (int slot = 0; slot < 2; ++slot) {
        const int fit_slot = two_ ? slot : 0;
        const MeasureFit& f = cal.fits[fit_slot];
        double kappa = f.trend;
        if (o.sample_parameters && draws_ > 1 && f.trend_se > 0)
          kappa += f.trend_se * Rng(o.seed, static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(slot),
                                    detail::kPurposeDyad + 4, 1).normal();
        const Anchor& a = slot == 0 ? ay_ : ax_;
        trends_[b][slot] = {kappa, a.m + level_shift(f, kappa), held_factor(f, kappa)};
      }
    }
  }
  int observed() const { return observed_; }
  int total() const { return total_; }
  int draws() const { return draws_; }
  int draw_of(int i) const { return static_cast<int>(static_cast<long>(i) * draws_ / o_.runs); }
  const std::array<Params, 2>& params(int b) const { return params_[b]; }

  // What a draw's trend gives a measure: its kappa, the pair's pooled level under it, and its
  // factor after the fit's last period.
  struct Trend {
    double kappa = 0, m = 0, factor = 1;
  };

  // Run i: the observed history up to the panel's end (filtering the latent rates), then draws.
  void run(int i, std::vector<double>& y, std::vector<double>& x) const {
    const Params& py = params_[draw_of(i)][0];
    const Params& px = params_[draw_of(i)][1];
    const Trend& ty = trends_[draw_of(i)][0];
    const Trend& tx = trends_[draw_of(i)][1];
    const double my = ty.m, mx = tx.m;
    const double ry = detail::size_of(py, my, cal_.fits[0].dispersion_center);
    const double rx = detail::size_of(px, mx, cal_.fits[two_ ? 1 : 0].dispersion_center);
    double ey = detail::clamp_eta(my + py.delta), ex = detail::clamp_eta(mx + px.delta);
    for (int t = 0; t < observed_; ++t) {
      y[t] = s_.y[t];
      x[t] = s_.x ? s_.x[t] : 0.0;
      double ly = ay_.level, lx = ax_.level;
      if (panel_.exposure[t] > 0) ly = std::log1p(y[t]), lx = std::log1p(x[t]);
      const double ny = detail::next_eta(py, my, ey, ly, ay_.level, lx, ax_.level);
      const double nx = detail::next_eta(px, mx, ex, lx, ax_.level, ly, ay_.level);
      ey = ny, ex = nx;
    }
    Rng rng(o_.seed, static_cast<std::uint32_t>(i), 0, detail::kPurposeDyad + 5,
            static_cast<std::uint32_t>(pair_));
    for (int t = observed_; t < total_; ++t) {
      double factor = 1.0;
      int bound = -1;
      if (!panel_.yearly && cal_.exposure_scale != 1.0) {
        const int days = detail::days_in_month(panel_.first + t);
        factor = days / cal_.exposure_scale;
        if (bounded_) bound = days;
      }
      y[t] = detail::draw_nb(rng, factor * ty.factor * std::exp(ey), ry, bound);
      x[t] = (s_.x || two_) ? detail::draw_nb(rng, factor * tx.factor * std::exp(ex), rx, bound) : 0;
      const double ly = std::log1p(y[t]), lx = std::log1p(x[t]);
      const double ny = detail::next_eta(py, my, ey, ly, ay_.level, lx, ax_.level);
      const double nx = detail::next_eta(px, mx, ex, lx, ax_.level, ly, ay_.level);
      ey = ny, ex = nx;
    }
  }

 private:
  const panel::Panel& panel_;
  const Calibration& cal_;
  std::size_t pair_;
  const OutlookOptions& o_;
  int observed_ = 0, total_ = 0, draws_ = 1;
  PairSeries s_;
  bool two_ = false, bounded_ = false;
  Anchor ay_, ax_;
  std::vector<std::array<Params, 2>> params_;
  std::vector<std::array<Trend, 2>> trends_;

  // The fit window's exposure with the trend kappa: sum over its covered periods of f_t g_t.
  double trended_exposure(const MeasureFit& f, double kappa) const {
    double sum = 0;
    const double per_year = cal_.yearly ? 1.0 : 12.0;
    for (int t = 0; t < observed_; ++t)
      if (panel_.exposure[t] > 0)
        sum += panel_.exposure[t] / cal_.exposure_scale *
               std::exp(kappa * (panel_.first + t - f.trend_center) / per_year);
    return sum;
  }
  // How the pair's pooled log rate moves when the trend is kappa instead of the estimate:
  // m = log((Y + a) / (E + b)) pooled, log((Y + 0.5) / E) not.
  double level_shift(const MeasureFit& f, double kappa) const {
    if (kappa == f.trend) return 0.0;
    const double b = cal_.switches.pooling ? f.prior_b : 0.0;
    return std::log(trended_exposure(f, f.trend) + b) - std::log(trended_exposure(f, kappa) + b);
  }
  // The factor held after the fit's last period.
  double held_factor(const MeasureFit& f, double kappa) const {
    const double per_year = cal_.yearly ? 1.0 : 12.0;
    return std::exp(kappa * (cal_.until - 1 - f.trend_center) / per_year);
  }
};

// Log-likelihood of one documented event given a trajectory: a report is true with probability
// `reliability`, so a trajectory without a matching day in the event's months keeps the
// probability that the report is wrong, 1 - reliability.
double evidence_log_likelihood(const Evidence& ev, const std::vector<double>& y,
                               const std::vector<double>& x) {
  bool seen = false;
  for (int t = ev.period; t <= ev.last && !seen; ++t) seen = (ev.cooperative ? x[t] : y[t]) >= 1;
  return seen ? 0.0 : std::log(std::max(1e-12, 1.0 - ev.reliability));
}

}  // namespace

Outlook outlook(const panel::Panel& panel, const Calibration& cal, std::size_t pair,
                const QuestionSet& qs, const std::vector<Evidence>& evidence,
                const OutlookOptions& o) {
  const Simulator sim(panel, cal, pair, qs, evidence, o);
  Outlook out;
  for (const auto& q : qs.questions) out.ids.push_back(q.id);
  const int observed = sim.observed(), total = sim.total();
  out.first_reported = o.first_reported;
  out.periods = total - o.first_reported;
  out.runs = o.runs;
  out.draws = sim.draws();
  out.classes.assign(static_cast<std::size_t>(o.runs) * out.periods, 0);
  out.log_weight.assign(o.runs, 0.0);
  out.evidence_log_lik.assign(evidence.size(), std::vector<double>(o.runs, 0.0));
  const auto run = [&](int i, std::vector<double>& y, std::vector<double>& x) {
    sim.run(i, y, x);
    for (std::size_t e = 0; e < evidence.size(); ++e)
      out.evidence_log_lik[e][i] = evidence_log_likelihood(evidence[e], y, x);
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

ReplayedRun replay(const panel::Panel& panel, const Calibration& cal, std::size_t pair,
                   const QuestionSet& qs, const std::vector<Evidence>& evidence,
                   const OutlookOptions& o, int run) {
  if (run < 0 || run >= o.runs)
    throw InputError("run", 0, "run", "run " + std::to_string(run) + " is not one of the ensemble's " +
                                          std::to_string(o.runs) + " runs (0 to " + std::to_string(o.runs - 1) + ")");
  const Simulator sim(panel, cal, pair, qs, evidence, o);
  ReplayedRun out;
  out.run = run;
  out.draw = sim.draw_of(run);
  out.target_params = sim.params(out.draw)[0];
  out.partner_params = sim.params(out.draw)[1];
  out.first_simulated = sim.observed();
  out.target.assign(sim.total(), 0.0);
  out.partner.assign(sim.total(), 0.0);
  sim.run(run, out.target, out.partner);
  out.classes = classify(qs, out.target, out.partner, sim.observed());
  for (const auto& e : evidence) out.evidence_log_lik.push_back(evidence_log_likelihood(e, out.target, out.partner));
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
    // Every period before the as-of month is data: the pairs' anchors follow it, and the state is
    // filtered through it, while the parameters stay those of the year's fit (as in a backtest).
    Calibration at = cal;
    refresh_anchors(panel, &at, a);
    if (o.progress) o.progress("forecasting from " + panel.period_name(a), static_cast<int>(i),
                               static_cast<int>(o.as_of.size()));
    for (long pair : o.pairs) {
      OutlookOptions oo = o.outlook;
      oo.horizon = target;
      oo.first_reported = target;
      oo.conditioning = false;
      oo.observed_through = a;
      const Outlook r = outlook(panel, at, pair, qs, {}, oo);
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
    return ranked ? rps(p, r.observed, qs.order) : brier_score(p, r.observed);
  };
  for (int f = 0; f < 4; ++f) {
    for (const auto& r : out.rows) out.rps[f] += scores(r, f, true), out.brier[f] += scores(r, f, false);
    out.rps[f] /= out.rows.size();
    out.brier[f] /= out.rows.size();
    // The same resampled as-of months for both scores.
    std::vector<double> boot, boot_brier;
    Rng rng(o.outlook.seed, static_cast<std::uint32_t>(f), 0, detail::kPurposeDyad + 6, 0);
    const int m = static_cast<int>(o.as_of.size());
    for (int b = 0; b < 1000; ++b) {
      double sum = 0, sum_brier = 0;
      int n = 0;
      for (int j = 0; j < m; ++j) {
        const int a = o.as_of[rng.below(static_cast<std::uint32_t>(m))];
        for (const auto& r : out.rows)
          if (r.as_of == a) sum += scores(r, f, true), sum_brier += scores(r, f, false), ++n;
      }
      boot.push_back(sum / n);
      boot_brier.push_back(sum_brier / n);
    }
    std::sort(boot.begin(), boot.end());
    std::sort(boot_brier.begin(), boot_brier.end());
    out.rps_interval[f] = {boot[24], boot[974]};
    out.brier_interval[f] = {boot_brier[24], boot_brier[974]};
  }
  return out;
}

}  // namespace sphere::dyad

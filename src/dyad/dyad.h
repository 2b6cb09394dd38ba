// The dyadic count model: a negative-binomial log-linear autoregression with a filtered relation
// state, self- and cross-excitation, an exposure term and empirical-Bayes pooling across dyads
// (docs/MODEL.md, "Dyadic event model"). What `fit` estimates is exactly what `Forecaster`
// simulates. Also the baselines it is scored against and the proper scores (CRPS, log, Brier).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "panel/panel.h"

namespace sphere::dyad {

// Which mechanisms are on; a switched-off mechanism is fixed at zero and the rest re-estimated.
struct Switches {
  bool excitation = true;  // alpha: a month's own events raise the next month's rate
  bool cross = true;       // gamma: the partner series (the other measure, or the reverse dyad)
  bool pooling = true;     // dyad levels shrunk to the population (empirical Bayes)
  bool state = true;       // beta: the relation state carries over from month to month
  bool dispersion = true;  // rho: the NB size follows the dyad's level (busy dyads less overdispersed)
  bool trend = true;       // kappa: a trend in every dyad's rate alike (the panel's coverage drift)
  std::string name() const;  // "full", "no-excitation", ...
};

// The parameters shared by every series of one measure.
//   eta_t = m + delta + beta (eta_{t-1} - m - delta) + alpha (l_{t-1} - L) + gamma (c_{t-1} - C)
//   y_t ~ NB(mean = f_t exp(eta_t), size r_d)    (censored at the exposure when bounded)
//   log r_d = log_r + rho (m - m0)               (clamped to log_r's bounds)
// with l = log(1 + y), c = log(1 + partner), L and C their dyad means over the fit window,
// m the dyad's pooled log rate, m0 the median of m over the fit's pairs (MeasureFit::
// dispersion_center) and f_t the exposure factor.
struct Params {
  static constexpr int kCount = 6;
  double delta = 0, beta = 0, alpha = 0, gamma = 0, log_r = 0, rho = 0;
  std::array<double, kCount> as_array() const { return {delta, beta, alpha, gamma, log_r, rho}; }
  static Params from_array(const std::array<double, kCount>& a) {
    return {a[0], a[1], a[2], a[3], a[4], a[5]};
  }
  static const std::array<const char*, kCount>& names();
};

// One measure's estimate with its uncertainty.
struct MeasureFit {
  std::string measure;
  Params params;
  std::array<std::array<double, Params::kCount>, Params::kCount> covariance{};  // observed information^-1
  std::array<bool, Params::kCount> free{};  // false: fixed by a switch
  double prior_a = 0, prior_b = 0;          // Gamma(a, b) population prior of dyad rates
  double dispersion_center = 0;             // m0: the median pooled log rate of the fit's pairs
  // The common trend: every pair's expected count in period t is multiplied by
  // exp(trend * (t - trend_center) / periods per year), t held at the fit's last period beyond it
  // (trend_factor). Estimated first, from the panel's totals (a Poisson regression with a
  // Newey-West standard error), then treated as part of the exposure.
  double trend = 0, trend_se = 0, trend_center = 0;  // per year; trend_center: absolute period
  std::vector<double> trend_factors;  // its factor in each fit period (cache_trend), the last held
  double loglik = 0, loglik_null = 0;       // and of the model with beta = alpha = gamma = 0
  std::size_t observations = 0;
  int evaluations = 0;
  bool converged = false;
  std::string status;  // the optimiser's result
};

// Per-pair anchors of one measure: the pooled log rate and the window means.
struct Anchor {
  float m = 0, level = 0;  // m and L
};

// What the target series and its partner are.
struct Spec {
  std::string target;         // measure name
  std::string partner;        // measure name for undirected panels; "reverse" for directed
  Switches switches;
};
// The partner a measure gets when none is named: the reverse dyad in directed panels; in GDELT,
// days_positive for days_negative and the reverse.
std::string default_partner(const panel::Panel& panel, const std::string& target);

// A fitted model: both measures (target and partner; one when the partner is the reverse dyad).
struct Calibration {
  std::string panel_file, format, target, partner;
  bool directed = false, yearly = false;
  int first = 0, until = 0;  // panel periods [first, until) were used (absolute: month index or year)
  double exposure_scale = 1;  // exposure factor f_t = exposure_t / exposure_scale
  Switches switches;
  std::vector<MeasureFit> fits;                 // [0] target, [1] partner (undirected only)
  std::vector<std::vector<Anchor>> anchors;     // [measure][pair]
  std::size_t rows_used = 0;
  // rows_digest() of the panel's periods [first, until): which data (vintage) it was fitted on.
  std::string data_digest;
};

// The common trend's factor on measure `slot`'s expected counts in panel period t (an index from
// the panel's first period): 1 at the fit's trend_center, held at its value in the fit's last
// period for every later period (the trend is not extrapolated).
double trend_factor(const Calibration& calibration, int slot, int t);
// Fills every fit's trend_factors from its trend (after a fit or a read): forecasts look them up.
void cache_trend(Calibration* calibration);

// CRC-64 (ECMA-182, 16 hex digits) of a panel's contents in periods [0, periods): its measures'
// names, the periods' exposures and, for every pair with any non-zero value there, its name and
// values. Rows after `periods` and pairs that only appear later do not change it, so a panel read
// whole and one read up to `periods` agree when their earlier rows do.
std::string rows_digest(const panel::Panel& panel, int periods);

struct FitOptions {
  int until = 0;    // panel period index (exclusive) that ends the fit window; 0: the whole panel
  int threads = 1;  // likelihood summed in fixed chunks: the same bits for any count
};

// Fits the model on periods [0, until) of `panel`. Throws InputError on an unknown measure.
Calibration fit(const panel::Panel& panel, const Spec& spec, const FitOptions& options);

// Recomputes every pair's anchors (pooled level m, window mean L) from periods [0, until) with
// the calibration's population prior: the dyad levels follow the data to a forecast origin
// while the shared parameters stay those of the last fit.
void refresh_anchors(const panel::Panel& panel, Calibration* calibration, int until);

// Writes and reads the calibration file (JSON, with provenance). read_calibration checks that
// the file matches the panel (file name, format, measures, pairs, and the rows_digest of the rows
// before its vintage) and throws InputError naming the field otherwise.
std::string calibration_to_json(const Calibration& calibration, const panel::Panel& panel,
                                const std::string& command);
Calibration calibration_from_json(const std::string& text, const std::string& where,
                                  const panel::Panel& panel);

// ---------------------------------------------------------------------------------------------
// Predictive distributions and forecasting

// A predictive distribution of a count: pmf over 0..size()-1; mass beyond folded into the last.
using Pmf = std::vector<double>;

// The two series a pair contributes: target and partner (other measure or reverse dyad).
struct PairSeries {
  const float* y = nullptr;
  const float* x = nullptr;  // nullptr: zeros (a directed pair whose reverse never appears)
};
PairSeries pair_series(const panel::Panel& panel, const Calibration& calibration, std::size_t pair);
// The partner series' anchors: the other measure's, the reverse pair's in a directed panel, or
// zeros when there is no partner (a directed pair whose reverse never appears).
Anchor partner_anchor(const panel::Panel& panel, const Calibration& calibration, std::size_t pair);

// How many trajectories make a predictive distribution beyond one step, and the stream key.
struct ForecastOptions {
  int paths = 64;
  std::uint64_t seed = 1;
  int min_support = 0;  // unbounded counts: compute the pmf at least over 0..min_support-1
};

// Predictive pmfs of the target of `pair` for each horizon h (periods origin + h - 1), given
// data before `origin` (a panel period index). Parameters from `params` ([0] target, [1]
// partner). Horizon 1 is exact; later horizons average the NB pmf over simulated paths
// (Rao-Blackwellised), drawn from counter-based streams keyed by (seed, pair, origin, path).
std::vector<Pmf> forecast_pair(const panel::Panel& panel, const Calibration& calibration,
                               const std::vector<Params>& params, std::size_t pair, int origin,
                               const std::vector<int>& horizons, const ForecastOptions& options);

// Simulates the target and partner series of `pair` over periods [0, periods) from the model
// itself, replicate `rep` of the stream keyed by `seed`.
struct SimulatedPair {
  std::vector<int> target, partner;
};
SimulatedPair simulate_pair(const panel::Panel& panel, const Calibration& calibration,
                               const std::vector<Params>& params, std::size_t pair, int periods,
                               std::uint64_t seed, int rep);

// Posterior-predictive check of one pair: statistics of the observed series over the fit window
// against the same statistics of series simulated from the fitted model.
struct PredictiveCheck {
  std::string pair;
  struct Stat {
    std::string name;  // mean, variance, zeros, acf1
    double observed = 0, low = 0, median = 0, high = 0;  // simulated 2.5%, 50%, 97.5%
    bool inside() const { return observed >= low && observed <= high; }
  };
  std::vector<Stat> stats;
};
PredictiveCheck check_pair(const panel::Panel& panel, const Calibration& calibration,
                           std::size_t pair, int replicates, std::uint64_t seed);

// Whether a set of checks passes: under the model each statistic falls outside the range of
// `replicates` simulated values with probability `miss_rate` (for a continuous statistic, from
// the ranks of the range's ends among replicates + 1 values: about 5.5% for 200), so the misses
// of each statistic (mean, variance, zeros, acf1) over the pairs are compared with
// Binomial(pairs, miss_rate), and so are all misses together. The checks pass when no
// statistic's upper-tail p-value is below 0.05 / 4 (Bonferroni over the four). Statistics of one
// pair are correlated, so the pooled test is approximate.
struct ChecksSummary {
  struct Stat {
    std::string name;
    int inside = 0, total = 0;
    double expected_misses = 0, p_value = 1;
  };
  std::vector<Stat> stats;  // per statistic
  int inside = 0, total = 0;
  double miss_rate = 0, expected_misses = 0, p_value = 1;  // all statistics together
  bool pass = true;
};
ChecksSummary summarise_checks(const std::vector<PredictiveCheck>& checks, int replicates);

// Negative-binomial pmf over 0..n-1 (mass from n-1 on folded into the last cell when `fold`).
void nb_pmf(double mean, double r, int n, bool fold, double* out);

// ---------------------------------------------------------------------------------------------
// Scores (lower is better)

double crps(const Pmf& pmf, int y);        // exact for a discrete distribution
double log_score(const Pmf& pmf, int y);   // -log p(y); infinity where p(y) = 0
double exceedance(const Pmf& pmf, int threshold);  // P(Y > threshold)
// Nonrandomised PIT (Czado, Gneiting and Held 2009): adds the PIT's distribution function at
// u = 0.1, ..., 1.0 to `bins` (10 values), so that averaged differences give the histogram.
void add_pit(const Pmf& pmf, int y, std::array<double, 10>* bins);
// q-quantile of the distribution: the smallest k with F(k) >= q.
int quantile(const Pmf& pmf, double q);

// Ordinal classes of a count for the ranked probability score: 0, 1-2, 3-5, 6-10, more than 10
// (class k holds the counts in [kOrdinalEdges[k-1], kOrdinalEdges[k]); docs/MODEL.md says why).
inline constexpr std::array<int, 4> kOrdinalEdges = {1, 3, 6, 11};
inline constexpr std::array<const char*, 5> kOrdinalNames = {"0", "1-2", "3-5", "6-10", ">10"};
// Ranked probability score of the pmf's class probabilities against the class of y, divided by
// the number of classes less one (0: perfect, 1: all mass in the farthest class).
double ranked_probability_score(const Pmf& pmf, int y);

// ---------------------------------------------------------------------------------------------
// Backtest: rolling-origin forecasts of every pair, Sphere's model against baselines

// The conflictology baseline: a pooled negative-binomial regression of the count h periods ahead
// on the pair's last value and its mean over the last 12 periods (one fit per horizon), with the
// exposure as an offset. Fitted on periods before `until`.
struct NbArBaseline {
  struct Horizon {
    int h = 1;
    double a = 0, b = 0, c = 0, log_r = 0;
  };
  std::vector<Horizon> horizons;
  double exposure_scale = 1;
};
NbArBaseline fit_nb_ar(const panel::Panel& panel, int measure, int until,
                       const std::vector<int>& horizons, int threads);
Pmf nb_ar_predictive(const NbArBaseline& model, const panel::Panel& panel, int measure,
                     std::size_t pair, int origin, int h, int min_support = 0);

enum class Refit { kEvery, kYearly, kOnce };

// The proper scores of one forecast against its outcome.
struct ForecastScore {
  double crps = 0, log = 0, brier_q90 = 0, brier_fixed = 0, rps = 0;
  double p_fixed = 0, outcome_fixed = 0;  // P(Y > fixed threshold) and whether it happened
  std::array<double, 10> pit{};            // the PIT distribution function at 0.1, ..., 1
};
ForecastScore score_forecast(const Pmf& pmf, int y, int threshold_q90, int fixed_threshold);

// One forecast as the backtest makes it, with what it needs to be scored again later: the
// threshold of its exceedance score and the activity class of its pair (both from data before
// the origin), and its score when the panel holds the outcome.
struct ForecastRecord {
  int model = 0;  // index into BacktestResult::models
  int origin = 0, horizon = 0;  // panel period index of the origin; the target is origin + horizon - 1
  std::size_t pair = 0;
  int fitted_until = 0;  // panel period index that ended the fit window of its parameters
  int threshold_q90 = 0, activity = 0;
  const Pmf* pmf = nullptr;
  bool scored = false;  // false: the target period is beyond the panel
  int outcome = 0;
  ForecastScore score;
};

// "1,3,6,12" -> horizons in periods, each 1 to 120; throws InputError naming the request `field`.
std::vector<int> parse_horizons(const std::string& text, const std::string& field);

struct BacktestOptions {
  Spec spec;                       // target and partner; switches are set per model
  int origin_from = 0, origin_to = 0;  // panel period indices, inclusive
  std::vector<int> horizons = {1, 3, 6, 12};
  bool active_only = false;            // pairs with a non-zero value in the 12 periods before the origin
  std::vector<long> pairs;             // explicit pairs (empty: every pair with a row before the origin)
  Refit refit = Refit::kYearly;
  bool ablations = true;               // also score the model with each mechanism off
  int fixed_threshold = 0;             // Brier of P(Y > this)
  int bootstrap = 500;                 // block-bootstrap resamples (by target period)
  ForecastOptions forecast;
  int threads = 1;
  // Called with each forecast of the full model (for --forecasts-out), in a fixed order.
  std::function<void(int origin, int horizon, std::size_t pair, const Pmf& pmf)> on_forecast;
  // Called with every forecast of every model, scored or not (for the result store), in a fixed
  // order: origin, pair, model, horizon. Forecasts beyond the panel's end are made for every
  // model (true-future forecasts to be scored when newer data arrive).
  std::function<void(const ForecastRecord& record)> on_record;
  std::function<void(const std::string& what, int done, int total)> progress;
};

// Scores of one model, accumulated as forecasts stream past.
struct ModelScores {
  std::string name;
  struct ByHorizon {
    int h = 0;
    std::size_t n = 0, log_infinite = 0;
    double crps = 0, log = 0, brier_q90 = 0, brier_fixed = 0, rps = 0;
    std::array<double, 10> pit{};          // summed PIT distribution functions at 0.1..1
    std::array<double, 10> rel_p{}, rel_y{};  // reliability of P(Y > fixed) by decile of p
    std::array<std::size_t, 10> rel_n{};
    std::vector<double> crps_by_period;       // summed over pairs, by target period
    std::vector<double> rps_by_period;        // the same for the ranked probability score
    std::vector<std::size_t> n_by_period;
    std::array<double, 4> crps_by_activity{};  // pair's mean before the origin: 0, <=1, <=5, >5
    std::array<std::size_t, 4> n_by_activity{};
    // Empties the sums for horizon h over a panel of `periods` periods.
    void reset(int h, int periods);
    // Adds one scored forecast whose target is panel period `period`.
    void add(const ForecastScore& score, int period, int activity);
  };
  std::vector<ByHorizon> horizons;
};
// Activity class of a pair from its series before the origin: mean 0, <= 1, <= 5, > 5.
int activity_class(const float* y, int origin);

// A skill score of one model against another with its block-bootstrap interval and the
// Diebold–Mariano test (HAC variance, lag h - 1) on the per-period mean loss differences.
// With fewer than two target periods neither can be computed: low, high, dm and p_value are
// NaN and `no_interval` says why.
struct Skill {
  std::string model, baseline;
  int h = 0;
  double skill = 0, low = 0, high = 0;  // 1 - score_model / score_baseline, 95% interval
  double dm = 0, p_value = 1;
  int periods = 0;            // target periods the forecasts fall in
  std::string no_interval;    // empty, or why there is no interval
  std::string score = "crps";  // or "rps"
  bool has_interval() const { return no_interval.empty(); }
};
// The reason a skill with fewer than two target periods gives.
inline constexpr const char* kNoIntervalReason =
    "fewer than two target periods: no block-bootstrap interval or Diebold-Mariano test";

struct BacktestResult {
  std::string target;
  int origins = 0;
  std::size_t forecasts = 0;  // pair-origin-horizon forecasts of each model
  std::vector<ModelScores> models;  // [0] Sphere's full model
  std::vector<Skill> skills;        // Sphere against every other model, by horizon (CRPS)
  std::vector<Skill> rps_skills;    // the same for the ranked probability score
  std::vector<Calibration> fits;    // the full model's fit at each refit
  std::vector<NbArBaseline> nb_ar;  // the NB-AR baseline's fit at each refit
};

BacktestResult backtest(const panel::Panel& panel, const BacktestOptions& options);
// The names of the models a backtest with these options scores, in BacktestResult order.
std::vector<std::string> backtest_model_names(const BacktestOptions& options);

// Skills of models[0] against every other model at each horizon (as BacktestResult::skills, or
// rps_skills with score "rps").
std::vector<Skill> skills_of(const std::vector<ModelScores>& models, int resamples,
                             std::uint64_t seed, const std::string& score = "crps");

// Where a backtest's results come from, for their JSON form.
struct BacktestProvenance {
  std::string command;         // the command line
  std::string created;         // UTC time, ISO 8601
  std::string panel_digest;    // CRC-64 of the panel file's bytes (file_digest)
  std::uintmax_t panel_bytes = 0;
  std::string data_through;    // the panel's last period
  std::string refit, horizons; // as given
  int fixed_threshold = 0;
};
// CRC-64 (ECMA-182) of a file's bytes, as 16 hex digits; throws InputError when unreadable.
std::string file_digest(const std::string& path);

// The JSON form of a backtest (what `sphere backtest --json` prints and a model directory may
// ship as backtest.json): every model's scores by horizon with the PIT histogram and reliability
// bins, the skills and the full model's fits.
std::string backtest_to_json(const BacktestResult& result, const panel::Panel& panel,
                             const BacktestProvenance& provenance);

// What a report shows of a backtest, read back from its JSON form.
struct BacktestSummary {
  std::string kind = "count";  // or "level": no Brier scores, reliability or fixed threshold
  std::string panel, target, command, created, panel_digest, data_through, refit;
  std::uintmax_t panel_bytes = 0;
  int origins = 0;
  std::size_t forecasts = 0;
  int fixed_threshold = -1;  // -1: not recorded
  struct Horizon {
    int h = 0;
    std::size_t n = 0;
    double crps = 0, brier_q90 = 0, brier_fixed = 0;
    double rps = std::nan("");     // NaN: the file predates the ranked probability score
    std::array<double, 10> pit{};  // histogram: share of PIT mass in each tenth
    struct Bin {
      double p = 0, observed = 0;
      std::size_t n = 0;
    };
    std::vector<Bin> reliability;  // P(Y > fixed threshold) by tenth of p
  };
  struct Model {
    std::string name;
    std::vector<Horizon> horizons;
  };
  std::vector<Model> models;  // [0] Sphere's full model
  std::vector<Skill> skills, rps_skills;
};
// Reads backtest_to_json's output; throws InputError naming `where` and the field when a part
// the report needs is missing or malformed.
BacktestSummary backtest_summary_from_json(const std::string& text, const std::string& where);
// The same from a file (a model directory's backtest.json).
BacktestSummary read_backtest_summary(const std::string& path);

// ---------------------------------------------------------------------------------------------
// Levels: a real-valued measure (GDELT's sum_score, the coverage-weighted Goldstein sum) cannot
// take the count model. A pooled Gaussian autoregression on the pair's exposure-adjusted level
// z_t = y_t / f_t (docs/MODEL.md, "Level model"):
//   z_t = mu_d + phi (z_{t-1} - mu_d) + c sigma_d e_t,   e_t ~ N(0, 1)
//   sigma_d^2 = (n_d v_d + k vbar) / (n_d + k)
// with mu_d, v_d the pair's mean and variance of z over the window, n_d its periods, vbar the
// median of v_d over the pairs, and (phi, c, k) shared, estimated by maximum likelihood.

struct LevelParams {
  static constexpr int kCount = 3;
  double phi = 0, log_c = 0, log_k = 0;
  static const std::array<const char*, kCount>& names();
};

// A pair's anchors of the level model over a window: mean and variance of z, periods.
struct LevelAnchor {
  double mean = 0, variance = 0;
  int n = 0;
};

struct LevelFit {
  std::string measure;
  int first = 0, until = 0;       // absolute periods [first, until) were used
  double exposure_scale = 1;      // f_t = exposure_t / exposure_scale
  LevelParams params;         // bias-corrected (half-panel jackknife)
  LevelParams uncorrected;    // the maximum-likelihood estimate on the whole window
  // Of the maximum-likelihood estimate (observed information^-1); the standard errors of params.
  std::array<std::array<double, LevelParams::kCount>, LevelParams::kCount> covariance{};
  double prior_variance = 0;      // vbar
  double loglik = 0;           // at params
  std::size_t pairs = 0, observations = 0;
  int evaluations = 0;
  bool converged = false;
  std::string status;
};

// Fits the level model on periods [0, until) of `panel`: every pair with a non-zero value of the
// measure in the window. Throws InputError on an unknown measure or one that is a count.
LevelFit fit_levels(const panel::Panel& panel, const std::string& measure, int until);
// Every pair's anchors from periods [0, until), with the fit's exposure scale.
std::vector<LevelAnchor> level_anchors(const panel::Panel& panel, int measure, int until,
                                       double exposure_scale);

// A Gaussian predictive distribution.
struct Normal {
  double mean = 0, sd = 0;
};
// The level model's predictive of the measure at period origin + h - 1 from data before origin.
Normal level_predictive(const panel::Panel& panel, int measure, const LevelFit& fit,
                        const LevelAnchor& anchor, std::size_t pair, int origin, int h);

// CRPS of a Gaussian (closed form, Gneiting and Raftery 2007); sd <= 0: the absolute error.
double crps_normal(const Normal& forecast, double y);
// CRPS of the empirical distribution of `sample` (sorted ascending), exact:
// mean |x - y| - (1 / n^2) sum_i (2i - n - 1) x_(i).
double crps_sample(const std::vector<double>& sorted, double y);

// The robust level model, Sphere's level forecast (docs/MODEL.md, "Level model"): a hurdle with a
// Student-t body, on the pair's recent history weighted by w_s = lambda^(o-1-s) before origin o.
//   P(z != 0) = p = (n + k pbar) / (W + k),   n = sum of w over non-zero periods, W = sum of w
//   z | z != 0 ~ mu + s t_nu,   mu = weighted median of the non-zero z,
//   s^2 = c^2 (n mad^2 + k sbar^2) / (n + k),   mad = 1.4826 x weighted median |z - mu|
// pbar (the share of non-zero pair-periods) and sbar (the median pair's mad) are the window's.
// At each lambda of a grid (nu, c, k) maximise the one-step predictive likelihood over the
// window; lambda is the grid value whose mean one-step CRPS there is least, and (nu, c, k) are
// then re-estimated at it by minimum CRPS (the score the forecasts are judged by).
struct HurdleParams {
  static constexpr int kCount = 3;
  double log_nu = 0, log_c = 0, log_k = 0;
  static const std::array<const char*, kCount>& names();
};

struct HurdleFit {
  std::string measure;
  int first = 0, until = 0;   // absolute periods [first, until) were used
  double exposure_scale = 1;  // f_t = exposure_t / exposure_scale
  double lambda = 1;          // the recency weight, from the grid
  double lambda_low = 1, lambda_high = 1;  // grid values within the 95% profile-likelihood region
  struct ProfilePoint {
    double lambda = 1, loglik = 0, crps = 0;  // the likelihood's maximum and the CRPS there
  };
  std::vector<ProfilePoint> profile;
  HurdleParams params;             // minimum CRPS at lambda: what forecasts
  HurdleParams likelihood_params;  // maximum likelihood at lambda, for comparison
  // Of params at lambda (the sandwich H^-1 J H^-1 of the mean CRPS, clustered by pair; central
  // differences; zero where at a bound).
  std::array<std::array<double, HurdleParams::kCount>, HurdleParams::kCount> covariance{};
  double nonzero_share = 0, prior_scale = 0;  // pbar, sbar
  double crps = 0;    // the mean one-step CRPS at params (units of the measure)
  double loglik = 0;  // the one-step log-likelihood at params
  std::size_t pairs = 0, observations = 0;
  int evaluations = 0;
  bool converged = false;
  std::string status;
};

// Fits the robust level model on periods [0, until) (every pair with a non-zero value in the
// window; each period from the pair's second with a non-zero value before it is one term).
HurdleFit fit_level_hurdle(const panel::Panel& panel, const std::string& measure, int until);

// The predictive of Y = f z: zero with probability 1 - nonzero, else location + scale t_nu.
struct HurdleForecast {
  double nonzero = 1, location = 0, scale = 0, nu = 5;
  double mean() const { return nonzero * location; }
};
HurdleForecast level_hurdle_predictive(const panel::Panel& panel, int measure, const HurdleFit& fit,
                                       std::size_t pair, int origin, int h);
// The same at each of `horizons`: the pair's summary is computed once.
std::vector<HurdleForecast> level_hurdle_predictives(const panel::Panel& panel, int measure,
                                                     const HurdleFit& fit, std::size_t pair, int origin,
                                                     const std::vector<int>& horizons);
// Closed form (the Student-t CRPS of Jordan, Krueger and Lerch 2019, mixed with the atom):
// CRPS = q|y| + p A(y) - q p A(0) - p^2 s C_nu, with q = 1 - p, A(y) = E|X - y| of the t body.
double crps_hurdle(const HurdleForecast& forecast, double y);
// P(Y < y) and P(Y = y).
std::pair<double, double> hurdle_cdf(const HurdleForecast& forecast, double y);
// crps_hurdle and hurdle_cdf of forecasts sharing one nu (a fit's), with the t body's constants
// computed once and its CDF evaluated once for both: the same numbers, for a backtest's
// hundreds of thousands of forecasts. A forecast of another nu is scored as crps_hurdle would.
class HurdleScorer {
 public:
  explicit HurdleScorer(double nu);
  ~HurdleScorer();
  struct Score {
    double crps = 0, below = 0, at = 0;  // CRPS, P(Y < y), P(Y = y)
  };
  Score operator()(const HurdleForecast& forecast, double y) const;

 private:
  struct Body;
  std::unique_ptr<Body> body_;
};
// The u-quantile, 0 < u < 1.
double hurdle_quantile(const HurdleForecast& forecast, double u);

// The AR baseline on levels: a pooled least-squares regression of y_{t+h-1} on the pair's last
// value and its mean over the last 12 periods (one fit per horizon), with a Gaussian predictive
// whose variance is the pair's mean squared residual shrunk towards the median pair's with one
// pseudo-observation.
struct LevelArBaseline {
  struct Horizon {
    int h = 1;
    double a = 0, b = 0, c = 0;
    std::vector<double> variance;  // per pair; the median pair's where the pair had no row
  };
  std::vector<Horizon> horizons;
};
LevelArBaseline fit_level_ar(const panel::Panel& panel, int measure, int until,
                             const std::vector<int>& horizons);
Normal level_ar_predictive(const LevelArBaseline& model, const panel::Panel& panel, int measure,
                           std::size_t pair, int origin, int h);

struct LevelBacktestOptions {
  std::string target;
  int origin_from = 0, origin_to = 0;  // panel period indices, inclusive
  std::vector<int> horizons = {1, 3, 6, 12};
  std::vector<long> pairs;             // empty: every pair with a row before the origin
  bool active_only = false;
  Refit refit = Refit::kYearly;
  int bootstrap = 500;
  std::uint64_t seed = 1;
  int threads = 1;
  // Called with the robust level model's forecast of every pair, origin and horizon, in a fixed
  // order.
  std::function<void(int origin, int horizon, std::size_t pair, const HurdleForecast& forecast)> on_forecast;
  std::function<void(const std::string& what, int done, int total)> progress;
};

struct LevelBacktestResult {
  std::string target;
  int origins = 0;
  std::size_t forecasts = 0;        // scored forecasts of each model
  std::vector<ModelScores> models;  // [0] the robust level model; then the Gaussian AR and the
                                    // baselines (CRPS and PIT only)
  std::vector<Skill> skills;        // the robust level model against every other, by horizon
  std::vector<HurdleFit> hurdle_fits;  // at each refit
  std::vector<LevelFit> fits;          // the Gaussian AR's, at each refit
};
// The names of the models a level backtest scores, in LevelBacktestResult order.
std::vector<std::string> level_backtest_model_names();
LevelBacktestResult backtest_levels(const panel::Panel& panel, const LevelBacktestOptions& options);
std::string level_backtest_to_json(const LevelBacktestResult& result, const panel::Panel& panel,
                                   const BacktestProvenance& provenance);

// ---------------------------------------------------------------------------------------------
// Scenarios as forecasting questions on the estimated model's observables

// A scenario is a question on one pair's observable over a window of `window` periods:
//   negative_share = sum of target / (sum of target + sum of partner)   (GDELT: hostile days
//                    among hostile and friendly days)
//   target_sum     = sum of target
// `path` "any": the scenario holds from the first window that meets the criterion on (first
// passage); "end": it holds while the latest window meets it. Scenarios are tried in order; the
// last one, with no criterion, is "otherwise", which makes them exhaustive.
struct Question {
  std::string id, name;
  std::string observable;  // negative_share | target_sum; empty for "otherwise"
  bool at_least = true;    // criterion: observable >= threshold (false: <=)
  double threshold = 0;
  bool any = false;        // path predicate: first passage (true) or state at t (false)
  std::string resolution, source, quote;
  int line = 0;
  // What the scenario's text claims that the estimated model does not represent (printed with
  // the forecast, so that no one reads the probability as covering it).
  std::string not_modelled;
};
struct QuestionSet {
  std::string file;
  std::string pair_a, pair_b;  // panel codes of the pair the questions are about
  int window = 12;
  std::vector<Question> questions;  // the last is "otherwise"
  std::vector<int> order;           // question indices from mildest to most severe (`order`)
  // First month whose class is reported (`report_from`, YYYY-MM; empty: the first simulated
  // month): where the documented record ends, so that the curves start at "today".
  std::string report_from;
  int report_from_line = 0;
};
// Reads DIR/questions.toml. Every question needs a resolution source; a window longer than the
// horizon, an unknown observable or a missing "otherwise" is an InputError naming file, line
// and field.
QuestionSet read_questions(const std::string& model_dir);

// The class of every period t >= window - 1 of a (target, partner) history: the index of the
// first question that holds at t (path predicates applied from `from` on).
std::vector<int> classify(const QuestionSet& questions, const std::vector<double>& target,
                          const std::vector<double>& partner, int from);

// A documented event used to condition the ensemble: in some period of [period, last] (panel
// indices; a year-dated event spans its twelve months) the partner (cooperative) or target
// (hostile) series had at least one day, reported with `reliability`.
struct Evidence {
  std::string id;
  int period = 0, last = 0;
  bool cooperative = false;
  double reliability = 0.7;
};

struct OutlookOptions {
  int runs = 4000;            // trajectories
  int parameter_draws = 40;   // batches, each with its own draw of the parameters (1: fixed)
  bool sample_parameters = true;
  int horizon = 0;            // last simulated period (panel index, beyond the panel's end)
  int first_reported = 0;     // first period whose class is reported
  std::uint64_t seed = 1;
  int threads = 1;
  bool excitation = true, cross = true, conditioning = true;  // mechanisms (interventions)
  // Periods observed before the simulation starts (panel index, exclusive; 0: the calibration's
  // vintage). Later than the vintage, the calibration's anchors must be of that window
  // (refresh_anchors), as a backtest's are between refits.
  int observed_through = 0;
};

// The ensemble of one configuration: per trajectory its parameter draw, importance weight
// pieces and class path.
struct Outlook {
  std::vector<std::string> ids;  // scenario ids
  int first_reported = 0, periods = 0;  // reported periods [first_reported, first_reported + periods)
  int runs = 0, draws = 0;
  std::vector<std::uint8_t> classes;     // [run][period]
  std::vector<double> log_weight;        // [run]: log-likelihood of all evidence
  std::vector<std::vector<double>> evidence_log_lik;  // [evidence][run]
  // P(class k at period t), weighted; [k][t]
  std::vector<std::vector<double>> probability;
  // 95% Monte Carlo interval (normal approximation with the effective sample size) and the
  // parameter-uncertainty interval (2.5–97.5% of the per-draw probabilities), [k][t].
  std::vector<std::vector<double>> mc_low, mc_high, param_low, param_high;
  double effective_runs = 0;
};
Outlook outlook(const panel::Panel& panel, const Calibration& calibration, std::size_t pair,
                const QuestionSet& questions, const std::vector<Evidence>& evidence,
                const OutlookOptions& options);
// One trajectory of an outlook, replayed alone: exactly run `run` of outlook(…, options) (same
// parameter draw, same random numbers), with its simulated series.
struct ReplayedRun {
  int run = 0, draw = 0;
  Params target_params, partner_params;  // the draw's parameters
  int first_simulated = 0;               // periods before it are the panel's observations
  std::vector<double> target, partner;   // periods 0..horizon
  std::vector<int> classes;              // classify(…, first_simulated) of the series
  std::vector<double> evidence_log_lik;  // per evidence item (0: a matching day was simulated)
};
// Throws InputError naming "run" when `run` is not in [0, options.runs).
ReplayedRun replay(const panel::Panel& panel, const Calibration& calibration, std::size_t pair,
                   const QuestionSet& questions, const std::vector<Evidence>& evidence,
                   const OutlookOptions& options, int run);

// Interventional attribution: the outlook re-run with common random numbers for every subset of
// the mechanisms (self-excitation, cross-excitation, conditioning on documented events), and
// each mechanism's Shapley value for P(class k at the last period).
struct Attribution {
  std::vector<std::string> mechanisms;
  std::vector<std::vector<double>> shapley;  // [mechanism][k]
  std::vector<double> all_off;               // P(k) with every mechanism off
};
// Runs with both excitations on are those of `full` when given (the forecast already made with
// `options`), so attribution costs three more simulations; conditioning on and off come from the
// same trajectories (it only weights them).
Attribution attribute(const panel::Panel& panel, const Calibration& calibration, std::size_t pair,
                      const QuestionSet& questions, const std::vector<Evidence>& evidence,
                      const OutlookOptions& options, const Outlook* full = nullptr);
// Hindcast of the scenario questions on the panel itself: from each as-of period, using only
// data before it (refitted once a year), the class of the window ending lead - 1 periods later
// is forecast for every pair asked, and scored with the ranked probability score (classes in
// `order`) and the Brier score against uniform, climatology (each class's frequency among the
// pair's windows before the as-of period) and persistence (the class of the last window).
struct HindcastOptions {
  std::vector<int> as_of;          // panel periods
  int lead = 12;
  std::vector<long> pairs;
  OutlookOptions outlook;          // runs, draws, seed, threads (horizon set per as-of)
  Spec spec;
  std::function<void(const std::string&, int, int)> progress;
};
struct HindcastRow {
  int as_of = 0, target = 0;
  std::size_t pair = 0;
  int observed = 0;                    // the class that happened
  std::vector<double> forecast;        // P(class), in question order
  std::vector<double> climatology;
  int persistence = 0;
};
struct HindcastResult {
  std::vector<HindcastRow> rows;
  // Mean RPS and Brier of each forecaster: model, uniform, climatology, persistence.
  std::array<double, 4> rps{}, brier{};
  std::array<std::array<double, 2>, 4> rps_interval{}, brier_interval{};  // bootstrap over as-of periods, 95%
};
HindcastResult hindcast(const panel::Panel& panel, const QuestionSet& questions,
                        const HindcastOptions& options);

// Re-weights an outlook without evidence item `skip` (-1: with all) and returns P(class k at
// the last period) for each k.
std::vector<double> reweighted_final(const Outlook& outlook, int skip);
// The same without every evidence item marked in `excluded` (one flag per item).
std::vector<double> reweighted_final(const Outlook& outlook, const std::vector<bool>& excluded);
// Recomputes the outlook's weights, probabilities and intervals with the evidence items marked
// in `excluded` left out (all marked: the unconditioned forecast of the same trajectories).
void summarise(Outlook& outlook, const std::vector<bool>& excluded);

}  // namespace sphere::dyad

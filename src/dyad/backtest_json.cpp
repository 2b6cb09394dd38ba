// The JSON form of a backtest's results: printed by `sphere backtest --json`, shipped by a model
// directory as backtest.json (the report shows it), and stored with each scoring in the result
// store.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dyad/dyad.h"

namespace sphere::dyad {
namespace {

// Where a backtest's results come from (the count and the level forms share it).
nlohmann::json provenance_json(const BacktestProvenance& p) {
  return {{"command", p.command},       {"created", p.created},       {"panel_digest", p.panel_digest},
          {"panel_bytes", p.panel_bytes}, {"data_through", p.data_through}, {"refit", p.refit},
          {"horizons", p.horizons}};
}

using nlohmann::json;

json scores_json(const ModelScores& m) {
  json out = json::array();
  for (const auto& h : m.horizons) {
    json pit = json::array(), rel = json::array();
    double prev = 0;
    for (int i = 0; i < 10; ++i) {
      const double F = h.n ? h.pit[i] / h.n : 0;
      pit.push_back(F - prev);
      prev = F;
      if (h.rel_n[i])
        rel.push_back({{"p", h.rel_p[i] / h.rel_n[i]}, {"observed", h.rel_y[i] / h.rel_n[i]},
                       {"n", h.rel_n[i]}});
    }
    json activity = json::array();
    static const char* bins[] = {"0", "(0,1]", "(1,5]", ">5"};
    for (int a = 0; a < 4; ++a)
      activity.push_back({{"mean_before_origin", bins[a]}, {"n", h.n_by_activity[a]},
                          {"crps", h.n_by_activity[a] ? h.crps_by_activity[a] / h.n_by_activity[a] : 0.0}});
    out.push_back({{"horizon", h.h},
                   {"n", h.n},
                   {"crps", h.n ? h.crps / h.n : 0.0},
                   {"log_score", h.log_infinite || !h.n ? json(nullptr) : json(h.log / h.n)},
                   {"zero_probability_outcomes", h.log_infinite},
                   {"brier_q90", h.n ? h.brier_q90 / h.n : 0.0},
                   {"brier_fixed", h.n ? h.brier_fixed / h.n : 0.0},
                   {"rps", h.n ? h.rps / h.n : 0.0},
                   {"pit_histogram", pit},
                   {"reliability", rel},
                   {"by_activity", activity}});
  }
  return out;
}

// The value at `key` of `j` as T, or an InputError naming the field.
template <class T>
T field(const json& j, const char* key, const std::string& where, const std::string& path) {
  if (!j.is_object() || !j.contains(key))
    throw InputError(where, 0, path + key, "missing");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw InputError(where, 0, path + key, "has the wrong type");
  }
}

json skills_json(const std::vector<Skill>& skills) {
  json out = json::array();
  for (const auto& s : skills) {
    json k = {{"model", s.model}, {"baseline", s.baseline}, {"score", s.score}, {"horizon", s.h},
              {"skill", s.skill}, {"target_periods", s.periods}};
    if (s.has_interval()) {
      k["low"] = s.low;
      k["high"] = s.high;
      k["dm"] = s.dm;
      k["p_value"] = s.p_value;
    } else {
      k["low"] = k["high"] = k["dm"] = k["p_value"] = nullptr;
      k["no_interval"] = s.no_interval;
    }
    out.push_back(k);
  }
  return out;
}

// A number that may be null (no interval): NaN then.
double number_or_nan(const json& j, const char* key, const std::string& where, const std::string& path) {
  if (j.is_object() && j.contains(key) && j.at(key).is_null()) return std::nan("");
  return field<double>(j, key, where, path);
}

std::vector<Skill> skills_from(const json& skills, const std::string& where, const char* name) {
  if (!skills.is_array()) throw InputError(where, 0, name, "expected a list");
  std::vector<Skill> out;
  for (std::size_t k = 0; k < skills.size(); ++k) {
    const std::string at = fmt::format("{}[{}].", name, k);
    Skill sk;
    sk.model = field<std::string>(skills[k], "model", where, at);
    sk.baseline = field<std::string>(skills[k], "baseline", where, at);
    if (skills[k].contains("score")) sk.score = field<std::string>(skills[k], "score", where, at);
    sk.h = field<int>(skills[k], "horizon", where, at);
    sk.skill = field<double>(skills[k], "skill", where, at);
    sk.low = number_or_nan(skills[k], "low", where, at);
    sk.high = number_or_nan(skills[k], "high", where, at);
    sk.dm = number_or_nan(skills[k], "dm", where, at);
    sk.p_value = number_or_nan(skills[k], "p_value", where, at);
    if (skills[k].contains("target_periods")) sk.periods = field<int>(skills[k], "target_periods", where, at);
    if (skills[k].contains("no_interval")) sk.no_interval = field<std::string>(skills[k], "no_interval", where, at);
    if (sk.no_interval.empty() && !(std::isfinite(sk.low) && std::isfinite(sk.high)))
      throw InputError(where, 0, at + "low", "no interval and no reason for its absence");
    out.push_back(sk);
  }
  return out;
}

}  // namespace

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot read the file");
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, ~0ULL, ~0ULL, true, true> crc;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    crc.process_bytes(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  return fmt::format("{:016x}", crc.checksum());
}

std::string backtest_to_json(const BacktestResult& r, const panel::Panel& p,
                             const BacktestProvenance& provenance) {
  json models = json::array(), fits = json::array();
  for (const auto& m : r.models) models.push_back({{"model", m.name}, {"horizons", scores_json(m)}});
  for (const auto& c : r.fits) {
    json f = json::parse(calibration_to_json(c, p, ""));
    f.erase("anchors");
    fits.push_back(f);
  }
  // The baseline's coefficients, so that anyone can recompute its forecasts.
  json nb_ar = json::array();
  for (const auto& b : r.nb_ar) {
    json hs = json::array();
    for (const auto& h : b.horizons)
      hs.push_back({{"horizon", h.h}, {"a", h.a}, {"b", h.b}, {"c", h.c}, {"log_r", h.log_r}});
    nb_ar.push_back({{"exposure_scale", b.exposure_scale}, {"horizons", hs}});
  }
  // The panel's file name, as the calibration file names it: where it lies is the user's.
  json out = {{"panel", std::filesystem::path(p.file).filename().string()}, {"target", r.target}, {"origins", r.origins},
              {"forecasts_per_model", r.forecasts}, {"models", models},
              {"skill", skills_json(r.skills)}, {"rps_skill", skills_json(r.rps_skills)},
              {"rps_classes", kOrdinalNames}, {"fits", fits}, {"nb_ar", nb_ar}};
  out["provenance"] = provenance_json(provenance);
  out["provenance"]["fixed_threshold"] = provenance.fixed_threshold;
  return out.dump(2) + "\n";
}

std::string level_backtest_to_json(const LevelBacktestResult& r, const panel::Panel& p,
                                   const BacktestProvenance& provenance) {
  json models = json::array(), fits = json::array();
  for (const auto& m : r.models) {
    json horizons = json::array();
    for (const auto& h : m.horizons) {
      json pit = json::array();
      double prev = 0;
      for (int i = 0; i < 10; ++i) {
        const double F = h.n ? h.pit[i] / h.n : 0;
        pit.push_back(F - prev);
        prev = F;
      }
      horizons.push_back({{"horizon", h.h}, {"n", h.n}, {"crps", h.n ? h.crps / h.n : 0.0},
                          {"pit_histogram", pit}});
    }
    models.push_back({{"model", m.name}, {"horizons", horizons}});
  }
  for (const auto& f : r.fits) {
    json params = json::object();
    for (int i = 0; i < LevelParams::kCount; ++i) {
      const std::array<double, 3> v = {f.params.phi, f.params.log_c, f.params.log_k};
      const double var = f.covariance[i][i];
      const std::array<double, 3> ml = {f.uncorrected.phi, f.uncorrected.log_c, f.uncorrected.log_k};
      params[LevelParams::names()[i]] = {{"estimate", v[i]},
                                         {"maximum_likelihood", ml[i]},
                                         {"se", var > 0 ? json(std::sqrt(var)) : json(nullptr)}};
    }
    fits.push_back({{"fitted_before", p.period_name(f.until - p.first)}, {"params", params},
                    {"prior_variance", f.prior_variance}, {"exposure_scale", f.exposure_scale},
                    {"loglik", f.loglik}, {"pairs", f.pairs}, {"observations", f.observations},
                    {"evaluations", f.evaluations}, {"status", f.status}});
  }
  json hurdle_fits = json::array();
  for (const auto& f : r.hurdle_fits) {
    json params = json::object();
    const std::array<double, HurdleParams::kCount> v = {f.params.log_nu, f.params.log_c, f.params.log_k};
    for (int i = 0; i < HurdleParams::kCount; ++i) {
      const double var = f.covariance[i][i];
      params[HurdleParams::names()[i]] = {{"estimate", v[i]}, {"se", var > 0 ? json(std::sqrt(var)) : json(nullptr)}};
    }
    json profile = json::array();
    for (const auto& point : f.profile)
      profile.push_back({{"lambda", point.lambda}, {"loglik", point.loglik}, {"crps", point.crps}});
    json likelihood = json::object();
    const std::array<double, HurdleParams::kCount> ml = {f.likelihood_params.log_nu, f.likelihood_params.log_c,
                                                         f.likelihood_params.log_k};
    for (int i = 0; i < HurdleParams::kCount; ++i) likelihood[HurdleParams::names()[i]] = ml[i];
    hurdle_fits.push_back({{"fitted_before", p.period_name(f.until - p.first)}, {"params", params},
                           {"lambda", f.lambda}, {"lambda_region", {f.lambda_low, f.lambda_high}},
                           {"profile", profile}, {"likelihood_params", likelihood}, {"crps", f.crps},
                           {"nonzero_share", f.nonzero_share},
                           {"prior_scale", f.prior_scale}, {"exposure_scale", f.exposure_scale},
                           {"loglik", f.loglik}, {"pairs", f.pairs}, {"observations", f.observations},
                           {"evaluations", f.evaluations}, {"status", f.status}});
  }
  json out = {{"panel", std::filesystem::path(p.file).filename().string()}, {"target", r.target},
              {"kind", "level"}, {"origins", r.origins}, {"forecasts_per_model", r.forecasts},
              {"models", models}, {"skill", skills_json(r.skills)}, {"level_fits", hurdle_fits},
              {"fits", fits},
              {"not_applicable", "the count model's ablations (excitation, cross-excitation, "
                                 "pooling, relation state) and the count scores (log score of a "
                                 "pmf, Brier of exceedances, ranked probability score of count "
                                 "classes)"}};
  out["provenance"] = provenance_json(provenance);
  return out.dump(2) + "\n";
}

BacktestSummary backtest_summary_from_json(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond a double (1e999).
    throw InputError(where, 0, "", std::string("not JSON: ") + e.what());
  }
  BacktestSummary s;
  s.panel = field<std::string>(j, "panel", where, "");
  s.target = field<std::string>(j, "target", where, "");
  s.origins = field<int>(j, "origins", where, "");
  s.forecasts = field<std::size_t>(j, "forecasts_per_model", where, "");
  // A level's backtest has no exceedance probabilities: no Brier scores and no reliability.
  s.kind = j.contains("kind") ? field<std::string>(j, "kind", where, "") : "count";
  if (s.kind != "count" && s.kind != "level") throw InputError(where, 0, "kind", "expected count or level");
  const bool level = s.kind == "level";
  // Files written before the provenance block existed still read; the report says it is absent.
  s.fixed_threshold = -1;
  if (j.contains("provenance")) {
    const json& p = j["provenance"];
    s.command = field<std::string>(p, "command", where, "provenance.");
    s.created = field<std::string>(p, "created", where, "provenance.");
    s.panel_digest = field<std::string>(p, "panel_digest", where, "provenance.");
    s.panel_bytes = field<std::uintmax_t>(p, "panel_bytes", where, "provenance.");
    s.data_through = field<std::string>(p, "data_through", where, "provenance.");
    s.refit = field<std::string>(p, "refit", where, "provenance.");
    if (!level) s.fixed_threshold = field<int>(p, "fixed_threshold", where, "provenance.");
  }
  const auto models = field<json>(j, "models", where, "");
  if (!models.is_array() || models.empty()) throw InputError(where, 0, "models", "expected a non-empty list");
  for (std::size_t m = 0; m < models.size(); ++m) {
    const std::string at = fmt::format("models[{}].", m);
    BacktestSummary::Model model;
    model.name = field<std::string>(models[m], "model", where, at);
    const auto horizons = field<json>(models[m], "horizons", where, at);
    if (!horizons.is_array()) throw InputError(where, 0, at + "horizons", "expected a list");
    for (std::size_t k = 0; k < horizons.size(); ++k) {
      const std::string hat = fmt::format("{}horizons[{}].", at, k);
      const json& h = horizons[k];
      BacktestSummary::Horizon out;
      out.h = field<int>(h, "horizon", where, hat);
      out.n = field<std::size_t>(h, "n", where, hat);
      out.crps = field<double>(h, "crps", where, hat);
      if (!level) {
        out.brier_q90 = field<double>(h, "brier_q90", where, hat);
        out.brier_fixed = field<double>(h, "brier_fixed", where, hat);
      }
      if (h.contains("rps")) out.rps = field<double>(h, "rps", where, hat);
      const auto pit = field<std::vector<double>>(h, "pit_histogram", where, hat);
      if (pit.size() != 10) throw InputError(where, 0, hat + "pit_histogram", "expected 10 bins");
      std::copy(pit.begin(), pit.end(), out.pit.begin());
      if (level) {
        model.horizons.push_back(std::move(out));
        continue;
      }
      const auto rel = field<json>(h, "reliability", where, hat);
      if (!rel.is_array()) throw InputError(where, 0, hat + "reliability", "expected a list");
      for (const auto& b : rel)
        out.reliability.push_back({field<double>(b, "p", where, hat + "reliability."),
                                   field<double>(b, "observed", where, hat + "reliability."),
                                   field<std::size_t>(b, "n", where, hat + "reliability.")});
      model.horizons.push_back(std::move(out));
    }
    s.models.push_back(std::move(model));
  }
  s.skills = skills_from(field<json>(j, "skill", where, ""), where, "skill");
  // Files written before the ranked probability score have no rps_skill.
  if (j.contains("rps_skill")) s.rps_skills = skills_from(j["rps_skill"], where, "rps_skill");
  return s;
}

BacktestSummary read_backtest_summary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot read the file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return backtest_summary_from_json(text, path);
}

}  // namespace sphere::dyad

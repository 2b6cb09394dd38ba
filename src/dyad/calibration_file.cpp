// The calibration file: estimates, covariance, anchors and provenance, as JSON.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dyad/dyad.h"

namespace sphere::dyad {

using nlohmann::json;

std::string rows_digest(const panel::Panel& panel, int periods) {
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, ~0ULL, ~0ULL, true, true> crc;
  auto text = [&](const std::string& s) { crc.process_bytes(s.data(), s.size() + 1); };  // with NUL
  const int n = std::clamp(periods, 0, panel.periods);
  for (const auto& m : panel.measures) text(m.name);
  for (int t = 0; t < n; ++t) crc.process_bytes(&panel.exposure[t], sizeof(double));
  const std::size_t k = panel.measures.size();
  for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
    bool any = false;
    for (std::size_t m = 0; m < k && !any; ++m)
      for (int t = 0; t < n && !any; ++t) any = panel.value(d, m, t) != 0.0f;
    if (!any) continue;
    text(panel.pair_name(d));
    for (std::size_t m = 0; m < k; ++m) crc.process_bytes(panel.series(d, m), n * sizeof(float));
  }
  return fmt::format("{:016x}", crc.checksum());
}

std::string calibration_to_json(const Calibration& cal, const panel::Panel& panel,
                                const std::string& command) {
  json j;
  j["sphere_calibration"] = 2;
  j["model"] = "negative-binomial log-linear autoregression with a filtered relation state";
  j["command"] = command;
  j["panel"] = {{"file", std::filesystem::path(cal.panel_file).filename().string()},
                {"format", cal.format},
                {"directed", cal.directed},
                {"yearly", cal.yearly},
                {"first", panel.period_name(0)},
                {"until", panel.period_name(cal.until - panel.first)},
                {"pairs", panel.pairs.size()},
                {"rows_used", cal.rows_used},
                {"digest", cal.data_digest}};
  j["target"] = cal.target;
  j["partner"] = cal.partner;
  j["switches"] = cal.switches.name();
  j["exposure_scale"] = cal.exposure_scale;
  json fits = json::array();
  for (const auto& f : cal.fits) {
    json jf;
    jf["measure"] = f.measure;
    const auto values = f.params.as_array();
    for (int i = 0; i < Params::kCount; ++i) {
      const double se = std::sqrt(std::max(0.0, f.covariance[i][i]));
      jf["params"][Params::names()[i]] = {{"value", values[i]}, {"se", se}, {"free", f.free[i]}};
    }
    jf["covariance"] = f.covariance;
    jf["prior"] = {{"a", f.prior_a}, {"b", f.prior_b}};
    jf["dispersion_center"] = f.dispersion_center;
    jf["trend"] = {{"value", f.trend}, {"se", f.trend_se}, {"center", f.trend_center}};
    jf["loglik"] = f.loglik;
    jf["loglik_null"] = f.loglik_null;
    jf["observations"] = f.observations;
    jf["evaluations"] = f.evaluations;
    jf["converged"] = f.converged;
    jf["status"] = f.status;
    fits.push_back(jf);
  }
  j["fits"] = fits;
  // Anchors of the pairs kept (every pair of the panel read).
  json anchors = json::object();
  for (std::size_t d = 0; d < panel.pairs.size(); ++d) {
    json a = json::array();
    for (const auto& measure : cal.anchors) a.push_back({measure[d].m, measure[d].level});
    anchors[panel.pair_name(d)] = a;
  }
  j["anchors"] = anchors;
  return j.dump(1);
}

Calibration calibration_from_json(const std::string& text, const std::string& where,
                                  const panel::Panel& panel) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond a double (1e999).
    throw InputError(where, 0, "", std::string("not JSON: ") + e.what());
  }
  const auto need = [&](const json& node, const char* key) -> const json& {
    if (!node.contains(key)) throw InputError(where, 0, key, "missing");
    return node.at(key);
  };
  // value() throws on anything but an object.
  if (!j.is_object() || !j["sphere_calibration"].is_number_integer())
    throw InputError(where, 0, "sphere_calibration", "not a Sphere calibration file");
  if (j["sphere_calibration"].get<long long>() != 2)
    throw InputError(where, 0, "sphere_calibration",
                     "a calibration file of another version (this Sphere reads version 2, whose NB "
                     "size follows the dyad's level); refit with `sphere calibrate`");
  Calibration cal;
  try {
    const json& p = need(j, "panel");
    cal.format = need(p, "format").get<std::string>();
    if (cal.format != panel::format_name(panel.format))
      throw InputError(where, 0, "panel.format",
                       "fitted on a " + cal.format + " panel, not " + panel::format_name(panel.format));
    const std::string file = need(p, "file").get<std::string>();
    if (file != std::filesystem::path(panel.file).filename().string())
      throw InputError(where, 0, "panel.file",
                       "fitted on '" + file + "', not on '" + panel.file + "'");
    cal.panel_file = panel.file;
    cal.directed = need(p, "directed").get<bool>();
    cal.yearly = need(p, "yearly").get<bool>();
    cal.first = panel.first;
    cal.until = panel.first + panel.period_of(need(p, "until").get<std::string>(), where);
    if (cal.until - panel.first > panel.periods)
      throw InputError(where, 0, "panel.until", "the panel read ends before the calibration's vintage");
    // The rows before the vintage must be the ones the fit saw: another release of the data
    // (revised counts, added pairs) under the same file name is another vintage.
    cal.data_digest = need(p, "digest").get<std::string>();
    const std::string here = rows_digest(panel, cal.until - panel.first);
    if (cal.data_digest != here)
      throw InputError(where, 0, "panel.digest",
                       "fitted on other data: the rows of '" + file + "' before " +
                           need(p, "until").get<std::string>() + " have digest " + here +
                           ", the calibration's " + cal.data_digest +
                           " (another vintage of the file); refit with `sphere calibrate`");
    cal.target = need(j, "target").get<std::string>();
    cal.partner = need(j, "partner").get<std::string>();
    if (panel.measure_index(cal.target) < 0)
      throw InputError(where, 0, "target", "the panel has no measure '" + cal.target + "'");
    cal.exposure_scale = need(j, "exposure_scale").get<double>();
    for (const json& jf : need(j, "fits")) {
      MeasureFit f;
      f.measure = need(jf, "measure").get<std::string>();
      std::array<double, Params::kCount> values{};
      for (int i = 0; i < Params::kCount; ++i) {
        const json& node = need(need(jf, "params"), Params::names()[i]);
        values[i] = need(node, "value").get<double>();
        f.free[i] = need(node, "free").get<bool>();
      }
      f.params = Params::from_array(values);
      f.covariance = need(jf, "covariance").get<decltype(f.covariance)>();
      f.prior_a = need(need(jf, "prior"), "a").get<double>();
      f.prior_b = need(need(jf, "prior"), "b").get<double>();
      f.dispersion_center = need(jf, "dispersion_center").get<double>();
      const json& trend = need(jf, "trend");
      f.trend = need(trend, "value").get<double>();
      f.trend_se = need(trend, "se").get<double>();
      f.trend_center = need(trend, "center").get<double>();
      f.loglik = need(jf, "loglik").get<double>();
      f.converged = need(jf, "converged").get<bool>();
      f.status = jf.value("status", "");
      cal.fits.push_back(f);
    }
    cal.anchors.assign(cal.fits.size(), std::vector<Anchor>(panel.pairs.size(), Anchor{NAN, NAN}));
    for (const auto& [name, a] : need(j, "anchors").items()) {
      const auto colon = name.find_first_of(":>");
      if (colon == std::string::npos) throw InputError(where, 0, "anchors." + name, "not a pair");
      const long d = panel.find_pair(name.substr(0, colon), name.substr(colon + 1));
      if (d < 0) continue;  // a pair the panel read does not have (another --dyads selection)
      for (std::size_t k = 0; k < cal.fits.size(); ++k)
        cal.anchors[k][d] = {a.at(k).at(0).get<float>(), a.at(k).at(1).get<float>()};
    }
  } catch (const json::exception& e) {
    throw InputError(where, 0, "", std::string("malformed calibration: ") + e.what());
  }
  cache_trend(&cal);
  return cal;
}

}  // namespace sphere::dyad

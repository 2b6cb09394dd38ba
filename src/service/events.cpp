// Monthly series of a dyad and Hawkes fits to its event times, from the model's log or an event
// CSV.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {
namespace {

// The same actor on both sides of a dyad: no dyad.
void check_two_actors(const std::string& a, const std::string& b, const std::string& a_given,
                      const std::string& b_given) {
  if (a == b)
    throw InputError(kRequest, 0, "b",
                     a == a_given && b == b_given
                         ? fmt::format("'{}' is on both sides of the dyad", a)
                         : fmt::format("'{}' and '{}' are the same actor ({})", a_given, b_given, a));
}

// Feeds the source's events to `sink` and returns where they came from. From the model's log,
// the dyad's names and aliases first become ids, rolled up as the events are.
std::string feed_events(const kb::Model* model, const EventSource& source, events::EventSink& sink,
                        std::string& a, std::string& b) {
  const std::string a_given = a, b_given = b;
  if (!source.events_file.empty()) {
    check_two_actors(a, b, a_given, b_given);
    events::read_event_csv(read_text_file(source.events_file), source.events_file, kb::builtin_codebook(), *source.scheme,
                           sink);
    return source.events_file;
  }
  if (!model) throw std::logic_error("events of the model's log without a model");
  for (auto [side, field] : {std::pair{&a, "a"}, std::pair{&b, "b"}}) {
    // A name the model does not have is invalid input, answered with the closest id.
    const kb::Actor& actor = require_actor(*model, *side, field);
    *side = source.rollup ? events::top_affiliation(*model, actor.id) : actor.id;
  }
  check_two_actors(a, b, a_given, b_given);
  events::feed_model_events(*model, *source.scheme, source.rollup, sink);
  return model->location;
}

nlohmann::json month_cell_json(const events::MonthCell& c, bool neutral) {
  nlohmann::json quad = {{"1", c.quad[1]}, {"2", c.quad[2]}, {"3", c.quad[3]}, {"4", c.quad[4]}};
  if (neutral) quad["0"] = c.quad[0];
  return {{"events", c.events},          {"quad", quad},
          {"goldstein", c.goldstein},    {"cooperation", c.cooperation},
          {"conflict", c.conflict},      {"net", c.net()}};
}

// A 95% Wald interval on the log scale (the delta method: se(log x) = se / x), so that the
// interval of a positive parameter stays positive. Used for rates and decays; the excitation,
// which is often near its bound of 0, gets the profile-likelihood interval of the fit.
std::pair<double, double> log_wald_interval95(double estimate, double se) {
  const double spread = std::exp(1.96 * se / estimate);
  return {estimate / spread, estimate * spread};
}

nlohmann::json hawkes_fit_json(const events::HawkesFit& f, const std::vector<std::string>& streams) {
  auto value = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  auto param = [&](HawkesParameter what, std::size_t k, std::size_t l, double est, double se) {
    const auto [low, high] = hawkes_interval(f, what, k, l);
    return nlohmann::json{{"estimate", est}, {"stderr", value(se)}, {"low95", value(low)},
                          {"high95", value(high)},
                          {"interval", what == HawkesParameter::kAlpha ? "profile likelihood"
                                                                       : "Wald, log scale"}};
  };
  const std::string shortfall = events::hawkes_shortfall(f);
  nlohmann::json j = {{"streams", streams},
                      {"log_likelihood", f.log_likelihood},
                      {"poisson_log_likelihood", f.log_likelihood_poisson},
                      {"lr_statistic", f.lr_statistic},
                      {"lr_p_value", f.lr_p_value},
                      {"spectral_radius", f.spectral_radius},
                      {"converged", f.converged},
                      {"evaluations", f.iterations},
                      {"usable", shortfall.empty()},
                      {"shortfall", shortfall}};
  for (std::size_t k = 0; k < f.params.dims(); ++k) {
    j["mu"].push_back(param(HawkesParameter::kMu, k, k, f.params.mu[k], f.stderr_.mu[k]));
    j["omega"].push_back(param(HawkesParameter::kOmega, k, k, f.params.omega[k], f.stderr_.omega[k]));
    nlohmann::json row = nlohmann::json::array();
    for (std::size_t l = 0; l < f.params.dims(); ++l)
      row.push_back(param(HawkesParameter::kAlpha, k, l, f.params.alpha[k][l], f.stderr_.alpha[k][l]));
    j["alpha"].push_back(row);
    j["events"].push_back(f.events[k]);
    // With few events the time-rescaling test has no power: no p-value is given.
    j["ks_statistic"].push_back(hawkes_testable(f) ? value(f.ks_statistic[k]) : nlohmann::json(nullptr));
    j["ks_p_value"].push_back(hawkes_testable(f) ? value(f.ks_p_value[k]) : nlohmann::json(nullptr));
  }
  return j;
}

}  // namespace

DyadSeriesPair dyad_series(const events::SeriesBuilder& builder, const std::string& a,
                           const std::string& b, std::optional<int> from, std::optional<int> to) {
  const auto span = builder.span(a, b);
  const int first = from.value_or(span ? span->first : 0);
  const int last = to.value_or(span ? span->second : -1);
  DyadSeriesPair out{a, b, span || (from && to), {}, {}};
  for (auto [x, y, into] : {std::tuple{&a, &b, &out.ab}, std::tuple{&b, &a, &out.ba}}) {
    into->series = builder.series(*x, *y, first, last);
    for (const auto& [year, c] : builder.year_only(*x, *y))
      if (year * 12 + 11 >= first && year * 12 <= last) into->year_only[year] = c;
  }
  return out;
}

nlohmann::json to_json(const DirectedSeries& s, bool neutral) {
  nlohmann::json months = nlohmann::json::array();
  for (const auto& c : s.series.months) {
    nlohmann::json j = month_cell_json(c, neutral);
    j["month"] = month_text(c.month);
    months.push_back(j);
  }
  nlohmann::json year_only = nlohmann::json::object();
  for (const auto& [year, c] : s.year_only) year_only[std::to_string(year)] = month_cell_json(c, neutral);
  return {{"actor1", s.series.actor1}, {"actor2", s.series.actor2}, {"months", months},
          {"year_only", year_only}};
}

EventSeries event_series(const kb::Model* model, const EventSeriesRequest& request) {
  events::SeriesBuilder builder(events::SeriesOptions{request.source.dedup, false});
  std::string a = request.a, b = request.b;
  EventSeries out;
  out.source = feed_events(model, request.source, builder, a, b);
  out.scheme = request.source.scheme->name();
  out.duplicates = builder.duplicates();
  out.dyad = dyad_series(builder, a, b, request.from, request.to);
  return out;
}

nlohmann::json to_json(const EventSeries& s) {
  const bool neutral = s.scheme == "phoenix";
  return {{"source", s.source},
          {"scheme", s.scheme},
          {"duplicates_removed", s.duplicates},
          {"series", {to_json(s.dyad.ab, neutral), to_json(s.dyad.ba, neutral)}}};
}

std::pair<double, double> hawkes_interval(const events::HawkesFit& f, HawkesParameter what,
                                          std::size_t k, std::size_t l) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (what == HawkesParameter::kAlpha) return {f.alpha_profile[k][l][0], f.alpha_profile[k][l][1]};
  const double est = what == HawkesParameter::kMu ? f.params.mu[k] : f.params.omega[k];
  const double se = what == HawkesParameter::kMu ? f.stderr_.mu[k] : f.stderr_.omega[k];
  return std::isfinite(se) ? log_wald_interval95(est, se) : std::pair{nan, nan};
}

bool hawkes_testable(const events::HawkesFit& f) {
  return std::all_of(f.events.begin(), f.events.end(),
                     [](int n) { return n >= events::InformationRule{}.min_events; });
}

DyadHawkes fit_dyad_hawkes(const kb::Model* model, const HawkesRequest& request) {
  std::string a = request.a, b = request.b;
  // The sink compares ids, so it is built once the names have become ids: at the first event.
  struct AtFirstEvent : events::EventSink {
    std::unique_ptr<events::EventTimes> times;
    std::unique_ptr<events::Deduplicator> dedup;
    const std::string *a, *b;
    const HawkesRequest* request;
    void make() {
      if (!times) times = std::make_unique<events::EventTimes>(*a, *b, request->quad, request->seed);
    }
    void add(const events::EventView& e) override {
      if (!times) {
        make();
        dedup = std::make_unique<events::Deduplicator>(*times);
      }
      if (request->source.dedup) dedup->add(e);
      else times->add(e);
    }
  } sink;
  sink.a = &a;
  sink.b = &b;
  sink.request = &request;
  DyadHawkes out;
  out.source = feed_events(model, request.source, sink, a, b);
  out.quad = request.quad;
  sink.make();
  const std::string ab = a + "→" + b, ba = b + "→" + a;
  const events::PointData both = sink.times->data(true, request.first, request.last);
  out.horizon = both.horizon;
  auto attempt = [&](const events::PointData& data, const std::vector<std::string>& streams) {
    try {
      out.fits.push_back({streams, events::fit_hawkes(data), data.horizon});
    } catch (const std::invalid_argument& e) {
      std::string names;
      for (const auto& s : streams) names += (names.empty() ? "" : " + ") + s;
      out.not_fitted.push_back(names + ": " + e.what());
    }
  };
  // The single-stream fits share the bivariate fit's window, so their likelihoods compare.
  attempt({{both.times[0]}, both.horizon}, {ab});
  attempt({{both.times[1]}, both.horizon}, {ba});
  attempt(both, {ab, ba});
  out.year_only = sink.times->skipped_coarse();
  return out;
}

nlohmann::json to_json(const DyadHawkes& h) {
  nlohmann::json fits = nlohmann::json::array();
  for (const auto& f : h.fits) fits.push_back(hawkes_fit_json(f.fit, f.streams));
  return {{"source", h.source},       {"class", h.quad},       {"time_unit", "day"},
          {"horizon_days", h.horizon}, {"fits", fits},         {"not_fitted", h.not_fitted},
          {"year_only_events_left_out", h.year_only}};
}

}  // namespace sphere::service

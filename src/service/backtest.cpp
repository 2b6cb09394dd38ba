// The backtest use case: a request read once (origins, horizons, pairs, refit), the count or level
// backtest run on a resolved panel, its forecasts written whole or not at all, and every forecast
// and score stored with its vintage when a result store is given.
#include <filesystem>
#include <memory>
#include <tuple>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "service/service.h"
#include "store/store.h"

namespace sphere::service {
namespace {

std::string utc_now() { return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr))); }

constexpr const char* kCsvHeader = "origin,month,horizon,country1,country2,mean";

std::string csv_header() {
  std::string out = kCsvHeader;
  for (int q = 5; q <= 95; q += 5) out += fmt::format(",q{:02}", q);
  return out + "\n";
}

std::string csv_row_start(const panel::Panel& p, int origin, int h, std::size_t pair) {
  return fmt::format("{},{},{},{},{}", p.period_name(origin), p.period_name(origin + h - 1), h,
                     p.codes[p.pairs[pair].a], p.codes[p.pairs[pair].b]);
}

dyad::Refit refit_of(const std::string& text) {
  if (text == "every") return dyad::Refit::kEvery;
  if (text == "once") return dyad::Refit::kOnce;
  if (text == "yearly") return dyad::Refit::kYearly;
  throw InputError(kRequest, 0, "refit", "'" + text + "' is not every, yearly or once");
}

}  // namespace

BacktestOutcome backtest(const ResolvedPanel& rp, const BacktestRequest& request) {
  const panel::Panel& p = rp.panel;
  if (request.origins.empty()) throw InputError(kRequest, 0, "origins", "give the origins, FROM..TO");
  BacktestOutcome outcome;
  outcome.horizons = dyad::parse_horizons(request.horizons, "horizons");
  dyad::BacktestOptions bo;
  bo.spec.target = rp.target;
  bo.spec.partner = request.partner;
  std::tie(bo.origin_from, bo.origin_to) = p.period_range(request.origins, "origins");
  if (bo.origin_from < 3 || bo.origin_to > p.periods || bo.origin_from > bo.origin_to)
    throw InputError(kRequest, 0, "origins",
                     fmt::format("origins {} must lie inside the panel, from its 4th period ({}) "
                                 "to the period after its last ({})",
                                 request.origins, p.period_name(3), p.period_name(p.periods)));
  bo.horizons = outcome.horizons;
  bo.refit = refit_of(request.refit);
  if (request.pairs == "active") {
    bo.active_only = true;
  } else if (request.pairs != "all") {
    bo.pairs = p.pairs_of(request.pairs, "pairs");
  }
  bo.ablations = request.ablations;
  bo.fixed_threshold = request.threshold;
  bo.bootstrap = request.bootstrap;
  bo.forecast.paths = request.paths;
  bo.forecast.seed = request.seed;
  bo.threads = thread_count(request.threads);
  bo.progress = request.progress;
  const int target_measure = p.measure_index(rp.target);
  outcome.level = target_measure >= 0 && !p.measures[target_measure].count;
  if (outcome.level && !request.db.empty())
    throw InputError(kRequest, 0, "db",
                     "'" + rp.target + "' is a level: the result store holds count forecasts (pmfs) only");
  if (outcome.level && !request.partner.empty())
    throw InputError(kRequest, 0, "partner",
                     "'" + rp.target + "' is a level: the level model has no partner series");
  dyad::BacktestProvenance& prov = outcome.provenance;
  prov.command = request.command;
  prov.created = utc_now();
  prov.panel_digest = dyad::file_digest(rp.path);
  prov.panel_bytes = std::filesystem::file_size(rp.path);
  prov.data_through = p.period_name(p.periods - 1);
  prov.refit = request.refit;
  prov.horizons = request.horizons;
  prov.fixed_threshold = request.threshold;

  // The forecasts CSV: a temporary beside it, renamed over it only when the run completes.
  std::unique_ptr<AtomicFile> csv;
  std::string buffer;
  const auto flush = [&](bool force) {
    if (csv && (force || buffer.size() > (1u << 20))) {
      csv->write(buffer);
      buffer.clear();
    }
  };
  if (!request.forecasts_out.empty()) {
    csv = std::make_unique<AtomicFile>(request.forecasts_out);
    buffer = csv_header();
  }

  if (outcome.level) {
    dyad::LevelBacktestOptions lo;
    lo.target = rp.target;
    lo.origin_from = bo.origin_from;
    lo.origin_to = bo.origin_to;
    lo.horizons = bo.horizons;
    lo.pairs = bo.pairs;
    lo.active_only = bo.active_only;
    lo.refit = bo.refit;
    lo.bootstrap = bo.bootstrap;
    lo.seed = bo.forecast.seed;
    lo.threads = bo.threads;
    lo.progress = bo.progress;
    if (csv)
      lo.on_forecast = [&](int origin, int h, std::size_t pair, const dyad::HurdleForecast& g) {
        buffer += csv_row_start(p, origin, h, pair) + fmt::format(",{:.6g}", g.mean());
        for (int q = 5; q <= 95; q += 5) buffer += fmt::format(",{:.6g}", dyad::hurdle_quantile(g, q / 100.0));
        buffer += "\n";
        flush(false);
      };
    outcome.levels = dyad::backtest_levels(p, lo);
    flush(true);
    if (csv) csv->commit();
    return outcome;
  }

  // The store is opened (and checked against what it holds) before the long computation; it
  // rolls back (removing a file it created) unless the run completes.
  std::unique_ptr<store::BacktestWriter> db;
  if (!request.db.empty()) {
    store::BacktestVintage v;
    v.command = request.command;
    v.model = request.model_dir;
    v.panel_file = p.file;
    v.panel_format = panel::format_name(p.format);
    v.panel_digest = prov.panel_digest;
    v.panel_bytes = prov.panel_bytes;
    v.data_from = p.period_name(0);
    v.data_through = prov.data_through;
    v.target = rp.target;
    v.partner = request.partner.empty() ? dyad::default_partner(p, rp.target) : request.partner;
    v.refit = request.refit;
    v.horizons = outcome.horizons;
    v.models = dyad::backtest_model_names(bo);
    v.seed = request.seed;
    v.paths = request.paths;
    v.fixed_threshold = request.threshold;
    v.bootstrap = request.bootstrap;
    db = std::make_unique<store::BacktestWriter>(request.db, v);
    bo.on_record = [&db, &p](const dyad::ForecastRecord& r) { db->add(r, p); };
  }
  if (csv)
    bo.on_forecast = [&](int origin, int h, std::size_t pair, const dyad::Pmf& pmf) {
      double mean = 0;
      for (std::size_t k = 0; k < pmf.size(); ++k) mean += k * pmf[k];
      buffer += csv_row_start(p, origin, h, pair) + fmt::format(",{:.4g}", mean);
      for (int q = 5; q <= 95; q += 5) buffer += fmt::format(",{}", dyad::quantile(pmf, q / 100.0));
      buffer += "\n";
      flush(false);
    };
  outcome.counts = dyad::backtest(p, bo);
  if (db) db->commit(*outcome.counts, p, dyad::backtest_to_json(*outcome.counts, p, prov));
  flush(true);
  if (csv) csv->commit();
  return outcome;
}

std::string BacktestOutcome::to_json(const panel::Panel& panel) const {
  if (levels) return dyad::level_backtest_to_json(*levels, panel, provenance);
  if (counts) return dyad::backtest_to_json(*counts, panel, provenance);
  return "{}\n";
}

std::vector<store::Rescoring> rescore(const ResolvedPanel& rp, const std::string& db,
                                            const std::string& command) {
  return store::rescore_backtests(db, rp.panel, dyad::file_digest(rp.path),
                                  std::filesystem::file_size(rp.path), command, utc_now());
}

std::string rescore_to_json(const std::vector<store::Rescoring>& scorings, const panel::Panel& p,
                            const std::string& command) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : scorings) {
    dyad::BacktestProvenance prov;
    prov.command = command;
    prov.data_through = p.period_name(p.periods - 1);
    prov.refit = r.vintage.refit;
    prov.fixed_threshold = r.vintage.fixed_threshold;
    out.push_back({{"backtest", r.backtest_id}, {"made", r.created},
                   {"made_on", {{"panel", r.vintage.panel_file}, {"data_through", r.vintage.data_through},
                                {"panel_digest", r.vintage.panel_digest}}},
                   {"forecasts", r.forecasts}, {"scored", r.scored}, {"pending", r.pending},
                   {"results", nlohmann::json::parse(dyad::backtest_to_json(r.result, p, prov))}});
  }
  return encode(out);
}

}  // namespace sphere::service

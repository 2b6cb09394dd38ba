// Sharded forecasts: a shard computes its blocks of an ensemble and writes a partial result; the
// shards are checked to be complete, non-overlapping and from one ensemble, then folded in block
// order with the reducer of one process, so that the result is bitwise identical to it. The same
// checks serve a sensitivity analysis's shards; cooperating processes (MPI) fold the same way.
#include <algorithm>
#include <cctype>
#include <memory>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {
namespace {

// "--runs 9" in the front end's words (or "runs 9").
template <typename T>
std::string option(const FieldNames& names, std::string_view field, const T& value) {
  return fmt::format("{} {}", names(field), value);
}

// The first difference between two shards' ensembles, or "".
std::string difference(const store::Partial& a, const store::Partial& b, const FieldNames& names) {
  if (a.seed != b.seed) return fmt::format("{} vs {}", option(names, "seed", a.seed), b.seed);
  if (a.runs != b.runs) return fmt::format("{} vs {}", option(names, "runs", a.runs), b.runs);
  if (a.shards != b.shards) return fmt::format("split into {} vs {} shards", a.shards, b.shards);
  if (a.start != b.start || a.horizon != b.horizon)
    return fmt::format("months {}–{} vs {}–{}", a.start, a.horizon, b.start, b.horizon);
  if (a.shocks != b.shocks) return fmt::format("different {} options", names("shock"));
  if (a.settings != b.settings) return fmt::format("different {} options", names("set"));
  if (a.digest != b.digest)
    return fmt::format("model or parameters differ (digest {} vs {})", a.digest, b.digest);
  return "";
}

// The first difference between two shards' sensitivity designs, or "".
std::string difference(const store::SensitivityPartial& a, const store::SensitivityPartial& b,
                       const FieldNames& names) {
  const auto versus = [&](std::string_view field, const auto& x, const auto& y) {
    return fmt::format("{} vs {}", option(names, field, x), y);
  };
  if (a.seed != b.seed) return versus("seed", a.seed, b.seed);
  if (a.method != b.method) return versus("method", a.method, b.method);
  if (a.output != b.output) return versus("output", a.output, b.output);
  if (a.n != b.n) return versus("n", a.n, b.n);
  if (a.runs != b.runs) return versus("runs", a.runs, b.runs);
  if (a.levels != b.levels) return versus("levels", a.levels, b.levels);
  if (a.bootstrap != b.bootstrap) return versus("bootstrap", a.bootstrap, b.bootstrap);
  if (a.shards != b.shards) return fmt::format("split into {} vs {} shards", a.shards, b.shards);
  if (a.horizon != b.horizon)
    return versus("horizon", "'" + a.horizon + "'", "'" + b.horizon + "'");
  if (a.shocks != b.shocks) return fmt::format("different {} options", names("shock"));
  if (a.settings != b.settings) return fmt::format("different {} options", names("set"));
  if (a.digest != b.digest)
    return fmt::format("model, parameters or ranges differ (digest {} vs {})", a.digest,
                       b.digest);
  return "";
}

// What a missing shard of `first`'s forecast covers and how to compute it again.
std::string missing(const store::Partial& first, std::uint32_t k, const FieldNames& names) {
  auto [b, e] = sim::shard_blocks(first.runs, k, first.shards);
  return fmt::format("shard {}/{} ({}) is missing; run `sphere forecast {} {}/{}` again with the "
                     "others' options ({} {}) and merge all {} shards",
                     k + 1, first.shards, run_range(first.runs, b, e), names("shard"), k + 1,
                     first.shards, option(names, "seed", first.seed),
                     option(names, "runs", first.runs), first.shards);
}

// The same for a sensitivity analysis's shard.
std::string missing(const store::SensitivityPartial& first, std::uint32_t k,
                    const FieldNames& names) {
  auto [b, e] = sim::shard_points(first.points, k, first.shards);
  std::string options = fmt::format("{} {} {}", option(names, "method", first.method),
                                    option(names, "output", first.output),
                                    option(names, "n", first.n));
  options += " " + (first.method == "morris" ? option(names, "levels", first.levels)
                                             : option(names, "bootstrap", first.bootstrap));
  options += fmt::format(" {} {}", option(names, "runs", first.runs),
                         option(names, "seed", first.seed));
  if (!first.horizon.empty()) options += " " + option(names, "horizon", first.horizon);
  return fmt::format("shard {}/{} ({}) is missing; run `sphere sensitivity {} {}/{}` again with "
                     "the others' options ({}) and merge all {} shards",
                     k + 1, first.shards,
                     e > b ? fmt::format("points {}–{}", b, e - 1) : "no points", names("shard"),
                     k + 1, first.shards, options, first.shards);
}

// Checks that the readable `parts` (with the file each came from) are exactly shards 1..N of
// one computation and returns them ordered by shard. Throws InputError naming every file that
// could not be read (`problems`) and every missing, repeated or incompatible shard, so that a
// lost or corrupt shard's message says how to compute it again. `kind`: that of the files that
// could not be read (an I/O error, a damaged file), which the whole error takes.
template <typename P>
std::vector<P> check_shards(std::vector<std::pair<std::string, P>> parts, Diagnostics problems,
                            ErrorKind kind, const FieldNames& names) {
  if (parts.empty()) throw InputError(problems, kind);
  const P& first = parts[0].second;
  std::map<std::uint32_t, std::string> seen;  // shard -> file
  bool compatible = true;
  for (const auto& [name, part] : parts) {
    const std::string diff = difference(first, part, names);
    compatible = compatible && diff.empty();
    if (!diff.empty())
      problems.add(name, 0, "ensemble",
                   fmt::format("not from the same computation as {}: {}", parts[0].first, diff));
    else if (auto [at, fresh] = seen.emplace(part.shard, name); !fresh)
      problems.add(name, 0, "shard",
                   fmt::format("shard {}/{} is given twice (also {}): shards overlap",
                               part.shard + 1, part.shards, at->second));
  }
  if (compatible)
    for (std::uint32_t k = 0; k < first.shards; ++k)
      if (!seen.count(k)) problems.add("merge", 0, "shard", missing(first, k, names));
  if (!problems.empty()) throw InputError(problems, kind);
  std::vector<P> ordered;
  for (auto& named : parts) ordered.push_back(std::move(named.second));
  std::sort(ordered.begin(), ordered.end(),
            [](const P& a, const P& b) { return a.shard < b.shard; });
  return ordered;
}

// Each part's sizes fit this engine (scenarios, drivers, months): checked before anything is
// folded or written, naming the shard.
void check_fits(const sim::Engine& engine, const std::vector<store::Partial>& parts) {
  const std::size_t scenarios = engine.scenarios().size();
  const std::size_t drivers = scenarios * engine.driver_names().size();
  const std::size_t cells = static_cast<std::size_t>(sim::kIndicators) * engine.months();
  for (const auto& p : parts) {
    const std::string name = fmt::format("shard {}/{}", p.shard + 1, p.shards);
    const auto fail = [&](const char* field, std::size_t size, std::size_t expected) {
      throw InputError(name, 0, field,
                       fmt::format("{} entries where this model has {}", size, expected));
    };
    if (p.part.counts.size() != scenarios) fail("counts", p.part.counts.size(), scenarios);
    for (const auto& b : p.part.sums)
      if (b.size() != cells) fail("sums", b.size(), cells);
    for (const auto& b : p.part.driver_sums)
      if (b.size() != drivers) fail("driver_sums", b.size(), drivers);
  }
}

// Folds shards 0..N-1 (in order, already checked) made by `engine`, and stores the forecast.
MergedForecast fold(const kb::Model& model, sim::Engine engine,
                    const std::vector<store::Partial>& parts, const ForecastStore& store) {
  check_fits(engine, parts);
  const store::Partial& first = parts.at(0);
  const sim::EnsembleOptions options{first.seed, first.runs, 1, 512};
  sim::EnsembleReducer reducer(engine, options);
  for (const auto& p : parts) reducer.add(p.part);
  sim::ForecastSummary summary = reducer.summary();  // throws when runs are missing
  MergedForecast merged{{std::move(engine), std::move(summary)}, store.db, 0};
  if (!store.db.empty()) {
    store::ForecastWriter writer(
        store.db, store::ForecastMeta{model.location, store.command_line, first.seed, first.runs},
        merged.forecast.engine);
    for (const auto& p : parts) writer.add_runs(p.outcomes);
    writer.commit(merged.forecast.summary);
    merged.forecast_id = writer.forecast_id();
  }
  return merged;
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto fail = [&](const std::string& why) {
    return InputError(kRequest, 0, "shard", fmt::format("'{}'{}", text, why), ErrorKind::kUsage);
  };
  std::uint32_t k = 0, n = 0;
  const auto slash = text.find('/');
  try {
    std::size_t used = 0;
    if (slash == std::string::npos || slash == 0 || !std::isdigit(static_cast<unsigned char>(text[0])) ||
        slash + 1 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[slash + 1])))
      throw std::invalid_argument("not K/N");
    k = static_cast<std::uint32_t>(std::stoul(text.substr(0, slash), &used));
    if (used != slash) throw std::invalid_argument("K");
    n = static_cast<std::uint32_t>(std::stoul(text.substr(slash + 1), &used));
    if (used != text.size() - slash - 1) throw std::invalid_argument("N");
  } catch (const std::exception&) {
    throw fail(" is not K/N (e.g. 2/4)");
  }
  if (n < 1 || n > 100000 || k < 1 || k > n) throw fail(": need 1 <= K <= N <= 100000");
  return {k - 1, n};
}

std::string default_part_file(const Shard& shard) {
  return fmt::format("part-{}-of-{}.json", shard.index + 1, shard.count);
}

std::string run_range(std::uint32_t runs, std::uint32_t first_block, std::uint32_t end_block) {
  const std::uint64_t first = std::uint64_t{first_block} * sim::kReductionBlock;
  const std::uint64_t end =
      std::min<std::uint64_t>(runs, std::uint64_t{end_block} * sim::kReductionBlock);
  return end > first ? fmt::format("runs {}–{}", first, end - 1) : "no runs";
}

std::vector<std::string> setting_texts(const std::map<std::string, double>& settings) {
  std::vector<std::string> out;
  for (const auto& [name, value] : settings) out.push_back(fmt::format("{}={}", name, value));
  return out;
}

std::vector<std::string> shock_texts(const std::vector<sim::ShockSpec>& shocks) {
  std::vector<std::string> out;
  for (const auto& s : shocks) out.push_back(s.text);
  return out;
}

store::Partial forecast_shard(const kb::Model& model, const sim::Engine& engine,
                              const ForecastRequest& request, Shard shard) {
  store::Partial p;
  p.shard = shard.index;
  p.shards = shard.count;
  p.seed = request.seed;
  p.runs = request.runs;
  p.model = model.location;
  p.start = engine.start().to_string();
  p.horizon = engine.horizon().to_string();
  for (const auto& s : engine.shocks()) p.shocks.push_back(s.text);
  p.settings = setting_texts(request.settings);
  p.digest = store::engine_digest(engine);
  const auto [first_block, end_block] = sim::shard_blocks(request.runs, shard.index, shard.count);
  p.part = sim::run_blocks(engine, ensemble_options(request), first_block, end_block,
                           [&](std::span<const sim::RunOutcome> runs) {
                             p.outcomes.insert(p.outcomes.end(), runs.begin(), runs.end());
                           });
  return p;
}

WrittenShard write_forecast_shard(const kb::Model& model, const ForecastShardRequest& request) {
  const sim::Engine engine = forecast_engine(model, request.forecast);
  if (engine.months() > store::kMaxPartMonths)  // refused before the work, not by merge after it
    throw InputError(kRequest, 0, "horizon",
                     fmt::format("{} months: a shard spans at most {} months", engine.months(),
                                 store::kMaxPartMonths));
  WrittenShard w;
  w.shard = request.shard;
  w.file = request.file.empty() ? default_part_file(request.shard) : request.file;
  const store::Partial p = forecast_shard(model, engine, request.forecast, request.shard);
  store::write_partial(w.file, p);
  w.range = run_range(p.runs, p.part.first_block, p.part.end_block);
  w.digest = p.digest;
  w.seed = p.seed;
  w.unit = "runs";
  w.size = p.runs;
  return w;
}

nlohmann::json to_json(const WrittenShard& w) {
  return {{"shard", w.shard.index + 1}, {"shards", w.shard.count}, {"seed", w.seed},
          {w.unit, w.size}, {"range", w.range}, {"file", w.file}, {"digest", w.digest}};
}

ShardSet read_shards(const std::vector<std::string>& files, const FieldNames& names) {
  std::vector<std::pair<std::string, store::Partial>> forecasts;
  std::vector<std::pair<std::string, store::SensitivityPartial>> analyses;
  Diagnostics problems;
  ErrorKind kind = ErrorKind::kInvalidInput;
  for (const auto& file : files) {
    try {
      store::AnyPartial p = store::read_partial(file);
      if (auto* f = std::get_if<store::Partial>(&p))
        forecasts.emplace_back(file, std::move(*f));
      else
        analyses.emplace_back(file, std::move(std::get<store::SensitivityPartial>(p)));
    } catch (const InputError& e) {
      problems.append(e.diagnostics());
      if (e.kind() != ErrorKind::kInvalidInput) kind = e.kind();
    }
  }
  if (!forecasts.empty() && !analyses.empty())
    throw InputError(analyses[0].first, 0, "format",
                     fmt::format("a sensitivity analysis's shard among a forecast's shards ({})",
                                 forecasts[0].first));
  ShardSet set;
  if (forecasts.empty() && !analyses.empty())
    set.sensitivity = check_shards(std::move(analyses), std::move(problems), kind, names);
  else
    set.forecast = check_shards(std::move(forecasts), std::move(problems), kind, names);
  return set;
}

MergedForecast merge_forecast(const kb::Model& model, const std::vector<store::Partial>& parts,
                              const ForecastStore& store) {
  const store::Partial& first = parts.at(0);
  ForecastRequest request;
  request.seed = first.seed;
  request.runs = first.runs;
  if (!first.horizon.empty()) request.horizon = parse_month(first.horizon, "horizon");
  request.shocks = sim::parse_shock_specs(first.shocks);
  request.settings = parse_settings(first.settings);
  sim::Engine engine = forecast_engine(model, request);
  if (engine.start().to_string() != first.start || store::engine_digest(engine) != first.digest)
    throw InputError(model.location, 0, "model",
                     fmt::format("the shards were computed with another model or other parameters "
                                 "(digest {}, this model {}); merge them with the model they used",
                                 first.digest, store::engine_digest(engine)));
  return fold(model, std::move(engine), parts, store);
}

std::optional<MergedForecast> distributed_forecast(const kb::Model& model,
                                                   const ForecastRequest& request, Shard mine,
                                                   const Gather& gather,
                                                   const ForecastStore& store) {
  // Every process builds the engine (the same input errors everywhere) and computes one shard.
  sim::Engine engine = forecast_engine(model, request);
  const std::vector<std::string> texts =
      gather(store::partial_to_text(forecast_shard(model, engine, request, mine)));
  if (texts.empty()) return std::nullopt;  // not the first process
  // Folded as merge does; the forecast is stored only once every part is here.
  std::vector<store::Partial> parts;
  for (std::size_t r = 0; r < texts.size(); ++r) {
    const std::string name = fmt::format("rank {}", r);
    store::AnyPartial p = store::partial_from_text(texts[r], name);
    if (!std::holds_alternative<store::Partial>(p))
      throw InputError(name, 0, "format", "not a forecast's part");
    parts.push_back(std::move(std::get<store::Partial>(p)));
  }
  return fold(model, std::move(engine), parts, store);
}

}  // namespace sphere::service

// Partial results of sharded forecasts and sensitivity analyses: JSON (doubles written in
// shortest round-trip form, so they read back to the same bits), a CRC-64 over the contents,
// written atomically. Both kinds share the envelope (format, checksum, data) and the file I/O.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "store/store.h"

namespace sphere::store {
namespace {

constexpr const char* kFormat = "sphere-partial/1";  // a forecast's shard
constexpr const char* kSensitivityFormat = "sphere-sensitivity-partial/1";

// CRC-64/XZ: a digest to tell files and models apart, not a security measure.
std::string crc64(const std::string& text) {
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, ~0ULL, ~0ULL, true, true> crc;
  crc.process_bytes(text.data(), text.size());
  return fmt::format("{:016x}", crc.checksum());
}

nlohmann::json part_json(const Partial& p) {
  const sim::EnsemblePart& part = p.part;
  nlohmann::json bins = nlohmann::json::array();  // sparse: index, count, index, count, ...
  for (std::size_t i = 0; i < part.bins.size(); ++i)
    if (part.bins[i]) {
      bins.push_back(i);
      bins.push_back(part.bins[i]);
    }
  nlohmann::json scenario = nlohmann::json::array(), final = nlohmann::json::array();
  for (const auto& o : p.outcomes) {
    scenario.push_back(o.scenario);
    final.push_back(o.final_indicators);
  }
  return {{"shard", p.shard},
          {"shards", p.shards},
          {"seed", p.seed},
          {"runs", p.runs},
          {"model", p.model},
          {"start", p.start},
          {"horizon", p.horizon},
          {"shocks", p.shocks},
          {"set", p.settings},
          {"digest", p.digest},
          {"first_block", part.first_block},
          {"end_block", part.end_block},
          {"counts", part.counts},
          {"bins_size", part.bins.size()},
          {"bins", bins},
          {"sums", part.sums},
          {"driver_sums", part.driver_sums},
          {"outcome_scenario", scenario},
          {"outcome_final", final}};
}

// A field of a partial result that is missing, of the wrong type or out of range: reported with
// the field's name. Every size is checked against the header (shards, runs, months) before
// anything is allocated from it, since a checksum catches accidents, not a writer's bug or a
// part made by another build.
struct BadField {
  std::string field, message;
};

constexpr std::size_t kMaxScenarios = 10000;

const nlohmann::json& field(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) throw BadField{key, "missing"};
  return j[key];
}

// An integer field within [low, high].
std::uint64_t integer(const nlohmann::json& j, const char* key, std::uint64_t low,
                      std::uint64_t high) {
  const nlohmann::json& v = field(j, key);
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() < low || v.get<std::uint64_t>() > high)
    throw BadField{key, low == high ? fmt::format("expected {}, as the header implies", low)
                                    : fmt::format("expected an integer from {} to {}", low, high)};
  return v.get<std::uint64_t>();
}

std::string text(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = field(j, key);
  if (!v.is_string()) throw BadField{key, "expected a string"};
  return v.get<std::string>();
}

std::vector<std::string> texts(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = field(j, key);
  if (!v.is_array()) throw BadField{key, "expected an array of strings"};
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string()) throw BadField{key, "expected an array of strings"};
    out.push_back(s.get<std::string>());
  }
  return out;
}

// An array of `size` numbers (any size when `size` is npos).
std::vector<double> numbers(const nlohmann::json& v, const char* key, std::size_t size) {
  if (!v.is_array() || (size != std::string::npos && v.size() != size))
    throw BadField{key, size == std::string::npos
                            ? std::string("expected an array of numbers")
                            : fmt::format("expected an array of {} numbers", size)};
  std::vector<double> out;
  out.reserve(v.size());
  for (const auto& x : v) {
    if (!x.is_number()) throw BadField{key, "expected numbers"};
    out.push_back(x.get<double>());
  }
  return out;
}

// A month YYYY-MM.
Date month(const nlohmann::json& j, const char* key) {
  const auto d = Date::parse(text(j, key));
  if (!d || d->precision() != Date::Precision::kMonth) throw BadField{key, "expected YYYY-MM"};
  return *d;
}

Partial partial_from_json(const nlohmann::json& j) {
  Partial p;
  p.shards = static_cast<std::uint32_t>(integer(j, "shards", 1, 100000));
  p.shard = static_cast<std::uint32_t>(integer(j, "shard", 0, p.shards - 1));
  p.seed = integer(j, "seed", 0, UINT64_MAX);
  p.runs = static_cast<std::uint32_t>(integer(j, "runs", 1, UINT32_MAX));
  p.model = text(j, "model");
  const Date start = month(j, "start"), horizon = month(j, "horizon");
  p.start = start.to_string();
  p.horizon = horizon.to_string();
  const int months = horizon.month_index() - start.month_index() + 1;
  if (months < 1 || months > kMaxPartMonths)
    throw BadField{"horizon", fmt::format("{} months from {}: expected 1 to {}", months, p.start,
                                          kMaxPartMonths)};
  p.shocks = texts(j, "shocks");
  if (j.contains("set")) p.settings = texts(j, "set");  // absent in parts written before --set
  p.digest = text(j, "digest");

  // Blocks: exactly this shard's share of the ensemble.
  sim::EnsemblePart& part = p.part;
  const auto [first_block, end_block] = sim::shard_blocks(p.runs, p.shard, p.shards);
  part.first_block = static_cast<std::uint32_t>(integer(j, "first_block", first_block, first_block));
  part.end_block = static_cast<std::uint32_t>(integer(j, "end_block", end_block, end_block));
  const std::uint64_t first_run = std::uint64_t{first_block} * sim::kReductionBlock;
  const std::uint64_t runs =
      std::min<std::uint64_t>(p.runs, std::uint64_t{end_block} * sim::kReductionBlock) -
      std::min<std::uint64_t>(p.runs, first_run);
  const std::size_t blocks = end_block - first_block;

  const nlohmann::json& counts = field(j, "counts");
  if (!counts.is_array() || counts.empty() || counts.size() > kMaxScenarios)
    throw BadField{"counts", fmt::format("expected an array of 1 to {} counts", kMaxScenarios)};
  std::uint64_t counted = 0;
  for (const auto& c : counts) {
    if (!c.is_number_unsigned() || c.get<std::uint64_t>() > runs)
      throw BadField{"counts", fmt::format("expected counts from 0 to {}", runs)};
    part.counts.push_back(c.get<std::uint64_t>());
    counted += part.counts.back();
  }
  if (counted != runs)
    throw BadField{"counts", fmt::format("{} runs counted, the part's blocks hold {}", counted, runs)};
  const std::size_t scenarios = part.counts.size();

  // Histograms: kIndicators x months cells of kHistogramBins bins, given sparsely as (index,
  // count) pairs in increasing index; every cell counts each run once.
  const std::size_t cells = static_cast<std::size_t>(sim::kIndicators) * months;
  const std::size_t bins_size = cells * sim::kHistogramBins;
  integer(j, "bins_size", bins_size, bins_size);
  const nlohmann::json& bins = field(j, "bins");
  if (!bins.is_array() || bins.size() % 2 != 0 || bins.size() > 2 * bins_size)
    throw BadField{"bins", "expected (index, count) pairs"};
  part.bins.assign(bins_size, 0);
  std::vector<std::uint64_t> cell_runs(cells, 0);
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < bins.size(); i += 2) {
    const auto& at = bins[i];
    const auto& n = bins[i + 1];
    if (!at.is_number_unsigned() || at.get<std::uint64_t>() < next ||
        at.get<std::uint64_t>() >= bins_size)
      throw BadField{"bins", fmt::format("bin indices must increase and stay below {}", bins_size)};
    if (!n.is_number_unsigned() || n.get<std::uint64_t>() < 1 || n.get<std::uint64_t>() > runs)
      throw BadField{"bins", fmt::format("bin counts must be from 1 to {}", runs)};
    const std::uint64_t index = at.get<std::uint64_t>();
    part.bins[index] = n.get<std::uint64_t>();
    cell_runs[index / sim::kHistogramBins] += part.bins[index];
    next = index + 1;
  }
  for (std::size_t c = 0; c < cells; ++c)
    if (cell_runs[c] != runs)
      throw BadField{"bins", fmt::format("cell {} counts {} runs, the part's blocks hold {}", c,
                                         cell_runs[c], runs)};

  // Sums per block: one per cell, and one per (scenario, driver).
  const nlohmann::json& sums = field(j, "sums");
  const nlohmann::json& driver_sums = field(j, "driver_sums");
  if (!sums.is_array() || sums.size() != blocks)
    throw BadField{"sums", fmt::format("expected {} blocks", blocks)};
  if (!driver_sums.is_array() || driver_sums.size() != blocks)
    throw BadField{"driver_sums", fmt::format("expected {} blocks", blocks)};
  for (const auto& b : sums) part.sums.push_back(numbers(b, "sums", cells));
  for (const auto& b : driver_sums) {
    const std::size_t size = part.driver_sums.empty() ? std::string::npos
                                                      : part.driver_sums[0].size();
    part.driver_sums.push_back(numbers(b, "driver_sums", size));  // checked against the model later
  }

  // Each run's scenario and final indicators, in run order; the scenarios tally with `counts`.
  const nlohmann::json& scenario = field(j, "outcome_scenario");
  const nlohmann::json& final = field(j, "outcome_final");
  if (!scenario.is_array() || scenario.size() != runs)
    throw BadField{"outcome_scenario", fmt::format("expected {} runs", runs)};
  if (!final.is_array() || final.size() != runs)
    throw BadField{"outcome_final", fmt::format("expected {} runs", runs)};
  std::vector<std::uint64_t> tally(scenarios, 0);
  p.outcomes.reserve(runs);
  for (std::size_t i = 0; i < runs; ++i) {
    const auto& s = scenario[i];
    if (!s.is_number_unsigned() || s.get<std::uint64_t>() >= scenarios)
      throw BadField{"outcome_scenario",
                     fmt::format("run {}: expected a scenario index from 0 to {}", first_run + i,
                                 scenarios - 1)};
    const std::vector<double> x = numbers(final[i], "outcome_final", sim::kIndicators);
    sim::RunOutcome o{static_cast<std::uint32_t>(first_run + i), s.get<int>(), {}};
    std::copy(x.begin(), x.end(), o.final_indicators.begin());
    ++tally[o.scenario];
    p.outcomes.push_back(o);
  }
  if (tally != part.counts)
    throw BadField{"outcome_scenario", "the runs' scenarios do not tally with 'counts'"};
  return p;
}

// A sensitivity design's fields (everything that fixes the points and the indices).
nlohmann::json design_json(const SensitivityPartial& p) {
  nlohmann::json factors = nlohmann::json::array();
  for (const auto& f : p.factors) factors.push_back({f.name, f.low, f.high});
  return {{"seed", p.seed},   {"method", p.method},       {"output", p.output},
          {"n", p.n},         {"levels", p.levels},       {"bootstrap", p.bootstrap},
          {"runs", p.runs},   {"factors", factors}};
}

nlohmann::json sensitivity_json(const SensitivityPartial& p) {
  nlohmann::json j = design_json(p);
  j.update({{"shard", p.shard},
            {"shards", p.shards},
            {"model", p.model},
            {"horizon", p.horizon},
            {"shocks", p.shocks},
            {"set", p.settings},
            {"digest", p.digest},
            {"points", p.points},
            {"first_point", p.first_point},
            {"outputs", p.outputs}});
  return j;
}

SensitivityPartial sensitivity_from_json(const nlohmann::json& j) {
  SensitivityPartial p;
  p.shards = static_cast<std::uint32_t>(integer(j, "shards", 1, 100000));
  p.shard = static_cast<std::uint32_t>(integer(j, "shard", 0, p.shards - 1));
  p.seed = integer(j, "seed", 0, UINT64_MAX);
  p.method = text(j, "method");
  if (p.method != "morris" && p.method != "sobol") throw BadField{"method", "expected morris or sobol"};
  p.output = text(j, "output");
  // The ranges `sphere sensitivity` accepts.
  p.n = static_cast<int>(integer(j, "n", 2, 1000000));
  p.levels = static_cast<int>(integer(j, "levels", 2, 100));
  p.bootstrap = static_cast<int>(integer(j, "bootstrap", 0, 100000));
  p.runs = static_cast<std::uint32_t>(integer(j, "runs", 1, UINT32_MAX));
  p.model = text(j, "model");
  p.horizon = text(j, "horizon");
  p.shocks = texts(j, "shocks");
  if (j.contains("set")) p.settings = texts(j, "set");  // absent in parts written before --set
  const nlohmann::json& factors = field(j, "factors");
  if (!factors.is_array() || factors.empty() || factors.size() > 1000)
    throw BadField{"factors", "expected 1 to 1000 factors"};
  for (const auto& f : factors) {
    if (!f.is_array() || f.size() != 3 || !f[0].is_string() || !f[1].is_number() ||
        !f[2].is_number())
      throw BadField{"factors", "expected [name, low, high] for each factor"};
    p.factors.push_back({f[0].get<std::string>(), f[1].get<double>(), f[2].get<double>()});
  }
  p.digest = text(j, "digest");
  // The design fixes the number of points: n trajectories of k+1 (Morris) or n·(k+2) (Sobol).
  const std::uint64_t per = p.factors.size() + (p.method == "morris" ? 1 : 2);
  const std::uint64_t points = static_cast<std::uint64_t>(p.n) * per;
  p.points = integer(j, "points", points, points);
  const auto [first, end] = sim::shard_points(points, p.shard, p.shards);
  p.first_point = integer(j, "first_point", first, first);
  p.outputs = numbers(field(j, "outputs"), "outputs", end - first);
  return p;
}

// The file's text: the data with its format and checksum.
std::string envelope(const char* format, const nlohmann::json& data) {
  const std::string text = data.dump();
  const nlohmann::json file = {
      {"format", format}, {"checksum", crc64(text)}, {"data", nlohmann::json::parse(text)}};
  return file.dump() + "\n";
}

}  // namespace

std::string engine_digest(const sim::Engine& engine) {
  nlohmann::json j = {{"calibration", engine.calibration_json()},
                      {"start", engine.start().to_string()},
                      {"horizon", engine.horizon().to_string()}};
  for (const auto& s : engine.shocks()) j["shocks"].push_back(s.text);
  for (const auto& s : engine.scenarios()) j["scenarios"].push_back({s.id, s.when});
  for (int k = 0; k < sim::kIndicators; ++k) {
    auto [lo, hi] = engine.indicator_range(k);
    j["ranges"].push_back({lo, hi});
  }
  j["indicators"] = engine.indicator_names();
  j["drivers"] = engine.driver_names();
  j["states"] = engine.state_names();
  return crc64(j.dump());
}

std::string sensitivity_digest(const sim::Engine& engine, const SensitivityPartial& p) {
  nlohmann::json j = design_json(p);
  j["engine"] = engine_digest(engine);
  return crc64(j.dump());
}

std::string partial_to_text(const Partial& partial) {
  return envelope(kFormat, part_json(partial));
}

std::string partial_to_text(const SensitivityPartial& partial) {
  return envelope(kSensitivityFormat, sensitivity_json(partial));
}

void write_partial(const std::string& path, const Partial& partial) {
  write_file_atomically(path, partial_to_text(partial));
}

void write_partial(const std::string& path, const SensitivityPartial& partial) {
  write_file_atomically(path, partial_to_text(partial));
}

AnyPartial read_partial(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "file", "cannot read the partial result (missing?)",
                             ErrorKind::kIo);
  std::stringstream text;
  text << in.rdbuf();
  return partial_from_text(text.str(), path);
}

AnyPartial partial_from_text(const std::string& text, const std::string& path) {
  nlohmann::json file;
  try {
    file = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw InputError(path, 0, "file", "not JSON: truncated or corrupt partial result",
                     ErrorKind::kCorruption);
  }
  const auto string_at = [&](const char* key) {
    return file.is_object() && file.contains(key) && file[key].is_string()
               ? file[key].get<std::string>()
               : std::string();
  };
  const std::string format = string_at("format");
  if (format != kFormat && format != kSensitivityFormat)
    throw InputError(path, 0, "format",
                     fmt::format("not a partial result ({} or {} expected)", kFormat,
                                 kSensitivityFormat));
  if (!file.contains("data") || crc64(file["data"].dump()) != string_at("checksum"))
    throw InputError(path, 0, "checksum", "checksum mismatch: the partial result is corrupt",
                     ErrorKind::kCorruption);
  try {
    if (format == kFormat) return partial_from_json(file["data"]);
    return sensitivity_from_json(file["data"]);
  } catch (const BadField& e) {
    throw InputError(path, 0, e.field, fmt::format("malformed partial result: {}", e.message));
  } catch (const std::exception& e) {
    throw InputError(path, 0, "data", fmt::format("malformed partial result: {}", e.what()));
  }
}

}  // namespace sphere::store

// Partial results of sharded forecasts and sensitivity analyses: JSON (doubles written in
// shortest round-trip form, so they read back to the same bits), a CRC-64 over the contents,
// written atomically. Both kinds share the envelope (format, checksum, data) and the file I/O.
#include <unistd.h>

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

Partial partial_from_json(const nlohmann::json& j) {
  Partial p;
  p.shard = j.at("shard").get<std::uint32_t>();
  p.shards = j.at("shards").get<std::uint32_t>();
  p.seed = j.at("seed").get<std::uint64_t>();
  p.runs = j.at("runs").get<std::uint32_t>();
  p.model = j.at("model").get<std::string>();
  p.start = j.at("start").get<std::string>();
  p.horizon = j.at("horizon").get<std::string>();
  p.shocks = j.at("shocks").get<std::vector<std::string>>();
  p.digest = j.at("digest").get<std::string>();
  sim::EnsemblePart& part = p.part;
  part.first_block = j.at("first_block").get<std::uint32_t>();
  part.end_block = j.at("end_block").get<std::uint32_t>();
  part.counts = j.at("counts").get<std::vector<std::uint64_t>>();
  part.bins.assign(j.at("bins_size").get<std::size_t>(), 0);
  const auto bins = j.at("bins").get<std::vector<std::uint64_t>>();
  for (std::size_t i = 0; i + 1 < bins.size(); i += 2) part.bins.at(bins[i]) = bins[i + 1];
  part.sums = j.at("sums").get<std::vector<std::vector<double>>>();
  part.driver_sums = j.at("driver_sums").get<std::vector<std::vector<double>>>();
  const auto scenario = j.at("outcome_scenario").get<std::vector<int>>();
  const auto final = j.at("outcome_final").get<std::vector<std::array<double, sim::kIndicators>>>();
  if (scenario.size() != final.size()) throw std::out_of_range("outcome arrays differ in length");
  const std::uint32_t first_run = part.first_block * sim::kReductionBlock;
  for (std::size_t i = 0; i < scenario.size(); ++i)
    p.outcomes.push_back({first_run + static_cast<std::uint32_t>(i), scenario[i], final[i]});
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
            {"digest", p.digest},
            {"points", p.points},
            {"first_point", p.first_point},
            {"outputs", p.outputs}});
  return j;
}

SensitivityPartial sensitivity_from_json(const nlohmann::json& j) {
  SensitivityPartial p;
  p.shard = j.at("shard").get<std::uint32_t>();
  p.shards = j.at("shards").get<std::uint32_t>();
  p.seed = j.at("seed").get<std::uint64_t>();
  p.method = j.at("method").get<std::string>();
  p.output = j.at("output").get<std::string>();
  p.n = j.at("n").get<int>();
  p.levels = j.at("levels").get<int>();
  p.bootstrap = j.at("bootstrap").get<int>();
  p.runs = j.at("runs").get<std::uint32_t>();
  p.model = j.at("model").get<std::string>();
  p.horizon = j.at("horizon").get<std::string>();
  p.shocks = j.at("shocks").get<std::vector<std::string>>();
  for (const auto& f : j.at("factors"))
    p.factors.push_back({f.at(0).get<std::string>(), f.at(1).get<double>(), f.at(2).get<double>()});
  p.digest = j.at("digest").get<std::string>();
  p.points = j.at("points").get<std::uint64_t>();
  p.first_point = j.at("first_point").get<std::uint64_t>();
  p.outputs = j.at("outputs").get<std::vector<double>>();
  if (p.first_point + p.outputs.size() > p.points)
    throw std::out_of_range("outputs beyond the design's points");
  return p;
}

// The file's text: the data with its format and checksum.
std::string envelope(const char* format, const nlohmann::json& data) {
  const std::string text = data.dump();
  const nlohmann::json file = {
      {"format", format}, {"checksum", crc64(text)}, {"data", nlohmann::json::parse(text)}};
  return file.dump() + "\n";
}

// Writes `text` to a temporary file beside `path` and renames it into place, so that `path` is
// either absent or complete.
void write_atomically(const std::string& path, const std::string& text) {
  const std::filesystem::path target(path);
  const std::filesystem::path temp =
      target.parent_path() / fmt::format(".{}.tmp{}", target.filename().string(), getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw std::runtime_error(fmt::format("cannot write {}", temp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    throw std::runtime_error(fmt::format("cannot rename {} to {}", temp.string(), path));
  }
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
  write_atomically(path, partial_to_text(partial));
}

void write_partial(const std::string& path, const SensitivityPartial& partial) {
  write_atomically(path, partial_to_text(partial));
}

AnyPartial read_partial(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "file", "cannot read the partial result (missing?)");
  std::stringstream text;
  text << in.rdbuf();
  return partial_from_text(text.str(), path);
}

AnyPartial partial_from_text(const std::string& text, const std::string& path) {
  nlohmann::json file;
  try {
    file = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw InputError(path, 0, "file", "not JSON: truncated or corrupt partial result");
  }
  const std::string format = file.is_object() ? file.value("format", "") : "";
  if (format != kFormat && format != kSensitivityFormat)
    throw InputError(path, 0, "format",
                     fmt::format("not a partial result ({} or {} expected)", kFormat,
                                 kSensitivityFormat));
  if (!file.contains("data") || crc64(file["data"].dump()) != file.value("checksum", ""))
    throw InputError(path, 0, "checksum", "checksum mismatch: the partial result is corrupt");
  try {
    if (format == kFormat) return partial_from_json(file["data"]);
    return sensitivity_from_json(file["data"]);
  } catch (const std::exception& e) {
    throw InputError(path, 0, "data", fmt::format("malformed partial result: {}", e.what()));
  }
}

}  // namespace sphere::store

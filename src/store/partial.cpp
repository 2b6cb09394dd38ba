// Partial results of sharded forecasts: JSON (doubles written in shortest round-trip form, so
// they read back to the same bits), a CRC-64 over the contents, written atomically.
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

constexpr const char* kFormat = "sphere-partial/1";

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

std::string partial_to_text(const Partial& partial) {
  const std::string data = part_json(partial).dump();
  const nlohmann::json file = {
      {"format", kFormat}, {"checksum", crc64(data)}, {"data", nlohmann::json::parse(data)}};
  return file.dump() + "\n";
}

void write_partial(const std::string& path, const Partial& partial) {
  const std::string text = partial_to_text(partial);
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

Partial read_partial(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "file", "cannot read the partial result (missing?)");
  std::stringstream text;
  text << in.rdbuf();
  return partial_from_text(text.str(), path);
}

Partial partial_from_text(const std::string& text, const std::string& path) {
  nlohmann::json file;
  try {
    file = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw InputError(path, 0, "file", "not JSON: truncated or corrupt partial result");
  }
  if (!file.is_object() || file.value("format", "") != kFormat)
    throw InputError(path, 0, "format", fmt::format("not a partial result ({} expected)", kFormat));
  if (!file.contains("data") || crc64(file["data"].dump()) != file.value("checksum", ""))
    throw InputError(path, 0, "checksum", "checksum mismatch: the partial result is corrupt");
  try {
    return partial_from_json(file["data"]);
  } catch (const std::exception& e) {
    throw InputError(path, 0, "data", fmt::format("malformed partial result: {}", e.what()));
  }
}

}  // namespace sphere::store

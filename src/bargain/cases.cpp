// The small geopolitical validation cases of shared/data/bargaining (known_outcomes.csv and the
// input files it names) and their scores beside the baselines.
#include <algorithm>
#include <cmath>

#define CSV_IO_NO_THREAD
#include <fmt/format.h>
#include <libfccp/csv.h>
#include <nlohmann/json.hpp>

#include "bargain/bargain.h"

namespace sphere::bargain {
namespace {

double number(const std::string& cell, const std::string& file, int line, const char* column) {
  try {
    std::size_t used = 0;
    const double v = std::stod(cell, &used);
    if (used == cell.size()) return v;
  } catch (const std::exception&) {
  }
  throw InputError(file, line, column, fmt::format("'{}' is not a number", cell));
}

// Four columns (actor, capability, position, salience) under the given header names.
template <char Sep>
std::vector<Player> read_actor_table(const std::filesystem::path& path, const char* actor,
                                     const char* capability, const char* position,
                                     const char* salience) {
  const std::string file = path.string();
  const std::string text = read_text_file(path);
  std::vector<Player> players;
  try {
    io::CSVReader<4, io::trim_chars<' '>, io::double_quote_escape<Sep, '"'>> reader(
        file, text.data(), text.data() + text.size());
    reader.read_header(io::ignore_extra_column | io::ignore_missing_column, actor, capability,
                       position, salience);
    for (const char* c : {actor, capability, position, salience})
      if (!reader.has_column(c))
        throw InputError(file, 1, c, fmt::format("missing column; the file needs {}, {}, {}, {}",
                                                  actor, capability, position, salience));
    std::string a, c, p, s;
    while (reader.read_row(a, c, p, s)) {
      const int line = static_cast<int>(reader.get_file_line());
      players.push_back({a, number(c, file, line, capability), number(p, file, line, position),
                         number(s, file, line, salience)});
    }
  } catch (const io::error::base& e) {
    throw InputError(file, 1, "", e.what());
  }
  if (players.size() < 2) throw InputError(file, 0, "", "fewer than two actors");
  return players;
}

// A KTAB case of the JSON file: 0-100 scales, capability and salience 0-100.
BargainCase ktab_case(const std::filesystem::path& path, const std::string& case_id) {
  const std::string file = path.string();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file, 0, "", e.what());
  }
  try {
  std::string wanted = case_id;
  std::transform(wanted.begin(), wanted.end(), wanted.begin(),
                 [](unsigned char ch) { return ch == '_' ? '-' : std::toupper(ch); });
  const nlohmann::json cases = doc.value("cases", nlohmann::json::array());
  for (const auto& c : cases) {
    if (c.value("case_id", "") != wanted) continue;
    BargainCase out;
    out.scale_low = 0.0;
    out.scale_high = 100.0;
    for (const auto& a : c.at("actors"))
      out.players.push_back({a.at("id").get<std::string>(), a.at("capability").get<double>(),
                             a.at("position").get<double>(), a.at("salience").get<double>() / 100.0});
    // The continuum's own status-quo marker: "approx. status quo 2014" or "Status quo" at 0.
    const auto& cont = c.at("continuum");
    if (cont.value("anchor_0", "").rfind("Status quo", 0) == 0) out.status_quo = 0.0;
    const nlohmann::json markers = cont.value("markers", nlohmann::json::object());
    for (const auto& [k, v] : markers.items())
      if (v.is_string() && v.get<std::string>().find("status quo") != std::string::npos)
        out.status_quo = std::stod(k);
    return out;
  }
  throw InputError(file, 0, "case_id", fmt::format("no case '{}' in the file", wanted));
  } catch (const nlohmann::json::exception& e) {  // a missing or mistyped field
    throw InputError(file, 0, "cases", e.what());
  }
}

}  // namespace

std::vector<BargainCase> load_cases(const std::filesystem::path& dir) {
  const std::filesystem::path index = dir / "known_outcomes.csv";
  const std::string file = index.string();
  const std::string text = read_text_file(index);
  std::vector<BargainCase> cases;
  try {
    io::CSVReader<4, io::trim_chars<' '>, io::double_quote_escape<',', '"'>> reader(
        file, text.data(), text.data() + text.size());
    reader.read_header(io::ignore_extra_column | io::ignore_missing_column, "case_id",
                       "input_file", "outcome_scale", "observed_outcome");
    for (const char* c : {"case_id", "input_file", "outcome_scale", "observed_outcome"})
      if (!reader.has_column(c))
        throw InputError(file, 1, c, "missing column; known_outcomes.csv needs case_id, "
                                     "input_file, outcome_scale, observed_outcome");
    std::string id, input, scale, observed;
    while (reader.read_row(id, input, scale, observed)) {
      const int line = static_cast<int>(reader.get_file_line());
      if (input.starts_with("deu")) continue;  // scored issue by issue by load_deu
      BargainCase c;
      const std::filesystem::path in = dir / input;
      if (input.ends_with(".json")) {
        c = ktab_case(in, id);
      } else if (input.ends_with(".tsv")) {
        c.players = read_actor_table<'\t'>(in, "Name", "c", "x", "s");
      } else {
        c.players = read_actor_table<','>(in, "Actor", "Capability", "Position", "Salience");
      }
      if (!input.ends_with(".json")) {
        // Scale: the span of the positions (the files state no other).
        auto [lo, hi] = std::minmax_element(c.players.begin(), c.players.end(),
                                            [](const Player& a, const Player& b) {
                                              return a.position < b.position;
                                            });
        c.scale_low = lo->position;
        c.scale_high = hi->position;
      }
      c.id = id;
      c.file = input;
      c.scale = scale;
      // "25 (near-term, by 2017) / 55 (by 2020)": the first number, the near-term reading.
      std::size_t used = 0;
      try {
        c.outcome = std::stod(observed, &used);
      } catch (const std::exception&) {
        throw InputError(file, line, "observed_outcome",
                         fmt::format("'{}' does not start with a number", observed));
      }
      cases.push_back(std::move(c));
    }
  } catch (const io::error::base& e) {
    throw InputError(file, 1, "", e.what());
  }
  return cases;
}

std::vector<BargainCase> load_run_only_cases(const std::filesystem::path& dir) {
  std::vector<BargainCase> out;
  const auto sultan = dir / "sultan_bdm1997.csv";
  if (!std::filesystem::exists(sultan)) return out;
  BargainCase c;
  c.id = "sultan_bdm1997";
  c.file = "sultan_bdm1997.csv";
  c.scale = "BDM 1997 Sultan example (no recorded outcome)";
  c.players = read_actor_table<','>(sultan, "Actor", "Capability", "Position", "Salience");
  auto [lo, hi] = std::minmax_element(
      c.players.begin(), c.players.end(),
      [](const Player& a, const Player& b) { return a.position < b.position; });
  c.scale_low = lo->position;
  c.scale_high = hi->position;
  out.push_back(std::move(c));
  return out;
}

std::vector<CaseForecast> forecast_case(const BargainCase& c, const EuOptions& eu) {
  std::vector<CaseForecast> out;
  out.push_back({"baseline: middle of the scale", (c.scale_low + c.scale_high) / 2.0});
  out.push_back({"baseline: status quo", c.status_quo});
  out.push_back({"compromise", compromise(c.players)});
  std::vector<double> x, w;
  for (const Player& p : c.players) {
    x.push_back(p.position);
    w.push_back(p.capability * p.salience);
  }
  out.push_back({"weighted median", weighted_median(x, w)});
  out.push_back({"Nash bargaining (d = status quo)",
                 c.status_quo ? std::optional(nash_bargaining(c.players, *c.status_quo).outcome)
                              : std::nullopt});
  EuOptions options = eu;
  options.probability = ProbabilityRule::kScholzCode;
  const EuResult r = expected_utility(c.players, options);
  out.push_back({"expected utility, last round", r.forecast()});
  out.push_back({"expected utility, outcome set", r.outcome()});
  return out;
}

}  // namespace sphere::bargain

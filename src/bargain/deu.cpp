// The DEU III data set (Arregui & Perarnaud 2022) and the error statistics of each model on it.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <tuple>

#define CSV_IO_NO_THREAD
#include <fmt/format.h>
#include <libfccp/csv.h>

#include "bargain/bargain.h"

namespace sphere::bargain {
namespace {

// The 30 actors of DEU III: Commission, Parliament and the 28 member states (column p<code>).
constexpr std::array<const char*, 30> kActors = {
    "com", "ep", "at", "be", "bu", "cr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "el", "hu",
    "ie",  "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "si", "sk", "es", "se", "uk"};
constexpr std::size_t kColumns = 4 + 2 * kActors.size();
constexpr int kMinActors = 3;

using TsvReader = io::CSVReader<kColumns, io::trim_chars<' '>, io::double_quote_escape<'\t', '"'>,
                                io::throw_on_overflow, io::no_comment>;

std::array<std::string, kColumns> column_names() {
  std::array<std::string, kColumns> names;
  names[0] = "isnr";
  names[1] = "proc";
  names[2] = "rp";
  names[3] = "out";
  for (std::size_t a = 0; a < kActors.size(); ++a) {
    names[4 + a] = std::string("p") + kActors[a];
    names[4 + kActors.size() + a] = std::string("s") + kActors[a];
  }
  return names;
}

// A cell on the 0-100 scale; nullopt when empty. Reports anything else.
std::optional<double> scale_value(const std::string& cell, const std::string& file, int line,
                                  const std::string& column, Diagnostics& out,
                                  bool allow_off_scale = false) {
  if (cell.empty()) return std::nullopt;
  double value = 0.0;
  auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec != std::errc() || end != cell.data() + cell.size()) {
    out.add(file, line, column, fmt::format("'{}' is not a number", cell));
    return std::nullopt;
  }
  if (!allow_off_scale && (value < 0.0 || value > 100.0)) {
    out.add(file, line, column, fmt::format("{} is off the 0-100 scale", value));
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string to_string(DeuCapability capability) {
  return capability == DeuCapability::kGdp ? "GDP row of the file, over its largest value"
                                           : "all equal";
}

std::vector<DeuIssue> load_deu(const std::filesystem::path& path, DeuCapability capability) {
  const std::string file = path.string();
  const std::string text = read_text_file(path);
  Diagnostics out;
  std::vector<DeuIssue> issues;
  try {
    TsvReader reader(file, text.data(), text.data() + text.size());
    auto names = column_names();
    // Actors absent from a file (DEU I has 17) are simply missing; the issue columns are not.
    std::apply([&](auto&... n) {
      reader.read_header(io::ignore_extra_column | io::ignore_missing_column, n...);
    }, names);
    for (const char* required : {"isnr", "proc", "out"})
      if (!reader.has_column(required))
        out.add(file, 1, required, "missing column; the DEU III file has isnr, proc, rp, out, "
                                   "p<actor> and s<actor>");
    if (!out.empty()) throw InputError(out);
    std::array<std::string, kColumns> row;
    std::array<std::optional<double>, kActors.size()> gdp;
    int gdp_line = 0;
    while (true) {
      try {
        if (!std::apply([&](auto&... cell) { return reader.read_row(cell...); }, row)) break;
      } catch (const io::error::base& e) {
        out.add(file, static_cast<int>(reader.get_file_line()), "", e.what());
        continue;
      }
      const int line = static_cast<int>(reader.get_file_line());
      if (row[0].empty()) {  // the GDP line under the header is not an issue
        if (gdp_line == 0) {
          gdp_line = line;
          for (std::size_t a = 0; a < kActors.size(); ++a)
            gdp[a] = scale_value(row[4 + a], file, line, names[4 + a], out, true);
        }
        continue;
      }
      DeuIssue issue;
      issue.id = row[0];
      issue.procedure = row[1];
      issue.line = line;
      issue.reference_point = scale_value(row[2], file, line, "rp", out);
      // An outcome off the scale (the data set's missing-value codes) leaves the issue unscored.
      auto outcome = scale_value(row[3], file, line, "out", out, true);
      for (std::size_t a = 0; a < kActors.size(); ++a) {
        auto p = scale_value(row[4 + a], file, line, names[4 + a], out);
        auto s = scale_value(row[4 + kActors.size() + a], file, line,
                             names[4 + kActors.size() + a], out);
        if (!p || !s) continue;
        double c = 1.0;
        if (capability == DeuCapability::kGdp) {
          if (gdp_line == 0) {
            out.add(file, 2, names[4 + a], "no GDP row under the header; capabilities from GDP "
                                           "need it (or use equal capabilities)");
            throw InputError(out);
          }
          if (!gdp[a] || !(*gdp[a] > 0.0)) {
            out.add(file, gdp_line, names[4 + a], "no positive GDP for this actor, which takes "
                                                  "part in issue " + issue.id);
            continue;
          }
          double largest = 0.0;
          for (const auto& g : gdp) largest = std::max(largest, g.value_or(0.0));
          c = *gdp[a] / largest;
        }
        issue.players.push_back({kActors[a], c, *p, *s / 100.0});
      }
      if (!outcome || *outcome < 0.0 || *outcome > 100.0) continue;
      if (static_cast<int>(issue.players.size()) < kMinActors) continue;
      issue.outcome = *outcome;
      issues.push_back(std::move(issue));
    }
  } catch (const io::error::base& e) {
    out.add(file, 1, "", e.what());
  }
  if (!out.empty()) throw InputError(out);
  if (issues.empty()) throw InputError(file, 0, "out", "no scoreable issue in the file");
  return issues;
}

ErrorStats error_stats(std::span<const double> errors) {
  ErrorStats stats;
  stats.n = static_cast<int>(errors.size());
  if (errors.empty()) return stats;
  double sum = 0.0, squares = 0.0;
  for (double e : errors) {
    sum += e;
    squares += e * e;
  }
  stats.mae = sum / stats.n;
  stats.rmse = std::sqrt(squares / stats.n);
  stats.median_ae = median({errors.begin(), errors.end()});
  return stats;
}

std::vector<DeuModel> all_deu_models() {
  return {DeuModel::kConstant50, DeuModel::kStatusQuo, DeuModel::kCompromise, DeuModel::kUnweightedMean, DeuModel::kMedian,
          DeuModel::kWeightedMedian, DeuModel::kNash, DeuModel::kEuPrinted,
          DeuModel::kEuScholzCode, DeuModel::kEuOutcomeSet};
}

std::string to_string(DeuModel model) {
  switch (model) {
    case DeuModel::kConstant50: return "baseline: always 50";
    case DeuModel::kStatusQuo: return "baseline: status quo (reference point)";
    case DeuModel::kCompromise: return "compromise (weighted mean)";
    case DeuModel::kUnweightedMean: return "unweighted mean";
    case DeuModel::kMedian: return "plain median";
    case DeuModel::kWeightedMedian: return "salience-weighted median";
    case DeuModel::kNash: return "Nash bargaining (d = reference point)";
    case DeuModel::kEuPrinted: return "expected utility, printed P";
    case DeuModel::kEuOutcomeSet: return "expected utility, Scholz-code P, outcome set";
    default: return "expected utility, Scholz-code P";
  }
}

std::optional<double> forecast(DeuModel model, const DeuIssue& issue, const EuOptions& eu) {
  std::vector<double> x, w;
  x.reserve(issue.players.size());
  w.reserve(issue.players.size());
  for (const Player& p : issue.players) {
    x.push_back(p.position);
    w.push_back(p.capability * p.salience);
  }
  switch (model) {
    case DeuModel::kConstant50: return 50.0;
    case DeuModel::kStatusQuo: return issue.reference_point;
    case DeuModel::kCompromise: {
      double total = 0.0;
      for (double v : w) total += v;
      if (total <= 0.0) return median(x);  // nobody cares: fall back on the plain median
      return compromise(issue.players);
    }
    case DeuModel::kUnweightedMean: return weighted_mean(x, std::vector<double>(x.size(), 1.0));
    case DeuModel::kMedian: return median(x);
    case DeuModel::kWeightedMedian: return weighted_median(x, w);
    case DeuModel::kNash:
      if (!issue.reference_point) return std::nullopt;
      return nash_bargaining(issue.players, *issue.reference_point).outcome;
    case DeuModel::kEuPrinted:
    case DeuModel::kEuScholzCode: {
      EuOptions options = eu;
      options.probability = model == DeuModel::kEuPrinted ? ProbabilityRule::kPrinted
                                                          : ProbabilityRule::kScholzCode;
      return expected_utility(issue.players, options).forecast();
    }
    case DeuModel::kEuOutcomeSet: {
      EuOptions options = eu;
      options.probability = ProbabilityRule::kScholzCode;
      return expected_utility(issue.players, options).outcome();
    }
  }
  return std::nullopt;
}

std::vector<DeuScore> score_deu(std::span<const DeuIssue> issues, const EuOptions& eu) {
  std::vector<DeuScore> scores;
  for (DeuModel model : all_deu_models()) {
    std::vector<double> all, cod, cns, with_rp;
    for (const DeuIssue& issue : issues) {
      auto f = forecast(model, issue, eu);
      if (!f) continue;
      const double error = std::abs(*f - issue.outcome);
      all.push_back(error);
      if (issue.procedure == "COD") cod.push_back(error);
      else if (issue.procedure == "CNS") cns.push_back(error);
      if (issue.reference_point) with_rp.push_back(error);
    }
    scores.push_back(
        {model, error_stats(all), error_stats(cod), error_stats(cns), error_stats(with_rp)});
  }
  return scores;
}

}  // namespace sphere::bargain

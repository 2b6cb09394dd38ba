// Streaming readers for the shared panel formats. Each collects its usable rows as
// (pair, period, values), then lays them out densely: a pair without a row in a period is 0.
#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <istream>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "panel/panel.h"

namespace sphere::panel {
namespace {

bool parse_double(std::string_view text, double* out) {
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(*out);
}

bool parse_int(std::string_view text, int* out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "YYYY-MM" -> month index; "YYYY" -> year (yearly panels).
bool parse_period(std::string_view text, bool yearly, int* out) {
  if (yearly) return parse_int(text, out) && *out > 0;
  if (text.size() != 7 || text[4] != '-') return false;
  int year = 0, month = 0;
  if (!parse_int(text.substr(0, 4), &year) || !parse_int(text.substr(5, 2), &month)) return false;
  if (year < 1 || month < 1 || month > 12) return false;
  *out = year * 12 + month - 1;
  return true;
}

// Cells of the dense table at most (1 GiB of floats).
constexpr std::size_t kMaxCells = std::size_t{1} << 28;

// Rows as read, before the dense layout.
class Collector {
 public:
  Collector(Panel* panel, const ReadOptions& options) : panel_(panel), options_(options) {
    for (const auto& code : options.codes) keep_.emplace(code, 0);
  }

  bool wanted(std::string_view code) const {
    return keep_.empty() || keep_.count(std::string(code)) > 0;
  }
  int intern(std::string_view code) {
    auto [it, inserted] = index_.try_emplace(std::string(code), static_cast<int>(names_.size()));
    if (inserted) names_.emplace_back(code);
    return it->second;
  }
  // Adds one row; values has one entry per measure. Returns false on a duplicate.
  bool add(int a, int b, int period, const double* values, bool accumulate = false) {
    if (!panel_->directed && a > b) std::swap(a, b);
    const std::uint64_t key = (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b);
    auto [it, inserted] = pair_of_.try_emplace(key, static_cast<int>(pairs_.size()));
    if (inserted) pairs_.push_back({a, b});
    const std::size_t k = panel_->measures.size();
    const std::uint64_t cell = (static_cast<std::uint64_t>(it->second) << 32) |
                               static_cast<std::uint32_t>(period);
    auto [at, fresh] = cell_of_.try_emplace(cell, rows_.size());
    if (!fresh && !accumulate) return false;
    if (fresh) {
      rows_.push_back({it->second, period});
      data_.insert(data_.end(), values, values + k);
    } else {
      for (std::size_t m = 0; m < k; ++m) data_[at->second * k + m] += values[m];
    }
    min_period_ = std::min(min_period_, period);
    max_period_ = std::max(max_period_, period);
    return true;
  }
  void set_exposure(int period, double days) { exposure_[period] = days; }

  // Lays the rows out densely, codes and pairs sorted.
  void finish() {
    Panel& p = *panel_;
    if (rows_.empty()) {
      throw InputError(p.file, 0, "", "no usable row" + std::string(options_.until > 0
                                                                         ? " before the month to read until"
                                                                         : ""));
    }
    std::vector<int> order(names_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(), [&](int x, int y) { return names_[x] < names_[y]; });
    std::vector<int> rank(names_.size());
    p.codes.resize(names_.size());
    for (std::size_t r = 0; r < order.size(); ++r) {
      rank[order[r]] = static_cast<int>(r);
      p.codes[r] = names_[order[r]];
    }
    std::vector<Panel::Pair> pairs(pairs_.size());
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      int a = rank[pairs_[i].a], b = rank[pairs_[i].b];
      if (!p.directed && a > b) std::swap(a, b);
      pairs[i] = {a, b};
    }
    std::vector<int> pair_order(pairs.size());
    for (std::size_t i = 0; i < pair_order.size(); ++i) pair_order[i] = static_cast<int>(i);
    std::sort(pair_order.begin(), pair_order.end(), [&](int x, int y) {
      return std::tie(pairs[x].a, pairs[x].b) < std::tie(pairs[y].a, pairs[y].b);
    });
    std::vector<int> new_index(pairs.size());
    p.pairs.resize(pairs.size());
    for (std::size_t r = 0; r < pair_order.size(); ++r) {
      new_index[pair_order[r]] = static_cast<int>(r);
      p.pairs[r] = pairs[pair_order[r]];
    }
    p.first = min_period_;
    p.periods = max_period_ - min_period_ + 1;
    const std::size_t k = p.measures.size();
    // The table is dense: a few rows far apart in time over many pairs would otherwise ask for
    // gigabytes before anything is checked.
    const double cells = static_cast<double>(p.pairs.size()) * static_cast<double>(k) * p.periods;
    if (cells > static_cast<double>(kMaxCells))
      throw InputError(p.file, 0, "", fmt::format("the panel would have {:.0f} cells ({} pairs x {} "
                                                  "measures x {} periods), more than {}; keep "
                                                  "fewer codes or periods",
                                                  cells, p.pairs.size(), k, p.periods, kMaxCells));
    p.values.assign(p.pairs.size() * k * p.periods, 0.0f);
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      const std::size_t pair = new_index[rows_[r].pair];
      const int t = rows_[r].period - p.first;
      for (std::size_t m = 0; m < k; ++m)
        p.values[(pair * k + m) * p.periods + t] = static_cast<float>(data_[r * k + m]);
    }
    p.exposure.assign(p.periods, exposure_.empty() ? 1.0 : 0.0);
    // A month whose rows were all left out (codes not kept, self-pairs) can lie outside the
    // periods of the rows kept: it is not part of the panel.
    for (const auto& [period, days] : exposure_)
      if (period >= p.first && period - p.first < p.periods) p.exposure[period - p.first] = days;
    p.rows_used = rows_.size();
  }

 private:
  struct Row {
    int pair, period;
  };
  Panel* panel_;
  const ReadOptions& options_;
  std::unordered_map<std::string, int> keep_, index_;
  std::vector<std::string> names_;
  std::unordered_map<std::uint64_t, int> pair_of_;
  std::unordered_map<std::uint64_t, std::size_t> cell_of_;
  std::vector<Panel::Pair> pairs_;
  std::vector<Row> rows_;
  std::vector<double> data_;
  std::map<int, double> exposure_;
  int min_period_ = 1 << 30, max_period_ = -(1 << 30);
};

// Reports a bad row: counted, or thrown at once when strict.
struct RowErrors {
  Panel* panel;
  bool strict;
  void bad(int line, const std::string& field, const std::string& what) {
    if (strict) throw InputError(panel->file, line, field, what);
    panel->bad.add(field.empty() ? what : field + ": " + what, line);
  }
};

// Longest line read; a longer one is an error (a panel row is a few hundred bytes at most).
constexpr std::size_t kMaxLine = 1 << 20;

// Reads the next line of `in` into *line without its '\n'; false at the end of the input. The
// line is read in pieces of `chunk` bytes (memory in proportion to the line, not to a fixed
// bound); one over kMaxLine bytes throws.
bool next_line(std::istream& in, std::string& chunk, std::string* line, const Panel& panel, int number) {
  line->clear();
  bool any = false;
  while (true) {
    // getline stores at most chunk.size() - 1 bytes; it reads the newline without storing it,
    // and sets failbit (not eofbit) when the piece filled before the line ended.
    in.getline(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0 && in.fail()) return any;  // nothing more
    any = true;
    const bool ended = !in.fail();
    line->append(chunk.data(), got - (ended && !in.eof() ? 1 : 0));
    if (line->size() > kMaxLine)
      throw InputError(panel.file, number, "", fmt::format("line longer than {} bytes", kMaxLine));
    if (ended) return true;
    in.clear(in.rdstate() & ~std::ios::failbit);  // the rest of the line follows
  }
}

// Calls on_row(line number, fields) for each line of `in` (the header with line number 0);
// stops when it returns false. Fields are split by core's CSV rules (split_csv_line); a row with
// a quote not closed is a bad row.
template <typename OnRow>
void for_each_line(std::istream& in, Panel* panel, RowErrors& errors, OnRow on_row) {
  std::string chunk(64 * 1024, '\0'), text;
  std::vector<std::string> storage;
  std::vector<std::string_view> fields;
  int line_number = 0;
  while (next_line(in, chunk, &text, *panel, line_number + 1)) {
    ++line_number;
    std::string_view line(text);
    if (line.ends_with('\r')) line.remove_suffix(1);
    // A UTF-8 byte order mark before the header is not part of its first column.
    if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    const bool closed = split_csv_line(line, storage);
    fields.assign(storage.begin(), storage.end());
    if (!closed) {
      if (line_number == 1) throw InputError(panel->file, 1, "header", "a quote is not closed");
      ++panel->rows_read;
      errors.bad(line_number, "", "a quote is not closed");
      continue;
    }
    if (line_number == 1) {
      on_row(0, fields);  // the header
    } else if (!(fields.size() == 1 && fields[0].empty())) {  // not a blank line
      ++panel->rows_read;
      if (!on_row(line_number, fields)) break;
    }
  }
  if (in.bad()) throw InputError(panel->file, line_number, "", "read error");
}

void expect_header(Panel* panel, const std::vector<std::string_view>& fields,
                   const std::vector<std::string>& expected) {
  bool ok = fields.size() == expected.size();
  for (std::size_t i = 0; ok && i < expected.size(); ++i) ok = fields[i] == expected[i];
  if (!ok) {
    std::string want;
    for (const auto& e : expected) want += (want.empty() ? "" : ",") + e;
    throw InputError(panel->file, 1, "header", "expected the columns " + want);
  }
}

void read_gdelt_monthly(std::istream& in, Panel* panel, const ReadOptions& options) {
  panel->directed = false;
  panel->measures = {{"days_nonzero", true, true, "days"},
                     {"days_negative", true, true, "days"},
                     {"days_positive", true, true, "days"},
                     {"sum_score", false, false, "coverage-weighted Goldstein sum"}};
  Collector collect(panel, options);
  RowErrors errors{panel, options.strict};
  int last_month = 0;
  std::map<int, double> days_of_month;
  for_each_line(in, panel, errors, [&](int line, const std::vector<std::string_view>& f) {
    if (line == 0) {
      expect_header(panel, f,
                    {"month", "country1", "country2", "days_in_data", "days_nonzero",
                     "days_negative", "days_positive", "sum_score"});
      return true;
    }
    if (f.size() != 8) {
      errors.bad(line, "", fmt::format("expected 8 columns, found {}", f.size()));
      return true;
    }
    int month = 0;
    if (!parse_period(f[0], false, &month)) {
      errors.bad(line, "month", "not a YYYY-MM month");
      return true;
    }
    if (month < last_month) {
      errors.bad(line, "month", "month out of order (the file is sorted by month)");
      return true;
    }
    last_month = month;
    if (options.until > 0 && month >= options.until) return false;  // sorted: nothing later counts
    double v[5];
    static const char* names[] = {"days_in_data", "days_nonzero", "days_negative",
                                  "days_positive", "sum_score"};
    for (int i = 0; i < 5; ++i) {
      if (!parse_double(f[3 + i], &v[i])) {
        errors.bad(line, names[i], "not a number");
        return true;
      }
      if (i < 4 && (v[i] < 0 || v[i] != std::floor(v[i]))) {
        errors.bad(line, names[i], "a count must be a non-negative integer");
        return true;
      }
    }
    if (v[0] > 31 || v[1] > v[0] || v[2] > v[1] || v[3] > v[1]) {
      errors.bad(line, "days_in_data", "day counts inconsistent (days_nonzero <= days_in_data <= 31)");
      return true;
    }
    if (auto [it, fresh] = days_of_month.try_emplace(month, v[0]); !fresh && it->second != v[0]) {
      errors.bad(line, "days_in_data", "differs from earlier rows of the same month");
      return true;
    }
    if (!collect.wanted(f[1]) || !collect.wanted(f[2])) return true;
    const int a = collect.intern(f[1]), b = collect.intern(f[2]);
    if (a == b) {
      errors.bad(line, "country2", "a pair of one country with itself");
      return true;
    }
    if (!collect.add(a, b, month, v + 1)) errors.bad(line, "country1", "duplicate pair and month");
    return true;
  });
  for (const auto& [month, days] : days_of_month) collect.set_exposure(month, days);
  collect.finish();
  // Months with a row anywhere have exposure; a month missing from the file had no data.
  panel->yearly = false;
}

void read_icews_year(std::istream& in, Panel* panel, const ReadOptions& options) {
  panel->directed = true;
  panel->yearly = true;
  panel->measures = {{"verbCoop", true, false, "events"},
                     {"matlCoop", true, false, "events"},
                     {"verbConf", true, false, "events"},
                     {"matlConf", true, false, "events"}};
  Collector collect(panel, options);
  RowErrors errors{panel, options.strict};
  const int until_year = options.until > 0 ? options.until / 12 : 0;  // whole years before it
  for_each_line(in, panel, errors, [&](int line, const std::vector<std::string_view>& f) {
    if (line == 0) {
      expect_header(panel, f,
                    {"i", "j", "i_iso3c", "j_iso3c", "year", "verbCoop", "matlCoop", "verbConf",
                     "matlConf"});
      return true;
    }
    if (f.size() != 9) {
      errors.bad(line, "", fmt::format("expected 9 columns, found {}", f.size()));
      return true;
    }
    int year = 0;
    if (!parse_int(f[4], &year) || year < 1900 || year > 2200) {
      errors.bad(line, "year", "not a year");
      return true;
    }
    if (until_year > 0 && year >= until_year) return true;
    double v[4];
    static const char* names[] = {"verbCoop", "matlCoop", "verbConf", "matlConf"};
    for (int i = 0; i < 4; ++i) {
      if (!parse_double(f[5 + i], &v[i]) || v[i] < 0 || v[i] != std::floor(v[i])) {
        errors.bad(line, names[i], "a count must be a non-negative integer");
        return true;
      }
    }
    if (f[2].size() != 3 || f[3].size() != 3) {
      errors.bad(line, f[2].size() != 3 ? "i_iso3c" : "j_iso3c", "not an ISO3 code");
      return true;
    }
    if (!collect.wanted(f[2]) || !collect.wanted(f[3])) return true;
    const int a = collect.intern(f[2]), b = collect.intern(f[3]);
    if (a == b) return true;  // the data set has no self-dyads; tolerate them silently
    if (!collect.add(a, b, year, v)) errors.bad(line, "year", "duplicate dyad and year");
    return true;
  });
  collect.finish();
}

// MIDIP: one row per state in an incident. Each incident adds one to every directed pair
// (side A state -> side B state) in the month it started.
void read_mid_incidents(std::istream& in, Panel* panel, const ReadOptions& options) {
  panel->directed = true;
  panel->yearly = false;
  panel->measures = {{"incidents", true, false, "militarised incidents"}};
  Collector collect(panel, options);
  RowErrors errors{panel, options.strict};
  struct Side {
    std::vector<std::string> a, b;
    int month = 0;
  };
  std::map<long, Side> incidents;
  for_each_line(in, panel, errors, [&](int line, const std::vector<std::string_view>& f) {
    if (line == 0) {
      if (f.size() < 12 || f[1] != "incidnum" || f[3] != "ccode" || f[11] != "sidea")
        throw InputError(panel->file, 1, "header", "expected the COW MIDIP 5 columns");
      return true;
    }
    if (f.size() < 12) {
      errors.bad(line, "", fmt::format("expected 19 columns, found {}", f.size()));
      return true;
    }
    int incident = 0, ccode = 0, month = 0, year = 0, sidea = 0;
    if (!parse_int(f[1], &incident)) return errors.bad(line, "incidnum", "not a number"), true;
    if (!parse_int(f[3], &ccode)) return errors.bad(line, "ccode", "not a number"), true;
    if (!parse_int(f[6], &year) || year < 1816 || year > 9999)
      return errors.bad(line, "styear", "not a year"), true;
    if (!parse_int(f[5], &month) || month == 0 || month > 12)
      return errors.bad(line, "stmon", "not a month 1-12"), true;
    if (!parse_int(f[11], &sidea) || (sidea != 0 && sidea != 1))
      return errors.bad(line, "sidea", "must be 0 or 1"), true;
    const std::string iso = iso3_of_cow(ccode);
    if (iso.empty()) return true;  // a state outside the code table: not an error, not kept
    const int m = year * 12 + month - 1;
    if (options.until > 0 && m >= options.until) return true;
    Side& side = incidents[incident];
    auto& mine = sidea ? side.a : side.b;
    const auto& other = sidea ? side.b : side.a;
    // A state on both sides would make a pair of itself; listed twice on one side, it would
    // count the incident twice.
    if (std::find(other.begin(), other.end(), iso) != other.end())
      return errors.bad(line, "sidea", "the state is on the other side of this incident too"), true;
    side.month = m;
    if (std::find(mine.begin(), mine.end(), iso) == mine.end()) mine.push_back(iso);
    return true;
  });
  const double one = 1.0;
  for (const auto& [id, side] : incidents) {
    for (const auto& a : side.a)
      for (const auto& b : side.b) {
        if (!collect.wanted(a) || !collect.wanted(b)) continue;
        collect.add(collect.intern(a), collect.intern(b), side.month, &one, /*accumulate=*/true);
      }
  }
  collect.finish();
}

void read_dyad_csv(std::istream& in, Panel* panel, const ReadOptions& options) {
  panel->directed = options.directed;
  Collector* collect = nullptr;
  Collector holder(panel, options);
  collect = &holder;
  RowErrors errors{panel, options.strict};
  std::vector<double> v;
  for_each_line(in, panel, errors, [&](int line, const std::vector<std::string_view>& f) {
    if (line == 0) {
      if (f.size() < 4 || f[0] != "period" || f[1] != "actor1" || f[2] != "actor2")
        throw InputError(panel->file, 1, "header",
                         "expected period,actor1,actor2 and at least one measure column");
      for (std::size_t i = 3; i < f.size(); ++i) {
        std::string name(f[i]);
        // A measure named level:NAME is real-valued; others are counts.
        bool count = true;
        if (name.rfind("level:", 0) == 0) {
          count = false;
          name = name.substr(6);
        }
        panel->measures.push_back({name, count, false, count ? "count" : "level"});
      }
      v.resize(panel->measures.size());
      return true;
    }
    if (f.size() != panel->measures.size() + 3) {
      errors.bad(line, "", fmt::format("expected {} columns, found {}", panel->measures.size() + 3,
                                       f.size()));
      return true;
    }
    int period = 0;
    const bool yearly = f[0].size() == 4;
    if (panel->rows_read == 1) panel->yearly = yearly;
    if (yearly != panel->yearly || !parse_period(f[0], yearly, &period)) {
      errors.bad(line, "period", panel->yearly ? "not a YYYY year" : "not a YYYY-MM month");
      return true;
    }
    if (options.until > 0 && (panel->yearly ? period * 12 : period) >= options.until) return true;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Measure& m = panel->measures[i];
      if (!parse_double(f[3 + i], &v[i])) {
        errors.bad(line, m.name, "not a number");
        return true;
      }
      if (m.count && (v[i] < 0 || v[i] != std::floor(v[i]))) {
        errors.bad(line, m.name, "a count must be a non-negative integer");
        return true;
      }
    }
    if (f[1].empty() || f[2].empty() || f[1] == f[2]) {
      errors.bad(line, "actor2", "two different actor codes needed");
      return true;
    }
    if (!collect->wanted(f[1]) || !collect->wanted(f[2])) return true;
    if (!collect->add(collect->intern(f[1]), collect->intern(f[2]), period, v.data()))
      errors.bad(line, "period", "duplicate pair and period");
    return true;
  });
  collect->finish();
}

// IEA Gas Trade Flows (gtf_long.csv): one row per border point and month; flows of the border
// points between the same exit and entry country summed into one directed pair.
void read_iea_flows(std::istream& in, Panel* panel, const ReadOptions& options) {
  panel->directed = true;
  panel->yearly = false;
  panel->measures = {{"flow", false, false, "million m3 per month"}};
  Collector collect(panel, options);
  RowErrors errors{panel, options.strict};
  for_each_line(in, panel, errors, [&](int line, const std::vector<std::string_view>& f) {
    if (line == 0) {
      expect_header(panel, f, {"borderpoint", "exit", "entry", "maxflow_mcm_per_h", "month", "flow"});
      return true;
    }
    if (f.size() != 6) {
      errors.bad(line, "", fmt::format("expected 6 columns, found {}", f.size()));
      return true;
    }
    int month = 0;
    if (!parse_period(f[4], false, &month)) {
      errors.bad(line, "month", "not a YYYY-MM month");
      return true;
    }
    if (options.until > 0 && month >= options.until) return true;
    // An empty or N/A flow is a month the IEA did not report for this border point: not a zero.
    if (f[5].empty() || f[5] == "N/A") {
      errors.bad(line, "flow", "not reported (empty or N/A)");
      return true;
    }
    double flow = 0;
    if (!parse_double(f[5], &flow)) {
      errors.bad(line, "flow", "not a number");
      return true;
    }
    const std::string exit = iso3_of_iea(f[1]), entry = iso3_of_iea(f[2]);
    if (exit.empty() || entry.empty()) {
      errors.bad(line, exit.empty() ? "exit" : "entry", "a country name the IEA table does not use");
      return true;
    }
    if (exit == entry) return true;  // a domestic point: no trade between two codes
    if (!collect.wanted(exit) || !collect.wanted(entry)) return true;
    collect.add(collect.intern(exit), collect.intern(entry), month, &flow, /*accumulate=*/true);
    return true;
  });
  collect.finish();
}

}  // namespace

std::string iso3_of_iea(std::string_view name) {
  // Every exit and entry name of the IEA Gas Trade Flows (September 2022 edition); LNG and
  // "Not Elsewhere Specified" are pseudo-countries with codes of their own.
  static const std::unordered_map<std::string_view, std::string_view> table = {
      {"Albania", "ALB"}, {"Algeria", "DZA"}, {"Austria", "AUT"}, {"Belarus", "BLR"},
      {"Belgium", "BEL"}, {"Bulgaria", "BGR"}, {"Croatia", "HRV"}, {"Czech Republic", "CZE"},
      {"Denmark", "DNK"}, {"Estonia", "EST"}, {"Finland", "FIN"}, {"France", "FRA"},
      {"Georgia", "GEO"}, {"Germany", "DEU"}, {"Greece", "GRC"}, {"Hungary", "HUN"},
      {"Iran", "IRN"}, {"Ireland", "IRL"}, {"Isle of Man", "IMN"}, {"Italy", "ITA"},
      {"Latvia", "LVA"}, {"Libya", "LBY"}, {"Liquefied Natural Gas", "LNG"},
      {"Lithuania", "LTU"}, {"Luxembourg", "LUX"}, {"Moldova", "MDA"}, {"Morocco", "MAR"},
      {"Netherlands", "NLD"}, {"North Macedonia", "MKD"}, {"Norway", "NOR"},
      {"Not Elsewhere Specified", "NES"}, {"Poland", "POL"}, {"Portugal", "PRT"},
      {"Republic of Türkiye", "TUR"}, {"Romania", "ROU"}, {"Russia", "RUS"}, {"Serbia", "SRB"},
      {"Slovak Republic", "SVK"}, {"Slovenia", "SVN"}, {"Spain", "ESP"}, {"Sweden", "SWE"},
      {"Switzerland", "CHE"}, {"Tunisia", "TUN"}, {"Ukraine", "UKR"}, {"United Kingdom", "GBR"}};
  const auto it = table.find(name);
  return it == table.end() ? "" : std::string(it->second);
}

std::size_t BadRows::total() const {
  std::size_t n = 0;
  for (const auto& r : reasons) n += r.count;
  return n;
}

void BadRows::add(const std::string& what, int line) {
  for (auto& r : reasons) {
    if (r.what == what) {
      ++r.count;
      if (r.first_lines.size() < 5) r.first_lines.push_back(line);
      return;
    }
  }
  reasons.push_back({what, 1, {line}});
}

Format parse_format(const std::string& text, const std::string& where) {
  if (text == "gdelt-monthly") return Format::kGdeltMonthly;
  if (text == "icews-year") return Format::kIcewsYear;
  if (text == "mid-incidents") return Format::kMidIncidents;
  if (text == "dyad-csv") return Format::kDyadCsv;
  if (text == "iea-flows") return Format::kIeaFlows;
  throw InputError(where, 0, "format",
                   "unknown panel format '" + text +
                       "' (gdelt-monthly, icews-year, mid-incidents, dyad-csv, iea-flows)");
}

std::string format_name(Format format) {
  switch (format) {
    case Format::kGdeltMonthly: return "gdelt-monthly";
    case Format::kIcewsYear: return "icews-year";
    case Format::kMidIncidents: return "mid-incidents";
    case Format::kDyadCsv: return "dyad-csv";
    case Format::kIeaFlows: return "iea-flows";
  }
  return "";
}

Panel read_panel(std::istream& in, const std::string& name, Format format, const ReadOptions& options) {
  Panel panel;
  panel.file = name;
  panel.format = format;
  switch (format) {
    case Format::kGdeltMonthly: read_gdelt_monthly(in, &panel, options); break;
    case Format::kIcewsYear: read_icews_year(in, &panel, options); break;
    case Format::kMidIncidents: read_mid_incidents(in, &panel, options); break;
    case Format::kDyadCsv: read_dyad_csv(in, &panel, options); break;
    case Format::kIeaFlows: read_iea_flows(in, &panel, options); break;
  }
  return panel;
}

Panel read_panel(const std::string& path, Format format, const ReadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", fmt::format("cannot open the file: {}", std::strerror(errno)));
  return read_panel(in, path, format, options);
}

std::string iso3_of_cow(int ccode) {
  // The COW codes of the states the shared data sets and the built-in model name
  // (events/README.md: 2 USA, 365 RUS, 371 ARM, 372 GEO, 373 AZE, 630 IRN, 640 TUR, 666 ISR),
  // with the other permanent Security Council members and the EU members that MID names most.
  static const std::unordered_map<int, std::string> table = {
      {2, "USA"},   {20, "CAN"},  {200, "GBR"}, {220, "FRA"}, {255, "DEU"}, {290, "POL"},
      {325, "ITA"}, {359, "MDA"}, {360, "ROU"}, {365, "RUS"}, {366, "EST"}, {367, "LVA"},
      {368, "LTU"}, {369, "UKR"}, {370, "BLR"}, {371, "ARM"}, {372, "GEO"}, {373, "AZE"},
      {380, "SWE"}, {375, "FIN"}, {385, "NOR"}, {390, "DNK"}, {350, "GRC"}, {352, "CYP"},
      {630, "IRN"}, {640, "TUR"}, {645, "IRQ"}, {652, "SYR"}, {666, "ISR"}, {701, "TKM"},
      {702, "TJK"}, {703, "KGZ"}, {704, "UZB"}, {705, "KAZ"}, {710, "CHN"}, {731, "PRK"},
      {732, "KOR"}, {740, "JPN"}, {750, "IND"}, {770, "PAK"}, {700, "AFG"}};
  const auto it = table.find(ccode);
  return it == table.end() ? "" : it->second;
}

}  // namespace sphere::panel

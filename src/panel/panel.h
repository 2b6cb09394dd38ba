// Observation panels: real dyadic data (GDELT monthly country-pair networks, ICEWS dyad-years,
// COW MID incidents, any dyad-period CSV) read into one dense pair × period × measure table that
// the dyadic count model is estimated on and scored against.
//
// A pair with no row in a period had 0 on every measure (the shared panels are zero-filled or
// documented so); exposure is what a period covers (days in data for GDELT, 1 elsewhere).
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/core.h"

namespace sphere::panel {

// The file layouts Sphere reads.
enum class Format {
  kGdeltMonthly,  // month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score
  kIcewsYear,     // "i","j","i_iso3c","j_iso3c",year,verbCoop,matlCoop,verbConf,matlConf
  kMidIncidents,  // COW MID 5 MIDIP: incident participants -> directed side-A -> side-B incidents a month
  kDyadCsv,       // period,actor1,actor2,<measure>... with a header; YYYY-MM or YYYY periods
  kIeaFlows,      // IEA Gas Trade Flows gtf_long.csv: borderpoint,exit,entry,maxflow_mcm_per_h,month,flow
};
// "gdelt-monthly", "icews-year", "mid-incidents", "dyad-csv", "iea-flows"; throws InputError
// otherwise.
Format parse_format(const std::string& text, const std::string& where);
std::string format_name(Format format);

// What a measure is: a count (non-negative integers; `bounded` when it cannot exceed the period's
// exposure, like GDELT's days with a negative score) or a real-valued level.
struct Measure {
  std::string name;
  bool count = true;
  bool bounded = false;
  std::string unit;
};

// How a read goes.
struct ReadOptions {
  int until = 0;        // month index (Date::month_index); rows of periods >= until are ignored (0: all)
  bool strict = false;  // stop at the first bad row instead of counting and skipping it
  bool directed = false;  // dyad-csv only: actor1 -> actor2 differs from actor2 -> actor1
  // Codes kept; empty keeps every code. MID and UCDP codes are COW numbers, mapped to ISO3 below.
  std::vector<std::string> codes;
};

// Bad rows by reason, with the first line numbers of each, as the event importer reports them.
struct BadRows {
  struct Reason {
    std::string what;
    std::size_t count = 0;
    std::vector<int> first_lines;  // up to 5
  };
  std::vector<Reason> reasons;
  std::size_t total() const;
  void add(const std::string& what, int line);
};

// A dense pair × measure × period table. Periods are months (or years, `yearly`), first..first+n-1.
struct Panel {
  std::string file;  // as the user named it
  Format format = Format::kGdeltMonthly;
  bool directed = false;
  bool yearly = false;
  int first = 0;    // first period: month index, or year when yearly
  int periods = 0;  // number of periods
  std::vector<Measure> measures;
  std::vector<std::string> codes;  // actor codes (ISO3), sorted
  struct Pair {
    int a = 0, b = 0;  // indices into codes; a < b for undirected panels
  };
  std::vector<Pair> pairs;           // sorted by (a, b)
  std::vector<double> exposure;      // per period; 1 where the data set has no exposure
  std::vector<float> values;         // [pair][measure][period]
  std::size_t rows_read = 0, rows_used = 0;
  BadRows bad;

  float value(std::size_t pair, std::size_t measure, int period) const {
    return values[(pair * measures.size() + measure) * periods + period];
  }
  const float* series(std::size_t pair, std::size_t measure) const {
    return values.data() + (pair * measures.size() + measure) * periods;
  }
  // Index of a measure by name, or -1.
  int measure_index(const std::string& name) const;
  // Index of the pair (a, b) (order-free when undirected), or -1.
  long find_pair(const std::string& a, const std::string& b) const;
  // "ARM:AZE"
  std::string pair_name(std::size_t pair) const;
  // "2020-07" or "2020"
  std::string period_name(int period) const;
  // Period index of a month ("2020-07"; a year for yearly panels), or throws InputError.
  int period_of(const std::string& text, const std::string& where) const;
  // "FROM..TO" (each as period_of reads it) -> (from, to) period indices, from <= to not
  // checked; throws InputError naming the request field `field`.
  std::pair<int, int> period_range(const std::string& text, const std::string& field) const;
  // "A:B,C:D" -> the pairs' indices (order-free when undirected); throws InputError naming the
  // request field `field` for a pair the panel never names.
  std::vector<long> pairs_of(const std::string& text, const std::string& field) const;
};

// Reads a panel, streaming; throws InputError (file, line, field) on the first bad row when
// options.strict, on an unreadable file, or when no row is usable.
Panel read_panel(const std::string& path, Format format, const ReadOptions& options);
// The same from a stream (data already in memory), named `name` in messages.
Panel read_panel(std::istream& in, const std::string& name, Format format, const ReadOptions& options);

// ISO3 code of a COW country code (the states the shared data set names; "" when unknown).
std::string iso3_of_cow(int ccode);
// ISO3 code of an IEA Gas Trade Flows country name (LNG and NES for its two pseudo-countries;
// "" when unknown).
std::string iso3_of_iea(std::string_view name);

// ---------------------------------------------------------------------------------------------
// Panels a model declares (observations.toml in the model directory)

// [[observations]]
// id = "gdelt"                     # also the id of its kind = "data" source in sources.toml
// file = "../../../shared/data/events/gdelt-country-networks/monthly_2018_2022.csv"
// format = "gdelt-monthly"
// target = "days_negative"         # the measure the forecast and the backtest use by default
// actors = { AZE = "AZE", RUS = "RUS" }   # panel code -> model actor id
struct Observation {
  std::string id, file, format, target, source;
  std::string resolved_path;  // file relative to the model directory
  std::vector<std::pair<std::string, std::string>> actors;  // panel code -> actor id
  int line = 0;
};
// Reads DIR/observations.toml; an absent file gives no observations. Validates formats and
// that every mapped actor exists in `actor_ids`; throws InputError naming file, line and field.
std::vector<Observation> read_observations(const std::string& model_dir,
                                           const std::vector<std::string>& actor_ids);

}  // namespace sphere::panel

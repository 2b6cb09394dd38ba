#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <fmt/format.h>

#include "events/events.h"
#include "events/internal.h"

namespace sphere::events {

namespace {

// Columns read, by their index in every layout (the three *_ADM2Code columns of GDELT 2.0 come
// after all of them, so 57-, 58- and 61-column rows agree up to column 34).
enum Column {
  kSqlDate = 1,
  kActor1Country = 7,
  kActor1Group = 8,
  kActor2Country = 17,
  kActor2Group = 18,
  kIsRoot = 25,
  kEventCode = 26,
  kQuadClass = 29,
  kGoldstein = 30,
  kColumnsRead = 31
};

const char* column_name(int c) {
  switch (c) {
    case kSqlDate: return "SQLDATE";
    case kIsRoot: return "IsRootEvent";
    case kEventCode: return "EventCode";
    case kQuadClass: return "QuadClass";
    case kGoldstein: return "GoldsteinScale";
    case kActor1Country: return "Actor1CountryCode";
    case kActor1Group: return "Actor1KnownGroupCode";
    case kActor2Country: return "Actor2CountryCode";
    case kActor2Group: return "Actor2KnownGroupCode";
    default: return "";
  }
}

using Fields = std::array<std::string_view, kColumnsRead>;

// CAMEO country and known-group codes are three capital letters, or absent.
bool valid_actor_code(std::string_view code) {
  return code.empty() ||
         (code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
}

// Splits the first kColumnsRead fields of a line into `f` and returns how many fields the line
// has, in one pass, 16 bytes at a time (SSE2): bit masks of the tabs while fields are wanted,
// then per-byte tab counters; a byte loop for the tail. A GDELT field never contains a tab.
long split_fields(const char* p, std::size_t n, Fields& f) {
  long tabs = 0;
  const char* start = p;
  std::size_t i = 0;
  auto found = [&](const char* tab) {
    if (tabs < kColumnsRead) f[static_cast<std::size_t>(tabs)] = std::string_view(start, static_cast<std::size_t>(tab - start));
    start = tab + 1;
    ++tabs;
  };
#if defined(__SSE2__)
  const __m128i tab = _mm_set1_epi8('\t');
  // Fields read: a bit mask of the tabs in each 16 bytes, one field per set bit.
  for (; i + 16 <= n && tabs < kColumnsRead; i += 16) {
    unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), tab)));
    for (; mask != 0; mask &= mask - 1) found(p + i + static_cast<std::size_t>(__builtin_ctz(mask)));
  }
  // The rest is only counted: per-byte counters (0 - -1 per tab), summed every 255 blocks.
  const __m128i zero = _mm_setzero_si128();
  __m128i counts = zero;
  int blocks = 0;
  auto drain = [&] {
    const __m128i sums = _mm_sad_epu8(counts, zero);
    tabs += _mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4);
    counts = zero;
    blocks = 0;
  };
  for (; i + 16 <= n; i += 16) {
    counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), tab));
    if (++blocks == 255) drain();
  }
  drain();
#endif
  for (; i < n; ++i)
    if (p[i] == '\t') found(p + i);
  return tabs + 1;
}

// Actor ids of 3-letter codes, looked up once per code: the table is a std::map, and a row has
// two or four codes.
class ActorCache {
 public:
  explicit ActorCache(const CountryTable& countries) : countries_(countries), ids_(26 * 26 * 26), state_(26 * 26 * 26, kUnknown) {}

  // The actor a row's country code, or failing that its known-group code, stands for.
  std::string_view actor_of(std::string_view country, std::string_view group) {
    if (!country.empty()) return lookup(country);
    if (!group.empty()) return lookup(group);
    return {};
  }

 private:
  std::string_view lookup(std::string_view code) {
    if (code.size() != 3) return countries_.actor_for_code(code);
    int index = 0;
    for (char c : code) {
      if (c < 'A' || c > 'Z') return countries_.actor_for_code(code);
      index = index * 26 + (c - 'A');
    }
    const auto i = static_cast<std::size_t>(index);
    if (state_[i] == kUnknown) {
      const std::string_view id = countries_.actor_for_code(code);
      // A code not in the table maps to itself, i.e. to a view of this row: remember only that.
      state_[i] = id.data() == code.data() ? kItself : kMapped;
      ids_[i] = id;
    }
    return state_[i] == kItself ? code : ids_[i];
  }

  enum State : char { kUnknown, kItself, kMapped };
  const CountryTable& countries_;
  std::vector<std::string_view> ids_;
  std::vector<State> state_;
};

}  // namespace

ImportReport import_gdelt(int fd, const std::string& label, const kb::Codebook& codebook,
                          const CountryTable& countries, const ImportOptions& options,
                          EventSink& sink) {
  const QuadScheme& scheme = options.scheme ? *options.scheme : QuadScheme::gdelt();
  const detail::CodeTable codes(codebook, scheme);
  detail::LineReader reader(fd, options.buffer_bytes);
  ImportReport report;
  std::string_view line;
  bool too_long = false;
  Fields f;
  ActorCache actors(countries);
  long long layouts[3] = {0, 0, 0};  // rows of 57, 58 and 61 columns
  auto bad = [&](int column, const std::string& reason, const std::string& detail) {
    detail::count_bad(report, options.strict, label, reader.line_number(), column_name(column),
                      reason, detail);
  };
  while (reader.next(&line, &too_long)) {
    ++report.lines;
    if (too_long) {
      bad(-1, "line too long", fmt::format("longer than the {}-byte buffer", options.buffer_bytes));
      continue;
    }
    if (line.empty()) {
      bad(-1, "wrong field count", "empty line");
      continue;
    }
    // The layout is decided per row by its field count.
    const long fields = split_fields(line.data(), line.size(), f);
    if (fields != 61 && fields != 58 && fields != 57) {
      bad(-1, "wrong field count", fmt::format("{} fields; expected 57, 58 or 61", fields));
      continue;
    }
    ++layouts[fields == 61 ? 2 : fields == 58 ? 1 : 0];
    auto date = detail::parse_day(f[kSqlDate], false);
    if (!date) {
      bad(kSqlDate, "bad date", fmt::format("'{}' is not a date YYYYMMDD", f[kSqlDate]));
      continue;
    }
    const detail::CodeTable::Code* code = codes.find(f[kEventCode]);
    if (!code) {
      bad(kEventCode, "unknown event code", fmt::format("'{}' is not a CAMEO code", f[kEventCode]));
      continue;
    }
    double goldstein = 0.0;
    int quad = 0, root = 0;
    if (!detail::parse_number(f[kGoldstein], &goldstein)) {
      bad(kGoldstein, "unparsable number", fmt::format("'{}' is not a number", f[kGoldstein]));
      continue;
    }
    if (!detail::parse_number(f[kQuadClass], &quad)) {
      bad(kQuadClass, "unparsable number", fmt::format("'{}' is not a number", f[kQuadClass]));
      continue;
    }
    if (!detail::parse_number(f[kIsRoot], &root) || (root != 0 && root != 1)) {
      bad(kIsRoot, "unparsable number", fmt::format("'{}' is not 0 or 1", f[kIsRoot]));
      continue;
    }
    // GoldsteinScale and QuadClass are functions of EventCode: a row that disagrees is wrong
    // somewhere, and neither value can be trusted silently.
    if (std::fabs(goldstein - code->goldstein) > 1e-9) {
      bad(kGoldstein, "Goldstein differs from the codebook",
          fmt::format("{} for code {}, whose value is {}", f[kGoldstein], f[kEventCode], code->goldstein));
      continue;
    }
    if (quad != code->gdelt_quad) {
      bad(kQuadClass, "QuadClass differs from the code's root",
          fmt::format("{} for code {}, whose class is {}", quad, f[kEventCode], code->gdelt_quad));
      continue;
    }
    int wrong = -1;
    for (int c : {kActor1Country, kActor1Group, kActor2Country, kActor2Group})
      if (wrong < 0 && !valid_actor_code(f[static_cast<std::size_t>(c)])) wrong = c;
    if (wrong >= 0) {
      bad(wrong, "bad actor code",
          fmt::format("'{}' is not a 3-letter CAMEO code", f[static_cast<std::size_t>(wrong)]));
      continue;
    }
    EventView v;
    v.date = *date;
    v.country1 = f[kActor1Country];
    v.country2 = f[kActor2Country];
    v.actor1 = actors.actor_of(f[kActor1Country], f[kActor1Group]);
    v.actor2 = actors.actor_of(f[kActor2Country], f[kActor2Group]);
    v.code = f[kEventCode];
    v.goldstein = code->goldstein;
    v.quad = code->quad;
    v.root_event = root == 1;
    if ((options.filter.root_only && !v.root_event) ||
        !detail::keeps(options.filter, v.date, v.actor1, v.actor2)) {
      ++report.filtered_out;
      continue;
    }
    ++report.kept;
    sink.add(v);
  }
  report.bytes = reader.bytes();
  const int columns[] = {57, 58, 61};
  for (int i = 0; i < 3; ++i)
    if (layouts[i] > 0) report.layouts[columns[i]] = layouts[i];
  return report;
}

}  // namespace sphere::events

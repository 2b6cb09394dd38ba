#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
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
  kActor1Type = 12,
  kActor2Country = 17,
  kActor2Group = 18,
  kActor2Type = 22,
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

// CAMEO country and known-group codes are three capital letters, or absent.
bool valid_actor_code(std::string_view code) {
  return code.empty() ||
         (code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
}

// A line's field count and the offsets of the tabs that close the fields read.
struct Split {
  // tab[i]: offset of the tab after field i; room for the tabs of one more 64-byte block.
  std::array<std::uint32_t, kColumnsRead + 64> tab{};
  long fields = 0;
  // Field i < kColumnsRead of `line`; valid only when the line has more than kColumnsRead fields.
  std::string_view field(const char* line, int i) const {
    const std::uint32_t begin = i == 0 ? 0 : tab[static_cast<std::size_t>(i) - 1] + 1;
    return {line + begin, tab[static_cast<std::size_t>(i)] - begin};
  }
};

// The fields read of a split line, by column.
struct Row {
  const char* line;
  const Split* split;
  std::string_view operator[](std::size_t c) const { return split->field(line, static_cast<int>(c)); }
};

#if defined(__SSE2__)
// Bit i set where byte i of the 64 bytes at p is a tab.
inline std::uint64_t tab_bits(const char* p) {
  const __m128i tab = _mm_set1_epi8('\t');
  auto bits = [&](int k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, tab))));
  };
  return bits(0) | bits(1) << 16 | bits(2) << 32 | bits(3) << 48;
}

// Tabs among the n bytes at p, 16 at a time with per-byte counters (0 - -1 per tab) summed every
// 255 blocks; the last 1-15 bytes are loaded whole when `readable` allows, and masked. Not
// inlined: inside the row loop its counters were spilled to the stack.
__attribute__((noinline)) long count_tabs(const char* p, std::size_t n, const char* readable) {
  static const char kKeep[32] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  const __m128i tab = _mm_set1_epi8('\t'), zero = _mm_setzero_si128();
  auto sum = [&](__m128i counts) {
    const __m128i sums = _mm_sad_epu8(counts, zero);
    return static_cast<long>(_mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4));
  };
  long total = 0;
  std::size_t i = 0;
  while (i + 16 <= n) {
    const std::size_t stop = std::min(n - (n - i) % 16, i + 255 * 16);  // <= 255 blocks
    __m128i counts = zero;
    for (; i < stop; i += 16)
      counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), tab));
    total += sum(counts);
  }
  if (i < n) {
    const std::size_t rest = n - i;
    char copy[16] = {};
    const char* q = p + i;
    if (q + 16 > readable) q = static_cast<const char*>(std::memcpy(copy, q, rest));
    const __m128i keep = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kKeep + 16 - rest));
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    total += sum(_mm_sub_epi8(zero, _mm_and_si128(_mm_cmpeq_epi8(v, tab), keep)));
  }
  return total;
}
#else
inline std::uint64_t tab_bits(const char* p) {
  std::uint64_t m = 0;
  for (int i = 0; i < 64; ++i) m |= static_cast<std::uint64_t>(p[i] == '\t') << i;
  return m;
}

long count_tabs(const char* p, std::size_t n, const char*) {
  return static_cast<long>(std::count(p, p + n, '\t'));
}
#endif

// Only the scalar path below uses these (the SSE2 path on x86-64 reads offsets from a table).
[[maybe_unused]] constexpr std::uint64_t kTopBit = std::uint64_t{1} << 63;

// Set bits of x. SWAR arithmetic unless the target has a popcount instruction: baseline x86-64
// has none, and GCC's fallback is a library call.
[[maybe_unused]] inline std::size_t popcount64(std::uint64_t x) {
#if defined(__POPCNT__)
  return static_cast<std::size_t>(__builtin_popcountll(x));
#else
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<std::size_t>((x * 0x0101010101010101ull) >> 56);
#endif
}

// For each byte value, the offsets of its set bits packed in bytes, lowest first, and their count.
constexpr std::array<std::uint64_t, 256> kBitOffsets = [] {
  std::array<std::uint64_t, 256> t{};
  for (unsigned v = 0; v < 256; ++v)
    for (unsigned bit = 0, n = 0; bit < 8; ++bit)
      if (v >> bit & 1) t[v] |= std::uint64_t{bit} << (8 * n++);
  return t;
}();
constexpr std::array<std::uint8_t, 256> kBitCounts = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned v = 0; v < 256; ++v) t[v] = static_cast<std::uint8_t>(std::popcount(v));
  return t;
}();

// Splits a line of n bytes in one pass: the offsets of its first tabs, a 64-byte block at a time
// (one bit per tab), until the fields read are closed; then the rest's
// tabs are only counted. A GDELT field never contains a tab. Bytes past the line, up to
// `readable`, may be loaded and are masked off; a block that would cross `readable` is copied.
void split_line(const char* p, std::size_t n, const char* readable, Split& s) {
  std::size_t k = 0, i = 0;
  for (; k < kColumnsRead && i < n; i += 64) {
    std::uint64_t m;
    if (i + 64 <= n) {
      m = tab_bits(p + i);
    } else {
      char copy[64] = {};
      const char* q = p + i;
      if (q + 64 > readable) q = static_cast<const char*>(std::memcpy(copy, q, n - i));
      m = tab_bits(q) & ((std::uint64_t{1} << (n - i)) - 1);
    }
#if defined(__SSE2__)
    // A byte of the mask at a time, its tabs' offsets from a table, widened and stored as eight
    // (room is left past the count): no chain of bit clears from one tab to the next.
    std::uint32_t* const first = s.tab.data() + k;
    std::uint32_t* out = first;
    const __m128i zero = _mm_setzero_si128();
#pragma GCC unroll 8
    for (int b = 0; b < 64; b += 8) {
      const unsigned byte = static_cast<unsigned>(m >> b) & 0xff;
      const __m128i offsets =
          _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(&kBitOffsets[byte])), zero);
      const __m128i base = _mm_set1_epi32(static_cast<int>(i) + b);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_add_epi32(_mm_unpacklo_epi16(offsets, zero), base));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4), _mm_add_epi32(_mm_unpackhi_epi16(offsets, zero), base));
      out += kBitCounts[byte];
    }
    k += static_cast<std::size_t>(out - first);
#else
    // Eight stores at a time whatever the count (room is left past it): a loop exit that
    // depends on each block's tab count would be mispredicted about once per block.
    const std::size_t count = popcount64(m);
    std::uint32_t* out = s.tab.data() + k;
    for (std::size_t j = 0; j < count; j += 8) {
#pragma GCC unroll 8
      for (std::size_t u = 0; u < 8; ++u) {
        // The top bit keeps ctz defined once m is empty; those stores lie past the count.
        out[j + u] = static_cast<std::uint32_t>(i + static_cast<std::size_t>(__builtin_ctzll(m | kTopBit)));
        m &= m - 1;
      }
    }
    k += count;
#endif
  }
  s.fields = static_cast<long>(k) + (i < n ? count_tabs(p + i, n - i, readable) : 0) + 1;
}

#if defined(__x86_64__)
// The splitter for CPUs with AVX2 and POPCNT (checked at run time: the binary targets baseline
// x86-64): 32 bytes per compare, a popcount instruction, and a line's tabs counted while its end
// is found, in one pass. Same results as memchr and split_line (the tests run both).
#define SPHERE_AVX2 __attribute__((target("avx2,popcnt")))

SPHERE_AVX2 inline std::uint64_t tab_bits_avx2(const char* p) {
  const __m256i tab = _mm256_set1_epi8('\t');
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, tab))) |
         static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, tab)))) << 32;
}

// The line finder of the AVX2 path: the first '\n' among the n bytes at p, and (into *state, a
// long) the tabs before it, in one pass: split_head_avx2 then needs no count of its own.
SPHERE_AVX2 std::size_t find_line_counting_tabs(const char* p, std::size_t n, const char* readable, void* state) {
  const __m256i nl = _mm256_set1_epi8('\n'), tab = _mm256_set1_epi8('\t'), zero = _mm256_setzero_si256();
  long tabs = 0;
  std::size_t i = 0;
  std::uint32_t hit = 0;  // newline bits of the block at i
  while (true) {
    __m256i counts = zero;  // per-byte tab counts, summed every 255 blocks at most
    for (const std::size_t stop = i + 255 * 32; i + 32 <= n && i < stop; i += 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
      hit = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)));
      if (hit) break;
      counts = _mm256_sub_epi8(counts, _mm256_cmpeq_epi8(v, tab));
    }
    const __m256i sums = _mm256_sad_epu8(counts, zero);
    tabs += _mm256_extract_epi64(sums, 0) + _mm256_extract_epi64(sums, 1) + _mm256_extract_epi64(sums, 2) +
            _mm256_extract_epi64(sums, 3);
    if (hit || i + 32 > n) break;
  }
  std::size_t at = n;
  if (i < n) {  // the block with the newline, or the last 1-31 bytes
    char copy[32] = {};
    const char* q = p + i;
    if (!hit && q + 32 > readable) q = static_cast<const char*>(std::memcpy(copy, q, n - i));
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
    std::uint32_t valid = hit ? ~std::uint32_t{0} : (std::uint32_t{1} << (n - i)) - 1;
    const std::uint32_t nls = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl))) & valid;
    if (nls) {
      at = i + static_cast<std::size_t>(__builtin_ctz(nls));
      valid = (nls & -nls) - 1;  // the bytes before it
    }
    tabs += __builtin_popcount(static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, tab))) & valid);
  }
  *static_cast<long*>(state) = tabs;
  return at;
}

// split_line for a line whose tabs find_line_counting_tabs counted: only the offsets of the
// fields read are gathered, a byte of the tab mask at a time as there.
SPHERE_AVX2 __attribute__((noinline)) void split_head_avx2(const char* p, std::size_t n, const char* readable,
                                                           long tabs, Split& s) {
  std::size_t k = 0;
  for (std::size_t i = 0; k < kColumnsRead && i < n; i += 64) {
    std::uint64_t m;
    if (i + 64 <= n) {
      m = tab_bits_avx2(p + i);
    } else {
      char copy[64] = {};
      const char* q = p + i;
      if (q + 64 > readable) q = static_cast<const char*>(std::memcpy(copy, q, n - i));
      m = tab_bits_avx2(q) & ((std::uint64_t{1} << (n - i)) - 1);
    }
    std::uint32_t* out = s.tab.data() + k;
    __m256i base = _mm256_set1_epi32(static_cast<int>(i));
#pragma GCC unroll 8
    for (int b = 0; b < 64; b += 8) {
      const unsigned byte = static_cast<unsigned>(m >> b) & 0xff;
      const __m128i offsets = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(&kBitOffsets[byte]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_add_epi32(_mm256_cvtepu8_epi32(offsets), base));
      out += kBitCounts[byte];
      base = _mm256_add_epi32(base, _mm256_set1_epi32(8));
    }
    k += static_cast<std::size_t>(__builtin_popcountll(m));
  }
  s.fields = tabs + 1;
}
#undef SPHERE_AVX2

bool has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"); }
#else
std::size_t find_line_counting_tabs(const char*, std::size_t n, const char*, void*) { return n; }
void split_head_avx2(const char*, std::size_t, const char*, long, Split&) {}
bool has_avx2() { return false; }  // the two above are never called
#endif

// A field of 1 to 8 bytes packed in an integer, for an exact compare in one instruction; size 0
// for any other field. The 8 bytes from the field's start must be readable: a fixed-size load
// (the bytes past the field masked off) avoids a memcpy call and a stalled reload.
struct GoldsteinText {
  std::uint64_t bytes = 0;
  std::size_t size = 0;
  static GoldsteinText of(std::string_view field) {
    GoldsteinText t;
    if (field.empty() || field.size() > 8) return t;
    std::memcpy(&t.bytes, field.data(), 8);
    if (field.size() < 8) t.bytes &= (std::uint64_t{1} << (8 * field.size())) - 1;
    t.size = field.size();
    return t;
  }
};

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
  Split split;
  const bool avx2 = !options.baseline_simd && has_avx2();
  ActorCache actors(countries);
  std::vector<GoldsteinText> known_goldstein(codes.slots());
  long long layouts[3] = {0, 0, 0};  // rows of 57, 58 and 61 columns
  auto bad = [&](int column, const std::string& reason, const std::string& detail) {
    detail::count_bad(report, options.strict, label, reader.line_number(), column_name(column),
                      reason, detail);
  };
  long tabs = 0;  // of the last line found, on the AVX2 path
  auto next = [&] {
    return avx2 ? reader.next(&line, &too_long, find_line_counting_tabs, &tabs) : reader.next(&line, &too_long);
  };
  while (next()) {
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
    if (avx2)
      split_head_avx2(line.data(), line.size(), reader.readable_end(), tabs, split);
    else
      split_line(line.data(), line.size(), reader.readable_end(), split);
    const long fields = split.fields;
    if (fields != 61 && fields != 58 && fields != 57) {
      bad(-1, "wrong field count", fmt::format("{} fields; expected 57, 58 or 61", fields));
      continue;
    }
    ++layouts[fields == 61 ? 2 : fields == 58 ? 1 : 0];
    const Row f{line.data(), &split};
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
    // A GoldsteinScale text already found to be the code's value passes both of its checks
    // without parsing (the division costs more than the compare).
    GoldsteinText& known = known_goldstein[codes.slot(code)];
    // Readable: a row of 57 or more fields has at least 26 more bytes (its tabs) past column 30.
    const GoldsteinText text = GoldsteinText::of(f[kGoldstein]);
    const bool known_good = text.size != 0 && text.size == known.size && text.bytes == known.bytes;
    if (!known_good && !detail::parse_number(f[kGoldstein], &goldstein)) {
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
    if (!known_good) {
      if (std::fabs(goldstein - code->goldstein) > 1e-9) {
        bad(kGoldstein, "Goldstein differs from the codebook",
            fmt::format("{} for code {}, whose value is {}", f[kGoldstein], f[kEventCode], code->goldstein));
        continue;
      }
      if (text.size != 0) known = text;
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
    // The filter first, on locals: most rows are dropped here, and building an EventView
    // (zeroing its 128 bytes) for each of them cost more than all the checks above.
    const std::string_view actor1 = actors.actor_of(f[kActor1Country], f[kActor1Group]);
    const std::string_view actor2 = actors.actor_of(f[kActor2Country], f[kActor2Group]);
    if ((options.filter.root_only && root != 1) || !detail::keeps(options.filter, *date, actor1, actor2)) {
      ++report.filtered_out;
      continue;
    }
    EventView v;
    v.date = *date;
    v.country1 = f[kActor1Country];
    v.country2 = f[kActor2Country];
    v.actor1 = actor1;
    v.actor2 = actor2;
    v.code = f[kEventCode];
    v.goldstein = code->goldstein;
    v.quad = code->quad;
    v.root_event = root == 1;
    // The row's id and SOURCEURL (the last field of 2.0 and 1.0 daily rows; backfiles have none)
    // for the rows kept only: the URL lies past the fields split.
    if (options.types) {  // after the filter, which sees the country actors
      v.actor1 = options.types->actor_for(v.actor1, f[kActor1Type]);
      v.actor2 = options.types->actor_for(v.actor2, f[kActor2Type]);
    }
    v.record_id = f[0];
    if (fields != 57) {
      const char* last_tab = static_cast<const char*>(::memrchr(line.data(), '\t', line.size()));
      v.reference = line.substr(static_cast<std::size_t>(last_tab + 1 - line.data()));
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

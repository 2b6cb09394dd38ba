// libFuzzer harness: the observation-panel readers (GDELT monthly, ICEWS dyad-years, COW MID
// incidents, dyad CSV, IEA gas flows) on any bytes, read from memory through the same line reader
// as a file. The first byte picks the format and the read options. A panel is read or rejected
// with an InputError, never a crash; a panel read is consistent (its table has pairs x measures x
// periods cells, its pairs index its codes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "panel/panel.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  using sphere::panel::Format;
  static const Format formats[] = {Format::kGdeltMonthly, Format::kIcewsYear, Format::kMidIncidents,
                                   Format::kDyadCsv, Format::kIeaFlows};
  // Bits 0, 1 and 6 pick the format (bit 6 adds 4: IEA flows), 2 strict, 3 directed, 4 a last
  // month, 5 a list of codes.
  const Format format = formats[((data[0] & 3) | ((data[0] & 64) >> 4)) % 5];
  sphere::panel::ReadOptions options;
  options.strict = data[0] & 4;
  options.directed = data[0] & 8;
  if (data[0] & 16) options.until = 2021 * 12;
  if (data[0] & 32) options.codes = {"ARM", "AZE", "RUS"};
  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  try {
    const auto p = sphere::panel::read_panel(in, "fuzz.csv", format, options);
    const std::size_t cells = p.pairs.size() * p.measures.size() * static_cast<std::size_t>(p.periods);
    if (p.periods < 1 || p.values.size() != cells || p.exposure.size() != static_cast<std::size_t>(p.periods))
      std::abort();
    for (const auto& pair : p.pairs) {
      if (pair.a < 0 || pair.b < 0 || static_cast<std::size_t>(pair.a) >= p.codes.size() ||
          static_cast<std::size_t>(pair.b) >= p.codes.size() || pair.a == pair.b)
        std::abort();
      if (!p.directed && pair.a > pair.b) std::abort();
    }
  } catch (const sphere::InputError&) {
  }
  return 0;
}

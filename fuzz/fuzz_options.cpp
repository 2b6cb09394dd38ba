// libFuzzer harness: the option parsers of the command line and the API below the front ends:
// panel periods and ranges (--origins, --hindcast FROM..TO), pairs (--pairs A:B,C:D), horizons
// (--horizons), months (--horizon, the API's "horizon") and link openings (--open, the API's
// "open": LINK or LINK@YYYY-MM). The first byte picks the parser and the panel (monthly or
// yearly); each value parses or is refused with an InputError, and what parses is in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "dyad/dyad.h"
#include "panel/panel.h"
#include "service/service.h"

namespace {

sphere::panel::Panel read(const char* text, sphere::panel::Format format) {
  std::istringstream in(text);
  return sphere::panel::read_panel(in, "fuzz.csv", format, {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const auto monthly = read(
      "month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score\n"
      "2018-01,ARM,AZE,31,10,6,4,-120.5\n"
      "2022-12,AZE,RUS,31,3,1,2,10\n",
      sphere::panel::Format::kGdeltMonthly);
  static const auto yearly = read("period,actor1,actor2,incidents\n1995,ARM,AZE,3\n2020,AZE,TUR,1\n",
                                  sphere::panel::Format::kDyadCsv);
  const auto& panel = data[0] & 8 ? yearly : monthly;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] & 7) {
      case 0: (void)panel.period_of(text, "--origins"); break;
      case 1: (void)panel.period_range(text, "--origins"); break;
      case 2:
        for (const long d : panel.pairs_of(text, "--pairs"))
          if (d < 0 || static_cast<std::size_t>(d) >= panel.pairs.size()) std::abort();
        break;
      case 3: {
        const auto horizons = sphere::dyad::parse_horizons(text, "--horizons");
        if (horizons.empty()) std::abort();
        for (const int h : horizons)
          if (h < 1 || h > 120) std::abort();
        break;
      }
      case 4:
        if (sphere::service::parse_month(text, "horizon").precision() != sphere::Date::Precision::kMonth)
          std::abort();
        break;
      default: {
        const std::optional<int> year = data[0] & 1 ? std::optional<int>(2025) : std::nullopt;
        const auto [link, month] = sphere::service::parse_opened(text, year, "open");
        if (!year && month.precision() != sphere::Date::Precision::kMonth) std::abort();
        break;
      }
    }
  } catch (const sphere::InputError&) {
  }
  return 0;
}

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include <algorithm>

#include "events/events.h"
#include "events/internal.h"

namespace sphere::events {

namespace detail {

std::array<double, 2> philox_uniforms(std::uint64_t seed, std::uint32_t stream,
                                      std::uint64_t counter) {
  using Philox = r123::Philox4x32;
  const Philox::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  const Philox::ctr_type ctr = {{static_cast<std::uint32_t>(counter),
                                 static_cast<std::uint32_t>(counter >> 32), stream, 0}};
  const Philox::ctr_type r = Philox()(ctr, key);
  const std::uint64_t a = (static_cast<std::uint64_t>(r[0]) << 32) | r[1];
  const std::uint64_t b = (static_cast<std::uint64_t>(r[2]) << 32) | r[3];
  return {r123::u01fixedpt<double>(a), r123::u01fixedpt<double>(b)};
}

}  // namespace detail

long days_from_civil(const Date& date) {
  // Howard Hinnant's days_from_civil: proleptic Gregorian calendar, 1970-01-01 = 0.
  const int y = date.year - (date.month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = static_cast<unsigned>(date.month + (date.month > 2 ? -3 : 9));
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(date.day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<long>(era) * 146097 + static_cast<long>(doe) - 719468;
}

void EventTimes::add(const EventView& e) {
  if (quad_ >= 0 && e.quad != quad_) return;
  const bool ab = e.actor1 == a_ && e.actor2 == b_;
  const bool ba = e.actor1 == b_ && e.actor2 == a_;
  if (!ab && !ba) return;
  if (e.date.precision() == Date::Precision::kYear) {
    ++coarse_;
    return;
  }
  Date d = e.date;
  if (d.precision() == Date::Precision::kMonth) d.day = 15;  // mid-month stands for the month
  (ab ? ab_ : ba_).push_back(days_from_civil(d));
}

PointData EventTimes::data(bool both, std::optional<long> first, std::optional<long> last) const {
  PointData out;
  std::vector<long> all = ab_;
  if (both) all.insert(all.end(), ba_.begin(), ba_.end());
  if (all.empty()) {
    out.times.resize(both ? 2 : 1);
    return out;
  }
  const long t0 = first.value_or(*std::min_element(all.begin(), all.end()));
  const long t1 = last.value_or(*std::max_element(all.begin(), all.end()));
  out.horizon = static_cast<double>(t1 - t0 + 1);
  for (std::uint32_t s = 0; s < (both ? 2u : 1u); ++s) {
    std::vector<long> days = s == 0 ? ab_ : ba_;
    std::sort(days.begin(), days.end());
    std::vector<double> times;
    for (std::size_t i = 0; i < days.size(); ++i) {
      if (days[i] < t0 || days[i] > t1) continue;
      // A day's events are spread uniformly over the day: the draw depends only on the seed,
      // the stream, the day and the event's rank within the day.
      const std::uint64_t counter = static_cast<std::uint64_t>(days[i] + 1000000) * 4096 + (i % 4096);
      times.push_back(static_cast<double>(days[i] - t0) + detail::philox_uniforms(seed_, s, counter)[0]);
    }
    std::sort(times.begin(), times.end());
    out.times.push_back(std::move(times));
  }
  return out;
}

}  // namespace sphere::events

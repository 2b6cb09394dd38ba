#include <charconv>

#include <fmt/format.h>

#include "core/core.h"

namespace sphere {
namespace {

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

}  // namespace

Date::Precision Date::precision() const {
  if (month == 0) return Precision::kYear;
  return day == 0 ? Precision::kMonth : Precision::kDay;
}

std::string Date::to_string() const {
  switch (precision()) {
    case Precision::kYear: return fmt::format("{:04d}", year);
    case Precision::kMonth: return fmt::format("{:04d}-{:02d}", year, month);
    case Precision::kDay: break;
  }
  return fmt::format("{:04d}-{:02d}-{:02d}", year, month, day);
}

std::optional<Date> Date::parse(std::string_view text, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<Date> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  const bool shape_ok = (text.size() == 4) || (text.size() == 7 && text[4] == '-') ||
                        (text.size() == 10 && text[4] == '-' && text[7] == '-');
  Date d;
  if (!shape_ok || !parse_int(text.substr(0, 4), d.year))
    return fail(fmt::format("'{}' is not a date; expected YYYY, YYYY-MM or YYYY-MM-DD", text));
  if (text.size() >= 7) {
    if (!parse_int(text.substr(5, 2), d.month))
      return fail(fmt::format("'{}' has a malformed month; expected YYYY-MM", text));
    if (d.month < 1 || d.month > 12)
      return fail(fmt::format("'{}' has month {}; expected 01 to 12", text, d.month));
  }
  if (text.size() == 10) {
    if (!parse_int(text.substr(8, 2), d.day))
      return fail(fmt::format("'{}' has a malformed day; expected YYYY-MM-DD", text));
    if (d.day < 1 || d.day > days_in_month(d.year, d.month))
      return fail(fmt::format("'{}' does not exist: {:04d}-{:02d} has {} days", text, d.year,
                              d.month, days_in_month(d.year, d.month)));
  }
  return d;
}

std::string month_text(int month_index) {
  return fmt::format("{:04}-{:02}", month_index / 12, month_index % 12 + 1);
}

}  // namespace sphere

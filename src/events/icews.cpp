#include <algorithm>

#include <fmt/format.h>

#include "events/events.h"
#include "events/internal.h"

namespace sphere::events {

namespace {

void split_tabs(std::string_view line, std::vector<std::string_view>* out) {
  out->clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    out->push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
}

}  // namespace

ImportReport import_icews(int fd, const std::string& label, const kb::Codebook& codebook,
                          const CountryTable& countries, const ImportOptions& options,
                          EventSink& sink) {
  const QuadScheme& scheme = options.scheme ? *options.scheme : QuadScheme::gdelt();
  const detail::CodeTable codes(codebook, scheme);
  detail::LineReader reader(fd, options.buffer_bytes);
  ImportReport report;
  std::string_view line;
  bool too_long = false;
  std::vector<std::string_view> f;

  // The header names the columns; ICEWS files differ in which ones they carry.
  if (!reader.next(&line, &too_long) || too_long)
    throw InputError(label, 1, "", "expected a header line naming the ICEWS columns");
  if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 BOM
  split_tabs(line, &f);
  const std::vector<std::string> wanted = {"Event Date", "Source Country", "Target Country",
                                           "CAMEO Code", "Intensity"};
  std::vector<std::size_t> col;
  for (const auto& name : wanted) {
    auto it = std::find(f.begin(), f.end(), name);
    if (it == f.end())
      throw InputError(label, 1, name, "column missing from the header (is this an ICEWS file?)");
    col.push_back(static_cast<std::size_t>(it - f.begin()));
  }
  const std::size_t columns = f.size();
  // Optional columns: the row's id and the story it was coded from (for a model's event log).
  auto optional_column = [&](std::string_view name) {
    auto it = std::find(f.begin(), f.end(), name);
    return it == f.end() ? columns : static_cast<std::size_t>(it - f.begin());
  };
  const std::size_t id_col = optional_column("Event ID"), story_col = optional_column("Story ID");
  std::string story;  // the reference of the row being passed on
  ++report.lines;

  auto bad = [&](const std::string& field, const std::string& reason, const std::string& detail) {
    detail::count_bad(report, options.strict, label, reader.line_number(), field, reason, detail);
  };
  auto skip = [&](const std::string& reason, const std::string& detail) {
    auto& r = report.skipped[reason];
    if (r.count++ == 0) {
      r.first_line = reader.line_number();
      r.example = detail;
    }
  };
  // A country name maps to an actor, or the row is skipped as unmapped (not wrong).
  auto actor = [&](std::string_view name, bool* unmapped) -> std::string_view {
    if (name.empty()) return {};
    if (const std::string* id = countries.actor_for_name(name)) return *id;
    *unmapped = true;
    skip("unmapped country name", fmt::format("'{}'", name));
    return {};
  };
  while (reader.next(&line, &too_long)) {
    ++report.lines;
    if (too_long) {
      bad("", "line too long", fmt::format("longer than the {}-byte buffer", options.buffer_bytes));
      continue;
    }
    if (line.empty()) continue;  // a blank line at the end of a file is common
    split_tabs(line, &f);
    if (f.size() != columns) {
      bad("", "wrong field count", fmt::format("{} fields; the header has {}", f.size(), columns));
      continue;
    }
    auto date = detail::parse_day(f[col[0]], true);
    if (!date) {
      bad(wanted[0], "bad date", fmt::format("'{}' is not a date YYYY-MM-DD", f[col[0]]));
      continue;
    }
    const detail::CodeTable::Code* code = codes.find(f[col[3]]);
    if (!code) {
      bad(wanted[3], "unknown event code", fmt::format("'{}' is not a CAMEO code", f[col[3]]));
      continue;
    }
    double intensity = 0.0;
    if (!detail::parse_number(f[col[4]], &intensity) || intensity < -10 || intensity > 10) {
      bad(wanted[4], "unparsable number", fmt::format("'{}' is not a number in [-10, 10]", f[col[4]]));
      continue;
    }
    bool unmapped = false;
    EventView v;
    v.date = *date;
    v.country1 = f[col[1]];
    v.country2 = f[col[2]];
    v.actor1 = actor(v.country1, &unmapped);
    v.actor2 = actor(v.country2, &unmapped);
    if (unmapped) continue;
    v.code = f[col[3]];
    v.goldstein = code->goldstein;  // the codebook's value, like every other source
    v.quad = code->quad;
    if (!detail::keeps(options.filter, v.date, v.actor1, v.actor2)) {
      ++report.filtered_out;
      continue;
    }
    if (id_col < columns) v.record_id = f[id_col];
    if (story_col < columns && !f[story_col].empty()) {
      story = "Story ID ";
      story += f[story_col];
      v.reference = story;
    }
    ++report.kept;
    sink.add(v);
  }
  report.bytes = reader.bytes();
  return report;
}

}  // namespace sphere::events

// `sphere events series|import|fit`: dyadic monthly series, streaming GDELT/ICEWS import, and
// Hawkes fits, over the model's event log or an imported event CSV. The use cases are
// service::event_series, import_events and fit_dyad_hawkes; this file declares the flags and
// renders the results.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "app/app.h"
#include "events/events.h"

namespace sphere::app {
namespace {

using events::DyadSeries;
using events::MonthCell;

struct Dyad {
  std::string a, b;
};

Dyad parse_dyad(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw CLI::ValidationError("--dyad", "expected A:B (two actor ids), got '" + text + "'");
  return {text.substr(0, colon), text.substr(colon + 1)};
}

// --from / --to as the first or last day they stand for ("2024" -> 2024-01-01 or 2024-12-31).
Date day_bound(const std::string& text, const char* option, bool last) {
  std::string why;
  auto d = Date::parse(text, &why);
  if (!d) throw CLI::ValidationError(option, why);
  if (d->month == 0) d->month = last ? 12 : 1;
  if (d->day == 0) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (d->year % 4 == 0 && d->year % 100 != 0) || d->year % 400 == 0;
    d->day = last ? kDays[d->month - 1] + (d->month == 2 && leap ? 1 : 0) : 1;
  }
  return *d;
}

void add_source_options(CLI::App& cmd, EventSourceOptions& o) {
  add_model_options(cmd, o.model);
  cmd.add_option("--events", o.events_file,
                 "Read events from this CSV (written by `sphere events import --out`) instead of the model")
      ->check(CLI::ExistingFile);
  cmd.add_option("--scheme", o.scheme, "QuadClass scheme: gdelt or phoenix")
      ->check(CLI::IsMember(events::QuadScheme::names()));
  cmd.add_flag("--no-rollup", o.no_rollup,
               "Keep persons and organisations apart from their states (PUTIN is not RUS)");
  cmd.add_flag("--no-dedup", o.no_dedup,
               "Keep duplicates (same date, actors and event code); removed by default");
}

service::EventSource event_source(const EventSourceOptions& o) {
  return {o.events_file, events::QuadScheme::find(o.scheme), !o.no_rollup, !o.no_dedup};
}

// The model of a source that reads the model's log; nullopt for an events file.
std::optional<kb::Model> source_model(const EventSourceOptions& o) {
  if (!o.events_file.empty()) return std::nullopt;
  return load_model(o.model);
}

void print_csv_header(std::ostream& out, bool neutral) {
  out << "actor1,actor2,month,events," << (neutral ? "q0," : "")
      << "q1,q2,q3,q4,goldstein,cooperation,conflict,net\n";
}

void print_csv(std::ostream& out, const DyadSeries& s, bool neutral) {
  for (const auto& c : s.months)
    out << fmt::format("{},{},{},{},{}{},{},{},{},{},{},{},{}\n", s.actor1, s.actor2,
                 month_text(c.month), c.events, neutral ? std::to_string(c.quad[0]) + "," : "",
                 c.quad[1], c.quad[2], c.quad[3], c.quad[4], format_number(c.goldstein),
                 format_number(c.cooperation), format_number(c.conflict), c.net());
}

// One block character per month, scaled to the largest value shown ('·' for none).
std::string bar(double value, double max) {
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (value <= 0 || max <= 0) return "·";
  const int level = std::clamp(static_cast<int>(std::ceil(value / max * 8)) - 1, 0, 7);
  return kBlocks[level];
}

// A compact terminal chart: per year, one row of cooperation (sum of positive Goldstein values)
// and one of conflict (sum of negative ones) by month; runs of empty years are collapsed.
void print_chart(std::ostream& out, const DyadSeries& s, const std::map<int, MonthCell>& years) {
  int events = 0;
  double goldstein = 0, max = 0;
  for (const auto& c : s.months) {
    events += c.events;
    goldstein += c.goldstein;
    max = std::max({max, c.cooperation, -c.conflict});
  }
  out << fmt::format("{} → {}   {} … {}   {} event{}, Goldstein sum {:+.1f}\n", s.actor1, s.actor2,
               month_text(s.months.front().month), month_text(s.months.back().month), events,
               events == 1 ? "" : "s", goldstein);
  if (events > 0) {
    out << "           J F M A M J J A S O N D\n";
    std::map<int, std::vector<const MonthCell*>> by_year;
    for (const auto& c : s.months) by_year[c.month / 12].push_back(&c);
    int empty_from = -1, empty_to = -1;
    auto flush_empty = [&] {
      if (empty_from < 0) return;
      out << (empty_from == empty_to ? fmt::format("{}       (none)\n", empty_from)
                               : fmt::format("{}–{}  (none)\n", empty_from, empty_to));
      empty_from = -1;
    };
    for (const auto& [year, cells] : by_year) {
      const bool any = std::any_of(cells.begin(), cells.end(), [](auto* c) { return c->events > 0; });
      if (!any) {
        if (empty_from < 0) empty_from = year;
        empty_to = year;
        continue;
      }
      flush_empty();
      std::string coop, conf;
      const int first_month = cells.front()->month % 12;
      for (int m = 0; m < 12; ++m) {
        const MonthCell* c = m >= first_month && m - first_month < static_cast<int>(cells.size())
                                 ? cells[static_cast<std::size_t>(m - first_month)] : nullptr;
        coop += (c ? bar(c->cooperation, max) : " ") + std::string(" ");
        conf += (c ? bar(-c->conflict, max) : " ") + std::string(" ");
      }
      out << fmt::format("{} coop  {}\n     conf  {}\n", year, coop, conf);
    }
    flush_empty();
    out << fmt::format("(one block per month: sum of positive / negative Goldstein values, "
                 "full block = {:.1f})\n", max);
    for (const auto& c : s.months)
      if (c.events > 0)
        out << fmt::format("  {}  {:>3} event{}  quad 1–4: {}/{}/{}/{}  Goldstein {:+.1f}  net {:+d}\n",
                     month_text(c.month), c.events, c.events == 1 ? "" : "s", c.quad[1], c.quad[2], c.quad[3],
                     c.quad[4], c.goldstein, c.net());
  }
  for (const auto& [year, c] : years)
    out << fmt::format("  {}     {:>3} event{} dated to the year only (in no month)  Goldstein {:+.1f}\n",
                 year, c.events, c.events == 1 ? "" : "s", c.goldstein);
}

// Prints both directions of a dyad as CSV or a chart.
void print_dyad(const Output& output, const service::DyadSeriesPair& d, bool neutral) {
  std::ostream& out = output.out;
  if (!d.dated && !output.csv())
    out << fmt::format("{} and {}: no events dated to a month or day\n", d.a, d.b);
  for (const service::DirectedSeries* s : {&d.ab, &d.ba}) {
    if (output.csv()) print_csv(out, s->series, neutral);
    else if (!s->series.months.empty()) print_chart(out, s->series, s->year_only), out << "\n";
    else
      for (const auto& [year, c] : s->year_only)
        out << fmt::format("{} → {}  {}: {} events dated to the year only\n", s->series.actor1,
                     s->series.actor2, year, c.events);
  }
}

// The series request's dyad and months (each malformed one a usage error naming its flag).
struct SeriesRange {
  Dyad dyad;
  std::optional<int> from, to;
};
SeriesRange series_range(const EventSeriesOptions& o) {
  SeriesRange r{parse_dyad(o.dyad), std::nullopt, std::nullopt};
  if (!o.from.empty()) r.from = day_bound(o.from, "--from", false).month_index();
  if (!o.to.empty()) r.to = day_bound(o.to, "--to", true).month_index();
  if (r.from && r.to && *r.from > *r.to) throw CLI::ValidationError("--to", "is before --from");
  return r;
}

}  // namespace

int run_event_series(const EventSeriesOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.source.model.json, o.csv)};
  const SeriesRange range = series_range(o);
  const auto model = source_model(o.source);
  const service::EventSeries result =
      service::event_series(model ? &*model : nullptr, {event_source(o.source), range.dyad.a,
                                                        range.dyad.b, range.from, range.to});
  if (output.json()) {
    output.write_json(to_json(result));
    return kExitOk;
  }
  const bool neutral = result.scheme == "phoenix";
  if (output.csv()) print_csv_header(out, neutral);
  print_dyad(output, result.dyad, neutral);
  if (!output.csv())
    out << fmt::format("{}; QuadClass scheme {}; {} duplicate events removed\n", result.source,
                 result.scheme, result.duplicates);
  return kExitOk;
}

namespace {

void add_series(CLI::App& parent, Action& action) {
  auto o = std::make_shared<EventSeriesOptions>();
  CLI::App* cmd = parent.add_subcommand("series", "Monthly series of an ordered dyad, both directions");
  add_source_options(*cmd, o->source);
  cmd->add_option("--dyad", o->dyad, "A:B, two actor ids (or names); both A→B and B→A are shown")->required();
  cmd->add_option("--from", o->from, "First month (YYYY or YYYY-MM)");
  cmd->add_option("--to", o->to, "Last month (YYYY or YYYY-MM)");
  cmd->add_flag("--csv", o->csv, "Print CSV, one row per dyad and month");
  cmd->callback([o, &action] {
    if (o->csv && o->source.model.json) throw CLI::ValidationError("--csv", "choose one of --csv and --json");
    series_range(*o);  // a malformed --dyad, --from or --to is a usage error while parsing
    action = [o](std::ostream& out) { return run_event_series(*o, out); };
  });
}

void print_report(std::ostream& out, const std::string& input, const events::ImportReport& r) {
  out << fmt::format("{}: {} lines, {} bytes; kept {}, filtered out {}, bad {}\n", input, r.lines,
               r.bytes, r.kept, r.filtered_out, r.bad);
  if (!r.layouts.empty()) {
    out << "  layouts:";
    for (const auto& [n, count] : r.layouts) out << fmt::format(" {} rows of {} columns;", count, n);
    out << "\n";
  }
  for (const auto& [why, x] : r.reasons)
    out << fmt::format("  bad: {}: {} rows, first at line {} ({})\n", why, x.count, x.first_line, x.example);
  for (const auto& [why, x] : r.skipped)
    out << fmt::format("  skipped: {}: {} rows, first at line {} ({})\n", why, x.count, x.first_line, x.example);
}

// The kept events' series: per dyad of the filter, or CSV of every dyad, or a table of the most
// active ones.
void print_imported_series(const Output& output, const service::EventImport& r) {
  std::ostream& out = output.out;
  if (output.csv()) print_csv_header(out, r.neutral);
  if (!r.dyads.empty()) {
    for (const auto& d : r.dyads) print_dyad(output, d, r.neutral);
    if (!output.csv()) out << fmt::format("{} duplicate events removed\n", r.duplicates);
    return;
  }
  if (output.csv()) {
    for (const auto& s : r.all) print_csv(out, s.series, r.neutral);
    return;
  }
  auto total = [](const events::DyadSeries& s) {
    int n = 0;
    for (const auto& c : s.months) n += c.events;
    return n;
  };
  std::vector<const events::DyadSeries*> all;
  for (const auto& s : r.all) all.push_back(&s.series);
  std::stable_sort(all.begin(), all.end(), [&](auto* x, auto* y) { return total(*x) > total(*y); });
  Table t({"dyad", "months", "events", "Goldstein sum"});
  for (std::size_t i = 0; i < all.size() && i < 20; ++i) {
    double g = 0;
    for (const auto& c : all[i]->months) g += c.goldstein;
    t.add({all[i]->actor1 + " → " + all[i]->actor2,
           month_text(all[i]->months.front().month) + " … " + month_text(all[i]->months.back().month),
           std::to_string(total(*all[i])), fmt::format("{:+.1f}", g)});
  }
  output.write_table(t);
  out << fmt::format("{} dyads; {} duplicates removed, {} events without two actors\n", all.size(),
               r.duplicates, r.one_sided);
}

// `out`: the command's standard output (for --out -); none while only checking the flags.
service::EventImportRequest import_request(const EventImportOptions& o, std::ostream* out = nullptr) {
  service::EventImportRequest request;
  request.input = o.input;
  request.format = o.format;
  request.filter.actors = o.actors;
  request.filter.root_only = o.root_only;
  for (const auto& text : o.dyads) {
    const Dyad d = parse_dyad(text);
    request.filter.dyads.emplace_back(d.a, d.b);
  }
  if (!o.from.empty()) request.filter.from = day_bound(o.from, "--from", false);
  if (!o.to.empty()) request.filter.to = day_bound(o.to, "--to", true);
  request.scheme = events::QuadScheme::find(o.scheme);
  request.strict = o.strict;
  request.actor_types = o.actor_types;
  request.out = o.out;
  request.standard_output = out;
  request.series = o.series;
  request.dedup = !o.no_dedup;
  request.into_model = o.into_model;
  request.source_id = o.source_id;
  return request;
}

}  // namespace

int run_event_import(const EventImportOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.json, o.csv)};
  const service::EventImport result = service::import_events(import_request(o, &out));
  if (output.json()) {
    // Bytes of a broken input may appear in the report's examples: shown, not fatal.
    output.write_json(to_json(result));
    return kExitOk;
  }
  if (o.series) print_imported_series(output, result);
  print_report(std::cerr, result.input, result.report);
  if (const auto& m = result.into_model)
    std::cerr << fmt::format(
        "{}: {} events appended to events.csv{}; not appended: {} with an actor not in "
        "actors.toml, {} without two actors, {} already in the log, {} without a record id\n",
        o.into_model, m->appended, m->source_added ? " (data-set source added to sources.toml)" : "",
        m->not_in_model, m->one_sided, m->already, m->no_record_id);
  return kExitOk;
}

namespace {

void add_import(CLI::App& parent, Action& action) {
  auto o = std::make_shared<EventImportOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "import", "Stream a GDELT or ICEWS event file (or '-' for stdin), filter it, and write the kept "
                "events as CSV or monthly series; bad rows are counted by reason");
  cmd->add_option("input", o->input, "The event file, or - to read standard input")->required();
  cmd->add_option("--format", o->format, "gdelt (1.0 and 2.0, detected per row) or icews")
      ->check(CLI::IsMember({"gdelt", "icews"}));
  cmd->add_option("--actor", o->actors, "Keep rows with this actor id on either side (repeatable)");
  cmd->add_option("--dyad", o->dyads, "Keep rows between A and B, either direction (A:B, repeatable)");
  cmd->add_option("--from", o->from, "First day kept (YYYY, YYYY-MM or YYYY-MM-DD)");
  cmd->add_option("--to", o->to, "Last day kept (YYYY, YYYY-MM or YYYY-MM-DD)");
  cmd->add_flag("--root-only", o->root_only, "GDELT: keep only root events (IsRootEvent = 1)");
  cmd->add_flag("--strict", o->strict, "Stop at the first bad row (exit 2) instead of counting it");
  cmd->add_option("--scheme", o->scheme, "QuadClass scheme: gdelt or phoenix")
      ->check(CLI::IsMember(events::QuadScheme::names()));
  cmd->add_option("--out", o->out, "Write the kept events as CSV to this file (- for stdout)");
  cmd->add_flag("--series", o->series, "Print the kept events' monthly series (per --dyad, or every dyad)");
  cmd->add_flag("--no-dedup", o->no_dedup, "--series: keep duplicate events");
  cmd->add_flag("--csv", o->csv, "--series: print CSV");
  cmd->add_flag("--json", o->json, "Print the import report (and series) as JSON");
  cmd->add_option("--into-model", o->into_model,
                  "Append the kept events to this model directory's events.csv, citing a data-set "
                  "source added to its sources.toml when missing (docs/DATA.md)")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--actor-types", o->actor_types,
                "GDELT: give kept events the sub-actor of their country and CAMEO actor type "
                "where data/cameo/types.csv has one (RUS + MED -> RUS_MEDIA); the filter sees countries");
  cmd->add_option("--source-id", o->source_id,
                  "--into-model: id of the data-set source the events cite (default GDELT or ICEWS)");
  cmd->callback([o, &action] {
    if (!o->source_id.empty() && o->into_model.empty())
      throw CLI::ValidationError("--source-id", "names the source of --into-model; add --into-model DIR");
    if (o->out == "-" && (o->series || o->json))
      throw CLI::ValidationError("--out", "'-' writes events to stdout; it cannot be combined with --series or --json");
    if (o->csv && o->json) throw CLI::ValidationError("--csv", "choose one of --csv and --json");
    if (o->csv && !o->series) throw CLI::ValidationError("--csv", "prints series; add --series");
    if (o->input != "-" && !std::filesystem::is_regular_file(o->input) && !std::filesystem::exists(o->input))
      throw CLI::ValidationError("input", "no such file: " + o->input);
    import_request(*o);  // a malformed --dyad, --from or --to is a usage error while parsing
    action = [o](std::ostream& out) { return run_event_import(*o, out); };
  });
}

// A number to the precision an interval of width `width` supports: two significant digits of
// the width (two significant digits of the value when there is no interval).
std::string supported(double value, double width) {
  if (!std::isfinite(width) || !(width > 0)) return fmt::format("{:.2g}", value);
  const int decimals = std::clamp(1 - static_cast<int>(std::floor(std::log10(width))), 0, 12);
  return fmt::format("{:.{}f}", value, decimals);
}

void print_fit(std::ostream& out, const events::HawkesFit& f, const std::vector<std::string>& streams,
               double days) {
  std::string title;
  for (std::size_t k = 0; k < streams.size(); ++k)
    title += (k ? ", " : "") + fmt::format("{} ({} events)", streams[k], f.events[k]);
  out << fmt::format("{} Hawkes fit: {} over {:.0f} days\n", streams.size() == 1 ? "Univariate" : "Bivariate",
               title, days);
  Table t({"parameter", "estimate", "95% interval"});
  using service::HawkesParameter;
  auto add = [&](const std::string& name, HawkesParameter what, std::size_t k, std::size_t l,
                 double est) {
    const auto [low, high] = service::hawkes_interval(f, what, k, l);
    const double width = high - low;
    t.add({name, supported(est, width),
           std::isfinite(width) ? fmt::format("[{}, {}]", supported(low, width), supported(high, width))
                                : std::string("none (at a bound or not identified)")});
  };
  for (std::size_t k = 0; k < f.params.dims(); ++k) {
    add("mu " + streams[k] + " (per day)", HawkesParameter::kMu, k, k, f.params.mu[k]);
    for (std::size_t l = 0; l < f.params.dims(); ++l)
      add(fmt::format("alpha {} ← {}", streams[k], streams[l]), HawkesParameter::kAlpha, k, l, f.params.alpha[k][l]);
  }
  for (std::size_t l = 0; l < f.params.dims(); ++l)
    add("omega " + streams[l] + " (per day)", HawkesParameter::kOmega, l, l, f.params.omega[l]);
  t.print(out);
  out << "alpha: profile-likelihood interval; mu, omega: Wald interval on the log scale\n";
  out << fmt::format("branching (spectral radius of alpha) {:.2f}{}; excitation against a Poisson "
               "process: likelihood ratio {:.1f}, p = {:.2g} (chi-bar-squared)\n",
               f.spectral_radius, f.spectral_radius < 1 ? "" : " (not stationary)",
               f.lr_statistic, f.lr_p_value);
  if (service::hawkes_testable(f)) {
    for (std::size_t k = 0; k < streams.size(); ++k)
      out << fmt::format("time-rescaling check {}: KS distance {:.2f}, p = {:.2g}{}\n", streams[k],
                   f.ks_statistic[k], f.ks_p_value[k],
                   f.ks_p_value[k] < 0.05 ? " (model rejected at 5%)" : "");
  }
  const std::string shortfall = events::hawkes_shortfall(f);
  if (!shortfall.empty())
    out << "Not usable by the engine (minimum-information rule, docs/MODEL.md): " << shortfall
        << (service::hawkes_testable(f) ? "" : "; estimates for inspection only, no goodness-of-fit test")
        << "\n";
  out << "\n";
}

// The fit's dyad and days (each malformed one a usage error naming its flag).
struct FitRange {
  Dyad dyad;
  std::optional<long> first, last;
};
FitRange fit_range(const EventFitOptions& o) {
  FitRange r{parse_dyad(o.dyad), std::nullopt, std::nullopt};
  if (!o.from.empty()) r.first = events::days_from_civil(day_bound(o.from, "--from", false));
  if (!o.to.empty()) r.last = events::days_from_civil(day_bound(o.to, "--to", true));
  if (r.first && r.last && *r.first > *r.last) throw CLI::ValidationError("--to", "is before --from");
  return r;
}

}  // namespace

int run_event_fit(const EventFitOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.source.model.json)};
  const FitRange range = fit_range(o);
  const auto model = source_model(o.source);
  const service::DyadHawkes result = service::fit_dyad_hawkes(
      model ? &*model : nullptr, {event_source(o.source), range.dyad.a, range.dyad.b, o.quad,
                                  o.seed, range.first, range.last});
  if (output.json()) {
    output.write_json(to_json(result));
  } else {
    for (const auto& f : result.fits) print_fit(out, f.fit, f.streams, f.horizon);
    for (const auto& f : result.not_fitted) out << "not fitted: " << f << "\n";
    out << fmt::format("{}; times in days; {} events dated to a year only left out; "
                 "month-dated events placed on the 15th\n",
                 result.source, result.year_only);
  }
  // Every fit failed: too few events.
  return result.fits.empty() ? kExitInvalidInput : kExitOk;
}

namespace {

void add_fit(CLI::App& parent, Action& action) {
  auto o = std::make_shared<EventFitOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "fit", "Fit Hawkes processes by maximum likelihood to a dyad's daily event times: A→B and B→A "
             "alone, and both together (retaliation as cross-excitation)");
  add_source_options(*cmd, o->source);
  cmd->add_option("--dyad", o->dyad, "A:B, two actor ids (or names)")->required();
  cmd->add_option("--class", o->quad, "Only events of this QuadClass (1-4; 0 neutral under phoenix)")
      ->check(CLI::Range(0, 4));
  cmd->add_option("--from", o->from, "First day (YYYY, YYYY-MM or YYYY-MM-DD)");
  cmd->add_option("--to", o->to, "Last day (YYYY, YYYY-MM or YYYY-MM-DD)");
  cmd->add_option("--seed", o->seed, "Seed of the draws that spread same-day events over their day");
  cmd->callback([o, &action] {
    fit_range(*o);  // a malformed --dyad, --from or --to is a usage error while parsing
    action = [o](std::ostream& out) { return run_event_fit(*o, out); };
  });
}

}  // namespace

void add_events_command(CLI::App& app, Action& action) {
  CLI::App* cmd = app.add_subcommand(
      "events", "Event analytics: dyadic monthly series, GDELT/ICEWS import, Hawkes fits");
  cmd->require_subcommand(1);
  add_series(*cmd, action);
  add_import(*cmd, action);
  add_fit(*cmd, action);
}

}  // namespace sphere::app

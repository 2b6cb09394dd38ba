// `sphere events series|import|fit`: dyadic monthly series, streaming GDELT/ICEWS import, and
// Hawkes fits, over the model's event log or an imported event CSV.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

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

std::string month_label(int index) { return fmt::format("{:04}-{:02}", index / 12, index % 12 + 1); }

// Where events come from: the model's log (actors rolled up to their states) or an event CSV.
struct SourceOptions {
  ModelOptions model;
  std::string events_file, scheme = "gdelt";
  bool no_rollup = false, no_dedup = false;
};

void add_source_options(CLI::App& cmd, SourceOptions& o) {
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

// Feeds the chosen events to `sink`; returns a description of where they came from.
std::string feed(const SourceOptions& o, events::EventSink& sink, Dyad* dyad) {
  const events::QuadScheme& scheme = *events::QuadScheme::find(o.scheme);
  if (!o.events_file.empty()) {
    std::ifstream in(o.events_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    events::read_event_csv(text.str(), o.events_file, kb::builtin_codebook(), scheme, sink);
    return o.events_file;
  }
  kb::Model model = load_model(o.model);
  if (dyad) {  // names and aliases resolve to ids, rolled up like the events
    for (std::string* side : {&dyad->a, &dyad->b}) {
      // A name the model does not have is invalid input (exit 2), with the closest id.
      const kb::Actor& actor = service::require_actor(model, *side, "dyad");
      *side = o.no_rollup ? actor.id : events::top_affiliation(model, actor.id);
    }
  }
  events::feed_model_events(model, scheme, !o.no_rollup, sink);
  return model.location;
}

nlohmann::json cell_json(const MonthCell& c, bool neutral) {
  nlohmann::json quad = {{"1", c.quad[1]}, {"2", c.quad[2]}, {"3", c.quad[3]}, {"4", c.quad[4]}};
  if (neutral) quad["0"] = c.quad[0];
  return {{"events", c.events},          {"quad", quad},
          {"goldstein", c.goldstein},    {"cooperation", c.cooperation},
          {"conflict", c.conflict},      {"net", c.net()}};
}

nlohmann::json series_json(const DyadSeries& s, const std::map<int, MonthCell>& years, bool neutral) {
  nlohmann::json months = nlohmann::json::array();
  for (const auto& c : s.months) {
    nlohmann::json j = cell_json(c, neutral);
    j["month"] = month_label(c.month);
    months.push_back(j);
  }
  nlohmann::json year_only = nlohmann::json::object();
  for (const auto& [year, c] : years) year_only[std::to_string(year)] = cell_json(c, neutral);
  return {{"actor1", s.actor1}, {"actor2", s.actor2}, {"months", months}, {"year_only", year_only}};
}

void print_csv_header(std::ostream& out, bool neutral) {
  out << "actor1,actor2,month,events," << (neutral ? "q0," : "")
      << "q1,q2,q3,q4,goldstein,cooperation,conflict,net\n";
}

void print_csv(std::ostream& out, const DyadSeries& s, bool neutral) {
  for (const auto& c : s.months)
    out << fmt::format("{},{},{},{},{}{},{},{},{},{},{},{},{}\n", s.actor1, s.actor2,
                       month_label(c.month), c.events, neutral ? std::to_string(c.quad[0]) + "," : "",
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
                     month_label(s.months.front().month), month_label(s.months.back().month), events,
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
                           month_label(c.month), c.events, c.events == 1 ? "" : "s", c.quad[1], c.quad[2], c.quad[3],
                           c.quad[4], c.goldstein, c.net());
  }
  for (const auto& [year, c] : years)
    out << fmt::format("  {}     {:>3} event{} dated to the year only (in no month)  Goldstein {:+.1f}\n",
                       year, c.events, c.events == 1 ? "" : "s", c.goldstein);
}

// Prints both directions of a dyad as CSV, JSON or a chart.
void print_dyad(const events::SeriesBuilder& b, const Dyad& d, std::optional<int> from,
                std::optional<int> to, bool csv, bool json, bool neutral, nlohmann::json* json_out) {
  auto span = b.span(d.a, d.b);
  const int first = from.value_or(span ? span->first : 0);
  const int last = to.value_or(span ? span->second : -1);
  if (!span && !(from && to)) {
    if (!csv && !json) std::cout << fmt::format("{} and {}: no events dated to a month or day\n", d.a, d.b);
  }
  for (const auto& [x, y] : {std::pair{d.a, d.b}, std::pair{d.b, d.a}}) {
    const DyadSeries s = b.series(x, y, first, last);
    std::map<int, MonthCell> years;
    for (const auto& [year, c] : b.year_only(x, y))
      if (year * 12 + 11 >= first && year * 12 <= last) years[year] = c;
    if (json) json_out->push_back(series_json(s, years, neutral));
    else if (csv) print_csv(std::cout, s, neutral);
    else if (!s.months.empty()) print_chart(std::cout, s, years), std::cout << "\n";
    else
      for (const auto& [year, c] : years)
        std::cout << fmt::format("{} → {}  {}: {} events dated to the year only\n", x, y, year, c.events);
  }
}

struct SeriesArgs {
  SourceOptions source;
  std::string dyad, from, to;
  bool csv = false;
};

int run_series(const SeriesArgs& args, Dyad dyad, std::optional<int> from, std::optional<int> to) {
  events::SeriesBuilder b(events::SeriesOptions{!args.source.no_dedup, false});
  const std::string where = feed(args.source, b, &dyad);
  const bool neutral = args.source.scheme == "phoenix";
  nlohmann::json series = nlohmann::json::array();
  if (args.csv) print_csv_header(std::cout, neutral);
  print_dyad(b, dyad, from, to, args.csv, args.source.model.json, neutral, &series);
  if (args.source.model.json) {
    print_json(std::cout, {{"source", where}, {"scheme", args.source.scheme},
                           {"duplicates_removed", b.duplicates()}, {"series", series}});
  } else if (!args.csv) {
    std::cout << fmt::format("{}; QuadClass scheme {}; {} duplicate events removed\n", where,
                             args.source.scheme, b.duplicates());
  }
  return kExitOk;
}

void add_series(CLI::App& parent, Action& action) {
  auto o = std::make_shared<SeriesArgs>();
  CLI::App* cmd = parent.add_subcommand("series", "Monthly series of an ordered dyad, both directions");
  add_source_options(*cmd, o->source);
  cmd->add_option("--dyad", o->dyad, "A:B, two actor ids (or names); both A→B and B→A are shown")->required();
  cmd->add_option("--from", o->from, "First month (YYYY or YYYY-MM)");
  cmd->add_option("--to", o->to, "Last month (YYYY or YYYY-MM)");
  cmd->add_flag("--csv", o->csv, "Print CSV, one row per dyad and month");
  cmd->callback([o, &action] {
    if (o->csv && o->source.model.json) throw CLI::ValidationError("--csv", "choose one of --csv and --json");
    Dyad dyad = parse_dyad(o->dyad);
    std::optional<int> from, to;
    if (!o->from.empty()) from = day_bound(o->from, "--from", false).month_index();
    if (!o->to.empty()) to = day_bound(o->to, "--to", true).month_index();
    if (from && to && *from > *to) throw CLI::ValidationError("--to", "is before --from");
    action = [o, dyad, from, to] {
      return run_series(*o, dyad, from, to);
    };
  });
}

// Sends each event to two sinks.
struct Tee : events::EventSink {
  std::vector<events::EventSink*> sinks;
  void add(const events::EventView& e) override {
    for (auto* s : sinks) s->add(e);
  }
};

nlohmann::json report_json(const events::ImportReport& r) {
  nlohmann::json reasons = nlohmann::json::object(), skipped = nlohmann::json::object(),
                 layouts = nlohmann::json::object();
  for (const auto& [why, x] : r.reasons)
    reasons[why] = {{"rows", x.count}, {"first_line", x.first_line}, {"example", x.example}};
  for (const auto& [why, x] : r.skipped)
    skipped[why] = {{"rows", x.count}, {"first_line", x.first_line}, {"example", x.example}};
  for (const auto& [n, count] : r.layouts) layouts[std::to_string(n)] = count;
  return {{"lines", r.lines}, {"bytes", r.bytes},     {"kept", r.kept},       {"filtered_out", r.filtered_out},
          {"bad", r.bad},     {"bad_rows", reasons}, {"skipped", skipped}, {"layouts", layouts}};
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

void add_import(CLI::App& parent, Action& action) {
  struct Options {
    std::string input, format = "gdelt", out, scheme = "gdelt", from, to, into_model, source_id;
    std::vector<std::string> actors, dyads;
    bool strict = false, root_only = false, series = false, csv = false, json = false, no_dedup = false;
    bool actor_types = false;
  };
  auto o = std::make_shared<Options>();
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
    events::ImportOptions options;
    options.strict = o->strict;
    options.scheme = events::QuadScheme::find(o->scheme);
    options.filter.actors = o->actors;
    options.filter.root_only = o->root_only;
    std::vector<Dyad> dyads;
    for (const auto& d : o->dyads) {
      dyads.push_back(parse_dyad(d));
      options.filter.dyads.emplace_back(dyads.back().a, dyads.back().b);
    }
    if (!o->from.empty()) options.filter.from = day_bound(o->from, "--from", false);
    if (!o->to.empty()) options.filter.to = day_bound(o->to, "--to", true);
    action = [o, options, dyads] {
      // The model is loaded (and validated) before anything is read.
      std::unique_ptr<service::ModelImport> into;
      if (!o->into_model.empty())
        into = std::make_unique<service::ModelImport>(
            service::ModelImportRequest{o->into_model, o->source_id, o->format, o->input});
      const int fd = o->input == "-" ? 0 : ::open(o->input.c_str(), O_RDONLY);
      if (fd < 0) throw InputError(o->input, 0, "", "cannot open the file");
      // The CSV is written to a unique temporary file renamed at the end: nothing half-written,
      // and the temporary removed on any failure.
      std::unique_ptr<AtomicFile> out_file;
      int out_fd = -1;
      if (o->out == "-") {
        out_fd = 1;
      } else if (!o->out.empty()) {
        out_file = std::make_unique<AtomicFile>(o->out);
        out_fd = out_file->fd();
      }
      Tee tee;
      std::unique_ptr<events::CsvEventWriter> writer;
      if (out_fd >= 0) tee.sinks.push_back((writer = std::make_unique<events::CsvEventWriter>(out_fd)).get());
      events::SeriesBuilder builder(events::SeriesOptions{!o->no_dedup, false});
      if (o->series) tee.sinks.push_back(&builder);
      if (into) tee.sinks.push_back(&into->sink());
      const std::string label = o->input == "-" ? "<stdin>" : o->input;
      const auto codebook = kb::builtin_codebook();
      const auto countries = events::CountryTable::builtin();
      const auto types = o->actor_types ? events::TypeTable::builtin() : events::TypeTable();
      events::ImportOptions import_options = options;
      if (o->actor_types) import_options.types = &types;
      events::ImportReport report;
      try {
        report = o->format == "icews"
                     ? events::import_icews(fd, label, codebook, countries, import_options, tee)
                     : events::import_gdelt(fd, label, codebook, countries, import_options, tee);
        // A file in which no row parses is the wrong file, not an empty import: exit 2 with the
        // reasons, and nothing written.
        if (report.bad > 0 && report.kept == 0 && report.filtered_out == 0) {
          const auto& [why, first] = *report.reasons.begin();
          throw InputError(label, first.first_line, "",
                           fmt::format("no row parses as {} ({} bad rows; first: {}, {})",
                                       o->format == "icews" ? "ICEWS" : "GDELT", report.bad, why,
                                       first.example));
        }
        if (writer) writer->flush();
        if (into) into->commit();
      } catch (...) {
        if (fd != 0) ::close(fd);
        writer.reset();  // before its file is removed
        throw;
      }
      if (fd != 0) ::close(fd);
      if (out_file) {
        writer.reset();
        out_file->commit();
      }
      const bool neutral = o->scheme == "phoenix";
      nlohmann::json series = nlohmann::json::array();
      if (o->series) {
        if (o->csv) print_csv_header(std::cout, neutral);
        if (!dyads.empty()) {
          for (const auto& d : dyads) print_dyad(builder, d, {}, {}, o->csv, o->json, neutral, &series);
          if (!o->csv && !o->json)
            std::cout << fmt::format("{} duplicate events removed\n", builder.duplicates());
        } else if (o->json || o->csv) {
          for (const auto& s : builder.all()) {
            if (o->json) series.push_back(series_json(s, builder.year_only(s.actor1, s.actor2), neutral));
            else print_csv(std::cout, s, neutral);
          }
        } else {  // every dyad: a table of the most active ones
          auto all = builder.all();
          auto total = [](const DyadSeries& s) {
            int n = 0;
            for (const auto& c : s.months) n += c.events;
            return n;
          };
          std::stable_sort(all.begin(), all.end(), [&](auto& x, auto& y) { return total(x) > total(y); });
          Table t({"dyad", "months", "events", "Goldstein sum"});
          for (std::size_t i = 0; i < all.size() && i < 20; ++i) {
            double g = 0;
            for (const auto& c : all[i].months) g += c.goldstein;
            t.add({all[i].actor1 + " → " + all[i].actor2,
                   month_label(all[i].months.front().month) + " … " + month_label(all[i].months.back().month),
                   std::to_string(total(all[i])), fmt::format("{:+.1f}", g)});
          }
          t.print(std::cout);
          std::cout << fmt::format("{} dyads; {} duplicates removed, {} events without two actors\n",
                                   all.size(), builder.duplicates(), builder.one_sided());
        }
      }
      if (o->json) {
        nlohmann::json j = {{"input", label}, {"report", report_json(report)}};
        if (o->series) {
          j["series"] = series;
          j["duplicates_removed"] = builder.duplicates();
        }
        if (into) j["into_model"] = service::to_json(into->summary());
        // Bytes of a broken input may appear in the report's examples: shown, not fatal.
        std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      } else {
        print_report(std::cerr, label, report);
        if (into) {
          const service::ModelImportSummary m = into->summary();
          std::cerr << fmt::format(
              "{}: {} events appended to events.csv{}; not appended: {} with an actor not in "
              "actors.toml, {} without two actors, {} already in the log, {} without a record id\n",
              o->into_model, m.appended,
              m.source_added ? " (data-set source added to sources.toml)" : "", m.not_in_model,
              m.one_sided, m.already, m.no_record_id);
        }
      }
      return kExitOk;
    };
  });
}

// A 95% Wald interval on the log scale (the delta method: se(log x) = se / x), so that the
// interval of a positive parameter stays positive. Used for rates and decays; the excitation,
// which is often near its bound of 0, gets the profile-likelihood interval of the fit.
std::pair<double, double> interval95(double estimate, double se) {
  const double spread = std::exp(1.96 * se / estimate);
  return {estimate / spread, estimate * spread};
}

// The 95% interval of parameter (k, l) of kind `what` ("mu", "alpha", "omega"); NaN: none.
std::pair<double, double> interval_of(const events::HawkesFit& f, const std::string& what,
                                      std::size_t k, std::size_t l) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (what == "alpha") return {f.alpha_profile[k][l][0], f.alpha_profile[k][l][1]};
  const double est = what == "mu" ? f.params.mu[k] : f.params.omega[k];
  const double se = what == "mu" ? f.stderr_.mu[k] : f.stderr_.omega[k];
  return std::isfinite(se) ? interval95(est, se) : std::pair{nan, nan};
}

// A number to the precision an interval of width `width` supports: two significant digits of
// the width (two significant digits of the value when there is no interval).
std::string supported(double value, double width) {
  if (!std::isfinite(width) || !(width > 0)) return fmt::format("{:.2g}", value);
  const int decimals = std::clamp(1 - static_cast<int>(std::floor(std::log10(width))), 0, 12);
  return fmt::format("{:.{}f}", value, decimals);
}

bool enough_events(const events::HawkesFit& f) {
  return std::all_of(f.events.begin(), f.events.end(),
                     [](int n) { return n >= events::InformationRule{}.min_events; });
}

nlohmann::json fit_json(const events::HawkesFit& f, const std::vector<std::string>& streams) {
  auto value = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  auto param = [&](const std::string& what, std::size_t k, std::size_t l, double est, double se) {
    const auto [low, high] = interval_of(f, what, k, l);
    return nlohmann::json{{"estimate", est}, {"stderr", value(se)}, {"low95", value(low)},
                          {"high95", value(high)},
                          {"interval", what == "alpha" ? "profile likelihood" : "Wald, log scale"}};
  };
  const std::string shortfall = events::hawkes_shortfall(f);
  nlohmann::json j = {{"streams", streams},
                      {"log_likelihood", f.log_likelihood},
                      {"poisson_log_likelihood", f.log_likelihood_poisson},
                      {"lr_statistic", f.lr_statistic},
                      {"lr_p_value", f.lr_p_value},
                      {"spectral_radius", f.spectral_radius},
                      {"converged", f.converged},
                      {"evaluations", f.iterations},
                      {"usable", shortfall.empty()},
                      {"shortfall", shortfall}};
  for (std::size_t k = 0; k < f.params.dims(); ++k) {
    j["mu"].push_back(param("mu", k, k, f.params.mu[k], f.stderr_.mu[k]));
    j["omega"].push_back(param("omega", k, k, f.params.omega[k], f.stderr_.omega[k]));
    nlohmann::json row = nlohmann::json::array();
    for (std::size_t l = 0; l < f.params.dims(); ++l)
      row.push_back(param("alpha", k, l, f.params.alpha[k][l], f.stderr_.alpha[k][l]));
    j["alpha"].push_back(row);
    j["events"].push_back(f.events[k]);
    // With few events the time-rescaling test has no power: no p-value is given.
    j["ks_statistic"].push_back(enough_events(f) ? value(f.ks_statistic[k]) : nlohmann::json(nullptr));
    j["ks_p_value"].push_back(enough_events(f) ? value(f.ks_p_value[k]) : nlohmann::json(nullptr));
  }
  return j;
}

void print_fit(std::ostream& out, const events::HawkesFit& f, const std::vector<std::string>& streams,
               double days) {
  std::string title;
  for (std::size_t k = 0; k < streams.size(); ++k)
    title += (k ? ", " : "") + fmt::format("{} ({} events)", streams[k], f.events[k]);
  out << fmt::format("{} Hawkes fit: {} over {:.0f} days\n", streams.size() == 1 ? "Univariate" : "Bivariate",
                     title, days);
  Table t({"parameter", "estimate", "95% interval"});
  auto add = [&](const std::string& name, const std::string& what, std::size_t k, std::size_t l,
                 double est) {
    const auto [low, high] = interval_of(f, what, k, l);
    const double width = high - low;
    t.add({name, supported(est, width),
           std::isfinite(width) ? fmt::format("[{}, {}]", supported(low, width), supported(high, width))
                                : std::string("none (at a bound or not identified)")});
  };
  for (std::size_t k = 0; k < f.params.dims(); ++k) {
    add("mu " + streams[k] + " (per day)", "mu", k, k, f.params.mu[k]);
    for (std::size_t l = 0; l < f.params.dims(); ++l)
      add(fmt::format("alpha {} ← {}", streams[k], streams[l]), "alpha", k, l, f.params.alpha[k][l]);
  }
  for (std::size_t l = 0; l < f.params.dims(); ++l)
    add("omega " + streams[l] + " (per day)", "omega", l, l, f.params.omega[l]);
  t.print(out);
  out << "alpha: profile-likelihood interval; mu, omega: Wald interval on the log scale\n";
  out << fmt::format("branching (spectral radius of alpha) {:.2f}{}; excitation against a Poisson "
                     "process: likelihood ratio {:.1f}, p = {:.2g} (chi-bar-squared)\n",
                     f.spectral_radius, f.spectral_radius < 1 ? "" : " (not stationary)",
                     f.lr_statistic, f.lr_p_value);
  if (enough_events(f)) {
    for (std::size_t k = 0; k < streams.size(); ++k)
      out << fmt::format("time-rescaling check {}: KS distance {:.2f}, p = {:.2g}{}\n", streams[k],
                         f.ks_statistic[k], f.ks_p_value[k],
                         f.ks_p_value[k] < 0.05 ? " (model rejected at 5%)" : "");
  }
  const std::string shortfall = events::hawkes_shortfall(f);
  if (!shortfall.empty())
    out << "Not usable by the engine (minimum-information rule, docs/MODEL.md): " << shortfall
        << (enough_events(f) ? "" : "; estimates for inspection only, no goodness-of-fit test")
        << "\n";
  out << "\n";
}

struct FitArgs {
  SourceOptions source;
  std::string dyad, from, to;
  int quad = -1;
  std::uint64_t seed = 1;
};

int run_fit(const FitArgs& args, Dyad dyad, std::optional<long> first, std::optional<long> last) {
  // feed() turns names in --dyad into ids only when it loads the model, before the first event:
  // the sink that compares ids is built at that first event.
  struct Late : events::EventSink {
    std::unique_ptr<events::EventTimes> times;
    std::unique_ptr<events::Deduplicator> dedup;
    Dyad* dyad;
    const FitArgs* args;
    void add(const events::EventView& e) override {
      if (!times) {
        times = std::make_unique<events::EventTimes>(dyad->a, dyad->b, args->quad, args->seed);
        dedup = std::make_unique<events::Deduplicator>(*times);
      }
      if (args->source.no_dedup) times->add(e);
      else dedup->add(e);
    }
  } late;
  late.dyad = &dyad;
  late.args = &args;
  const std::string where = feed(args.source, late, &dyad);
  if (!late.times) late.times = std::make_unique<events::EventTimes>(dyad.a, dyad.b, args.quad, args.seed);
  const std::string ab = dyad.a + "→" + dyad.b, ba = dyad.b + "→" + dyad.a;
  const events::PointData both = late.times->data(true, first, last);
  nlohmann::json fits = nlohmann::json::array();
  std::vector<std::string> failures;
  auto attempt = [&](const events::PointData& data, const std::vector<std::string>& streams) {
    try {
      const events::HawkesFit f = events::fit_hawkes(data);
      if (args.source.model.json) fits.push_back(fit_json(f, streams));
      else print_fit(std::cout, f, streams, data.horizon);
    } catch (const std::invalid_argument& e) {
      std::string names;
      for (const auto& s : streams) names += (names.empty() ? "" : " + ") + s;
      failures.push_back(names + ": " + e.what());
    }
  };
  // The single-stream fits share the bivariate fit's window, so their likelihoods compare.
  events::PointData one{{both.times[0]}, both.horizon}, other{{both.times[1]}, both.horizon};
  attempt(one, {ab});
  attempt(other, {ba});
  attempt(both, {ab, ba});
  const long long coarse = late.times->skipped_coarse();
  if (args.source.model.json) {
    print_json(std::cout, {{"source", where}, {"class", args.quad}, {"time_unit", "day"},
                           {"horizon_days", both.horizon}, {"fits", fits}, {"not_fitted", failures},
                           {"year_only_events_left_out", coarse}});
  } else {
    for (const auto& f : failures) std::cout << "not fitted: " << f << "\n";
    std::cout << fmt::format("{}; times in days; {} events dated to a year only left out; "
                             "month-dated events placed on the 15th\n", where, coarse);
  }
  if (fits.empty() && args.source.model.json) return kExitInvalidInput;
  return failures.size() == 3 ? kExitInvalidInput : kExitOk;
}

void add_fit(CLI::App& parent, Action& action) {
  auto o = std::make_shared<FitArgs>();
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
    Dyad dyad = parse_dyad(o->dyad);
    std::optional<long> first, last;
    if (!o->from.empty()) first = events::days_from_civil(day_bound(o->from, "--from", false));
    if (!o->to.empty()) last = events::days_from_civil(day_bound(o->to, "--to", true));
    if (first && last && *first > *last) throw CLI::ValidationError("--to", "is before --from");
    action = [o, dyad, first, last] {
      return run_fit(*o, dyad, first, last);
    };
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

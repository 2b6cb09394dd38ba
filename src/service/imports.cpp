// Event files (GDELT, ICEWS) streamed through a filter into an event CSV, monthly series and a
// model directory; the import into a model is one locked, atomic transaction over events.csv and
// sources.toml.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "service/service.h"

namespace sphere::service {
namespace {

// Sends each event to every sink.
struct ImportTee : events::EventSink {
  std::vector<events::EventSink*> sinks;
  void add(const events::EventView& e) override {
    for (auto* s : sinks) s->add(e);
  }
};

nlohmann::json import_reason_json(const std::map<std::string, events::ImportReport::Reason>& reasons) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [why, x] : reasons)
    out[why] = {{"rows", x.count}, {"first_line", x.first_line}, {"example", x.example}};
  return out;
}

}  // namespace

struct ModelImport::State {
  State(const ModelImportRequest& request, std::string source_id)
      : dir(request.model_dir),
        lock(dir, fmt::format("sphere events import: another import into {} is running; "
                              "waiting for it to finish\n",
                              request.model_dir)),
        model(kb::load_model(kb::ModelFiles::directory(request.model_dir), kb::builtin_codebook())),
        source_id(std::move(source_id)) {}
  ~State() { writer.reset(); }  // before the file it writes to

  std::filesystem::path dir;
  DirectoryLock lock;  // held from before the model is read until after the rename
  kb::Model model;
  std::string source_id, source_block;
  std::unique_ptr<AtomicFile> events;
  std::unique_ptr<events::ModelLogWriter> writer;
};

ModelImport::ModelImport(const ModelImportRequest& request) {
  const std::string id = !request.source_id.empty() ? request.source_id
                         : request.format == "icews" ? "ICEWS"
                                                     : "GDELT";
  state_ = std::make_unique<State>(request, id);
  State& s = *state_;
  if (const kb::Source* source = s.model.find_source(id); source && source->kind != "data")
    throw InputError(kRequest, 0, "source_id",
                     fmt::format("'{}' is a text source in {}; imported events cite a data source "
                                 "(kind = \"data\")",
                                 id, source->origin.file),
                     ErrorKind::kUsage);
  if (!s.model.find_source(id)) s.source_block = data_source_entry(id, request.format, request.input);
  const std::string log = read_text_file(s.dir / "events.csv");
  s.events = std::make_unique<AtomicFile>(s.dir / "events.csv");
  s.writer = std::make_unique<events::ModelLogWriter>(s.model, id, request.format, s.events->fd());
  s.events->write(log);
  if (!log.empty() && log.back() != '\n') s.events->write("\n");
}

ModelImport::~ModelImport() = default;

events::EventSink& ModelImport::sink() { return *state_->writer; }

void ModelImport::commit() {
  State& s = *state_;
  s.writer->flush();
  if (!s.source_block.empty()) {
    std::string text = read_text_file(s.dir / "sources.toml");
    if (!text.empty() && text.back() != '\n') text += '\n';
    write_file_atomically(s.dir / "sources.toml", text + "\n" + s.source_block);
  }
  s.events->commit();
}

ModelImportSummary ModelImport::summary() const {
  const State& s = *state_;
  ModelImportSummary m;
  m.model = s.dir.string();
  m.source_added = !s.source_block.empty();
  m.appended = s.writer->written();
  m.not_in_model = s.writer->not_in_model();
  m.one_sided = s.writer->one_sided();
  m.already = s.writer->already();
  m.no_record_id = s.writer->no_record_id();
  return m;
}

std::string data_source_entry(const std::string& id, const std::string& format,
                              const std::string& input) {
  const bool gdelt = format == "gdelt";
  const std::string file =
      input == "-" ? "<stdin>" : std::filesystem::path(input).filename().string();
  toml::table source{
      {"id", id},
      {"kind", "data"},
      {"file", file},
      {"title", gdelt ? "GDELT event records (CAMEO-coded from news reports)"
                      : "ICEWS coded event records (CAMEO-coded from news stories)"},
      {"author", ""},
      {"publisher", gdelt ? "The GDELT Project" : "ICEWS (Lockheed Martin / Harvard Dataverse)"},
      {"date", ""},
      {"date_clues", "each event's own date; added by `sphere events import` into the model, "
                     "first from " + file},
      {"perspective", std::string("machine-coded events from news media, not checked by a "
                                  "person; each quote is the coded row's reference (") +
                          (gdelt ? "SOURCEURL, or the GLOBALEVENTID" : "Story ID, or the Event ID") +
                          ")"}};
  // Basic strings ("..."), UTF-8 kept as it is: the form of the model's own files.
  std::ostringstream text;
  text << toml::toml_formatter(toml::table{{"source", toml::array{std::move(source)}}},
                               toml::format_flags::allow_unicode_strings);
  std::string out = text.str();
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

nlohmann::json to_json(const ModelImportSummary& m) {
  return {{"model", m.model},
          {"appended", m.appended},
          {"source_added", m.source_added},
          {"skipped",
           {{"actor_not_in_model", m.not_in_model},
            {"fewer_than_two_actors", m.one_sided},
            {"already_in_log", m.already},
            {"no_record_id", m.no_record_id}}}};
}

EventImport import_events(const EventImportRequest& request) {
  // The model is loaded (and validated) before anything is read.
  std::unique_ptr<ModelImport> into;
  if (!request.into_model.empty())
    into = std::make_unique<ModelImport>(
        ModelImportRequest{request.into_model, request.source_id, request.format, request.input});
  const int fd = request.input == "-" ? 0 : ::open(request.input.c_str(), O_RDONLY);
  if (fd < 0) throw InputError(request.input, 0, "", "cannot open the file");
  // The CSV is written to a unique temporary file renamed at the end: nothing half-written, and
  // the temporary removed on any failure.
  std::unique_ptr<AtomicFile> out_file;
  std::unique_ptr<events::CsvEventWriter> writer;
  if (request.out == "-") {
    if (!request.standard_output)
      throw std::logic_error("import_events: out \"-\" without a standard_output stream");
    writer = std::make_unique<events::CsvEventWriter>(*request.standard_output);
  } else if (!request.out.empty()) {
    out_file = std::make_unique<AtomicFile>(request.out);
    writer = std::make_unique<events::CsvEventWriter>(out_file->fd());
  }
  ImportTee tee;
  if (writer) tee.sinks.push_back(writer.get());
  events::SeriesBuilder builder(events::SeriesOptions{request.dedup, false});
  if (request.series) tee.sinks.push_back(&builder);
  if (into) tee.sinks.push_back(&into->sink());
  EventImport out;
  out.input = request.input == "-" ? "<stdin>" : request.input;
  out.series = request.series;
  out.neutral = request.scheme->name() == "phoenix";
  const auto codebook = kb::builtin_codebook();
  const auto countries = events::CountryTable::builtin();
  const auto types = request.actor_types ? events::TypeTable::builtin() : events::TypeTable();
  events::ImportOptions options;
  options.filter = request.filter;
  options.scheme = request.scheme;
  options.strict = request.strict;
  if (request.actor_types) options.types = &types;
  const bool icews = request.format == "icews";
  try {
    out.report = icews ? events::import_icews(fd, out.input, codebook, countries, options, tee)
                       : events::import_gdelt(fd, out.input, codebook, countries, options, tee);
    // A file in which no row parses is the wrong file, not an empty import: nothing is written.
    if (out.report.bad > 0 && out.report.kept == 0 && out.report.filtered_out == 0) {
      const auto& [why, first] = *out.report.reasons.begin();
      throw InputError(out.input, first.first_line, "",
                       fmt::format("no row parses as {} ({} bad rows; first: {}, {})",
                                   icews ? "ICEWS" : "GDELT", out.report.bad, why, first.example));
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
  if (request.series) {
    if (!request.filter.dyads.empty()) {
      for (const auto& [a, b] : request.filter.dyads) out.dyads.push_back(dyad_series(builder, a, b));
    } else {
      for (auto& s : builder.all()) {
        auto years = builder.year_only(s.actor1, s.actor2);
        out.all.push_back({std::move(s), std::move(years)});
      }
    }
    out.duplicates = builder.duplicates();
    out.one_sided = builder.one_sided();
  }
  if (into) out.into_model = into->summary();
  return out;
}

nlohmann::json to_json(const events::ImportReport& r) {
  nlohmann::json layouts = nlohmann::json::object();
  for (const auto& [n, count] : r.layouts) layouts[std::to_string(n)] = count;
  return {{"lines", r.lines}, {"bytes", r.bytes}, {"kept", r.kept}, {"filtered_out", r.filtered_out},
          {"bad", r.bad}, {"bad_rows", import_reason_json(r.reasons)},
          {"skipped", import_reason_json(r.skipped)}, {"layouts", layouts}};
}

nlohmann::json to_json(const EventImport& r) {
  nlohmann::json j = {{"input", r.input}, {"report", to_json(r.report)}};
  if (r.series) {
    nlohmann::json series = nlohmann::json::array();
    for (const auto& d : r.dyads) {
      series.push_back(to_json(d.ab, r.neutral));
      series.push_back(to_json(d.ba, r.neutral));
    }
    for (const auto& s : r.all) series.push_back(to_json(s, r.neutral));
    j["series"] = series;
    j["duplicates_removed"] = r.duplicates;
  }
  if (r.into_model) j["into_model"] = to_json(*r.into_model);
  return j;
}

}  // namespace sphere::service

// Events of a data set imported into a model directory: one locked, atomic transaction over
// events.csv and sources.toml.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "service/service.h"

namespace sphere::service {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), 0, "", "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
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
  const std::string log = read_text(s.dir / "events.csv");
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
    std::string text = read_text(s.dir / "sources.toml");
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

}  // namespace sphere::service

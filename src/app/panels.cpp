// Which observation panel a command reads: --panel FILE (with --format), or the panel the model
// declares in observations.toml.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/app.h"

namespace sphere::app {

void add_panel_options(CLI::App& command, PanelOptions& options) {
  command.add_option("--panel", options.file,
                     "Observation panel file (default: the model's observations.toml)");
  command.add_option("--format", options.format,
                     "Panel format: gdelt-monthly, icews-year, mid-incidents, dyad-csv, iea-flows "
                     "(default: gdelt-monthly, or the model's declaration)");
  command.add_flag("--directed", options.directed, "dyad-csv: actor1 -> actor2 is a direction");
  command.add_flag("--strict", options.strict, "Stop at the first bad row");
  command.add_option("--target", options.target,
                     "Measure forecast (default: the model's declared target, or days_negative)");
}

std::string model_directory(const ModelOptions& options) {
#ifdef SPHERE_BUILTIN_MODEL_DIR
  if (options.model_dir.empty()) return SPHERE_BUILTIN_MODEL_DIR;
#endif
  return options.model_dir;
}

ResolvedPanel resolve_panel(const ModelOptions& model, const PanelOptions& options, int until) {
  ResolvedPanel out;
  panel::ReadOptions read;
  read.until = until;
  read.strict = options.strict;
  read.directed = options.directed;
  std::string format = options.format;
  out.target = options.target;
  if (!options.file.empty()) {
    out.path = options.file;
    if (format.empty()) format = "gdelt-monthly";
  } else {
    const std::string dir = model_directory(model);
    const kb::Model loaded = load_model(model);
    std::vector<std::string> ids;
    for (const auto& a : loaded.actors) ids.push_back(a.id);
    const auto observations = panel::read_observations(dir, ids);
    if (observations.empty())
      throw InputError(dir.empty() ? "(model)" : dir + "/observations.toml", 0, "observations",
                       "the model declares no observation panel; give --panel FILE");
    const panel::Observation& o = observations.front();
    out.path = o.resolved_path;
    // A file under shared/ is looked for where shared/ stands for this model (--data-root, or a
    // shared folder in or above the model directory) when it is not where the path points.
    const auto at = o.file.find("shared/");
    if (!std::filesystem::exists(out.path) && at != std::string::npos) {
      const std::filesystem::path root = kb::shared_folder({dir, model.data_root}, dir);
      if (!root.empty()) {
        const std::filesystem::path moved = root / o.file.substr(at + 7);
        if (std::filesystem::exists(moved) || !model.data_root.empty()) out.path = moved.string();
      }
    }
    out.source = o.source;
    out.actors = o.actors;
    if (format.empty()) format = o.format;
    if (out.target.empty()) out.target = o.target;
    const auto full = std::filesystem::absolute(out.path).lexically_normal();
    if (const auto missing = first_missing(full); !missing.empty())
      throw InputError(dir + "/observations.toml", o.line, "file",
                       "the declared panel '" + o.file + "' is absent: " +
                           (missing == full
                                ? "no such file in " + missing.parent_path().string()
                                : "the folder " + missing.string() + " does not exist") +
                           " (the path is relative to the model directory, or under --data-root DIR when it "
                           "names shared/); give --data-root DIR or --panel FILE");
  }
  if (out.target.empty()) out.target = "days_negative";
  out.panel = panel::read_panel(out.path, panel::parse_format(format, out.path), read);
  if (out.panel.measure_index(out.target) < 0) {
    std::string have;
    for (const auto& m : out.panel.measures) have += (have.empty() ? "" : ", ") + m.name;
    throw InputError(out.path, 0, "--target",
                     "the panel has no measure '" + out.target + "' (it has " + have + ")");
  }
  return out;
}

void print_bad_rows(std::ostream& out, const panel::Panel& p) {
  if (p.bad.total() == 0) return;
  out << p.file << ": " << p.bad.total() << " bad row" << (p.bad.total() == 1 ? "" : "s")
      << " skipped (--strict stops at the first):\n";
  for (const auto& r : p.bad.reasons) {
    out << "  " << r.count << " × " << r.what << " (line";
    for (std::size_t i = 0; i < r.first_lines.size(); ++i) out << (i ? ", " : " ") << r.first_lines[i];
    out << (r.count > r.first_lines.size() ? ", …" : "") << ")\n";
  }
}

}  // namespace sphere::app

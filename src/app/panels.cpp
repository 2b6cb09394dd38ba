// Which observation panel a command reads: --panel FILE (with --format), or the panel the model
// declares in observations.toml.
#include <iostream>
#include <optional>

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
  service::PanelRequest request;
  request.file = options.file;
  request.format = options.format;
  request.target = options.target;
  request.directed = options.directed;
  request.strict = options.strict;
  request.until = until;
  request.model_dir = model_directory(model);
  request.data_root = model.data_root;
  std::optional<kb::Model> loaded;  // a declared panel maps the model's actors
  if (options.file.empty()) loaded = load_model(model);
  return service::resolve_panel(loaded ? &*loaded : nullptr, request);
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

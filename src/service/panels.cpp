// Which observation panel a use case reads: a file, or the panel the model declares in
// observations.toml (a cited shared/ path found under the data root).
#include <filesystem>

#include "service/service.h"

namespace sphere::service {

ResolvedPanel resolve_panel(const kb::Model* model, const PanelRequest& request) {
  ResolvedPanel out;
  panel::ReadOptions read;
  read.until = request.until;
  read.strict = request.strict;
  read.directed = request.directed;
  std::string format = request.format;
  out.target = request.target;
  if (!request.file.empty()) {
    out.path = request.file;
    if (format.empty()) format = "gdelt-monthly";
  } else {
    const std::string& dir = request.model_dir;
    std::vector<std::string> ids;
    if (model)
      for (const auto& a : model->actors) ids.push_back(a.id);
    const auto observations = panel::read_observations(dir, ids);
    if (observations.empty())
      throw InputError(dir.empty() ? "(model)" : dir + "/observations.toml", 0, "observations",
                       "the model declares no observation panel; name a panel file");
    const panel::Observation& o = observations.front();
    out.path = o.resolved_path;
    // A file under shared/ is looked for where shared/ stands for this model (the data root, or
    // a shared folder in or above the model directory) when it is not where the path points.
    const auto at = o.file.find("shared/");
    if (!std::filesystem::exists(out.path) && at != std::string::npos) {
      const std::filesystem::path root = kb::shared_folder({dir, request.data_root}, dir);
      if (!root.empty()) {
        const std::filesystem::path moved = root / o.file.substr(at + 7);
        if (std::filesystem::exists(moved) || !request.data_root.empty()) out.path = moved.string();
      }
    }
    out.source = o.source;
    out.actors = o.actors;
    if (format.empty()) format = o.format;
    if (out.target.empty()) out.target = o.target;
    const auto full = std::filesystem::absolute(out.path).lexically_normal();
    if (const auto missing = first_missing(full); !missing.empty()) {
      Diagnostics problems;
      problems.add(dir + "/observations.toml", o.line, "file",
                   "the declared panel '" + o.file + "' is absent: " +
                       (missing == full ? "no such file in " + missing.parent_path().string()
                                        : "the folder " + missing.string() + " does not exist") +
                       " (the path is relative to the model directory, or to the data root when "
                       "it names shared/)");
      problems.add(kRequest, 0, "data_root", "give the folder shared/ stands for, or a panel file");
      throw InputError(problems);
    }
  }
  if (out.target.empty()) out.target = "days_negative";
  out.panel = panel::read_panel(out.path, panel::parse_format(format, out.path), read);
  if (out.panel.measure_index(out.target) < 0) {
    std::string have;
    for (const auto& m : out.panel.measures) have += (have.empty() ? "" : ", ") + m.name;
    throw InputError(out.path, 0, "target",
                     "the panel has no measure '" + out.target + "' (it has " + have + ")");
  }
  return out;
}

}  // namespace sphere::service

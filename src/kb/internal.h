// Private helpers shared by the kb sources. Not part of the public API (kb.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "core/core.h"

namespace sphere::kb {

// The files embedded at build time (cmake/embed.cmake), keyed by path under data/.
const std::map<std::string, std::string_view>& embedded_files();

struct Model;
class ModelFiles;

// Reads and parses the model file `name` (src/kb/load.cpp). A syntax error goes to `out` with
// its file and line; an absent file too when `required`. nullopt when absent or not TOML.
std::optional<toml::table> parse_toml_file(const ModelFiles& files, std::string_view name,
                                           bool required, Diagnostics& out);

// Loads the optional infrastructure.toml and ties.toml into `model` (src/kb/infrastructure.cpp),
// after actors and sources are loaded; problems go to `out`.
void load_infrastructure(const ModelFiles& files, Model& model, Diagnostics& out);
void load_ties(const ModelFiles& files, Model& model, Diagnostics& out);

struct Model;
class ModelFiles;

// Loads model.toml's [simulation], [[parameter]], [[scenario]] and [[outcome]] into `model`
// (src/kb/simulation.cpp), after sources, actors and facts are loaded; problems go to `out`.
void load_simulation(const ModelFiles& files, Model& model, Diagnostics& out);

// Loads the optional issues.toml (the contested issues) into `model`
// (src/kb/issues.cpp), after sources and actors are loaded; problems go to `out`.
void load_issues(const ModelFiles& files, Model& model, Diagnostics& out);

// Loads the optional places.toml (map positions of infrastructure nodes) into `model`
// (src/kb/places.cpp), after infrastructure.toml; problems go to `out`.
void load_places(const ModelFiles& files, Model& model, Diagnostics& out);

}  // namespace sphere::kb

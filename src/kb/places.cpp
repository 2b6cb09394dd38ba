// Loading and validating places.toml: where each infrastructure node is drawn on a map. The file
// is optional; a model without it has no map positions. Positions carry one provenance for the
// file (usually an assumption with a range in degrees), since the sources give no coordinates.
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "kb/internal.h"
#include "kb/kb.h"

namespace sphere::kb {
namespace {

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

std::optional<double> number_at(const toml::table& t, std::string_view key, const std::string& file,
                                Diagnostics& out) {
  const toml::node* node = t.get(key);
  if (!node) {
    out.add(file, line_of(t), std::string(key), "missing; expected a number");
    return std::nullopt;
  }
  if (node->is_integer()) return static_cast<double>(node->as_integer()->get());
  if (node->is_floating_point()) return node->as_floating_point()->get();
  out.add(file, line_of(*node), std::string(key), "expected a number");
  return std::nullopt;
}

std::string string_at(const toml::table& t, std::string_view key) {
  const toml::node* node = t.get(key);
  return node && node->is_string() ? node->as_string()->get() : std::string();
}

// A provenance table: the [provenance] shared by every place, or a route's own fields.
Provenance provenance_of(const toml::table* t, const std::string& file, Diagnostics& out) {
  Provenance p;
  p.origin = {file, line_of(*t)};
  p.source = string_at(*t, "source");
  p.rationale = string_at(*t, "rationale");
  p.citation = string_at(*t, "citation");
  if (p.source == "assumption") {
    if (p.rationale.empty())
      out.add(file, line_of(*t), "rationale", "an assumption needs a rationale");
    const toml::array* range = t->get_as<toml::array>("range");
    if (!range || range->size() != 2 || !(*range)[0].is_number() || !(*range)[1].is_number()) {
      out.add(file, line_of(*t), "range", "expected [low, high]: the error in degrees either way");
    } else {
      p.range_low = (*range)[0].value<double>().value_or(0.0);
      p.range_high = (*range)[1].value<double>().value_or(0.0);
      if (!(p.range_low <= 0.0 && 0.0 <= p.range_high))
        out.add(file, line_of(*t), "range", "expected low <= 0 <= high (degrees either way)");
    }
  } else if (p.source == "data") {
    if (p.citation.empty()) out.add(file, line_of(*t), "citation", "data needs a citation");
  } else {
    out.add(file, line_of(*t), "source", "expected \"assumption\" or \"data\"");
  }
  return p;
}

Provenance load_provenance(const toml::table& root, const std::string& file, Diagnostics& out) {
  const toml::table* t = root.get_as<toml::table>("provenance");
  if (!t) {
    out.add(file, 0, "provenance",
            "missing [provenance] table; positions need a source (assumption with rationale "
            "and range, or data with citation)");
    return {};
  }
  return provenance_of(t, file, out);
}

// A [[route]]: link, points = [[lon, lat], ...], and its own source with citation (data) or
// rationale and range (assumption); without a source it takes the file's [provenance].
void load_route(const toml::table& t, const std::string& file, const Provenance& shared,
                Model& model, std::set<std::string, std::less<>>& seen, Diagnostics& out) {
  for (const auto& [key, node] : t) {
    const std::string_view k = key.str();
    if (k != "link" && k != "points" && k != "source" && k != "citation" && k != "rationale" &&
        k != "range" && k != "note")
      out.add(file, line_of(node), std::string(k),
              "unknown field; expected one of: link, points, source, citation, rationale, range, "
              "note");
  }
  Route r;
  r.origin = {file, line_of(t)};
  r.link = string_at(t, "link");
  if (r.link.empty()) out.add(file, r.origin.line, "link", "missing; expected a link id");
  else if (!model.infrastructure.find_link(r.link))
    out.add(file, r.origin.line, "link",
            fmt::format("unknown link '{}'; expected an id from infrastructure.toml", r.link));
  else if (!seen.insert(r.link).second)
    out.add(file, r.origin.line, "link", fmt::format("link '{}' routed twice", r.link));
  const toml::array* points = t.get_as<toml::array>("points");
  if (!points || points->empty()) {
    out.add(file, r.origin.line, "points", "missing; expected [[lon, lat], ...] in degrees");
  } else {
    for (const auto& item : *points) {
      const toml::array* pair = item.as_array();
      if (!pair || pair->size() != 2 || !(*pair)[0].is_number() || !(*pair)[1].is_number()) {
        out.add(file, line_of(item), "points", "expected [lon, lat], two numbers in degrees");
        continue;
      }
      const double lon = (*pair)[0].value<double>().value_or(0.0);
      const double lat = (*pair)[1].value<double>().value_or(0.0);
      if (lon < -180.0 || lon > 180.0 || lat < -90.0 || lat > 90.0)
        out.add(file, line_of(item), "points", "expected lon in [-180, 180], lat in [-90, 90]");
      r.points.emplace_back(lon, lat);
    }
  }
  r.provenance = t.contains("source") ? provenance_of(&t, file, out) : shared;
  model.routes.push_back(std::move(r));
}

}  // namespace

void load_places(const ModelFiles& files, Model& model, Diagnostics& out) {
  std::optional<toml::table> parsed = parse_toml_file(files, "places.toml", false, out);
  if (!parsed) return;  // optional file, or a syntax error (reported)
  const toml::table& root = *parsed;
  const std::string file = files.label("places.toml");
  for (const auto& [key, node] : root)
    if (key.str() != "provenance" && key.str() != "place" && key.str() != "route")
      out.add(file, line_of(node), std::string(key.str()),
              "unknown top-level key; expected [provenance], [[place]] and [[route]]");
  const Provenance provenance = load_provenance(root, file, out);
  if (const toml::array* routes = root.get_as<toml::array>("route")) {
    std::set<std::string, std::less<>> routed;
    for (const auto& item : *routes) {
      if (const toml::table* t = item.as_table()) load_route(*t, file, provenance, model, routed, out);
      else out.add(file, line_of(item), "route", "expected a table [[route]]");
    }
  }
  const toml::array* places = root.get_as<toml::array>("place");
  if (!places) return;
  std::set<std::string, std::less<>> seen;
  for (const auto& item : *places) {
    const toml::table* t = item.as_table();
    if (!t) {
      out.add(file, line_of(item), "place", "expected a table [[place]]");
      continue;
    }
    for (const auto& [key, node] : *t)
      if (key.str() != "node" && key.str() != "lon" && key.str() != "lat" &&
          key.str() != "note" && key.str() != "label")
        out.add(file, line_of(node), std::string(key.str()),
                "unknown field; expected one of: node, lon, lat, note, label");
    Place p;
    p.origin = {file, line_of(*t)};
    p.node = string_at(*t, "node");
    p.note = string_at(*t, "note");
    p.label = string_at(*t, "label");
    p.provenance = provenance;
    if (p.node.empty()) out.add(file, p.origin.line, "node", "missing; expected a node id");
    else if (!model.infrastructure.find_node(p.node))
      out.add(file, p.origin.line, "node",
              fmt::format("unknown node '{}'; expected an id from infrastructure.toml", p.node));
    else if (!seen.insert(p.node).second)
      out.add(file, p.origin.line, "node", fmt::format("node '{}' placed twice", p.node));
    auto lon = number_at(*t, "lon", file, out);
    auto lat = number_at(*t, "lat", file, out);
    if (lon && (*lon < -180.0 || *lon > 180.0))
      out.add(file, p.origin.line, "lon", "expected a longitude in [-180, 180] degrees");
    if (lat && (*lat < -90.0 || *lat > 90.0))
      out.add(file, p.origin.line, "lat", "expected a latitude in [-90, 90] degrees");
    p.lon = lon.value_or(0.0);
    p.lat = lat.value_or(0.0);
    model.places.push_back(std::move(p));
  }
}

const Route* Model::find_route(std::string_view link) const {
  for (const auto& r : routes)
    if (r.link == link) return &r;
  return nullptr;
}

const Place* Model::find_place(std::string_view node) const {
  for (const auto& p : places)
    if (p.node == node) return &p;
  return nullptr;
}

}  // namespace sphere::kb

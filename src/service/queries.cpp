// Queries over the model's records: actors by name, the timeline, facts and disagreements.
#include <algorithm>
#include <cstdint>
#include <tuple>

#include <fmt/format.h>

#include "service/service.h"

namespace sphere::service {

const kb::Actor* resolve_actor(const kb::Model& model, const std::string& name) {
  if (const kb::Actor* a = model.find_actor(name)) return a;
  const std::string wanted = ascii_lower(name);
  for (const kb::Actor& a : model.actors) {
    if (ascii_lower(a.id) == wanted || ascii_lower(a.name) == wanted) return &a;
    for (const auto& alias : a.aliases)
      if (ascii_lower(alias) == wanted) return &a;
  }
  return nullptr;
}

std::set<std::string> actor_family(const kb::Model& model, const std::string& actor_id) {
  std::set<std::string> family = {actor_id};
  // Grow to a fixed point: an actor joins when its affiliation or count_as target is already in.
  for (bool grew = true; grew;) {
    grew = false;
    for (const kb::Actor& a : model.actors) {
      if (family.contains(a.id)) continue;
      bool joins = !a.affiliation.empty() && family.contains(a.affiliation);
      if (model.simulation)
        if (auto it = model.simulation->count_as.find(a.id);
            it != model.simulation->count_as.end() && family.contains(it->second))
          joins = true;
      if (joins) grew = family.insert(a.id).second;
    }
  }
  return family;
}

bool timeline_before(const Date& a, const Date& b) {
  auto key = [](const Date& d) {
    return std::tuple(d.year, d.month == 0 ? 13 : d.month, d.day == 0 ? 32 : d.day);
  };
  return key(a) < key(b);
}

std::vector<const kb::Event*> timeline_events(const kb::Model& model) {
  std::vector<const kb::Event*> events;
  for (const kb::Event& e : model.events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](const kb::Event* a, const kb::Event* b) {
    return timeline_before(a->date, b->date);
  });
  return events;
}

std::map<std::string, std::vector<std::string>> conflicts_by_event(const kb::Model& model) {
  std::map<std::string, std::vector<std::string>> result;
  for (const kb::Conflict& c : model.conflicts)
    for (const auto& e : c.events) result[e].push_back(c.id);
  return result;
}

nlohmann::json to_json(const kb::Event& e) {
  nlohmann::json quotes = nlohmann::json::array();
  for (const auto& q : e.quotes) quotes.push_back({{"source", q.source}, {"quote", q.text}});
  return {{"id", e.id},           {"date", e.date.to_string()}, {"actor1", e.actor1},
          {"actor2", e.actor2},   {"cameo", e.cameo},           {"goldstein", e.goldstein},
          {"summary", e.summary}, {"sources", quotes},          {"confidence", e.confidence}};
}

nlohmann::json to_json(const kb::Fact& f) {
  return {{"id", f.id},
          {"what", f.what},
          {"value", f.value},
          {"value_high", f.value_high},
          {"qualifier", f.qualifier},
          {"unit", f.unit},
          {"year", f.year},
          {"year_basis", f.year_basis},
          {"actors", f.actors},
          {"source", f.quote.source},
          {"quote", f.quote.text}};
}

nlohmann::json to_json(const kb::Conflict& c) {
  nlohmann::json claims = nlohmann::json::array();
  for (const auto& cl : c.claims)
    claims.push_back({{"source", cl.quote.source}, {"claim", cl.claim}, {"quote", cl.quote.text}});
  return {{"id", c.id},         {"topic", c.topic},   {"events", c.events},
          {"facts", c.facts},   {"claims", claims}};
}

const kb::Actor& require_actor(const kb::Model& model, const std::string& name,
                               const std::string& field) {
  if (name.empty()) throw InputError(kRequest, 0, field, "an actor id, name or alias is required");
  if (const kb::Actor* a = resolve_actor(model, name)) return *a;
  std::vector<std::string> ids;
  for (const kb::Actor& a : model.actors) ids.push_back(a.id);
  throw InputError(kRequest, 0, field,
                   fmt::format("no actor '{}' in the model{}", name, did_you_mean(name, ids)));
}

namespace {

// The first and last month a date may stand for ("2024" spans 2024-01..2024-12).
std::pair<int, int> month_span(const Date& d) {
  if (d.precision() == Date::Precision::kYear) return {d.year * 12, d.year * 12 + 11};
  return {d.month_index(), d.month_index()};
}

bool mentions(const kb::Event& e, const std::string& needle) {
  if (needle.empty()) return true;
  if (ascii_lower(e.id).find(needle) != std::string::npos) return true;
  if (ascii_lower(e.summary).find(needle) != std::string::npos) return true;
  for (const auto& q : e.quotes)
    if (ascii_lower(q.text).find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TimelineResult timeline(const kb::Model& model, const TimelineRequest& request) {
  const int from = request.from ? month_span(*request.from).first : INT32_MIN;
  const int to = request.to ? month_span(*request.to).second : INT32_MAX;
  if (from > to)
    throw InputError(kRequest, 0, "to",
                     fmt::format("{} is before the first date asked for, {}",
                                 request.to->to_string(), request.from->to_string()));
  TimelineResult r;
  if (!request.actor.empty()) {
    const kb::Actor& a = require_actor(model, request.actor, "actor");
    r.actors = request.only ? std::set<std::string>{a.id} : actor_family(model, a.id);
  }
  const std::string needle = ascii_lower(request.text);
  for (const kb::Event* e : timeline_events(model)) {
    auto [first, last] = month_span(e->date);
    if (last < from || first > to) continue;
    if (!r.actors.empty() && !r.actors.contains(e->actor1) && !r.actors.contains(e->actor2))
      continue;
    if (!mentions(*e, needle)) continue;
    r.events.push_back(e);
  }
  r.conflicts = conflicts_by_event(model);
  return r;
}

nlohmann::json to_json(const kb::Model& model, const TimelineResult& result) {
  nlohmann::json out = nlohmann::json::array();
  for (const kb::Event* e : result.events) {
    nlohmann::json j = to_json(*e);
    const kb::CodebookEntry* code = model.codebook.find(e->cameo);
    j["cameo_description"] = code ? code->description : "";
    const auto it = result.conflicts.find(e->id);
    j["conflicts"] = it != result.conflicts.end() ? it->second : std::vector<std::string>{};
    out.push_back(j);
  }
  return out;
}

std::vector<const kb::Fact*> find_facts(const kb::Model& model, const FactsRequest& request) {
  const std::string needle = ascii_lower(request.text);
  const std::string actor =
      request.actor.empty() ? "" : require_actor(model, request.actor, "actor").id;
  std::vector<const kb::Fact*> out;
  for (const auto& f : model.facts) {
    bool hit = needle.empty();
    for (const std::string* field : {&f.id, &f.what, &f.unit, &f.quote.text})
      hit = hit || ascii_lower(*field).find(needle) != std::string::npos;
    if (hit && (actor.empty() || std::find(f.actors.begin(), f.actors.end(), actor) != f.actors.end()))
      out.push_back(&f);
  }
  return out;
}

std::vector<const kb::Conflict*> find_conflicts(const kb::Model& model, const std::string& text) {
  const std::string needle = ascii_lower(text);
  std::vector<const kb::Conflict*> out;
  for (const auto& c : model.conflicts) {
    bool hit = needle.empty() || ascii_lower(c.topic).find(needle) != std::string::npos ||
               ascii_lower(c.id).find(needle) != std::string::npos;
    for (const auto& cl : c.claims)
      hit = hit || ascii_lower(cl.claim).find(needle) != std::string::npos ||
            ascii_lower(cl.quote.text).find(needle) != std::string::npos;
    if (hit) out.push_back(&c);
  }
  return out;
}

nlohmann::json to_json(const std::vector<const kb::Fact*>& facts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto* f : facts) out.push_back(to_json(*f));
  return out;
}

nlohmann::json to_json(const std::vector<const kb::Conflict*>& conflicts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto* c : conflicts) out.push_back(to_json(*c));
  return out;
}

}  // namespace sphere::service

#include <algorithm>
#include <set>

#include "events/events.h"

namespace sphere::events {

namespace {

// FNV-1a over the parts of a deduplication key, with separators so that ("AB","C") != ("A","BC").
std::uint64_t event_key(const EventView& e) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  const int date = e.date.year * 10000 + e.date.month * 100 + e.date.day;
  for (int shift = 0; shift < 32; shift += 8) h = (h ^ ((date >> shift) & 0xff)) * 1099511628211ull;
  mix(e.actor1);
  mix(e.actor2);
  mix(e.code);
  return h == 0 ? 1 : h;
}

// Inserts `key` into an open-addressing hash set (0 marks an empty slot); false when present.
// A 64-bit hash stands for the key: two different events collide with odds ~1e-19 per pair.
bool insert_key(std::vector<std::uint64_t>& seen, std::size_t& count, std::uint64_t key) {
  if (count * 2 >= seen.size()) {  // keep the table at most half full
    std::vector<std::uint64_t> old = std::move(seen);
    seen.assign(std::max<std::size_t>(1024, old.size() * 2), 0);
    count = 0;
    for (auto k : old)
      if (k != 0) insert_key(seen, count, k);
  }
  const std::size_t mask = seen.size() - 1;
  for (std::size_t i = key & mask;; i = (i + 1) & mask) {
    if (seen[i] == key) return false;
    if (seen[i] == 0) {
      seen[i] = key;
      ++count;
      return true;
    }
  }
}

}  // namespace

bool SeriesBuilder::insert_key(std::uint64_t key) { return events::insert_key(seen_, seen_count_, key); }

void Deduplicator::add(const EventView& e) {
  if (insert_key(seen_, seen_count_, event_key(e))) next_.add(e);
  else ++duplicates_;
}

void SeriesBuilder::add(const EventView& e) {
  if (e.actor1.empty() || e.actor2.empty()) {
    ++one_sided_;
    return;
  }
  if (options_.root_only && !e.root_event) return;
  if (options_.deduplicate && !insert_key(event_key(e))) {
    ++duplicates_;
    return;
  }
  const bool year_only = e.date.precision() == Date::Precision::kYear;
  if (year_only) ++coarse_;
  else ++added_;
  auto& cells = (year_only ? years_ : cells_)[{std::string(e.actor1), std::string(e.actor2)}];
  const int slot = year_only ? e.date.year : e.date.month_index();
  MonthCell& cell = cells[slot];
  cell.month = slot;
  if (e.quad >= 0 && e.quad <= 4) ++cell.quad[e.quad];
  ++cell.events;
  cell.goldstein += e.goldstein;
  if (e.goldstein > 0) cell.cooperation += e.goldstein;
  if (e.goldstein < 0) cell.conflict += e.goldstein;
}

DyadSeries SeriesBuilder::series(const std::string& actor1, const std::string& actor2, int from,
                                 int to) const {
  DyadSeries s{actor1, actor2, {}};
  auto it = cells_.find({actor1, actor2});
  for (int m = from; m <= to; ++m) {
    MonthCell cell;
    cell.month = m;
    if (it != cells_.end())
      if (auto c = it->second.find(m); c != it->second.end()) cell = c->second;
    s.months.push_back(cell);
  }
  return s;
}

std::map<int, MonthCell> SeriesBuilder::year_only(const std::string& actor1,
                                                  const std::string& actor2) const {
  auto it = years_.find({actor1, actor2});
  return it == years_.end() ? std::map<int, MonthCell>{} : it->second;
}

std::vector<DyadSeries> SeriesBuilder::all() const {
  std::vector<DyadSeries> out;
  for (const auto& [dyad, months] : cells_)
    out.push_back(series(dyad.first, dyad.second, months.begin()->first, months.rbegin()->first));
  return out;
}

std::optional<std::pair<int, int>> SeriesBuilder::span(const std::string& a,
                                                       const std::string& b) const {
  std::optional<std::pair<int, int>> out;
  for (const auto& key : {std::pair{a, b}, std::pair{b, a}}) {
    auto it = cells_.find(key);
    if (it == cells_.end()) continue;
    const int first = it->second.begin()->first, last = it->second.rbegin()->first;
    out = out ? std::pair{std::min(out->first, first), std::max(out->second, last)}
              : std::pair{first, last};
  }
  return out;
}

std::string top_affiliation(const kb::Model& model, const std::string& actor_id) {
  std::string id = actor_id;
  std::set<std::string> visited;  // guards against a cycle in a hand-written model
  while (visited.insert(id).second) {
    const kb::Actor* a = model.find_actor(id);
    if (!a || a->affiliation.empty()) break;
    id = a->affiliation;
  }
  return id;
}

void feed_model_events(const kb::Model& model, const QuadScheme& scheme, bool roll_up,
                       EventSink& sink) {
  for (const kb::Event& e : model.events) {
    const std::string a1 = roll_up ? top_affiliation(model, e.actor1) : e.actor1;
    const std::string a2 = roll_up ? top_affiliation(model, e.actor2) : e.actor2;
    EventView v;
    v.date = e.date;
    v.actor1 = a1;
    v.actor2 = a2;
    v.country1 = e.actor1;
    v.country2 = e.actor2;
    v.code = e.cameo;
    v.goldstein = e.goldstein;
    v.quad = scheme.classify(e.cameo);
    sink.add(v);
  }
}

}  // namespace sphere::events

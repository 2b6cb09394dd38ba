#include <algorithm>

#include "kb/kb.h"

namespace sphere::kb {
namespace {

template <typename T>
const T* find_by_id(const std::vector<T>& items, std::string_view id) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return x.id == id; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Actor* Model::find_actor(std::string_view id) const { return find_by_id(actors, id); }
const Source* Model::find_source(std::string_view id) const { return find_by_id(sources, id); }
const Event* Model::find_event(std::string_view id) const { return find_by_id(events, id); }

}  // namespace sphere::kb

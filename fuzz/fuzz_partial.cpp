// libFuzzer harness: the shard/sensitivity part reader. Any text is read or rejected with an
// InputError; a part that reads is consistent (its outcomes tally with its counts) and writes
// back to a text that reads again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto part = sphere::store::partial_from_text(text, "fuzz.json");
    if (const auto* p = std::get_if<sphere::store::Partial>(&part)) {
      for (const auto& o : p->outcomes)
        if (o.scenario < 0 || static_cast<std::size_t>(o.scenario) >= p->part.counts.size())
          std::abort();
      (void)sphere::store::partial_from_text(sphere::store::partial_to_text(*p), "again.json");
    }
  } catch (const sphere::InputError&) {
  }
  return 0;
}

// libFuzzer harness: the --shock parser ("event:RUS>AZE:173@2026-01", "block:LINK@2026-03") on
// any text, against a fixed set of actors and months: parsed or rejected with an InputError; a
// parsed shock lies within the months and names known actors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "kb/kb.h"
#include "sim/sim.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto codebook = sphere::kb::builtin_codebook();
  static const std::vector<std::string> actors = {"RUS", "AZE", "ARM", "GEO", "TUR", "IRN"};
  const int start = 2026 * 12, horizon = 2030 * 12 + 11;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const sphere::sim::Shock s = sphere::sim::parse_shock(text, actors, codebook, start, horizon);
    if (s.month < start || s.month > horizon) std::abort();
    const bool bad_actor = s.from < 0 || s.to < 0 || s.from >= 6 || s.to >= 6;
    if (s.kind == sphere::sim::ShockKind::kEvent && bad_actor) std::abort();
  } catch (const sphere::InputError&) {
  }
  return 0;
}

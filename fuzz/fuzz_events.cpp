// libFuzzer harness: the GDELT and ICEWS importers (the first byte picks one and strict or
// lenient mode) on any bytes, read through a memory file as from a real one. Rows are kept or
// rejected; an input error is an InputError, never a crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "events/events.h"
#include "kb/kb.h"

namespace {

struct Discard : sphere::events::EventSink {
  long long events = 0;
  void add(const sphere::events::EventView&) override { ++events; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const auto codebook = sphere::kb::builtin_codebook();
  static const auto countries = sphere::events::CountryTable::builtin();
  static const auto types = sphere::events::TypeTable::builtin();
  // One memory file for every input, emptied and refilled (creating one per input costs more
  // than the import).
  static const int fd = ::memfd_create("fuzz", 0);
  if (fd < 0 || ::ftruncate(fd, 0) != 0) std::abort();
  if (size > 1 && ::pwrite(fd, data + 1, size - 1, 0) != static_cast<ssize_t>(size - 1)) std::abort();
  ::lseek(fd, 0, SEEK_SET);
  sphere::events::ImportOptions options;
  options.strict = data[0] & 1;
  options.buffer_bytes = 4096;  // long lines meet the buffer's end
  if (data[0] & 4) options.types = &types;
  Discard sink;
  try {
    if (data[0] & 2)
      sphere::events::import_icews(fd, "fuzz", codebook, countries, options, sink);
    else
      sphere::events::import_gdelt(fd, "fuzz", codebook, countries, options, sink);
  } catch (const sphere::InputError&) {
  }
  return 0;
}

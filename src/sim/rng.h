// The scenario engine's random numbers: the core's counter-based streams with their purposes.
#pragma once

#include <cstdint>

#include "core/core.h"

namespace sphere::sim {

// What a stream of draws is for; part of the counter, so that adding draws for one purpose
// never shifts the draws of another.
enum class Purpose : std::uint32_t {
  kEvents = 1,     // event counts of one dyad and class
  kGoldstein = 2,  // which empirical event an event copies
  kTools = 3,      // a tool user's choice
  kSample = 4,     // sensitivity-analysis sample points
  kBootstrap = 5,  // bootstrap resamples
};

// The core's counter-based generator with the purpose as an enum.
class Rng : public sphere::Rng {
 public:
  Rng(std::uint64_t seed, std::uint32_t run, std::uint32_t month, Purpose purpose,
      std::uint32_t index)
      : sphere::Rng(seed, run, month, static_cast<std::uint32_t>(purpose), index) {}
};

}  // namespace sphere::sim

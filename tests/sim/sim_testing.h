// Helpers shared by the sim tests: the built-in model, and summaries compared bit for bit.
#pragma once

#include <cstring>
#include <vector>

#include "sim/sim.h"

namespace sphere::sim::testing {

inline const kb::Model& model() {
  static const kb::Model m = kb::load_builtin_model();
  return m;
}

// Every number of a summary, so that equality of the bytes means bitwise identity.
inline std::vector<double> flatten(const ForecastSummary& f) {
  std::vector<double> v;
  for (const auto& p : f.scenarios) v.insert(v.end(), {double(p.count), p.p, p.low, p.high});
  for (const auto& series : f.indicators)
    for (const auto& m : series) {
      v.push_back(m.mean);
      v.insert(v.end(), m.q.begin(), m.q.end());
    }
  for (const auto& d : f.driver_means) v.insert(v.end(), d.begin(), d.end());
  v.insert(v.end(), f.driver_overall.begin(), f.driver_overall.end());
  return v;
}

inline bool bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace sphere::sim::testing

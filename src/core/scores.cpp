// Proper scores shared by the structural hindcast and the scenario questions' hindcast.
#include "core/core.h"

namespace sphere {

double brier_score(const std::vector<double>& p, int observed) {
  double total = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    const double o = static_cast<int>(k) == observed ? 1.0 : 0.0;
    total += (p[k] - o) * (p[k] - o);
  }
  return total;
}

}  // namespace sphere

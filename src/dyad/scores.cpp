// Proper scores of a discrete predictive distribution.
#include <algorithm>
#include <cmath>
#include <limits>

#include "dyad/dyad.h"

namespace sphere::dyad {

double crps(const Pmf& pmf, int y) {
  // sum over k of (F(k) - 1{y <= k})^2; beyond the support F = 1 and the term is 0 for k >= y.
  double F = 0, total = 0;
  const int n = static_cast<int>(pmf.size());
  for (int k = 0; k < n; ++k) {
    F += pmf[k];
    const double d = F - (y <= k ? 1.0 : 0.0);
    total += d * d;
  }
  // F(k) = 1 (up to rounding) for k >= n; the indicator is 0 for n <= k < y.
  const double tail = 1.0 - (F > 1.0 ? 1.0 : F);
  for (int k = n; k < y; ++k) total += (1.0 - tail) * (1.0 - tail);
  return total;
}

double log_score(const Pmf& pmf, int y) {
  if (y < 0 || y >= static_cast<int>(pmf.size()) || !(pmf[y] > 0))
    return std::numeric_limits<double>::infinity();
  return -std::log(pmf[y]);
}

double exceedance(const Pmf& pmf, int threshold) {
  double p = 0;
  for (int k = threshold + 1; k < static_cast<int>(pmf.size()); ++k) p += pmf[k];
  return p;
}

void add_pit(const Pmf& pmf, int y, std::array<double, 10>* bins) {
  double below = 0;  // F(y - 1)
  const int n = static_cast<int>(pmf.size());
  for (int k = 0; k < y && k < n; ++k) below += pmf[k];
  const double at = y < n ? pmf[y] : 0.0;
  for (int i = 0; i < 10; ++i) {
    const double u = (i + 1) / 10.0;
    double v;
    if (u <= below) v = 0;
    else if (at <= 0 || u >= below + at) v = 1;
    else v = (u - below) / at;
    (*bins)[i] += v;
  }
}

int quantile(const Pmf& pmf, double q) {
  double F = 0;
  for (int k = 0; k < static_cast<int>(pmf.size()); ++k) {
    F += pmf[k];
    if (F >= q - 1e-12) return k;
  }
  return static_cast<int>(pmf.size()) - 1;
}

double ranked_probability_score(const Pmf& pmf, int y) {
  double F = 0, total = 0;
  std::size_t k = 0;
  for (int edge : kOrdinalEdges) {
    // F(edge - 1): the probability of the classes below this edge.
    for (; k < pmf.size() && static_cast<int>(k) < edge; ++k) F += pmf[k];
    const double d = std::min(F, 1.0) - (y < edge ? 1.0 : 0.0);
    total += d * d;
  }
  return total / static_cast<double>(kOrdinalEdges.size());
}

}  // namespace sphere::dyad

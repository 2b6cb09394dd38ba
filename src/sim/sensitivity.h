// Sensitivity analysis of any function of the parameters: Morris screening and Sobol indices.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sphere::sim {

// An input of a function, sampled uniformly on [low, high].
struct Factor {
  std::string name;
  double low = 0, high = 1;
};

// A function of the factors' values. Must be safe to call from several threads at once.
using Function = std::function<double(const std::vector<double>&)>;

struct MorrisResult {
  std::vector<double> mu, mu_star, sigma;  // per factor, in units of output per unit range
};

// Morris elementary effects on a `levels`-level grid, `trajectories` one-at-a-time paths
// (docs/MODEL.md). Effects are per unit of the factor's scaled [0, 1] range.
MorrisResult morris(const std::vector<Factor>& factors, const Function& f, int trajectories,
                    int levels, std::uint64_t seed, int threads = 1);

struct SobolResult {
  std::vector<double> s1, s1_low, s1_high;  // first order, 95% bootstrap interval
  std::vector<double> st, st_low, st_high;  // total order
};

// Sobol indices by Saltelli's A/B/AB_i scheme, n base points (n·(k+2) evaluations), first
// order by Saltelli (2010), total order by Jansen, percentile bootstrap intervals.
SobolResult sobol(const std::vector<Factor>& factors, const Function& f, int n, int bootstrap,
                  std::uint64_t seed, int threads = 1);

// morris() and sobol() in two steps, so that the evaluations can be split over processes: the
// points, in evaluation order, are a pure function of the arguments, and the indices are computed
// from f at every point in that order (std::invalid_argument when the count differs).
std::vector<std::vector<double>> morris_points(const std::vector<Factor>& factors,
                                               int trajectories, int levels, std::uint64_t seed);
MorrisResult morris_indices(const std::vector<Factor>& factors, int trajectories, int levels,
                            std::uint64_t seed, const std::vector<double>& outputs);
std::vector<std::vector<double>> sobol_points(const std::vector<Factor>& factors, int n,
                                              std::uint64_t seed);
SobolResult sobol_indices(const std::vector<Factor>& factors, int n, int bootstrap,
                          std::uint64_t seed, const std::vector<double>& outputs);
// Points [first, end) of shard `shard` (0-based) of `shards` of `count` points: contiguous,
// sizes differing by at most one.
std::pair<std::size_t, std::size_t> shard_points(std::size_t count, std::uint32_t shard,
                                                 std::uint32_t shards);

// Evaluates f at every point with `threads` workers; results in point order.
std::vector<double> evaluate_all(const Function& f, const std::vector<std::vector<double>>& points,
                                 int threads);

}  // namespace sphere::sim

// N-k contingency: every combination of k failed elements, ranked by lost max-flow, solved in
// parallel. Pruning is exact: if element x carries no flow in a maximum flow of the graph with
// the set P removed, that flow is still feasible without P and x, so F(P + x) = F(P).
#include <lemon/network_simplex.h>
#include <lemon/preflow.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "network/internal.h"
#include "network/network.h"

namespace sphere::network {
namespace {

// Which elements carry flow, one bit each.
using Bits = std::vector<std::uint64_t>;

bool test(const Bits& bits, int i) { return (bits[i >> 6] >> (i & 63)) & 1U; }

// One thread's solver: its own LEMON copy of the graph, a Preflow for values and a network
// simplex for flow patterns.
class Solver {
 public:
  Solver(const Graph& graph, int source, int sink, const std::vector<Element>& elements)
      : graph_(graph),
        lemon_(graph),
        elements_(elements),
        unit_(lemon_.digraph, 1),
        source_(lemon_.nodes[source]),
        sink_(lemon_.nodes[sink]),
        preflow_(lemon_.digraph, lemon_.capacity, source_, sink_),
        simplex_(lemon_.digraph) {}

  // Max-flow with `removed` elements out. With `uses`, also marks the elements that carry flow
  // in a maximum flow of least total arc flow: such a flow keeps to few, short paths, so fewer
  // combinations need solving than with the preflow's own flow, which spreads widely.
  std::int64_t solve(const std::vector<int>& removed, Bits* uses) {
    for (int e : removed)
      for (int a : elements_[e].arcs) lemon_.capacity[lemon_.arcs[a]] = 0;
    preflow_.runMinCut();  // the value needs only the first phase
    const std::int64_t value = preflow_.flowValue();
    if (uses) {
      uses->assign((elements_.size() + 63) / 64, 0);
      simplex_.reset();
      simplex_.upperMap(lemon_.capacity).costMap(unit_).stSupply(source_, sink_, value);
      simplex_.run();
      for (std::size_t e = 0; e < elements_.size(); ++e)
        for (int a : elements_[e].arcs)
          if (simplex_.flow(lemon_.arcs[a]) > 0) {
            (*uses)[e >> 6] |= std::uint64_t{1} << (e & 63);
            break;
          }
    }
    for (int e : removed)
      for (int a : elements_[e].arcs) lemon_.capacity[lemon_.arcs[a]] = graph_.arcs[a].capacity;
    return value;
  }

 private:
  const Graph& graph_;
  LemonGraph lemon_;
  const std::vector<Element>& elements_;
  LemonGraph::Map unit_;
  lemon::SmartDigraph::Node source_, sink_;
  lemon::Preflow<lemon::SmartDigraph, LemonGraph::Map> preflow_;
  lemon::NetworkSimplex<lemon::SmartDigraph, std::int64_t, std::int64_t> simplex_;
};

// Orders failures worst first, then by their elements, so that rankings are total.
bool worse(const Failure& a, const Failure& b) {
  if (a.lost != b.lost) return a.lost > b.lost;
  return a.elements < b.elements;
}

// The worst `top` failures seen by one thread.
class TopList {
 public:
  explicit TopList(std::size_t top) : top_(top) {}
  void add(Failure f) {
    if (top_ == 0) return;
    items_.push_back(std::move(f));
    if (items_.size() >= 2 * top_ + 64) trim();
  }
  void trim() {
    std::sort(items_.begin(), items_.end(), worse);
    if (items_.size() > top_) items_.resize(top_);
  }
  std::vector<Failure>& items() { return items_; }

 private:
  std::size_t top_;
  std::vector<Failure> items_;
};

std::uint64_t choose(std::uint64_t n, int k) {
  std::uint64_t r = 1;
  for (int i = 0; i < k; ++i) r = r * (n - static_cast<std::uint64_t>(i)) / static_cast<std::uint64_t>(i + 1);
  return n < static_cast<std::uint64_t>(k) ? 0 : r;
}

// Runs `work(thread, row)` for rows 0..rows-1 on `threads` threads, rows handed out in order.
template <typename Work>
void parallel_rows(int threads, int rows, Work work) {
  std::atomic<int> next{0};
  auto loop = [&](int thread) {
    for (int row = next++; row < rows; row = next++) work(thread, row);
  };
  std::vector<std::jthread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(loop, t);
  loop(0);
}

// The value of one combination and the flow pattern it leaves (owned or borrowed).
struct Level {
  std::vector<std::int64_t> value;
  std::vector<const Bits*> uses;
  std::vector<Bits> own;  // solved patterns; uses[] points into it or to a parent's pattern
};

}  // namespace

ContingencyResult contingency(const Graph& graph, int source, int sink,
                              const std::vector<Element>& elements,
                              const ContingencyOptions& options) {
  if (options.k < 1 || options.k > 3)
    throw InputError(kRequest, 0, "k", fmt::format("{} is not 1, 2 or 3", options.k));
  const int m = static_cast<int>(elements.size());
  const int threads = std::max(1, options.threads);
  if (options.k == 3 && m > 2000)
    throw InputError(kRequest, 0, "k",
                     fmt::format("k = 3 keeps every pair's flow; {} elements is over the 2,000 "
                                 "this sweep allows", m));

  std::vector<std::unique_ptr<Solver>> solvers;
  for (int t = 0; t < threads; ++t) {
    solvers.push_back(std::make_unique<Solver>(graph, source, sink, elements));
  }
  std::vector<TopList> tops(threads, TopList(options.top));
  std::vector<std::uint64_t> solved(threads, 0), with_loss(threads, 0);

  ContingencyResult result;
  Bits base_uses;
  result.base = solvers[0]->solve({}, &base_uses);
  result.scenarios = choose(static_cast<std::uint64_t>(m), options.k);
  auto record = [&](int thread, std::vector<int> combo, std::int64_t value) {
    const std::int64_t lost = result.base - value;
    if (lost > 0) {
      ++with_loss[thread];
      tops[thread].add({std::move(combo), value, lost});
    }
  };

  // Single failures: the flow pattern of each is needed for the pairs.
  Level one;
  one.value.assign(m, result.base);
  one.uses.assign(m, &base_uses);
  one.own.resize(m);
  parallel_rows(threads, m, [&](int t, int a) {
    if (test(base_uses, a)) {
      ++solved[t];
      one.value[a] = solvers[t]->solve({a}, options.k > 1 ? &one.own[a] : nullptr);
      if (options.k > 1) one.uses[a] = &one.own[a];
    }
    if (options.k == 1) record(t, {a}, one.value[a]);
  });

  if (options.k >= 2) {
    // Pairs (a, b), a < b, stored by row a when triples need them.
    const bool keep = options.k == 3;
    std::vector<std::size_t> row_start(m + 1, 0);
    for (int a = 0; a < m; ++a) row_start[a + 1] = row_start[a] + static_cast<std::size_t>(m - a - 1);
    Level two;
    if (keep) {
      two.value.assign(row_start[m], 0);
      two.uses.assign(row_start[m], nullptr);
      two.own.resize(row_start[m]);
    }
    parallel_rows(threads, m, [&](int t, int a) {
      for (int b = a + 1; b < m; ++b) {
        std::int64_t value;
        const Bits* uses;
        if (!test(*one.uses[a], b)) {
          value = one.value[a];
          uses = one.uses[a];
        } else if (!test(*one.uses[b], a)) {
          value = one.value[b];
          uses = one.uses[b];
        } else {
          ++solved[t];
          const std::size_t at = row_start[a] + static_cast<std::size_t>(b - a - 1);
          value = solvers[t]->solve({a, b}, keep ? &two.own[at] : nullptr);
          uses = keep ? &two.own[at] : nullptr;
        }
        if (keep) {
          const std::size_t at = row_start[a] + static_cast<std::size_t>(b - a - 1);
          two.value[at] = value;
          two.uses[at] = uses;
        } else {
          record(t, {a, b}, value);
        }
      }
    });
    if (keep) {
      auto pair = [&](int a, int b) { return row_start[a] + static_cast<std::size_t>(b - a - 1); };
      parallel_rows(threads, m, [&](int t, int a) {
        for (int b = a + 1; b < m; ++b)
          for (int c = b + 1; c < m; ++c) {
            const std::size_t ab = pair(a, b), ac = pair(a, c), bc = pair(b, c);
            std::int64_t value;
            if (!test(*two.uses[ab], c)) value = two.value[ab];
            else if (!test(*two.uses[ac], b)) value = two.value[ac];
            else if (!test(*two.uses[bc], a)) value = two.value[bc];
            else {
              ++solved[t];
              value = solvers[t]->solve({a, b, c}, nullptr);
            }
            record(t, {a, b, c}, value);
          }
      });
    }
  }

  for (int t = 0; t < threads; ++t) {
    result.solved += solved[t];
    result.with_loss += with_loss[t];
    for (Failure& f : tops[t].items()) result.worst.push_back(std::move(f));
  }
  std::sort(result.worst.begin(), result.worst.end(), worse);
  if (result.worst.size() > options.top) result.worst.resize(options.top);
  return result;
}

}  // namespace sphere::network

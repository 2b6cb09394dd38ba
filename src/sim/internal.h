// Private helpers shared by the sim sources. Not part of the public API (sim.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace sphere::sim {

// Calls fn(i) for every i in [0, count) on `threads` workers that claim indices from an atomic
// counter. fn must write only to slots owned by i, so results do not depend on which worker
// ran which index. Rethrows the first exception a worker threw.
template <typename Fn>
void parallel_for(std::size_t count, int threads, Fn&& fn) {
  if (threads <= 1 || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (std::size_t i; (i = next.fetch_add(1)) < count;) fn(i);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = count;
    }
  };
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace sphere::sim

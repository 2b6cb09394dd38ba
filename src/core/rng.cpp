// Counter-based random numbers (Random123 Philox4x32-10) and our own transforms.
#include <cmath>

#include <Random123/philox.h>

#include "core/core.h"

namespace sphere {

Rng::Rng(std::uint64_t seed, std::uint32_t run, std::uint32_t month, std::uint32_t purpose,
         std::uint32_t index)
    : key_{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)},
      // The last counter word holds the purpose (high 8 bits) and the block number; the index
      // (dyad, user, sample row) is mixed into the third word with the month.
      ctr_{run, month, index, purpose << 24} {}

void Rng::refill() {
  r123::Philox4x32 philox;
  r123::Philox4x32::ctr_type c = {{ctr_[0], ctr_[1], ctr_[2], ctr_[3]}};
  r123::Philox4x32::key_type k = {{key_[0], key_[1]}};
  auto r = philox(c, k);
  for (int i = 0; i < 4; ++i) block_[i] = r.v[i];
  ++ctr_[3];  // next block of this stream (2^24 blocks per stream)
  used_ = 0;
}

std::uint32_t Rng::next_u32() {
  if (used_ == 4) refill();
  return block_[used_++];
}

double Rng::uniform() {
  // 53 bits: 27 from one word, 26 from the next; +0.5 keeps it off 0 and 1.
  const std::uint64_t hi = next_u32() >> 5, lo = next_u32() >> 6;
  return (static_cast<double>((hi << 26) | lo) + 0.5) * 0x1.0p-53;
}

double Rng::normal() {
  const double u1 = uniform(), u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

std::uint32_t Rng::below(std::uint32_t n) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(next_u32()) * n) >> 32);
}

std::uint32_t Rng::poisson(double lambda) {
  if (!(lambda > 0.0)) return 0;
  if (lambda < 10.0) {
    // Inversion: walk the cumulative distribution with one uniform.
    const double u = uniform();
    double p = std::exp(-lambda), cdf = p;
    std::uint32_t k = 0;
    while (u > cdf && k < 1000) {
      ++k;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  }
  // PTRS, transformed rejection with squeeze (Hörmann 1993), as in NumPy.
  const double slam = std::sqrt(lambda), loglam = std::log(lambda);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
  while (true) {
    const double U = uniform() - 0.5, V = uniform();
    const double us = 0.5 - std::fabs(U);
    const double k = std::floor((2.0 * a / us + b) * U + lambda + 0.43);
    if (us >= 0.07 && V <= vr) return static_cast<std::uint32_t>(k);
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (std::log(V) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -lambda + k * loglam - std::lgamma(k + 1.0))
      return static_cast<std::uint32_t>(k);
  }
}

double Rng::gamma(double shape) {
  // Marsaglia and Tsang (2000); shape < 1 through the boost U^(1/shape).
  if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

}  // namespace sphere

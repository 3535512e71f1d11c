// SplitMix64: a tiny, fast pseudo-random generator (Steele, Lea and Flood,
// "Fast splittable pseudorandom number generators", OOPSLA 2014), enough for
// PeriodicCallback's jitter. <random> would cost 52,000 preprocessed lines
// as C++20 in every program that includes <eddy/periodic.hpp>.
//
// Thread contract: none; a SplitMix64 is a plain value owned by one thread.
#pragma once

#include <cstdint>

namespace eddy::detail {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1): the top 53 bits as a double's mantissa.
  double next_unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

}  // namespace eddy::detail

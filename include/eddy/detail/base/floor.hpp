// detail::floor: std::floor without <cmath> where the compiler has it built
// in (g++ and clang), since <cmath> is 24,000 preprocessed lines as C++20 and
// PeriodicCallback needs just this function of it.
//
// Thread contract: none (a pure function).
#pragma once

#if !defined(__GNUC__)
#include <cmath>
#endif

namespace eddy::detail {

inline double floor(double x) noexcept {
#if defined(__GNUC__)
  return __builtin_floor(x);
#else
  return std::floor(x);
#endif
}

}  // namespace eddy::detail

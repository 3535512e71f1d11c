// Conversions between std::chrono values and the loop's int64 nanoseconds,
// saturating instead of overflowing: call_later(std::chrono::hours::max(), f)
// means "never", not undefined behaviour.
#pragma once

#include "chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstdint>
#include <limits>
#include <ratio>
#include <type_traits>

namespace eddy::detail {

using Nanos = std::chrono::nanoseconds;
inline constexpr std::int64_t ns_max = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t ns_min = std::numeric_limits<std::int64_t>::min();

template <class Rep, class Period>
constexpr std::int64_t to_ns_saturating(std::chrono::duration<Rep, Period> d) noexcept {
  if constexpr (std::is_integral_v<Rep> && std::ratio_less_equal_v<Period, std::nano>) {
    return std::chrono::duration_cast<Nanos>(d).count();  // never overflows
  } else {
    // A rough bound in floating point is enough to decide "would overflow".
    constexpr double scale = 1e9 * static_cast<double>(Period::num) / static_cast<double>(Period::den);
    double ns = static_cast<double>(d.count()) * scale;
    if (!(ns < 9.2e18)) return ns_max;  // also catches NaN
    if (ns <= -9.2e18) return ns_min;
    if constexpr (std::is_floating_point_v<Rep>) {
      return static_cast<std::int64_t>(ns);
    } else {
      return std::chrono::duration_cast<Nanos>(d).count();
    }
  }
}

template <class Rep, class Period>
constexpr std::int64_t to_ns(std::chrono::duration<Rep, Period> d) noexcept {
  return to_ns_saturating(d);
}

template <class Clock, class Duration>
constexpr std::int64_t to_ns(std::chrono::time_point<Clock, Duration> t) noexcept {
  return to_ns_saturating(t.time_since_epoch());
}

inline std::chrono::steady_clock::time_point from_ns(std::int64_t ns) noexcept {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(Nanos(ns)));
}

constexpr std::int64_t add_saturating(std::int64_t a, std::int64_t b) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  // One add and a branch on its overflow flag (call_later's hot path).
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? ns_max : ns_min;
#else
  if (b > 0 && a > ns_max - b) return ns_max;
  if (b < 0 && a < ns_min - b) return ns_min;
  return a + b;
#endif
}

constexpr std::int64_t sub_saturating(std::int64_t a, std::int64_t b) noexcept {
  if (b < 0 && a > ns_max + b) return ns_max;
  if (b > 0 && a < ns_min + b) return ns_min;
  return a - b;
}

// A double count of nanoseconds as int64, saturating (NaN reads as max,
// "never"), since casting an out-of-range double is undefined.
constexpr std::int64_t ns_from_double(double ns) noexcept {
  if (!(ns < 9.2e18)) return ns_max;
  if (ns <= -9.2e18) return ns_min;
  return static_cast<std::int64_t>(ns);
}

}  // namespace eddy::detail

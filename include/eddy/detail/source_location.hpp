// eddy::SourceLocation: std::source_location under C++20, and a stand-in that
// says "unknown" under C++17. The loop's scheduling members take one as a
// defaulted last parameter, so the blocking detector can say where a slow
// callback was scheduled without the caller writing anything.
#pragma once

#include <cstdint>

#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#endif

#if defined(__cpp_lib_source_location) && __cpp_lib_source_location >= 201907L
#include <source_location>
#define EDDY_HAVE_SOURCE_LOCATION 1
#else
#define EDDY_HAVE_SOURCE_LOCATION 0
#endif

namespace eddy {

#if EDDY_HAVE_SOURCE_LOCATION
using SourceLocation = std::source_location;
#else
struct SourceLocation {
  static constexpr SourceLocation current() noexcept { return SourceLocation(); }
  constexpr const char* file_name() const noexcept { return "unknown"; }
  constexpr const char* function_name() const noexcept { return "unknown"; }
  constexpr std::uint_least32_t line() const noexcept { return 0; }
  constexpr std::uint_least32_t column() const noexcept { return 0; }
};
#endif

}  // namespace eddy

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
#elif __cplusplus >= 202002L && (defined(__clang__) || defined(__GNUC__))
// C++20 without the library type (clang 14 with libstdc++ 12): the
// compilers' builtins, which std::source_location is made of anyway.
struct SourceLocation {
  static constexpr SourceLocation current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                                          const char* function = __builtin_FUNCTION()) noexcept {
    SourceLocation where;
    where.file_ = file;
    where.line_ = line;
    where.function_ = function;
    return where;
  }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return function_; }
  constexpr std::uint_least32_t line() const noexcept { return line_; }
  constexpr std::uint_least32_t column() const noexcept { return 0; }

 private:
  const char* file_ = "unknown";
  const char* function_ = "unknown";
  std::uint_least32_t line_ = 0;
};
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

// ASCII helpers of the HTTP layer that compare or check eight bytes at a
// step (SWAR on 64-bit words): plain and case-insensitive comparison
// (equal_bytes, iequals),
// the tchar table behind is_token, and the CR/LF/NUL pre-check of header
// values. Header names are compared on every lookup and on every response's
// head, and checked on every set_header, so these sit on the per-request
// path (issue 22); a byte loop stays for short strings and constant
// evaluation.
//
// Thread contract: none; pure functions and a constant table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "../base/config.hpp"

namespace eddy::detail {

/// ASCII-only, locale-free case folding: HTTP names are ASCII.
constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Eight bytes with 'A'..'Z' turned to lower case, all at once (SWAR): a
// byte's high bit is set in `upper` when it is 0x41..0x5A.
inline std::uint64_t ascii_lower8(std::uint64_t x) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
  const std::uint64_t low7 = x & ~high;
  const std::uint64_t upper = (low7 + (0x80 - 'A') * ones) & ~(low7 + (0x80 - 'Z' - 1) * ones) & ~x & high;
  return x | (upper >> 2);
}

// Eight bytes of each equal without case; spelled alike (the common case:
// names are mostly written as the RFC does) costs one comparison.
inline bool iequals8(const char* a, const char* b) noexcept {
  std::uint64_t x, y;
  std::memcpy(&x, a, 8);
  std::memcpy(&y, b, 8);
  return x == y || ascii_lower8(x) == ascii_lower8(y);
}

// Header names are compared on every lookup and on every response's head
// (issue 22): eight bytes a step from eight bytes on, byte by byte below.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  std::size_t i = 0;
  if (!std::is_constant_evaluated() && a.size() >= 8) {
    for (; i + 8 <= a.size(); i += 8)
      if (!iequals8(a.data() + i, b.data() + i)) return false;
    // The tail as one more, overlapping word.
    return i == a.size() || iequals8(a.data() + a.size() - 8, b.data() + b.size() - 8);
  }
  for (; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// iequals(a, literal) with the literal's size known here: a name of 8 bytes
// or more costs one (spelled alike) comparison a word, inline, no loop.
template <std::size_t N>
inline bool iequals_literal(std::string_view a, const char (&literal)[N]) noexcept {
  constexpr std::size_t n = N - 1;
  if (a.size() != n) return false;
  if constexpr (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (!iequals8(a.data() + i, literal + i)) return false;
    return iequals8(a.data() + n - 8, literal + n - 8);
  } else {
    return iequals(a, std::string_view(literal, n));
  }
}

// The n bytes at a and b are equal: words compared inline (a call to
// memcmp costs more than the dozen bytes of a method, version or host), and
// always inlined: a request compares six such strings (refill), where a call
// each cost more than the comparison.
EDDY_ALWAYS_INLINE inline bool equal_bytes(const char* a, const char* b, std::size_t n) noexcept {
  auto word = [](const char* p, auto zero) {
    decltype(zero) x;
    std::memcpy(&x, p, sizeof x);
    return x;
  };
  // The last two words (which may overlap) are compared together, without
  // a branch between them: most of these strings are 4 to 16 bytes.
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 16 < n; i += 8)
      if (word(a + i, std::uint64_t{}) != word(b + i, std::uint64_t{})) return false;
    return ((word(a + i, std::uint64_t{}) ^ word(b + i, std::uint64_t{})) |
            (word(a + n - 8, std::uint64_t{}) ^ word(b + n - 8, std::uint64_t{}))) == 0;
  }
  if (n >= 4) {
    return ((word(a, std::uint32_t{}) ^ word(b, std::uint32_t{})) |
            (word(a + n - 4, std::uint32_t{}) ^ word(b + n - 4, std::uint32_t{}))) == 0;
  }
  // 0 to 3 bytes: the first, middle and last cover them all.
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

// One entry per byte value: true for the tchars. A table, because header
// names are checked byte by byte on every set_header (the plaintext route
// sets one per request), and a load beats the range tests and switch.
struct TcharTable {
  bool yes[256] = {};
  constexpr TcharTable() {
    constexpr std::string_view others = "!#$%&'*+-.^_`|~";
    for (unsigned c = 0; c < 256; ++c) {
      yes[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               others.find(static_cast<char>(c)) != std::string_view::npos;
    }
  }
};
inline constexpr TcharTable tchar_table{};

// True when every byte of `s` has its entry set in `table` (one per byte
// value; true for an empty `s`). Four bytes a step, their verdicts combined
// without a branch each: what is checked (header names on every
// set_header, the Host value of every request) is nearly always valid.
constexpr bool all_bytes_in(const bool* table, std::string_view s) noexcept {
  const char* p = s.data();
  const char* end = p + s.size();
  bool ok = true;
  for (; end - p >= 4; p += 4)
    ok &= table[static_cast<unsigned char>(p[0])] & table[static_cast<unsigned char>(p[1])] &
          table[static_cast<unsigned char>(p[2])] & table[static_cast<unsigned char>(p[3])];
  for (; p < end; ++p) ok &= table[static_cast<unsigned char>(*p)];
  return ok;
}

// True when one of the eight bytes at p is below 0x0E (SWAR: a byte's high
// bit survives only where the subtraction borrowed from a byte under 0x80).
inline bool any_byte_below_0e(const char* p) noexcept {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  constexpr std::uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
  return ((x - 0x0E * ones) & ~x & high) != 0;
}

}  // namespace eddy::detail

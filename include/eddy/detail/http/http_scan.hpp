// Byte scans and number parsing for the HTTP codec.
//
// The scans look for the first byte of a class (a control character, a
// space, a line feed) and touch each byte once: 16 at a time with SSE2 where
// the compiler targets it (every x86-64), 8 at a time in a 64-bit word
// elsewhere (SWAR), one at a time for the tail. Loads never go past `end`:
// the wide loops stop short and the byte loop finishes. Defining
// EDDY_HTTP_NO_SIMD before including eddy selects the word loops on x86-64
// too (the test suite is built that way once, so the fallback stays tested).
//
// Numbers are parsed by a strict digit scan with an overflow check, never
// strtol (no sign, no spaces, no base prefix, no locale).
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "ascii_words.hpp"

#if defined(__SSE2__) && !defined(EDDY_HTTP_NO_SIMD)
#define EDDY_HTTP_SSE2 1
#include <emmintrin.h>
#else
#define EDDY_HTTP_SSE2 0
#endif

// The word loops find the first flagged byte with a count of trailing
// zeros, which is the first byte in memory on little-endian machines only.
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EDDY_HTTP_SWAR 1
#else
#define EDDY_HTTP_SWAR 0
#endif

namespace eddy::detail::http {

// A control character as RFC 9110 forbids it in a field value: 0x00-0x1F and
// DEL. HTAB is among them; callers that accept it step over it.
constexpr bool is_ctl(unsigned char c) noexcept { return c < 0x20 || c == 0x7F; }

#if EDDY_HTTP_SSE2
// A bit per byte of the 16 at p: set where the byte is <= `limit` (unsigned)
// or is DEL.
inline unsigned ctl_mask16(const char* p, __m128i limit) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, limit), x);
  const __m128i del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(low, del)));
}
#endif

namespace scan_detail {

constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t highs = 0x8080808080808080ull;

inline std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t w = 0;
  std::memcpy(&w, p, 8);
  return w;
}

// The high bit of each byte of `w` that is < n (n <= 128) or equals DEL.
// A borrow can flag a byte above a flagged one, never below it, so the
// lowest flag is exact, which is all a search for the first byte needs.
// Bytes >= 0x80 are never flagged by the first term: ~w clears their bit.
constexpr std::uint64_t below_or_del(std::uint64_t w, unsigned n) noexcept {
  const std::uint64_t below = (w - ones * n) & ~w & highs;
  const std::uint64_t d = w ^ (ones * 0x7F);
  const std::uint64_t del = (d - ones) & ~d & highs;
  return below | del;
}

}  // namespace scan_detail

// The first byte in [p, end) that is a control character (is_ctl), or end.
inline const char* find_ctl(const char* p, const char* end) noexcept {
#if EDDY_HTTP_SSE2
  const __m128i limit = _mm_set1_epi8(0x1F);
  // 32 bytes per branch while they last: long values (user agents,
  // cookies) take half the loop iterations.
  for (; end - p >= 32; p += 32) {
    unsigned mask = ctl_mask16(p, limit) | (ctl_mask16(p + 16, limit) << 16);
    if (mask != 0) return p + __builtin_ctz(mask);
  }
  for (; end - p >= 16; p += 16) {
    if (unsigned mask = ctl_mask16(p, limit)) return p + __builtin_ctz(mask);
  }
#elif EDDY_HTTP_SWAR
  for (; end - p >= 8; p += 8) {
    if (std::uint64_t m = scan_detail::below_or_del(scan_detail::load_word(p), 0x20))
      return p + __builtin_ctzll(m) / 8;
  }
#endif
  for (; p < end; ++p)
    if (is_ctl(static_cast<unsigned char>(*p))) return p;
  return end;
}

// find_ctl, for a p inside a buffer that starts at `floor`: the last bytes,
// fewer than a vector, are tested by one load of the 16 that end at `end`
// (the ones before p masked off) instead of a byte at a time, when the
// buffer holds 16. The last field line of a head always ends there.
inline const char* find_ctl(const char* p, const char* end, const char* floor) noexcept {
#if EDDY_HTTP_SSE2
  const __m128i limit = _mm_set1_epi8(0x1F);
  for (; end - p >= 32; p += 32) {
    unsigned mask = ctl_mask16(p, limit) | (ctl_mask16(p + 16, limit) << 16);
    if (mask != 0) return p + __builtin_ctz(mask);
  }
  for (; end - p >= 16; p += 16) {
    if (unsigned mask = ctl_mask16(p, limit)) return p + __builtin_ctz(mask);
  }
  if (p < end && end - floor >= 16) {
    const unsigned mask = ctl_mask16(end - 16, limit) >> (16 - (end - p));
    return mask != 0 ? p + __builtin_ctz(mask) : end;
  }
#else
  (void)floor;
#endif
  return find_ctl(p, end);
}

// The first byte in [p, end) that is a control character or a space, or
// end: where a request-target stops.
inline const char* find_ctl_or_space(const char* p, const char* end) noexcept {
#if EDDY_HTTP_SSE2
  const __m128i limit = _mm_set1_epi8(0x20);
  for (; end - p >= 16; p += 16) {
    if (unsigned mask = ctl_mask16(p, limit)) return p + __builtin_ctz(mask);
  }
#elif EDDY_HTTP_SWAR
  for (; end - p >= 8; p += 8) {
    if (std::uint64_t m = scan_detail::below_or_del(scan_detail::load_word(p), 0x21))
      return p + __builtin_ctzll(m) / 8;
  }
#endif
  for (; p < end; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c <= 0x20 || c == 0x7F) return p;
  }
  return end;
}

// How the first byte of a field line classifies it, in one lookup: not a
// tchar (the end of the head, or an error), a tchar, or a tchar that begins
// one of the names the framing analysis reads (Connection, Content-Length,
// Expect, Host, Transfer-Encoding, and If-* for MessageInfo::conditional:
// c, e, h, i, t in either case). The parser marks the fields of the third
// kind, so the analysis visits 3 of a browser request's 14 fields instead of
// all of them.
enum : unsigned char { field_start_invalid = 0, field_start_plain = 1, field_start_framing = 2 };
struct FieldStartTable {
  unsigned char kind[256] = {};
  constexpr FieldStartTable() {
    for (int c = 0; c < 256; ++c)
      if (tchar_table.yes[c]) kind[c] = field_start_plain;
    for (char c : std::string_view("cehitCEHIT")) kind[static_cast<unsigned char>(c)] = field_start_framing;
  }
};
inline constexpr FieldStartTable field_start_table{};

// The first byte in [p, end) that is not a tchar, or end. Field names are
// short (10 bytes on average in browser requests): a table loop beats a
// vector range test here (measured twice: a full tchar test, and a 12-op test
// for letters, digits and '-' with this loop after it, were both slower,
// though the second runs 13% fewer instructions); unrolled by 4, it tests
// the bound once per 4 bytes.
inline const char* skip_token(const char* p, const char* end) noexcept {
  const bool* is = tchar_table.yes;  // ascii_words.hpp
  for (; end - p >= 4; p += 4) {
    if (!is[static_cast<unsigned char>(p[0])]) return p;
    if (!is[static_cast<unsigned char>(p[1])]) return p + 1;
    if (!is[static_cast<unsigned char>(p[2])]) return p + 2;
    if (!is[static_cast<unsigned char>(p[3])]) return p + 3;
  }
  while (p < end && is[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

// Where "\r\n\r\n" ends in [p, end) (the pointer after it), or nullptr.
// memchr finds each LF (glibc vectorizes it); only LFs are looked at twice.
inline const char* find_blank_line_end(const char* begin, const char* p, const char* end) noexcept {
  while (p < end) {
    const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (hit == nullptr) return nullptr;
    const char* lf = static_cast<const char*>(hit);
    if (lf - begin >= 3 && lf[-1] == '\r' && lf[-2] == '\n' && lf[-3] == '\r') return lf + 1;
    p = lf + 1;
  }
  return nullptr;
}

// Parses `s` as 1*DIGIT into `out`. False when `s` is empty, holds anything
// but ASCII digits, or the value does not fit in 64 bits.
constexpr bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  std::uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

// Parses `s` as 1*HEXDIG into `out`; false when empty, not hex, or over 64
// bits (leading zeros are allowed and do not count).
constexpr bool parse_hex(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  std::uint64_t value = 0;
  for (char c : s) {
    int digit = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
    if (digit < 0) return false;
    if (value >> 60) return false;  // another digit would shift bits out
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  out = value;
  return true;
}

// `s` without leading and trailing spaces and tabs (OWS).
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

// Calls f(element) for each element of a comma-separated list (RFC 9110
// §5.6.1), OWS trimmed, empty elements skipped as the RFC asks. Stops early
// and returns false when f returns false.
template <class F>
constexpr bool for_each_list_element(std::string_view list, F&& f) {
  while (true) {
    std::size_t comma = list.find(',');
    std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty() && !f(element)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace eddy::detail::http

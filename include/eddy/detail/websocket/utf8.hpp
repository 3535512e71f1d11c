// Incremental UTF-8 validation (RFC 3629) for WebSocket text messages and
// close reasons (RFC 6455 §8.1): a message arrives in fragments and reads,
// and a bad byte must fail the connection as soon as it arrives, not when
// the message ends. The validator keeps the state of a character cut at a
// fragment's end, so a message is checked once, byte by byte as it comes,
// and the first byte that no valid text can contain fails it there.
//
//   eddy::detail::ws::Utf8Validator v;
//   v.feed("caf\xC3");  // true: still a possible prefix
//   v.feed("\xA9");     // true; v.complete() is true
//
// Rules: no overlong forms (C0, C1, E0 80-9F, F0 80-8F), no surrogates
// (ED A0-BF), nothing above U+10FFFF (F4 90-BF, F5-FF). ASCII runs are
// skipped 64 bytes at a time with SSE2 (every x86-64), else 32 with 64-bit
// words; EDDY_WEBSOCKET_NO_SIMD forces the portable loop (tested too).
//
// Thread contract: a plain value; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__) && !defined(EDDY_WEBSOCKET_NO_SIMD)
#include <emmintrin.h>
#define EDDY_WEBSOCKET_SSE2 1
#endif

namespace eddy::detail::ws {

class Utf8Validator {
 public:
  // Checks the next bytes of the text. False as soon as a byte makes it
  // invalid; it then stays false for every later call until reset().
  bool feed(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const std::uint8_t* end = p + bytes.size();
    std::uint32_t s = state_;
    if (s == failed) return false;
    while (p < end) {
      if (s == 0) {
        p = skip_ascii(p, end);
        if (p == end) break;
        s = lead(*p++);
        if (s == failed) break;
      } else {
        std::uint8_t c = *p++;
        if (c < low(s) || c > high(s)) {
          s = failed;
          break;
        }
        std::uint32_t left = (s & 3) - 1;
        s = left == 0 ? 0 : make(left, 0x80, 0xBF);
      }
    }
    state_ = s;
    return s != failed;
  }
  // True when the text so far is valid and ends on a character boundary:
  // what the end of a message must satisfy.
  bool complete() const noexcept { return state_ == 0; }
  // True once a byte made the text invalid.
  bool failed_already() const noexcept { return state_ == failed; }
  void reset() noexcept { state_ = 0; }

 private:
  static constexpr std::uint32_t failed = 0xFFFFFFFFu;
  // State: continuation bytes still expected (bits 0-1), and the range the
  // next one must fall in (bits 8-15 and 16-23). 0: on a boundary.
  static constexpr std::uint32_t make(std::uint32_t left, std::uint32_t lo, std::uint32_t hi) noexcept {
    return left | lo << 8 | hi << 16;
  }
  static constexpr std::uint8_t low(std::uint32_t s) noexcept { return static_cast<std::uint8_t>(s >> 8); }
  static constexpr std::uint8_t high(std::uint32_t s) noexcept { return static_cast<std::uint8_t>(s >> 16); }

  // The state after a non-ASCII first byte.
  static constexpr std::uint32_t lead(std::uint8_t c) noexcept {
    if (c < 0x80) return 0;
    if (c < 0xC2) return failed;  // a continuation byte, or an overlong C0/C1
    if (c < 0xE0) return make(1, 0x80, 0xBF);
    if (c < 0xF0) return make(2, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF);
    if (c < 0xF5) return make(3, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF);
    return failed;
  }

  static const std::uint8_t* skip_ascii(const std::uint8_t* p, const std::uint8_t* end) noexcept {
    constexpr std::uint64_t high_bits = 0x8080808080808080ull;
#if defined(EDDY_WEBSOCKET_SSE2)
    while (end - p >= 64) {
      auto* v = reinterpret_cast<const __m128i*>(p);
      __m128i any = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                                 _mm_or_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
      if (_mm_movemask_epi8(any) != 0) break;
      p += 64;
    }
#endif
    while (end - p >= 32) {
      std::uint64_t w[4];
      std::memcpy(w, p, sizeof w);
      if (((w[0] | w[1] | w[2] | w[3]) & high_bits) != 0) break;
      p += 32;
    }
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, sizeof w);
      if ((w & high_bits) != 0) break;
      p += 8;
    }
    while (p < end && *p < 0x80) ++p;
    return p;
  }

  std::uint32_t state_ = 0;
};

// True when `text` is complete, valid UTF-8.
inline bool is_valid_utf8(std::string_view text) noexcept {
  Utf8Validator v;
  return v.feed(text) && v.complete();
}

}  // namespace eddy::detail::ws

// SHA-1 (FIPS 180-4), for the WebSocket handshake's Sec-WebSocket-Accept
// (RFC 6455 §4.2.2) and anything else that needs a digest without a crypto
// library. Not for security: SHA-1 is broken for collision resistance; the
// handshake uses it only to prove the server read the request.
//
//   std::array<std::uint8_t, 20> d = eddy::detail::sha1("abc");
//
// Thread contract: a plain value (Sha1) or a pure function; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sha_frame.hpp"

namespace eddy::detail {

class Sha1 : public ShaFrame<Sha1, 5> {
 public:
  Sha1() noexcept { reset(); }

  void reset() noexcept {
    static constexpr std::uint32_t initial[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    start(initial);
  }

 private:
  friend class ShaFrame<Sha1, 5>;  // calls compress

  static constexpr std::uint32_t rotl(std::uint32_t x, int n) noexcept { return (x << n) | (x >> (32 - n)); }

  // One 64-byte block: the 80-round compression function.
  void compress(const std::uint8_t* p) noexcept {
    std::uint32_t w[80];
    load_words(p, w);
    for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999u;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1u;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDCu;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6u;
      }
      std::uint32_t t = rotl(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = t;
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
  }

};

// The SHA-1 digest of `data`.
inline Sha1::Digest sha1(std::string_view data) noexcept {
  Sha1 s;
  s.update(data);
  return s.finish();
}

}  // namespace eddy::detail

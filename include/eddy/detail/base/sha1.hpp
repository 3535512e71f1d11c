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

namespace eddy::detail {

class Sha1 {
 public:
  static constexpr std::size_t digest_size = 20;
  using Digest = std::array<std::uint8_t, digest_size>;

  Sha1() noexcept { reset(); }

  void reset() noexcept {
    h_[0] = 0x67452301u;
    h_[1] = 0xEFCDAB89u;
    h_[2] = 0x98BADCFEu;
    h_[3] = 0x10325476u;
    h_[4] = 0xC3D2E1F0u;
    length_ = 0;
    filled_ = 0;
  }

  // Adds bytes to the message.
  void update(std::string_view data) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
    std::size_t n = data.size();
    length_ += n;
    if (filled_ != 0) {
      std::size_t take = n < 64 - filled_ ? n : 64 - filled_;
      std::memcpy(block_ + filled_, p, take);
      filled_ += take;
      p += take;
      n -= take;
      if (filled_ < 64) return;
      compress(block_);
      filled_ = 0;
    }
    for (; n >= 64; p += 64, n -= 64) compress(p);
    std::memcpy(block_, p, n);
    filled_ = n;
  }

  // The digest of everything added; the object must be reset() to reuse it.
  Digest finish() noexcept {
    std::uint64_t bits = static_cast<std::uint64_t>(length_) * 8;
    static constexpr std::uint8_t pad[64] = {0x80};
    // Pad to 56 bytes mod 64, then the 64-bit big-endian bit length.
    std::size_t pad_size = filled_ < 56 ? 56 - filled_ : 120 - filled_;
    update(std::string_view(reinterpret_cast<const char*>(pad), pad_size));
    std::uint8_t tail[8];
    for (int i = 0; i < 8; ++i) tail[i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    update(std::string_view(reinterpret_cast<const char*>(tail), 8));
    Digest out{};
    for (std::size_t i = 0; i < 5; ++i) {
      for (std::size_t j = 0; j < 4; ++j) out[i * 4 + j] = static_cast<std::uint8_t>(h_[i] >> (24 - 8 * j));
    }
    return out;
  }

 private:
  static constexpr std::uint32_t rotl(std::uint32_t x, int n) noexcept { return (x << n) | (x >> (32 - n)); }

  // One 64-byte block: the 80-round compression function.
  void compress(const std::uint8_t* p) noexcept {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      w[i] = static_cast<std::uint32_t>(p[4 * i]) << 24 | static_cast<std::uint32_t>(p[4 * i + 1]) << 16 |
             static_cast<std::uint32_t>(p[4 * i + 2]) << 8 | static_cast<std::uint32_t>(p[4 * i + 3]);
    }
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

  std::uint32_t h_[5];
  std::uint64_t length_;
  std::size_t filled_;
  std::uint8_t block_[64];
};

// The SHA-1 digest of `data`.
inline Sha1::Digest sha1(std::string_view data) noexcept {
  Sha1 s;
  s.update(data);
  return s.finish();
}

}  // namespace eddy::detail

// XXH64 (Yann Collet's xxHash, 64-bit, as its specification describes it):
// a fast non-cryptographic hash, about 8 bytes per cycle on long input and
// a few nanoseconds on a short one. The ETag of a response is its XXH64: a
// validator has to tell versions of a resource apart, not resist an attacker
// (who can only fool their own cache), so a cryptographic digest would only
// cost time on every response.
//
//   std::uint64_t h = eddy::detail::xxhash64("abc");   // 0x44bc2cf5ad770999
//
// Reads are little-endian on every host, so a value is the same everywhere.
// Thread contract: a pure function; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "config.hpp"

namespace eddy::detail {

namespace xxh64 {

inline constexpr std::uint64_t p1 = 11400714785074694791ull;
inline constexpr std::uint64_t p2 = 14029467366897019727ull;
inline constexpr std::uint64_t p3 = 1609587929392839161ull;
inline constexpr std::uint64_t p4 = 9650029242287828579ull;
inline constexpr std::uint64_t p5 = 2870177450012600261ull;

constexpr std::uint64_t rotl(std::uint64_t x, int n) noexcept { return (x << n) | (x >> (64 - n)); }

// Little-endian loads: one move on little-endian hosts (memcpy), swapped on
// big-endian ones.
inline std::uint64_t read64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

inline std::uint64_t read32(const unsigned char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

constexpr std::uint64_t round(std::uint64_t acc, std::uint64_t lane) noexcept {
  return rotl(acc + lane * p2, 31) * p1;
}

constexpr std::uint64_t merge(std::uint64_t acc, std::uint64_t v) noexcept { return (acc ^ round(0, v)) * p1 + p4; }

// The 32-byte stripes of a long input, folded into one accumulator. Out of
// line: its four lanes need callee-saved registers, which a short input (a
// response body of a few dozen bytes, hashed for its ETag) should not pay
// to save and restore.
EDDY_NOINLINE inline std::uint64_t stripes(const unsigned char*& p, std::size_t& n, std::uint64_t seed) noexcept {
  std::uint64_t v1 = seed + p1 + p2, v2 = seed + p2, v3 = seed, v4 = seed - p1;
  for (; n >= 32; p += 32, n -= 32) {
    v1 = round(v1, read64(p));
    v2 = round(v2, read64(p + 8));
    v3 = round(v3, read64(p + 16));
    v4 = round(v4, read64(p + 24));
  }
  std::uint64_t acc = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
  return merge(merge(merge(merge(acc, v1), v2), v3), v4);
}

// The last 0 to 31 bytes and the final mix.
inline std::uint64_t finish(std::uint64_t acc, const unsigned char* p, std::size_t n) noexcept {
  for (; n >= 8; p += 8, n -= 8) acc = rotl(acc ^ round(0, read64(p)), 27) * p1 + p4;
  if (n >= 4) {
    acc = rotl(acc ^ (read32(p) * p1), 23) * p2 + p3;
    p += 4;
    n -= 4;
  }
  // At most 3 bytes: unrolled, each step as the specification's byte loop.
  if (n > 0) acc = rotl(acc ^ (p[0] * p5), 11) * p1;
  if (n > 1) acc = rotl(acc ^ (p[1] * p5), 11) * p1;
  if (n > 2) acc = rotl(acc ^ (p[2] * p5), 11) * p1;
  acc ^= acc >> 33;
  acc *= p2;
  acc ^= acc >> 29;
  acc *= p3;
  acc ^= acc >> 32;
  return acc;
}

}  // namespace xxh64

// The XXH64 of `data` with `seed`. Inlined where it is called: a short
// input costs a few dozen instructions, no call and no register spills.
inline std::uint64_t xxhash64(std::string_view data, std::uint64_t seed = 0) noexcept {
  using namespace xxh64;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  std::uint64_t acc = EDDY_UNLIKELY(n >= 32) ? stripes(p, n, seed) : seed + p5;
  return finish(acc + data.size(), p, n);
}

}  // namespace eddy::detail

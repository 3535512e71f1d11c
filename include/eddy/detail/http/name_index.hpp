// NameIndex: an open-addressing hash index from names to positions in a
// vector the caller owns, so a container that keeps its entries in arrival
// order (HTTPArguments) finds a name in O(1) on average instead of scanning
// every earlier one: a form body of 30,000 distinct names cost 450 million
// string compares before.
//
// The names come from clients, who could pick ones that collide in a fixed
// hash and make every probe scan the table again (hash flooding). So the
// hash is SipHash-1-3 (Aumasson and Bernstein) under a random key drawn once
// per process; without the key, colliding names cannot be chosen.
//
// The index stores, per slot, the position + 1 (0: empty) and 32 bits of the
// name's hash, so most probes that miss compare no string. The table is a
// power of two at most half full, with linear probing.
//
// Thread contract: an index belongs to its container (one thread at a time);
// the process key is made once, thread-safely, and then only read.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "../base/splitmix64.hpp"

namespace eddy::detail {

// The process's random SipHash key: from /dev/urandom, or, where that cannot
// be read, from the clock and addresses that ASLR randomizes.
struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;

  static const SipKey& process() {
    static const SipKey key = make();
    return key;
  }

 private:
  static SipKey make() noexcept {
    SipKey key;
    int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = ::read(fd, &key, sizeof key);
      ::close(fd);
      if (n == static_cast<ssize_t>(sizeof key)) return key;
    }
    static const int anchor = 0;  // its address varies with ASLR
    int local = 0;
    auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    SplitMix64 mix(now ^ reinterpret_cast<std::uintptr_t>(&local) ^ (reinterpret_cast<std::uintptr_t>(&anchor) << 17));
    key.k0 = mix.next();
    key.k1 = mix.next();
    return key;
  }
};

// SipHash-1-3 of `data` under `key`.
inline std::uint64_t siphash13(std::string_view data, const SipKey& key) noexcept {
  std::uint64_t v0 = key.k0 ^ 0x736f6d6570736575u, v1 = key.k1 ^ 0x646f72616e646f6du;
  std::uint64_t v2 = key.k0 ^ 0x6c7967656e657261u, v3 = key.k1 ^ 0x7465646279746573u;
  auto rotl = [](std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
  auto round = [&] {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const char* p = data.data();
  std::size_t left = data.size();
  for (; left >= 8; p += 8, left -= 8) {
    std::uint64_t m;
    std::memcpy(&m, p, 8);  // the host's byte order: a hash, not a wire format
    v3 ^= m;
    round();
    v0 ^= m;
  }
  std::uint64_t last = static_cast<std::uint64_t>(data.size()) << 56;
  for (std::size_t i = 0; i < left; ++i) last |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  v3 ^= last;
  round();
  v0 ^= last;
  v2 ^= 0xff;
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

class NameIndex {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // The position whose name (name_at(position)) equals `name`, or npos.
  template <class NameAt>
  std::size_t find(std::string_view name, NameAt&& name_at) const noexcept {
    if (slots_.empty()) return npos;
    std::uint32_t h = hash(name);
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.position == 0) return npos;
      if (s.hash == h && name_at(s.position - 1) == name) return s.position - 1;
    }
  }

  // Records that `position` holds `name`, which the index does not hold
  // yet, when `count` positions exist (this one included). std::bad_alloc
  // leaves the index as it was.
  void insert(std::string_view name, std::size_t position, std::size_t count) {
    std::uint32_t h = hash(name);
    if (2 * count > slots_.size()) grow(count);
    place(h, position);
  }

  // Forgets every name; keeps the table unless it is large.
  void clear() noexcept {
    if (slots_.size() > 256) {
      std::vector<Slot>().swap(slots_);
    } else {
      for (Slot& s : slots_) s = Slot{};
    }
  }
  bool empty() const noexcept { return slots_.empty(); }

 private:
  struct Slot {
    std::uint32_t position = 0;  // + 1; 0: empty
    std::uint32_t hash = 0;
  };

  static std::uint32_t hash(std::string_view name) noexcept {
    return static_cast<std::uint32_t>(siphash13(name, SipKey::process()));
  }
  void place(std::uint32_t h, std::size_t position) noexcept {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i].position != 0) i = (i + 1) & mask;
    slots_[i].position = static_cast<std::uint32_t>(position + 1);
    slots_[i].hash = h;
  }
  // A table at most a quarter full once `count` positions are in: growth
  // is amortized O(1) per insert. Slots keep their hash, so no name is
  // hashed again.
  void grow(std::size_t count) {
    std::size_t size = 16;
    while (size < 4 * count) size *= 2;
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(size));
    for (const Slot& s : old) {
      if (s.position != 0) place(s.hash, s.position - 1);
    }
  }

  std::vector<Slot> slots_;
};

}  // namespace eddy::detail

// The frame SHA-1 and SHA-256 share (FIPS 180-4 §5.1.1, §6): the message in
// 64-byte blocks, padded with 0x80 and zeros to 56 bytes mod 64, then its
// length in bits as a 64-bit big-endian number; the digest is the state
// words, big-endian. Each hash supplies only its state and compression:
//
//   class Sha1 : public ShaFrame<Sha1, 5> { ... void compress(const std::uint8_t* block) noexcept; };
//
// Thread contract: a plain value; any thread, one at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace eddy::detail {

template <class Hash, std::size_t Words>
class ShaFrame {
 public:
  static constexpr std::size_t digest_size = Words * 4;
  static constexpr std::size_t block_size = 64;
  using Digest = std::array<std::uint8_t, digest_size>;

  // Adds bytes to the message.
  void update(std::string_view data) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
    std::size_t n = data.size();
    length_ += n;
    if (filled_ != 0) {
      std::size_t take = n < block_size - filled_ ? n : block_size - filled_;
      std::memcpy(block_ + filled_, p, take);
      filled_ += take;
      p += take;
      n -= take;
      if (filled_ < block_size) return;
      hash().compress(block_);
      filled_ = 0;
    }
    for (; n >= block_size; p += block_size, n -= block_size) hash().compress(p);
    if (n != 0) std::memcpy(block_, p, n);
    filled_ = n;
  }

  // The digest of everything added; the object must be reset() to reuse it.
  Digest finish() noexcept {
    std::uint64_t bits = length_ * 8;
    static constexpr std::uint8_t pad[block_size] = {0x80};
    std::size_t pad_size = filled_ < 56 ? 56 - filled_ : 120 - filled_;
    update(std::string_view(reinterpret_cast<const char*>(pad), pad_size));
    std::uint8_t tail[8];
    for (int i = 0; i < 8; ++i) tail[i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    update(std::string_view(reinterpret_cast<const char*>(tail), 8));
    Digest out{};
    for (std::size_t i = 0; i < Words; ++i) {
      for (std::size_t j = 0; j < 4; ++j) out[i * 4 + j] = static_cast<std::uint8_t>(h_[i] >> (24 - 8 * j));
    }
    return out;
  }

 protected:
  // Starts a new message from the hash's initial state.
  void start(const std::uint32_t (&initial)[Words]) noexcept {
    std::memcpy(h_, initial, sizeof h_);
    length_ = 0;
    filled_ = 0;
  }

  // The block's sixteen big-endian words.
  static void load_words(const std::uint8_t* p, std::uint32_t* w) noexcept {
    for (int i = 0; i < 16; ++i) {
      w[i] = static_cast<std::uint32_t>(p[4 * i]) << 24 | static_cast<std::uint32_t>(p[4 * i + 1]) << 16 |
             static_cast<std::uint32_t>(p[4 * i + 2]) << 8 | static_cast<std::uint32_t>(p[4 * i + 3]);
    }
  }

  std::uint32_t h_[Words];

 private:
  Hash& hash() noexcept { return static_cast<Hash&>(*this); }

  std::uint64_t length_ = 0;
  std::size_t filled_ = 0;
  std::uint8_t block_[block_size];
};

}  // namespace eddy::detail

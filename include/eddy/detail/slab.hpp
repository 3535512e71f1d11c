// Slab<T>: an array of T that grows in fixed chunks, so elements never move.
//
// The timer queue keeps its nodes here: growing a std::vector would relocate
// every callable (touching all of them twice), while a new chunk leaves the
// others alone, and references stay valid across growth.
//
// Thread contract: none; owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace eddy::detail {

template <class T, unsigned ChunkBits = 8>
class Slab {
 public:
  static constexpr std::size_t chunk_size = std::size_t(1) << ChunkBits;

  T& operator[](std::uint32_t i) noexcept { return chunks_[i >> ChunkBits][i & (chunk_size - 1)]; }
  const T& operator[](std::uint32_t i) const noexcept { return chunks_[i >> ChunkBits][i & (chunk_size - 1)]; }

  std::size_t size() const noexcept { return size_; }

  // Appends a default-constructed element; returns its index.
  std::uint32_t emplace_back() {
    if (size_ == allocated_chunks() * chunk_size) chunks_.push_back(std::make_unique<T[]>(chunk_size));
    return static_cast<std::uint32_t>(size_++);
  }

  // Allocates chunks for n elements up front.
  void reserve(std::size_t n) {
    while (allocated_chunks() * chunk_size < n) chunks_.push_back(std::make_unique<T[]>(chunk_size));
  }

  // Empties the slab; the elements are destroyed when the returned owner goes
  // out of scope, so their destructors run after the caller is consistent.
  std::vector<std::unique_ptr<T[]>> release() noexcept {
    size_ = 0;
    return std::move(chunks_);
  }

 private:
  std::size_t allocated_chunks() const noexcept { return chunks_.size(); }

  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace eddy::detail

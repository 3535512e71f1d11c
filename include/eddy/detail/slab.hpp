// Slab<T>: an array of T that grows in fixed chunks, so elements never move.
//
// The timer queue keeps its nodes here: growing a std::vector would relocate
// every callable (touching all of them twice), while a new chunk leaves the
// others alone, and references stay valid across growth.
//
// Chunks are raw storage aligned to a cache line, and an element is
// constructed only when emplace_back first reaches it: growing writes each
// element's memory once (not once to value-initialise a whole chunk and again
// to use it), and a 64-byte T occupies exactly one line. reserve(n)
// constructs the first n elements up front, so the memory they need is
// allocated and touched before a burst of scheduling rather than during it.
//
// Thread contract: none; owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

namespace eddy::detail {

template <class T, unsigned ChunkBits = 8>
class Slab {
  static constexpr std::size_t line = 64;
  static constexpr std::size_t chunk_align = alignof(T) > line ? alignof(T) : line;

 public:
  static constexpr std::size_t chunk_size = std::size_t(1) << ChunkBits;

  // Owns the elements and chunks of a released slab; destroys them when it
  // goes out of scope (see release()).
  class Released {
   public:
    Released(std::vector<T*> chunks, std::size_t constructed) noexcept
        : chunks_(std::move(chunks)), constructed_(constructed) {}
    Released(Released&& other) noexcept
        : chunks_(std::move(other.chunks_)), constructed_(std::exchange(other.constructed_, 0)) {}
    Released& operator=(Released&&) = delete;
    ~Released() { destroy(chunks_, constructed_); }

   private:
    std::vector<T*> chunks_;
    std::size_t constructed_;
  };

  Slab() = default;
  Slab(const Slab&) = delete;
  Slab& operator=(const Slab&) = delete;
  ~Slab() { destroy(chunks_, constructed_); }

  T& operator[](std::uint32_t i) noexcept { return chunks_[i >> ChunkBits][i & (chunk_size - 1)]; }
  const T& operator[](std::uint32_t i) const noexcept { return chunks_[i >> ChunkBits][i & (chunk_size - 1)]; }

  // Elements handed out by emplace_back (those below it are in use or free
  // for the owner to reuse).
  std::size_t size() const noexcept { return size_; }

  // Hands out the next element, default-constructed; returns its index.
  std::uint32_t emplace_back() {
    if (size_ == constructed_) construct_next();
    return static_cast<std::uint32_t>(size_++);
  }

  // Allocates and constructs the first n elements up front.
  void reserve(std::size_t n) {
    while (constructed_ < n) construct_next();
  }

  // Empties the slab; the elements are destroyed when the returned owner goes
  // out of scope, so their destructors run after the caller is consistent.
  Released release() noexcept {
    Released released(std::move(chunks_), constructed_);
    chunks_.clear();
    size_ = 0;
    constructed_ = 0;
    return released;
  }

 private:
  static void destroy(std::vector<T*>& chunks, std::size_t constructed) noexcept {
    for (std::size_t i = 0; i < constructed; ++i) chunks[i >> ChunkBits][i & (chunk_size - 1)].~T();
    for (T* chunk : chunks) ::operator delete(static_cast<void*>(chunk), std::align_val_t(chunk_align));
    chunks.clear();
  }

  void construct_next() {
    if (constructed_ == chunks_.size() * chunk_size) {
      // Room first, so that push_back cannot throw and leak the chunk.
      if (chunks_.size() == chunks_.capacity()) chunks_.reserve(chunks_.empty() ? 8 : 2 * chunks_.size());
      void* chunk = ::operator new(chunk_size * sizeof(T), std::align_val_t(chunk_align));
      chunks_.push_back(static_cast<T*>(chunk));
    }
    ::new (static_cast<void*>(&chunks_[constructed_ >> ChunkBits][constructed_ & (chunk_size - 1)])) T();
    ++constructed_;
  }

  std::vector<T*> chunks_;
  std::size_t size_ = 0;         // elements handed out
  std::size_t constructed_ = 0;  // elements constructed (>= size_)
};

}  // namespace eddy::detail

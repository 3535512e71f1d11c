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
// Storage comes in two sizes. A small slab (under 512 KiB) adds one chunk
// at a time from operator new, so a loop with a few timers holds a few
// KiB. Past that, it grows by page blocks (page_block.hpp): 2 MiB-aligned
// mappings of 2 MiB to 8 MiB (half the slab so far: once it is big, at
// most a third of its memory is ahead of use), advised as transparent huge pages and
// populated 2 MiB at a time as they fill. With 4 KiB pages, a million 48-byte
// nodes span 12,000 pages: first touching them costs 12,000 page faults (10-15 us each
// on a virtual machine), and the random node accesses of heap sifts miss
// any TLB. Huge pages cut both by 512. Where page blocks are refused (not
// Linux, or mmap fails), blocks come from operator new.
//
// Thread contract: none; owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

#include "page_block.hpp"

namespace eddy::detail {

template <class T, unsigned ChunkBits = 8>
class Slab {
  static constexpr std::size_t line = 64;
  static_assert(alignof(T) <= line, "chunks are aligned to a cache line");

 public:
  static constexpr std::size_t chunk_size = std::size_t(1) << ChunkBits;

  // Owns the elements and chunks of a released slab; destroys them when it
  // goes out of scope (see release()).
  // Storage added at once: operator new memory, or a page block (mapped).
  struct Block {
    void* start;
    std::size_t bytes;
    bool mapped;
  };

  class Released {
   public:
    Released(std::vector<T*> chunks, std::vector<Block> blocks, std::size_t constructed) noexcept
        : chunks_(std::move(chunks)), blocks_(std::move(blocks)), constructed_(constructed) {}
    Released(Released&& other) noexcept
        : chunks_(std::move(other.chunks_)),
          blocks_(std::move(other.blocks_)),
          constructed_(std::exchange(other.constructed_, 0)) {}
    Released& operator=(Released&&) = delete;
    ~Released() { destroy(chunks_, blocks_, constructed_); }

   private:
    std::vector<T*> chunks_;
    std::vector<Block> blocks_;
    std::size_t constructed_;
  };

  Slab() = default;
  Slab(const Slab&) = delete;
  Slab& operator=(const Slab&) = delete;
  ~Slab() { destroy(chunks_, blocks_, constructed_); }

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
    Released released(std::move(chunks_), std::move(blocks_), constructed_);
    chunks_.clear();
    blocks_.clear();
    size_ = 0;
    constructed_ = 0;
    populated_ = mapped_end_ = nullptr;
    return released;
  }

 private:
  static constexpr std::size_t chunk_bytes = chunk_size * sizeof(T);
  // Storage from which the slab grows by page blocks, and their bounds.
  static constexpr std::size_t small_limit = std::size_t(512) << 10;
  static constexpr std::size_t min_block = page_block_round(chunk_bytes);
  static constexpr std::size_t max_block = min_block > (std::size_t(8) << 20) ? min_block : std::size_t(8) << 20;

  static void destroy(std::vector<T*>& chunks, std::vector<Block>& blocks, std::size_t constructed) noexcept {
    for (std::size_t i = 0; i < constructed; ++i) chunks[i >> ChunkBits][i & (chunk_size - 1)].~T();
    for (const Block& block : blocks) {
      if (block.mapped) {
        page_block_unmap(block.start, block.bytes);
      } else {
        ::operator delete(block.start);
      }
    }
    chunks.clear();
    blocks.clear();
  }

  // The next block's size: one chunk while the slab is small; then half of
  // what it holds, in whole page blocks of 2 to 8 MiB.
  std::size_t next_block_bytes() const noexcept {
    std::size_t held = chunks_.size() * chunk_bytes;
    if (held < small_limit) return chunk_bytes;
    std::size_t half = (held / 2) & ~(page_block_size - 1);
    return half < min_block ? min_block : half > max_block ? max_block : half;
  }

  // Adds storage for one chunk (small slab) or a block of them (big slab).
  void add_storage() {
    std::size_t bytes = next_block_bytes();
    std::size_t count = bytes / chunk_bytes;
    // Room first, so that the push_backs below cannot throw and leak the block.
    if (chunks_.capacity() < chunks_.size() + count) chunks_.reserve(2 * chunks_.size() + count);
    if (blocks_.size() == blocks_.capacity()) blocks_.reserve(2 * blocks_.size() + 8);
    Block block{nullptr, bytes, false};
    if (count > 1) {
      block.start = page_block_map(bytes, 0);
      block.mapped = block.start != nullptr;
    }
    populated_ = mapped_end_ = nullptr;
    if (block.mapped) {
      populated_ = static_cast<unsigned char*>(block.start);
      mapped_end_ = populated_ + bytes;
    }
    if (block.start == nullptr) block.start = ::operator new(bytes + line);
    auto aligned = (reinterpret_cast<std::uintptr_t>(block.start) + line - 1) & ~std::uintptr_t(line - 1);
    blocks_.push_back(block);
    T* first = reinterpret_cast<T*>(aligned);
    for (std::size_t i = 0; i < count; ++i) chunks_.push_back(first + i * chunk_size);
  }

  void construct_next() {
    if (constructed_ == chunks_.size() * chunk_size) add_storage();
    T* at = &chunks_[constructed_ >> ChunkBits][constructed_ & (chunk_size - 1)];
    if ((constructed_ & (chunk_size - 1)) == 0 && populated_ != mapped_end_) populate_through(at + chunk_size);
    ::new (static_cast<void*>(at)) T();
    ++constructed_;
  }

  // A page block is populated 2 MiB at a time as its chunks are first
  // used, not all at once: the kernel zeroes each huge page just before the
  // nodes are written into it, so those writes find its lines in the cache
  // (a whole 8 MiB block zeroed ahead is out of a 4 MiB L2 by then; a
  // probe here: 48 MiB zeroed and written 11.5 ms at once, 7.7 ms by steps).
  void populate_through(const void* end) noexcept {
    auto* need = static_cast<const unsigned char*>(end);
    if (need <= populated_) return;
    auto rounded = (reinterpret_cast<std::uintptr_t>(need) + page_block_size - 1) & ~std::uintptr_t(page_block_size - 1);
    unsigned char* to = reinterpret_cast<unsigned char*>(rounded);
    if (to > mapped_end_) to = mapped_end_;
    page_block_populate(populated_, static_cast<std::size_t>(to - populated_));
    populated_ = to;
  }

  std::vector<T*> chunks_;
  std::vector<Block> blocks_;  // what add_storage allocated, to free
  std::size_t size_ = 0;         // elements handed out
  std::size_t constructed_ = 0;  // elements constructed (>= size_)
  // The last page block: populated up to populated_, mapped up to mapped_end_
  // (both null when the last block is operator new memory).
  unsigned char* populated_ = nullptr;
  unsigned char* mapped_end_ = nullptr;
};

}  // namespace eddy::detail

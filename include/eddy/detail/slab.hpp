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
// A big slab (8 MiB of elements already) grows by 8 MiB blocks, advised to
// the kernel as transparent-huge-page candidates (MADV_HUGEPAGE, where it
// exists). With 4 KiB pages, a million 64-byte nodes span 16,000 pages: far
// more than any TLB holds, so the random node accesses of heap sifts miss it,
// and first touching them costs 16,000 page faults. Huge pages cut both by
// 512. Small slabs never ask, so a loop with a few timers keeps small pages.
//
// Thread contract: none; owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

namespace eddy::detail {

template <class T, unsigned ChunkBits = 8>
class Slab {
  static constexpr std::size_t line = 64;
  static_assert(alignof(T) <= line, "chunks are aligned to a cache line");

 public:
  static constexpr std::size_t chunk_size = std::size_t(1) << ChunkBits;

  // Owns the elements and chunks of a released slab; destroys them when it
  // goes out of scope (see release()).
  class Released {
   public:
    Released(std::vector<T*> chunks, std::vector<void*> blocks, std::size_t constructed) noexcept
        : chunks_(std::move(chunks)), blocks_(std::move(blocks)), constructed_(constructed) {}
    Released(Released&& other) noexcept
        : chunks_(std::move(other.chunks_)),
          blocks_(std::move(other.blocks_)),
          constructed_(std::exchange(other.constructed_, 0)) {}
    Released& operator=(Released&&) = delete;
    ~Released() { destroy(chunks_, blocks_, constructed_); }

   private:
    std::vector<T*> chunks_;
    std::vector<void*> blocks_;
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
    return released;
  }

 private:
  // Chunks per block once the slab is big: 8 MiB of elements.
  static constexpr std::size_t big_block_chunks =
      (std::size_t(8) << 20) / (chunk_size * sizeof(T)) > 1 ? (std::size_t(8) << 20) / (chunk_size * sizeof(T)) : 2;

  static void destroy(std::vector<T*>& chunks, std::vector<void*>& blocks, std::size_t constructed) noexcept {
    for (std::size_t i = 0; i < constructed; ++i) chunks[i >> ChunkBits][i & (chunk_size - 1)].~T();
    for (void* block : blocks) ::operator delete(block);
    chunks.clear();
    blocks.clear();
  }

  static void advise_huge_pages(void* start, std::size_t bytes) noexcept {
#if defined(MADV_HUGEPAGE)
    // Only whole pages inside the block; the advice is a hint and may fail.
    constexpr std::uintptr_t page = 4096;
    auto first = (reinterpret_cast<std::uintptr_t>(start) + page - 1) & ~(page - 1);
    auto last = (reinterpret_cast<std::uintptr_t>(start) + bytes) & ~(page - 1);
    if (last > first) (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
    (void)start;
    (void)bytes;
#endif
  }

  // Adds storage for one chunk (small slab) or a block of them (big slab).
  void add_storage() {
    std::size_t count = chunks_.size() >= big_block_chunks ? big_block_chunks : 1;
    std::size_t bytes = count * chunk_size * sizeof(T);
    // Room first, so that the push_backs below cannot throw and leak the block.
    if (chunks_.capacity() < chunks_.size() + count) chunks_.reserve(2 * chunks_.size() + count);
    if (blocks_.size() == blocks_.capacity()) blocks_.reserve(2 * blocks_.size() + 8);
    void* block = ::operator new(bytes + line);
    if (count > 1) advise_huge_pages(block, bytes + line);
    auto aligned = (reinterpret_cast<std::uintptr_t>(block) + line - 1) & ~std::uintptr_t(line - 1);
    blocks_.push_back(block);
    T* first = reinterpret_cast<T*>(aligned);
    for (std::size_t i = 0; i < count; ++i) chunks_.push_back(first + i * chunk_size);
  }

  void construct_next() {
    if (constructed_ == chunks_.size() * chunk_size) add_storage();
    ::new (static_cast<void*>(&chunks_[constructed_ >> ChunkBits][constructed_ & (chunk_size - 1)])) T();
    ++constructed_;
  }

  std::vector<T*> chunks_;
  std::vector<void*> blocks_;  // what add_storage allocated, to free
  std::size_t size_ = 0;         // elements handed out
  std::size_t constructed_ = 0;  // elements constructed (>= size_)
};

}  // namespace eddy::detail

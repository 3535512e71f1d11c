// TimerHeapArray<Entry>: the storage of the timer queue's 4-ary heap, laid out
// so that the four children of every entry share one cache line.
//
// With 16-byte entries a 64-byte line holds four of them. The children of
// entry j are 4j+1 .. 4j+4, so if entry 0 sat at the start of a line every
// group of siblings would straddle two lines and each level of a sift would
// touch both. libev's answer (HEAP0 = 3) is used here too: the array starts
// 64-byte aligned and entry 0 sits in its fourth place, which puts every
// sibling group at the start of a line.
//
// Growth goes through std::realloc, since entries are trivially copyable: a
// large block (which malloc maps from the kernel) grows by remapping, so
// growing to n entries neither copies them nor touches fresh pages for the
// intermediate sizes, as doubling into new blocks would. The block carries 48
// spare bytes so its 64-byte-aligned part can be found wherever realloc puts
// it; on the rare move to a block of different alignment the entries shift.
// A heap of 4 MiB or more is advised to the kernel as a transparent-huge-page
// candidate, as the slab's big blocks are (see slab.hpp for why).
//
// Thread contract: none; owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

namespace eddy::detail {

template <class Entry>
class TimerHeapArray {
  static_assert(std::is_trivially_copyable_v<Entry>, "entries move with memcpy");
  static_assert(64 % sizeof(Entry) == 0, "a whole number of entries per cache line");

 public:
  TimerHeapArray() noexcept = default;
  TimerHeapArray(const TimerHeapArray&) = delete;
  TimerHeapArray& operator=(const TimerHeapArray&) = delete;
  ~TimerHeapArray() { std::free(block_); }

  Entry& operator[](std::size_t i) noexcept { return base_[i]; }
  const Entry& operator[](std::size_t i) const noexcept { return base_[i]; }
  Entry& back() noexcept { return base_[size_ - 1]; }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Ensures one push_back will not allocate (and so cannot throw).
  void make_room() {
    if (size_ == capacity_) grow(capacity_ == 0 ? initial_capacity : 2 * capacity_);
  }
  void push_back(const Entry& entry) {
    make_room();
    base_[size_++] = entry;
  }
  void pop_back() noexcept { --size_; }
  void clear() noexcept { size_ = 0; }

  void reserve(std::size_t n) {
    if (n > capacity_) grow(n);
  }

 private:
  static constexpr std::size_t line = 64;
  // Entries before entry 0, so that entry 1 (the root's first child) starts a line.
  static constexpr std::size_t lead = line / sizeof(Entry) - 1;
  static constexpr std::size_t initial_capacity = 64 - lead;

  // Where the aligned part of a block starts: malloc aligns to 16 at least.
  static std::size_t shift_of(const void* block) noexcept {
    return (line - reinterpret_cast<std::uintptr_t>(block) % line) % line;
  }

  void grow(std::size_t capacity) {
    std::size_t old_shift = block_ != nullptr ? shift_of(block_) : 0;
    void* block = std::realloc(block_, (capacity + lead) * sizeof(Entry) + line - alignof(std::max_align_t));
    if (block == nullptr) throw std::bad_alloc();
    std::size_t shift = shift_of(block);
    auto* bytes = static_cast<unsigned char*>(block);
    if (shift != old_shift && size_ != 0) {
      std::memmove(bytes + shift + lead * sizeof(Entry), bytes + old_shift + lead * sizeof(Entry),
                   size_ * sizeof(Entry));
    }
    block_ = block;
    base_ = reinterpret_cast<Entry*>(bytes + shift) + lead;
    capacity_ = capacity;
#if defined(MADV_HUGEPAGE)
    std::size_t size = (capacity + lead) * sizeof(Entry);
    if (size >= (std::size_t(4) << 20)) {
      // Whole pages only; the advice is a hint and may fail.
      constexpr std::uintptr_t page = 4096;
      auto first = (reinterpret_cast<std::uintptr_t>(bytes) + page - 1) & ~(page - 1);
      auto last = (reinterpret_cast<std::uintptr_t>(bytes) + size) & ~(page - 1);
      (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
    }
#endif
  }

  void* block_ = nullptr;
  Entry* base_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace eddy::detail

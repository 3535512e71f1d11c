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
// A small heap grows through std::realloc, since entries are trivially
// copyable; the block carries 48 spare bytes so its 64-byte-aligned part can
// be found wherever realloc puts it, and on a move to a block of different
// alignment the entries shift. From 1 MiB of entries on (64K timers), the
// heap lives in a page block instead (page_block.hpp): 2 MiB-aligned, huge
// pages where the kernel grants them, and grown by remapping its pages to a
// bigger aligned range (mremap), so doubling to n entries copies nothing and
// touches no page twice. A million pending timers then fault in 8 huge pages
// of heap instead of 4,096 small ones. The mapping doubles, but only what
// the heap reaches is populated, 2 MiB at a time: doubling 1M entries' worth
// would have the kernel zero 16 MiB nobody uses, and a step zeroed just
// before use is still in the cache when the entries are written (slab.hpp).
//
// Thread contract: none; owned by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "page_block.hpp"

namespace eddy::detail {

template <class Entry>
class TimerHeapArray {
  static_assert(std::is_trivially_copyable_v<Entry>, "entries move with memcpy");
  static_assert(64 % sizeof(Entry) == 0, "a whole number of entries per cache line");

 public:
  TimerHeapArray() noexcept = default;
  TimerHeapArray(const TimerHeapArray&) = delete;
  TimerHeapArray& operator=(const TimerHeapArray&) = delete;
  ~TimerHeapArray() { release(); }

  Entry& operator[](std::size_t i) noexcept { return base_[i]; }
  const Entry& operator[](std::size_t i) const noexcept { return base_[i]; }
  Entry& back() noexcept { return base_[size_ - 1]; }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }

  // Ensures one push_back will not allocate (and so cannot throw).
  void make_room() {
    if (size_ == capacity_) grow(capacity_ == 0 ? initial_capacity : mapped_ ? capacity_ + 1 : 2 * capacity_);
  }
  void push_back(const Entry& entry) {
    make_room();
    base_[size_++] = entry;
  }
  // After make_room(): one more entry, to be written by the caller.
  void extend_unchecked() noexcept { ++size_; }
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
  static constexpr std::size_t page_block_threshold = std::size_t(1) << 20;

  // Where the aligned part of a block starts: malloc aligns to 16 at least.
  static std::size_t shift_of(const void* block) noexcept {
    return (line - reinterpret_cast<std::uintptr_t>(block) % line) % line;
  }

  static std::size_t bytes_for(std::size_t capacity) noexcept { return (capacity + lead) * sizeof(Entry); }

  void release() noexcept {
    if (mapped_) {
      page_block_unmap(block_, mapped_bytes_);
    } else {
      std::free(block_);
    }
  }

  void grow(std::size_t capacity) {
    if (bytes_for(capacity) >= page_block_threshold && grow_mapped(capacity)) return;
    if (mapped_) {
      // The kernel refused a bigger mapping: keep the entries in a malloc block.
      if (capacity < 2 * capacity_) capacity = 2 * capacity_;
      void* block = std::malloc(bytes_for(capacity) + line - alignof(std::max_align_t));
      if (block == nullptr) throw std::bad_alloc();
      adopt(block, capacity, false);
      return;
    }
    std::size_t old_shift = block_ != nullptr ? shift_of(block_) : 0;
    void* block = std::realloc(block_, bytes_for(capacity) + line - alignof(std::max_align_t));
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
  }

  // Grows into a page block: populates more of the current one, remaps it
  // to twice its size, or copies out of the malloc block; false (nothing
  // changed) when the kernel refuses.
  bool grow_mapped(std::size_t capacity) noexcept {
    std::size_t populated = mapped_ ? bytes_for(capacity_) : 0;
    std::size_t want = page_block_round(bytes_for(capacity));
    if (mapped_ && want <= mapped_bytes_) {
      page_block_populate(static_cast<unsigned char*>(block_) + populated, want - populated);
    } else if (mapped_) {
      std::size_t bytes = want > 2 * mapped_bytes_ ? want : 2 * mapped_bytes_;
      void* block = page_block_grow(block_, mapped_bytes_, bytes, 0);
      if (block == nullptr) return false;
      page_block_populate(static_cast<unsigned char*>(block) + populated, want - populated);
      block_ = block;
      base_ = static_cast<Entry*>(block) + lead;
      mapped_bytes_ = bytes;
    } else {
      std::size_t bytes = 2 * want;
      void* block = page_block_map(bytes, want);
      if (block == nullptr) return false;
      adopt(block, 0, true);
      mapped_bytes_ = bytes;
    }
    capacity_ = want / sizeof(Entry) - lead;  // the whole populated part is usable
    return true;
  }

  // Moves the entries into a fresh block (aligned: mapped, or malloc'ed with
  // the spare bytes) and frees the old one.
  void adopt(void* block, std::size_t capacity, bool mapped) noexcept {
    auto* bytes = static_cast<unsigned char*>(block);
    Entry* base = reinterpret_cast<Entry*>(bytes + shift_of(block)) + lead;
    if (size_ != 0) std::memcpy(static_cast<void*>(base), base_, size_ * sizeof(Entry));
    release();
    block_ = block;
    base_ = base;
    capacity_ = capacity;
    mapped_ = mapped;
  }

  void* block_ = nullptr;
  Entry* base_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::size_t mapped_bytes_ = 0;  // the page block's size, when mapped_
  bool mapped_ = false;           // block_ is a page block, not malloc memory
};

}  // namespace eddy::detail

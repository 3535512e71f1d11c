// Page blocks: big, 2 MiB-aligned anonymous mappings for the timer queue's
// storage (its slab of nodes and its heap array), faulted in as huge pages
// where the kernel allows it.
//
// Why: a million timers need about 80 MiB of nodes and heap entries, and
// every 4 KiB page of it is faulted in separately on first touch. On the
// virtual machines servers run on, one such fault costs 10-15 us (a probe
// here: 16,384 faults for 64 MiB took 230-270 ms), so a loop that schedules
// into memory nobody has touched yet pays more for faults than for its code.
// A 2 MiB-aligned range advised MADV_HUGEPAGE is backed by one huge page per
// 2 MiB (the kernel's "madvise" THP mode, the common default, grants exactly
// these), which is 512 times fewer faults and, later, 512 times fewer TLB
// entries for the random node accesses of heap sifts. The new range is then
// populated in one call (MADV_POPULATE_WRITE, Linux 5.14): where huge pages
// are refused, a bulk populate still costs about half as much per page as
// separate faults. Every step is a hint: where one is refused, the memory
// simply faults in on first touch as before.
//
// Only Linux maps blocks this way (map_block() returns null elsewhere, and
// the callers fall back to operator new or realloc). Callers use blocks only
// once their storage is already big (see slab.hpp and timer_heap_array.hpp),
// so a loop with a few timers never maps 2 MiB.
//
// Thread contract: none; plain functions over memory owned by the caller.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

// LeakSanitizer scans malloc'ed memory for pointers, not mappings of our own:
// a page block is registered as a root region, so what the nodes in it own
// (a callable on the heap) is not reported as leaked.
#if defined(__SANITIZE_ADDRESS__)
#define EDDY_PAGE_BLOCK_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define EDDY_PAGE_BLOCK_LSAN 1
#endif
#endif
#if defined(EDDY_PAGE_BLOCK_LSAN) && defined(__has_include)
#if __has_include(<sanitizer/lsan_interface.h>)
#include <sanitizer/lsan_interface.h>
#else
#undef EDDY_PAGE_BLOCK_LSAN
#endif
#endif

namespace eddy::detail {

// The size and alignment of a huge page on x86-64 and (4 KiB-page) arm64.
inline constexpr std::size_t page_block_size = std::size_t(2) << 20;

// Bytes mapped as page blocks by this process, now: memory that malloc's
// statistics (mallinfo2) do not see, for benchmarks that count heap bytes.
inline std::atomic<std::size_t>& page_block_bytes() noexcept {
  static std::atomic<std::size_t> bytes{0};
  return bytes;
}

// Rounds up to whole blocks.
inline constexpr std::size_t page_block_round(std::size_t bytes) noexcept {
  return (bytes + page_block_size - 1) & ~(page_block_size - 1);
}

#if defined(__linux__)

inline void page_block_watch(void* p, std::size_t bytes) noexcept {
#if defined(EDDY_PAGE_BLOCK_LSAN)
  __lsan_register_root_region(p, bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

inline void page_block_unwatch(void* p, std::size_t bytes) noexcept {
#if defined(EDDY_PAGE_BLOCK_LSAN)
  __lsan_unregister_root_region(p, bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

// Populates [p, p + bytes) writable in one call. A hint: an older kernel or
// a failed populate (memory pressure) leave pages to fault in on first touch.
inline void page_block_populate(void* p, std::size_t bytes) noexcept {
  // MADV_POPULATE_WRITE is 23 since Linux 5.14; older headers lack the name
  // and older kernels answer EINVAL, which is ignored.
  constexpr int populate_write = 23;
  if (bytes != 0) (void)madvise(p, bytes, populate_write);
}

// Advises [p, p + bytes) as huge pages (a hint too: a "never" THP setting
// ignores it) and populates its first `populate` bytes.
inline void page_block_prepare(void* p, std::size_t bytes, std::size_t populate) noexcept {
#if defined(MADV_HUGEPAGE)
  (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
  page_block_populate(p, populate < bytes ? populate : bytes);
}

// Reserves `bytes` (a multiple of page_block_size) of address space aligned
// to page_block_size, inaccessible; returns null when refused.
inline void* page_block_reserve(std::size_t bytes) noexcept {
  const std::size_t span = bytes + page_block_size;
  void* raw = mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto start = reinterpret_cast<std::uintptr_t>(raw);
  auto aligned = (start + page_block_size - 1) & ~std::uintptr_t(page_block_size - 1);
  // Trim the slack on both sides, so only the aligned range stays mapped.
  if (aligned > start) (void)munmap(raw, aligned - start);
  std::size_t tail = start + span - (aligned + bytes);
  if (tail > 0) (void)munmap(reinterpret_cast<void*>(aligned + bytes), tail);
  return reinterpret_cast<void*>(aligned);
}

// Maps `bytes` (a multiple of page_block_size) of zeroed, writable memory
// aligned to page_block_size and prepares it, populating its first
// `populate` bytes (all by default); null when refused.
inline void* page_block_map(std::size_t bytes, std::size_t populate = ~std::size_t(0)) noexcept {
  void* p = page_block_reserve(bytes);
  if (p == nullptr) return nullptr;
  if (mmap(p, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
    (void)munmap(p, bytes);
    return nullptr;
  }
  page_block_prepare(p, bytes, populate);
  page_block_watch(p, bytes);
  page_block_bytes().fetch_add(bytes, std::memory_order_relaxed);
  return p;
}

// Grows a block from old_bytes to new_bytes (multiples of page_block_size)
// by moving its pages, not copying them, to a new aligned range (huge pages
// move whole); prepares the new part, populating its first `populate` bytes
// (all by default). Null when refused, and then the old block is untouched.
inline void* page_block_grow(void* block, std::size_t old_bytes, std::size_t new_bytes,
                             std::size_t populate = ~std::size_t(0)) noexcept {
  void* target = page_block_reserve(new_bytes);
  if (target == nullptr) return nullptr;
  void* moved = mremap(block, old_bytes, new_bytes, MREMAP_MAYMOVE | MREMAP_FIXED, target);
  if (moved == MAP_FAILED) {
    (void)munmap(target, new_bytes);
    return nullptr;
  }
  page_block_unwatch(block, old_bytes);
  page_block_prepare(static_cast<char*>(moved) + old_bytes, new_bytes - old_bytes, populate);
  page_block_watch(moved, new_bytes);
  page_block_bytes().fetch_add(new_bytes - old_bytes, std::memory_order_relaxed);
  return moved;
}

inline void page_block_unmap(void* block, std::size_t bytes) noexcept {
  page_block_unwatch(block, bytes);
  (void)munmap(block, bytes);
  page_block_bytes().fetch_sub(bytes, std::memory_order_relaxed);
}

#else

inline void* page_block_map(std::size_t, std::size_t = 0) noexcept { return nullptr; }
inline void* page_block_grow(void*, std::size_t, std::size_t, std::size_t = 0) noexcept { return nullptr; }
inline void page_block_populate(void*, std::size_t) noexcept {}
inline void page_block_unmap(void*, std::size_t) noexcept {}

#endif

}  // namespace eddy::detail

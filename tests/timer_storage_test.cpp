// The timer queue's storage: the free-slot bitmap, the slab that never moves
// its nodes, the heap array and the 2 MiB-aligned page blocks both grow into.
// (The queue's behaviour: timer_queue_test.cpp.)
#include <eddy/detail/loop/free_slots.hpp>
#include <eddy/detail/loop/page_block.hpp>
#include <eddy/detail/loop/slab.hpp>
#include <eddy/detail/loop/timer_heap_array.hpp>
#include <eddy/detail/loop/timer_queue.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "support/timer_queue_helpers.hpp"

#include "support/alloc_counter.hpp"

using eddy_test::fire;
using eddy::detail::TimerQueue;

namespace {

// One cache line, as a timer node; counts its constructions.
int line_constructions = 0;
struct Line {
  std::uint64_t value[8];
  Line() : value{} { ++line_constructions; }
};


}  // namespace

TEST_CASE("free slots come back lowest first across every level of the bitmap", "[timer_queue]") {
  // 300,000 slots need four levels (64^3 < 300,000): the summaries are used.
  eddy::detail::FreeSlots slots;
  std::set<std::uint32_t> model;
  const std::uint32_t n = 300000;
  slots.grow(1000);
  slots.grow(n);  // growth keeps what was free
  CHECK(slots.empty());
  std::mt19937 rng(23);
  for (int i = 0; i < 20000; ++i) {
    auto slot = static_cast<std::uint32_t>(rng() % n);
    slots.insert(slot);
    model.insert(slot);
  }
  for (int i = 0; i < 60000; ++i) {
    if (rng() % 2 == 0 && !model.empty()) {
      REQUIRE_FALSE(slots.empty());
      REQUIRE(slots.take_lowest() == *model.begin());
      model.erase(model.begin());
    } else {
      auto slot = static_cast<std::uint32_t>(rng() % n);
      if (model.insert(slot).second) slots.insert(slot);
    }
  }
  while (!model.empty()) {
    REQUIRE(slots.take_lowest() == *model.begin());
    model.erase(model.begin());
  }
  CHECK(slots.empty());
}

TEST_CASE("a slab grown past 8 MiB keeps its elements in place and constructs each once", "[timer_queue]") {
  line_constructions = 0;
  eddy::detail::Slab<Line> slab;
  slab.reserve(1000);
  CHECK(line_constructions == 1000);
  CHECK(slab.size() == 0);
  const std::uint32_t n = 400000;  // 25 MiB: small chunks, then 8 MiB blocks
  std::vector<Line*> where;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t index = slab.emplace_back();
    REQUIRE(index == i);
    slab[index].value[0] = i;
    if (i % 997 == 0) where.push_back(&slab[index]);
    REQUIRE(reinterpret_cast<std::uintptr_t>(&slab[index]) % 64 == 0);
  }
  CHECK(line_constructions == static_cast<int>(n));
  for (std::size_t k = 0; k < where.size(); ++k) {
    CHECK(where[k] == &slab[static_cast<std::uint32_t>(k * 997)]);
    CHECK(where[k]->value[0] == k * 997);
  }
  auto released = slab.release();
  CHECK(slab.size() == 0);
  CHECK(slab.emplace_back() == 0);
}

TEST_CASE("a slab past 512 KiB grows by 2 MiB-aligned page blocks and keeps its elements", "[timer_queue]") {
  eddy::detail::Slab<Line> slab;
  // 512 KiB of 64-byte elements come one chunk at a time; the next block is
  // a page block (on Linux), whose first element starts a huge page.
  const std::uint32_t small = (512u << 10) / sizeof(Line);
  const std::uint32_t n = small + 200000;  // 12.7 MiB more: page blocks of 2 MiB, then bigger
  for (std::uint32_t i = 0; i < n; ++i) {
    REQUIRE(slab.emplace_back() == i);
    slab[i].value[0] = i;
  }
#if defined(__linux__)
  CHECK(reinterpret_cast<std::uintptr_t>(&slab[small]) % eddy::detail::page_block_size == 0);
#endif
  for (std::uint32_t i = 0; i < n; i += 101) REQUIRE(slab[i].value[0] == i);
  for (std::uint32_t i = small; i < n; ++i) REQUIRE(reinterpret_cast<std::uintptr_t>(&slab[i]) % 64 == 0);
}

TEST_CASE("a heap past 1 MiB moves into a page block and grows by remapping, entries in place", "[timer_queue]") {
  struct Entry {
    std::int64_t when;
    std::uint32_t slot;
  };
  eddy::detail::TimerHeapArray<Entry> heap;
  const std::int64_t n = 600000;  // 9.6 MiB: malloc, one copy into a page block, then remaps
  for (std::int64_t i = 0; i < n; ++i) {
    heap.push_back({i, static_cast<std::uint32_t>(i)});
    if (heap.size() > 1) REQUIRE(reinterpret_cast<std::uintptr_t>(&heap[1]) % 64 == 0);
  }
#if defined(__linux__)
  // Entry 0 sits in the fourth place of the block, which starts a huge page.
  CHECK((reinterpret_cast<std::uintptr_t>(&heap[0]) - 3 * sizeof(Entry)) % eddy::detail::page_block_size == 0);
#endif
  for (std::int64_t i = 0; i < n; ++i) REQUIRE(heap[static_cast<std::size_t>(i)].when == i);
  heap.reserve(5000000);  // one big remap
  for (std::int64_t i = 0; i < n; i += 7) REQUIRE(heap[static_cast<std::size_t>(i)].slot == static_cast<std::uint32_t>(i));
}

TEST_CASE("a page block is zeroed, aligned, and keeps its contents when it grows", "[timer_queue]") {
  namespace d = eddy::detail;
  void* block = d::page_block_map(d::page_block_size);
#if defined(__linux__)
  REQUIRE(block != nullptr);
  CHECK(reinterpret_cast<std::uintptr_t>(block) % d::page_block_size == 0);
  auto* bytes = static_cast<unsigned char*>(block);
  CHECK(bytes[0] == 0);
  CHECK(bytes[d::page_block_size - 1] == 0);
  for (std::size_t i = 0; i < d::page_block_size; i += 4096) bytes[i] = static_cast<unsigned char>(i / 4096 + 1);
  void* grown = d::page_block_grow(block, d::page_block_size, 3 * d::page_block_size);
  REQUIRE(grown != nullptr);
  CHECK(reinterpret_cast<std::uintptr_t>(grown) % d::page_block_size == 0);
  bytes = static_cast<unsigned char*>(grown);
  for (std::size_t i = 0; i < d::page_block_size; i += 4096) REQUIRE(bytes[i] == static_cast<unsigned char>(i / 4096 + 1));
  CHECK(bytes[3 * d::page_block_size - 1] == 0);  // the new part is zeroed too
  bytes[3 * d::page_block_size - 1] = 1;          // and writable
  d::page_block_unmap(grown, 3 * d::page_block_size);
#else
  CHECK(block == nullptr);  // callers fall back to operator new / realloc
#endif
}

TEST_CASE("callables on the heap owned by timers in page blocks are not reported as leaks", "[timer_queue]") {
  // 20,000 nodes (1.25 MiB) reach the page blocks; each callable is too big
  // to be stored inline, so the only pointer to it lives in a mapping that
  // LeakSanitizer would not scan unless it is registered.
  struct Big {
    std::uint64_t payload[8];
    std::vector<int>* out;
    void operator()() const { out->push_back(static_cast<int>(payload[0])); }
  };
  TimerQueue q;
  std::vector<int> fired;
  for (int i = 0; i < 20000; ++i) q.add(i, Big{{static_cast<std::uint64_t>(i)}, &fired}, {});
#if defined(EDDY_PAGE_BLOCK_LSAN)
  CHECK(__lsan_do_recoverable_leak_check() == 0);
#endif
  fire(q, 20000);
  CHECK(fired.size() == 20000);
}

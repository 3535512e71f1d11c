// TimerHeap: the timer queue's 4-ary min-heap of 16-byte entries ordered by
// (deadline, insertion order), with every move written back to the node
// (`nodes[slot].position`), so a node always knows where its entry is and
// cancelling is O(log n).
//
// An entry carries its deadline, its node's slot and a 32-bit order word: 31
// bits of insertion sequence (ties on the deadline are broken by it, so timers
// of equal deadline run in the order they were added) and, on top, the
// "unsettled" flag of a call_later whose deadline is still provisional (see
// timer_queue.hpp). The sequence lives in the entry's otherwise unused
// padding, which keeps the node at 48 bytes and lets a tie be decided
// without touching a node. 31 bits would wrap after 2^31 timers; the queue
// renumbers the live entries long before (renumber()), so plain comparison
// of sequences always gives insertion order.
//
// Layout: TimerHeapArray puts each group of four siblings on one cache line.
//
// Thread contract: none; owned by one thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "timer_heap_array.hpp"

namespace eddy::detail {

struct TimerEntry {
  std::int64_t when;
  std::uint32_t slot;
  std::uint32_t order;  // bit 31: unsettled; bits 0-30: insertion sequence

  static constexpr std::uint32_t unsettled_bit = std::uint32_t(1) << 31;
  std::uint32_t sequence() const noexcept { return order & ~unsettled_bit; }
  bool unsettled() const noexcept { return (order & unsettled_bit) != 0; }
};

// Nodes: an indexable store of nodes with a `std::uint32_t position` member.
template <class Nodes>
class TimerHeap {
 public:
  static constexpr std::size_t arity = 4;

  explicit TimerHeap(Nodes& nodes) noexcept : nodes_(nodes) {}

  TimerEntry& operator[](std::size_t i) noexcept { return heap_[i]; }
  const TimerEntry& operator[](std::size_t i) const noexcept { return heap_[i]; }
  std::size_t size() const noexcept { return heap_.size(); }
  std::size_t capacity() const noexcept { return heap_.capacity(); }
  bool empty() const noexcept { return heap_.empty(); }
  void make_room() { heap_.make_room(); }
  void reserve(std::size_t n) { heap_.reserve(n); }
  void clear() noexcept { heap_.clear(); }

  // Adds an entry whose sequence is above every other's (the newest);
  // make_room() first, so that this cannot throw. A tie on the deadline
  // leaves the newest below, so it rises on a strictly earlier deadline
  // only, and the hole rises with it: the entry is written once, where it
  // ends up.
  void push(const TimerEntry& entry) noexcept {
    std::size_t index = heap_.size();
    heap_.extend_unchecked();
    while (index > 0) {
      std::size_t parent = (index - 1) / arity;
      if (!(entry.when < heap_[parent].when)) break;
      place(index, heap_[parent]);
      index = parent;
    }
    place(index, entry);
  }

  static bool before(const TimerEntry& a, const TimerEntry& b) noexcept {
    if (a.when != b.when) return a.when < b.when;
    return a.sequence() < b.sequence();
  }

  void sift_up(std::size_t index) noexcept {
    TimerEntry moving = heap_[index];
    while (index > 0) {
      std::size_t parent = (index - 1) / arity;
      if (!before(moving, heap_[parent])) break;
      place(index, heap_[parent]);
      index = parent;
    }
    place(index, moving);
  }

  void sift_down(std::size_t index) noexcept {
    TimerEntry moving = heap_[index];
    const std::size_t size = heap_.size();
    for (;;) {
      std::size_t first = index * arity + 1;
      if (first >= size) break;
      std::size_t best = smallest_child(first, first + arity < size ? first + arity : size);
      if (!before(heap_[best], moving)) break;
      place(index, heap_[best]);
      index = best;
    }
    place(index, moving);
  }

  // Restores the order after any number of keys changed (Floyd: sift down
  // every parent, last first): O(n), against O(k log n) for k sift-downs.
  void rebuild() noexcept {
    if (heap_.size() < 2) return;
    for (std::size_t i = (heap_.size() - 2) / arity + 1; i-- > 0;) sift_down(i);
  }

  // Removes the root, Floyd's way: the hole sinks to a leaf along the smaller
  // children (three comparisons a level instead of four), then the last entry
  // fills it and rises, which it rarely needs to since it came from a leaf.
  void pop_root() noexcept {
    TimerEntry last = heap_.back();
    heap_.pop_back();
    const std::size_t size = heap_.size();
    if (size == 0) return;
    std::size_t hole = 0;
    for (;;) {
      std::size_t first = hole * arity + 1;
      if (first >= size) break;
      std::size_t best = smallest_child(first, first + arity < size ? first + arity : size);
      place(hole, heap_[best]);
      hole = best;
    }
    place(hole, last);
    sift_up(hole);
  }

  // Removes the entry at `index` by moving the last entry into its place and
  // restoring the order in whichever direction it was broken.
  void erase_at(std::size_t index) noexcept {
    std::size_t last = heap_.size() - 1;
    if (index != last) {
      place(index, heap_[last]);
      heap_.pop_back();
      if (index > 0 && before(heap_[index], heap_[(index - 1) / arity])) {
        sift_up(index);
      } else {
        sift_down(index);
      }
    } else {
      heap_.pop_back();
    }
  }

  // Gives the live entries the sequences 0..n-1 in their present order, so
  // that `next` (returned) can count up for another 2^31 - n additions
  // without wrapping. The heap order is unchanged: only the numbers change,
  // not how any two entries compare. O(n log n), once per 2^30 additions.
  std::uint32_t renumber() {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> by_order(heap_.size());  // (sequence, index)
    for (std::size_t i = 0; i < heap_.size(); ++i) by_order[i] = {heap_[i].sequence(), static_cast<std::uint32_t>(i)};
    std::sort(by_order.begin(), by_order.end());
    for (std::size_t rank = 0; rank < by_order.size(); ++rank) {
      TimerEntry& entry = heap_[by_order[rank].second];
      entry.order = (entry.order & TimerEntry::unsettled_bit) | static_cast<std::uint32_t>(rank);
    }
    return static_cast<std::uint32_t>(by_order.size());
  }

 private:
  void place(std::size_t index, const TimerEntry& entry) noexcept {
    heap_[index] = entry;
    nodes_[entry.slot].position = static_cast<std::uint32_t>(index);
  }

  // The smallest of the children [first, end), by (deadline, order). The
  // best deadline stays in a register; sequences are compared on ties only.
  std::size_t smallest_child(std::size_t first, std::size_t end) const noexcept {
    std::size_t best = first;
    std::int64_t best_when = heap_[first].when;
    for (std::size_t child = first + 1; child < end; ++child) {
      std::int64_t when = heap_[child].when;
      if (when < best_when || (when == best_when && heap_[child].sequence() < heap_[best].sequence())) {
        best = child;
        best_when = when;
      }
    }
    return best;
  }

  TimerHeapArray<TimerEntry> heap_;
  Nodes& nodes_;
};

}  // namespace eddy::detail

// TimerQueue: the loop's timeouts, ordered by (deadline, insertion order).
//
// Layout follows libev: a 4-ary min-heap of 16-byte entries that cache the
// deadline, so sifting touches only the heap array, with each group of
// siblings on one cache line (TimerHeapArray); the callbacks live in a
// chunked slab of nodes (never relocated), so steady-state scheduling
// allocates nothing. Freed nodes are reused lowest slot first (FreeSlots), so
// a loop that has run for a while walks its slab in order as a fresh one
// does, instead of hopping over it. Each node knows its heap position, so
// cancelling is O(log n) and removes the entry at once: nothing is left
// behind for a later pop to skip, and the heap holds exactly the pending
// timers.
//
// A TimerId names a node by slot and generation; the generation changes every
// time the slot is freed, so a stale id (already fired or cancelled) is
// recognised and ignored.
//
// Thread contract: single-threaded; the IOLoop calls it from its own thread.
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "free_slots.hpp"
#include "job.hpp"
#include "slab.hpp"
#include "timer_heap_array.hpp"

namespace eddy::detail {

struct TimerId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0 never names a live node
};

template <class = void>
class BasicTimerQueue {
 public:
  using Callback = Job;

  // Schedules f() at `when` (nanoseconds on the loop's clock); f is built
  // in place in the node. If anything throws (allocating, or f's copy or
  // move), the queue is as it was.
  template <class F>
  TimerId add(std::int64_t when, F&& f, SourceLocation where) {
    heap_.make_room();
    std::uint32_t slot = allocate_node();
    Node& node = nodes_[slot];
    try {
      node.callback.fn.emplace(std::forward<F>(f));
    } catch (...) {
      free_node(slot);
      throw;
    }
    node.callback.where = where;
    node.sequence = next_sequence_++;
    node.position = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(Entry{when, slot});
    sift_up(node.position);
    return TimerId{slot, node.generation};
  }

  // Cancels a pending or collected-but-not-run timer. Returns false (and does
  // nothing) when the id is stale. The callback is destroyed only after the
  // queue is consistent again, because its destructor may re-enter the queue.
  bool cancel(TimerId id) noexcept {
    if (!live(id)) return false;
    Node& node = nodes_[id.slot];
    if (node.position < heap_.size()) erase_at(node.position);
    Callback dead = std::move(node.callback);
    free_node(id.slot);
    return true;
  }

  // Moves every timer whose deadline is <= now out of the heap and appends its
  // id to `due`, in firing order. Collected timers can still be cancelled
  // until take() hands out their callbacks.
  template <class Vector>
  void collect_due(std::int64_t now, Vector& due) {
    while (!heap_.empty() && heap_[0].when <= now) {
      std::uint32_t slot = heap_[0].slot;
      pop_root();
      nodes_[slot].position = collected;
      due.push_back(TimerId{slot, nodes_[slot].generation});
    }
  }

  // Hands out the callback of a collected timer and frees its node, or an
  // empty callback if it was cancelled meanwhile.
  Callback take(TimerId id) noexcept {
    if (!live(id) || nodes_[id.slot].position != collected) return Callback();
    Callback callback = std::move(nodes_[id.slot].callback);
    free_node(id.slot);
    return callback;
  }

  // Makes room for n pending timers, so scheduling up to that many
  // allocates nothing (as reserving a vector).
  void reserve(std::size_t n) {
    heap_.reserve(n);
    nodes_.reserve(n);
    free_.grow(n);
  }

  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  std::int64_t next_deadline() const noexcept { return heap_[0].when; }
  // Nodes ever allocated (live + free): lets tests see that slots are reused.
  std::size_t capacity() const noexcept { return nodes_.size(); }

  // Destroys every pending timer. Callbacks are moved out first so their
  // destructors may safely touch the (already empty) queue.
  void clear() noexcept {
    auto nodes = nodes_.release();
    heap_.clear();
    free_.clear();
  }

 private:
  static constexpr std::uint32_t collected = std::numeric_limits<std::uint32_t>::max() - 1;
  static constexpr std::uint32_t free_slot = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t arity = 4;

  struct Entry {
    std::int64_t when;
    std::uint32_t slot;
  };
  struct Node {
    Callback callback;
    std::uint64_t sequence = 0;          // insertion order
    std::uint32_t position = free_slot;  // index in heap_, `collected`, or `free_slot`
    std::uint32_t generation = 1;
  };

  bool live(TimerId id) const noexcept {
    return id.slot < nodes_.size() && nodes_[id.slot].generation == id.generation &&
           nodes_[id.slot].position != free_slot;
  }

  std::uint32_t allocate_node() {
    if (!free_.empty()) return free_.take_lowest();
    // Every slot below size() is in use, so the next new one is the lowest.
    if (nodes_.size() >= free_.capacity()) free_.grow(nodes_.size() + 1);
    return nodes_.emplace_back();
  }

  void free_node(std::uint32_t slot) noexcept {
    Node& node = nodes_[slot];
    node.position = free_slot;
    // Skipping 0 keeps "generation 0 = empty handle" true after wrap-around.
    if (++node.generation == 0) node.generation = 1;
    free_.insert(slot);
  }

  // Ties on the deadline are broken by insertion order, which lives in the
  // node: ties are rare, so the heap entry stays 16 bytes.
  bool before(const Entry& a, const Entry& b) const noexcept {
    if (a.when != b.when) return a.when < b.when;
    return nodes_[a.slot].sequence < nodes_[b.slot].sequence;
  }

  void place(std::size_t index, const Entry& entry) noexcept {
    heap_[index] = entry;
    nodes_[entry.slot].position = static_cast<std::uint32_t>(index);
  }

  void sift_up(std::size_t index) noexcept {
    Entry moving = heap_[index];
    while (index > 0) {
      std::size_t parent = (index - 1) / arity;
      if (!before(moving, heap_[parent])) break;
      place(index, heap_[parent]);
      index = parent;
    }
    place(index, moving);
  }

  // The smallest of the children [first, end), by (deadline, order). The
  // best deadline stays in a register; the node's order is read on ties only.
  std::size_t smallest_child(std::size_t first, std::size_t end) const noexcept {
    std::size_t best = first;
    std::int64_t best_when = heap_[first].when;
    for (std::size_t child = first + 1; child < end; ++child) {
      std::int64_t when = heap_[child].when;
      if (when < best_when || (when == best_when && before(heap_[child], heap_[best]))) {
        best = child;
        best_when = when;
      }
    }
    return best;
  }

  void sift_down(std::size_t index) noexcept {
    Entry moving = heap_[index];
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

  // Removes the root, Floyd's way: the hole sinks to a leaf along the smaller
  // children (three comparisons a level instead of four), then the last entry
  // fills it and rises, which it rarely needs to since it came from a leaf.
  void pop_root() noexcept {
    Entry last = heap_.back();
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
  // restoring the heap order in whichever direction it was broken.
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

  TimerHeapArray<Entry> heap_;
  Slab<Node> nodes_;
  FreeSlots free_;
  std::uint64_t next_sequence_ = 0;
};
using TimerQueue = BasicTimerQueue<>;

}  // namespace eddy::detail

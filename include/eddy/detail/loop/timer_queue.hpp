// TimerQueue: the loop's timeouts, ordered by (deadline, insertion order).
//
// Layout follows libev: a 4-ary min-heap of 16-byte entries that cache the
// deadline, so sifting touches only the heap array (TimerHeap); the callables
// live in a chunked slab of 48-byte nodes (never relocated), so steady-state
// scheduling allocates nothing. Freed nodes are reused lowest slot first
// (FreeSlots), so a loop that has run for a while walks its slab in order as
// a fresh one does, instead of hopping over it. Each node knows its heap
// position, so cancelling is O(log n) and removes the entry at once: nothing
// is left behind for a later pop to skip, and the heap holds exactly the
// pending timers. Where a timer was scheduled (for the blocking detector) is
// kept beside the nodes only when the caller asks, so the hot node holds the
// callable, its position and its generation, nothing else.
//
// Provisional deadlines (call_later without a clock read): add_unsettled()
// keys a timer at `base + delay`, where `base` is the loop's last clock
// reading, and flags it unsettled. settle(elapsed) is called with the time
// since `base` before the heap is next consulted (the loop does it whenever
// it reads the clock) and moves every unsettled timer to `key + elapsed`,
// i.e. `now + delay` for a `now` read after its call: never early. A
// handful of unsettled timers are found through a short list of their
// slots and each sifted down; past that (a burst of scheduling), the heap is
// walked once: when every entry is unsettled, as in a burst on a fresh loop,
// adding the same amount to every key keeps the order and nothing moves;
// otherwise the heap is rebuilt in O(n).
//
// A TimerId names a node by slot and generation; the generation changes every
// time the slot is freed, so a stale id (already fired or cancelled) is
// recognised and ignored.
//
// Thread contract: single-threaded; the IOLoop calls it from its own thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "../base/config.hpp"
#include "../base/source_location.hpp"
#include "../base/time_ops.hpp"
#include "free_slots.hpp"
#include "job.hpp"
#include "slab.hpp"
#include "timer_heap.hpp"

namespace eddy::detail {

struct TimerId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0 never names a live node
};

// SequenceBits: how many additions between renumberings of the live
// entries' sequences (2^30 by default; tests use a small value).
template <unsigned SequenceBits = 30>
class BasicTimerQueue {
  static_assert(SequenceBits >= 2 && SequenceBits <= 30, "sequences must stay below 2^31");

 public:
  using Callback = Job;

  // Schedules f() at `when` (nanoseconds on the loop's clock); f is built in
  // place in the node. `where` is recorded when not null (the blocking
  // detector is on). If anything throws (allocating, or f's copy or move),
  // the queue is as it was.
  template <class F>
  TimerId add(std::int64_t when, F&& f, const SourceLocation* where) {
    return insert(when, 0, std::forward<F>(f), where);
  }

  // As add(), at the provisional `key` (a lower bound of the deadline): the
  // next settle() moves it by the time elapsed meanwhile.
  template <class F>
  TimerId add_unsettled(std::int64_t key, F&& f, const SourceLocation* where) {
    TimerId id = insert(key, TimerEntry::unsettled_bit, std::forward<F>(f), where);
    if (added_ < listed_capacity_) listed_[added_] = id.slot;
    ++added_;
    return id;
  }

  // True while some timer's deadline may be provisional.
  bool has_unsettled() const noexcept { return added_ != 0; }

  // Moves every unsettled timer's key by `elapsed` (>= 0) and marks it
  // settled. The heap must not be consulted (collect_due, next_deadline)
  // while has_unsettled().
  void settle(std::int64_t elapsed) noexcept {
    if (added_ == 0) return;
    if (added_ <= listed_capacity_) {
      settle_listed(elapsed);
    } else {
      settle_all(elapsed);
      grow_list();
    }
    added_ = 0;
  }

  // Cancels a pending or collected-but-not-run timer. Returns false (and does
  // nothing) when the id is stale. The callback is destroyed only after the
  // queue is consistent again, because its destructor may re-enter the queue.
  bool cancel(TimerId id) noexcept {
    if (!live(id)) return false;
    Node& node = nodes_[id.slot];
    if (node.position < heap_.size()) heap_.erase_at(node.position);
    Function<void()> dead = std::move(node.fn);
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
      heap_.pop_root();
      nodes_[slot].position = collected;
      due.push_back(TimerId{slot, nodes_[slot].generation});
    }
  }

  // Hands out the callback of a collected timer and frees its node, or an
  // empty callback if it was cancelled meanwhile.
  Callback take(TimerId id) noexcept {
    Callback callback;
    if (!live(id) || nodes_[id.slot].position != collected) return callback;
    callback.fn = std::move(nodes_[id.slot].fn);
    if (id.slot < where_.size()) callback.where = where_[id.slot];
    free_node(id.slot);
    return callback;
  }

  // Makes room for n pending timers, so scheduling up to that many
  // allocates nothing (as reserving a vector).
  void reserve(std::size_t n) {
    heap_.reserve(n);
    nodes_.reserve(n);
    free_.grow(n);
    easy_adds_ = 0;  // recounted with the room made here
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
    easy_adds_ = 0;
    added_ = 0;
  }

 private:
  static constexpr std::uint32_t collected = std::numeric_limits<std::uint32_t>::max() - 1;
  static constexpr std::uint32_t free_slot = std::numeric_limits<std::uint32_t>::max();
  // The list of unsettled slots starts this long and grows, when a batch
  // overflows it, up to a sixteenth of the heap: settling k listed timers
  // costs k sift-downs, against one pass over the heap for the unlisted way.
  static constexpr std::uint32_t min_listed = 256;

  // 48 bytes on 64-bit targets: the callable (40), its heap position and
  // its generation. The insertion order lives in the heap entry.
  struct Node {
    Function<void()> fn;
    std::uint32_t position = free_slot;  // index in the heap, `collected`, or `free_slot`
    std::uint32_t generation = 1;
  };

  // Inlined into both add()s: a call here costs a tenth of the path.
  template <class F>
  EDDY_ALWAYS_INLINE TimerId insert(std::int64_t when, std::uint32_t flag, F&& f, const SourceLocation* where) {
    if (EDDY_UNLIKELY(easy_adds_ == 0)) prepare_adds();
    --easy_adds_;
    std::uint32_t slot = allocate_node();
    Node& node = nodes_[slot];
    try {
      node.fn.emplace_empty(std::forward<F>(f));  // a free node's callable is empty
    } catch (...) {
      free_node(slot);
      throw;
    }
    if (EDDY_UNLIKELY(where != nullptr || keeps_where_)) note_where(slot, where);
    heap_.push(TimerEntry{when, slot, flag | next_sequence_++});
    return TimerId{slot, node.generation};
  }

  bool live(TimerId id) const noexcept {
    return id.slot < nodes_.size() && nodes_[id.slot].generation == id.generation &&
           nodes_[id.slot].position != free_slot;
  }

  // After prepare_adds(): the free-slot bitmap has room for a new slot.
  EDDY_ALWAYS_INLINE std::uint32_t allocate_node() {
    if (!free_.empty()) return free_.take_lowest();
    // Every slot below size() is in use, so the next new one is the lowest.
    return nodes_.emplace_back();
  }

  // The three limits an add can reach (heap capacity, free-slot bitmap
  // capacity, sequences before renumbering) are checked here, once per run
  // of adds, not once each: easy_adds_ is how many adds fit all three. It
  // may undercount (a cancel frees heap room), never overcount. Everything
  // that can throw happens before any change.
  EDDY_NOINLINE void prepare_adds() {
    if (next_sequence_ == renumber_at_) renumber();
    heap_.make_room();
    if (nodes_.size() >= free_.capacity()) free_.grow(nodes_.size() + 1);
    std::size_t room = heap_.capacity() - heap_.size();
    room = std::min<std::size_t>(room, renumber_at_ - next_sequence_);
    easy_adds_ = std::min(room, free_.capacity() - nodes_.size());
  }

  void free_node(std::uint32_t slot) noexcept {
    Node& node = nodes_[slot];
    node.position = free_slot;
    // Skipping 0 keeps "generation 0 = empty handle" true after wrap-around.
    if (++node.generation == 0) node.generation = 1;
    free_.insert(slot);
  }

  // Records (or, with null, forgets) where the timer in `slot` was
  // scheduled. Cold: only while the blocking detector is on, and for a
  // slot that had a location recorded before.
  EDDY_NOINLINE void note_where(std::uint32_t slot, const SourceLocation* where) noexcept {
    try {
      if (slot >= where_.size()) where_.resize(nodes_.size());
      where_[slot] = where != nullptr ? *where : SourceLocation();
      keeps_where_ = true;
    } catch (...) {
      // Out of memory for a diagnostic: the report will say "unknown".
    }
  }

  // A few unsettled timers, each found through its slot: a listed slot
  // whose entry is no longer unsettled was cancelled (and maybe reused).
  void settle_listed(std::int64_t elapsed) noexcept {
    for (std::size_t i = 0; i < added_; ++i) {
      std::uint32_t position = nodes_[listed_[i]].position;
      if (position >= heap_.size() || !heap_[position].unsettled()) continue;
      TimerEntry& entry = heap_[position];
      entry.when = add_saturating(entry.when, elapsed);
      entry.order &= ~TimerEntry::unsettled_bit;
      heap_.sift_down(position);  // its key only grew
    }
  }

  // Many: one pass over the heap. Adding the same amount to every key keeps
  // the order, so a heap of nothing but unsettled timers (a burst on a fresh
  // loop) needs no rebuild.
  void settle_all(std::int64_t elapsed) noexcept {
    std::size_t settled = 0;
    for (std::size_t i = 0; i < heap_.size(); ++i) {
      TimerEntry& entry = heap_[i];
      if (!entry.unsettled()) continue;
      entry.when = add_saturating(entry.when, elapsed);
      entry.order &= ~TimerEntry::unsettled_bit;
      ++settled;
    }
    if (settled != heap_.size()) heap_.rebuild();
  }

  // After an overflow: room for the next batch of that size, within bounds.
  // Failing to allocate just leaves the list as it was.
  void grow_list() noexcept {
    std::size_t bound = heap_.size() / 16 > min_listed ? heap_.size() / 16 : min_listed;
    std::size_t want = std::max({std::size_t(min_listed), added_, 2 * listed_capacity_});
    if (want > bound) want = bound;
    if (want <= listed_capacity_) return;
    std::uint32_t* grown = new (std::nothrow) std::uint32_t[want];
    if (grown == nullptr) return;
    listed_.reset(grown);
    listed_capacity_ = want;
  }

  void renumber() {
    easy_adds_ = 0;
    next_sequence_ = heap_.renumber();
    renumber_at_ = next_sequence_ + (std::uint32_t(1) << SequenceBits);
  }

  Slab<Node> nodes_;
  TimerHeap<Slab<Node>> heap_{nodes_};
  FreeSlots free_;
  std::size_t easy_adds_ = 0;  // adds that need no growth nor renumbering (prepare_adds)
  std::vector<SourceLocation> where_;  // by slot; empty unless the detector was on
  bool keeps_where_ = false;           // where_ has entries to keep up to date
  // Slots of the timers added unsettled since the last settle(), while
  // there is room (added_ <= listed_capacity_): they are then all listed.
  std::unique_ptr<std::uint32_t[]> listed_;
  std::size_t listed_capacity_ = 0;
  std::size_t added_ = 0;  // add_unsettled() calls since the last settle()
  std::uint32_t next_sequence_ = 0;
  std::uint32_t renumber_at_ = std::uint32_t(1) << SequenceBits;
};
using TimerQueue = BasicTimerQueue<>;

}  // namespace eddy::detail

// detail::TimerQueue: the 4-ary heap with a slab of nodes, reused lowest slot first.
#include <eddy/detail/loop/page_block.hpp>
#include <eddy/detail/loop/slab.hpp>
#include <eddy/detail/loop/timer_queue.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "support/timer_queue_helpers.hpp"

#include "support/alloc_counter.hpp"

using eddy_test::fire;
using eddy_test::record;
using eddy::detail::TimerId;
using eddy::detail::TimerQueue;

TEST_CASE("timers fire in deadline order, equal deadlines in insertion order", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  std::mt19937 rng(7);
  std::vector<std::pair<std::int64_t, int>> expected;
  for (int i = 0; i < 5000; ++i) {
    std::int64_t when = static_cast<std::int64_t>(rng() % 100);  // many ties
    q.add(when, record(fired, i), {});
    expected.emplace_back(when, i);
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  fire(q, 1000);
  REQUIRE(fired.size() == expected.size());
  for (std::size_t i = 0; i < fired.size(); ++i) CHECK(fired[i] == expected[i].second);
  CHECK(q.empty());
}

TEST_CASE("only timers whose deadline is <= now are collected", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  q.add(10, record(fired, 1), {});
  q.add(20, record(fired, 2), {});
  fire(q, 9);
  CHECK(fired.empty());
  fire(q, 10);
  CHECK(fired == std::vector<int>{1});
  CHECK(q.next_deadline() == 20);
}

TEST_CASE("cancelled timers never fire, from anywhere in the heap", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  std::vector<TimerId> ids;
  std::mt19937 rng(11);
  for (int i = 0; i < 1000; ++i) ids.push_back(q.add(static_cast<std::int64_t>(rng() % 500), record(fired, i), {}));
  for (int i = 0; i < 1000; i += 2) CHECK(q.cancel(ids[static_cast<std::size_t>(i)]));
  fire(q, 1000);
  CHECK(fired.size() == 500);
  for (int v : fired) CHECK(v % 2 == 1);
}

TEST_CASE("a stale id is ignored after its timer fired or was cancelled", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  TimerId a = q.add(1, record(fired, 1), {});
  CHECK(q.cancel(a));
  CHECK_FALSE(q.cancel(a));
  TimerId b = q.add(1, record(fired, 2), {});  // reuses a's slot
  CHECK(b.slot == a.slot);
  CHECK(b.generation != a.generation);
  CHECK_FALSE(q.cancel(a));  // must not cancel b
  fire(q, 5);
  CHECK(fired == std::vector<int>{2});
  CHECK_FALSE(q.cancel(b));
}

TEST_CASE("a collected timer cancelled before it runs comes back empty", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  TimerId a = q.add(1, record(fired, 1), {});
  std::vector<TimerId> due;
  q.collect_due(5, due);
  CHECK(q.cancel(a));
  CHECK_FALSE(q.take(due[0]));
}

TEST_CASE("20,000 add/remove pairs leave nothing behind and reuse one node", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  for (int i = 0; i < 20000; ++i) q.cancel(q.add(i, record(fired, i), {}));
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK(q.capacity() == 1);
}

TEST_CASE("steady-state scheduling and cancelling allocate nothing", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  fired.reserve(100000);
  std::vector<TimerId> ids(1000);
  for (int round = 0; round < 2; ++round) {
    eddy_test::AllocationProbe probe;
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = q.add(static_cast<std::int64_t>(i % 37), record(fired, 0), {});
    for (std::size_t i = 0; i < ids.size(); i += 2) q.cancel(ids[i]);
    std::vector<TimerId> due;
    due.reserve(ids.size());
    q.collect_due(1000, due);
    for (TimerId id : due) q.take(id);
    if (round == 1) CHECK_ALLOCATIONS(probe, 1u);  // only the local `due` vector
  }
}

TEST_CASE("freed slots are reused lowest first, so a warm queue fills its slab in order", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  std::mt19937 rng(3);
  const std::size_t n = 5000;
  // Random deadlines free the slots in an order unrelated to where they sit.
  for (std::size_t i = 0; i < n; ++i) q.add(static_cast<std::int64_t>(rng() % 100000), record(fired, 0), {});
  fire(q, 100000);
  CHECK(q.empty());
  for (std::size_t i = 0; i < n; ++i) {
    TimerId id = q.add(static_cast<std::int64_t>(rng() % 100000), record(fired, 0), {});
    CHECK(id.slot == i);
  }
  CHECK(q.capacity() == n);
  // Holes left by cancelling are filled lowest first too.
  std::vector<TimerId> ids;
  TimerQueue r;
  for (int i = 0; i < 300; ++i) ids.push_back(r.add(i, record(fired, i), {}));
  for (std::uint32_t slot : {200u, 7u, 150u, 8u}) CHECK(r.cancel(ids[slot]));
  std::vector<std::uint32_t> reused;
  for (int i = 0; i < 5; ++i) reused.push_back(r.add(1, record(fired, 0), {}).slot);
  CHECK(reused == std::vector<std::uint32_t>{7, 8, 150, 200, 300});
}

TEST_CASE("cancelling most timers leaves exactly the pending ones in the heap, in order", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  std::vector<TimerId> ids;
  std::mt19937 rng(5);
  const int n = 20000;
  for (int i = 0; i < n; ++i) ids.push_back(q.add(static_cast<std::int64_t>(rng() % 50000), record(fired, i), {}));
  std::vector<int> kept;
  for (int i = 0; i < n; ++i) {
    if (i % 1000 == 0) {
      kept.push_back(i);
    } else {
      CHECK(q.cancel(ids[static_cast<std::size_t>(i)]));
    }
  }
  CHECK(q.size() == kept.size());
  fire(q, 50000);
  REQUIRE(fired.size() == kept.size());
  std::sort(fired.begin(), fired.end());
  CHECK(fired == kept);
  CHECK(q.empty());
}

TEST_CASE("the heap's sibling groups each start a cache line, across growth", "[timer_queue]") {
  struct Entry {  // the queue's entry: a deadline and a slot, 16 bytes
    std::int64_t when;
    std::uint32_t slot;
  };
  eddy::detail::TimerHeapArray<Entry> heap;
  for (std::int64_t i = 0; i < 100000; ++i) {
    heap.push_back({i, 0});
    // Entry 1 is the root's first child; every group 4j+1..4j+4 follows it.
    if (heap.size() > 1) CHECK(reinterpret_cast<std::uintptr_t>(&heap[1]) % 64 == 0);
    if ((i & (i + 1)) == 0) {
      for (std::int64_t k = 0; k <= i; ++k) REQUIRE(heap[static_cast<std::size_t>(k)].when == k);
    }
  }
}

TEST_CASE("random adds, cancels and firings agree with a reference model", "[timer_queue]") {
  // The model: pending timers by (deadline, insertion order), which is the
  // order they must fire in.
  struct Pending {
    std::int64_t when;
    int order;
    TimerId id;
  };
  TimerQueue q;
  std::vector<int> fired;
  std::vector<Pending> model;
  std::vector<TimerId> stale;
  std::mt19937 rng(17);
  std::int64_t now = 0;
  int order = 0;
  for (int step = 0; step < 40000; ++step) {
    unsigned op = rng() % 100;
    if (op < 55) {
      std::int64_t when = now + static_cast<std::int64_t>(rng() % 64);  // many ties
      TimerId id = q.add(when, record(fired, order), {});
      model.push_back({when, order++, id});
    } else if (op < 85 && !model.empty()) {
      std::size_t victim = rng() % model.size();
      CHECK(q.cancel(model[victim].id));
      stale.push_back(model[victim].id);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(victim));
    } else if (op < 90 && !stale.empty()) {
      CHECK_FALSE(q.cancel(stale[rng() % stale.size()]));  // fired or cancelled: ignored
    } else {
      now += static_cast<std::int64_t>(rng() % 16);
      std::stable_sort(model.begin(), model.end(), [](const Pending& a, const Pending& b) {
        return a.when != b.when ? a.when < b.when : a.order < b.order;
      });
      std::vector<int> expected;
      while (!model.empty() && model.front().when <= now) {
        expected.push_back(model.front().order);
        stale.push_back(model.front().id);
        model.erase(model.begin());
      }
      fired.clear();
      fire(q, now);
      REQUIRE(fired == expected);
    }
    REQUIRE(q.size() == model.size());
    if (!model.empty()) {
      std::int64_t earliest = model.front().when;
      for (const Pending& p : model) earliest = std::min(earliest, p.when);
      REQUIRE(q.next_deadline() == earliest);
    }
    if (stale.size() > 1000) stale.erase(stale.begin(), stale.begin() + 500);
  }
}

TEST_CASE("an add whose callable throws while being stored leaves the queue as it was", "[timer_queue]") {
  struct Throwing {
    Throwing() = default;
    Throwing(const Throwing&) { throw std::runtime_error("copy"); }
    void operator()() const {}
  };
  TimerQueue q;
  std::vector<int> fired;
  q.add(5, record(fired, 1), {});
  Throwing throwing;
  CHECK_THROWS_AS(q.add(1, throwing, {}), std::runtime_error);
  CHECK(q.size() == 1);
  CHECK(q.next_deadline() == 5);
  TimerId next = q.add(2, record(fired, 2), {});
  CHECK(next.slot == 1);  // the slot taken by the failed add was given back
  fire(q, 10);
  CHECK(fired == std::vector<int>{2, 1});
}

TEST_CASE("a callback whose destructor schedules a timer can be cancelled and cleared", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  struct AddsOnDestroy {
    TimerQueue* q;
    std::vector<int>* fired;
    bool armed = true;
    AddsOnDestroy(TimerQueue* queue, std::vector<int>* out) : q(queue), fired(out) {}
    AddsOnDestroy(AddsOnDestroy&& other) noexcept : q(other.q), fired(other.fired), armed(std::exchange(other.armed, false)) {}
    ~AddsOnDestroy() {
      if (armed) q->add(7, record(*fired, 7), {});
    }
    void operator()() const {}
  };
  TimerId id = q.add(3, AddsOnDestroy(&q, &fired), {});
  CHECK(q.cancel(id));
  CHECK(q.size() == 1);  // the destructor's timer, added to a consistent queue
  q.add(4, AddsOnDestroy(&q, &fired), {});
  q.clear();             // destroys it after the queue is empty again
  CHECK(q.size() == 1);
  fire(q, 10);
  CHECK(fired == std::vector<int>{7});
}

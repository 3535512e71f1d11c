// detail::TimerQueue: the 4-ary heap with a slab of nodes.
#include <eddy/detail/timer_queue.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "support/alloc_counter.hpp"

using eddy::detail::Job;
using eddy::detail::TimerId;
using eddy::detail::TimerQueue;

namespace {

auto record(std::vector<int>& out, int value) {
  return [&out, value] { out.push_back(value); };
}

// Collects everything due at `now` and runs it in order.
void fire(TimerQueue& q, std::int64_t now) {
  std::vector<TimerId> due;
  q.collect_due(now, due);
  for (TimerId id : due) {
    Job job = q.take(id);
    if (job) job.fn();
  }
}

}  // namespace

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

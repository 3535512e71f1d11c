// detail::TimerQueue's provisional deadlines (add_unsettled, settle) and the
// renumbering of insertion sequences before they wrap.
#include <eddy/detail/loop/timer_queue.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "support/timer_queue_helpers.hpp"

using eddy::detail::BasicTimerQueue;
using eddy_test::fire;
using eddy_test::record;
using eddy::detail::TimerId;
using eddy::detail::TimerQueue;

TEST_CASE("settling moves unsettled timers by the elapsed time and leaves exact ones alone", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  q.add(15, record(fired, 1), {});
  q.add_unsettled(10, record(fired, 2), {});  // base 0 + delay 10
  CHECK(q.has_unsettled());
  q.settle(7);  // read at 7: due at 17
  CHECK_FALSE(q.has_unsettled());
  CHECK(q.next_deadline() == 15);
  fire(q, 16);
  CHECK(fired == std::vector<int>{1});
  fire(q, 17);
  CHECK(fired == std::vector<int>{1, 2});
}

TEST_CASE("random unsettled adds, cancels, settles and firings agree with a reference model", "[timer_queue]") {
  // The model keeps each timer's settled deadline (or its key while
  // unsettled) and its insertion order; batches of up to 700 unsettled adds
  // go past the slot list, so both ways of settling are exercised.
  struct Pending {
    std::int64_t when;
    int order;
    TimerId id;
    bool unsettled;
  };
  TimerQueue q;
  std::vector<int> fired;
  std::vector<Pending> model;
  std::mt19937 rng(29);
  std::int64_t base = 0;  // the last clock reading
  int order = 0;
  for (int step = 0; step < 400; ++step) {
    std::size_t batch = rng() % 8 == 0 ? 700 : rng() % 20;
    for (std::size_t k = 0; k < batch; ++k) {
      std::int64_t delay = static_cast<std::int64_t>(rng() % 64);  // many ties
      bool later = rng() % 3 != 0;
      TimerId id = later ? q.add_unsettled(base + delay, record(fired, order), {})
                         : q.add(base + delay, record(fired, order), {});
      model.push_back({base + delay, order++, id, later});
    }
    for (std::size_t k = rng() % 30; k > 0 && !model.empty(); --k) {
      std::size_t victim = rng() % model.size();
      CHECK(q.cancel(model[victim].id));
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(victim));
    }
    std::int64_t now = base + static_cast<std::int64_t>(rng() % 16);
    q.settle(now - base);
    for (Pending& p : model) {
      if (p.unsettled) p.when += now - base;
      p.unsettled = false;
    }
    base = now;
    std::stable_sort(model.begin(), model.end(), [](const Pending& a, const Pending& b) {
      return a.when != b.when ? a.when < b.when : a.order < b.order;
    });
    std::vector<int> expected;
    while (!model.empty() && model.front().when <= now) {
      expected.push_back(model.front().order);
      model.erase(model.begin());
    }
    fired.clear();
    fire(q, now);
    REQUIRE(fired == expected);
    REQUIRE(q.size() == model.size());
    if (!model.empty()) REQUIRE(q.next_deadline() == model.front().when);
  }
}

TEST_CASE("settling saturates instead of overflowing a deadline of never", "[timer_queue]") {
  TimerQueue q;
  std::vector<int> fired;
  const std::int64_t never = std::numeric_limits<std::int64_t>::max();
  q.add_unsettled(never - 1, record(fired, 1), {});
  q.add_unsettled(5, record(fired, 2), {});
  q.settle(1000);
  CHECK(q.next_deadline() == 1005);
  fire(q, never - 1);
  CHECK(fired == std::vector<int>{2});
  CHECK(q.size() == 1);
}

TEST_CASE("insertion sequences are renumbered before they wrap and ties keep their order", "[timer_queue]") {
  // Renumbered every 4 adds instead of every 2^30.
  BasicTimerQueue<2> q;
  std::vector<int> fired;
  std::vector<TimerId> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(q.add(100 + i % 3, record(fired, i), {}));
  for (int i = 0; i < 200; i += 5) q.cancel(ids[static_cast<std::size_t>(i)]);
  for (int i = 200; i < 260; ++i) q.add_unsettled(90 + i % 3, record(fired, i), {});
  q.settle(10);
  fire(q, 1000);
  std::vector<int> expected;
  for (int mod = 0; mod < 3; ++mod) {
    for (int i = 0; i < 260; ++i) {
      if (i % 3 == mod && (i >= 200 || i % 5 != 0)) expected.push_back(i);
    }
  }
  CHECK(fired == expected);
}

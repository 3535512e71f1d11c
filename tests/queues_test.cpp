// Queue, PriorityQueue and LifoQueue: order, waiting puts and gets handed
// over through the loop, timeouts racing puts and gets without losing an
// item, and task_done/join. Move-only items, teardown with waiters, the cost
// of the path that need not wait and coroutines: queues_items_test.cpp.
#include <eddy/queues.hpp>

#include <eddy/gen.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"
#include "support/virtual_time_helpers.hpp"

using namespace eddy_test;
using eddy::Future;

namespace {

std::uint64_t next_random(std::uint64_t& state, std::uint64_t mod) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (state >> 33) % mod;
}

}  // namespace

// ---- order and the _nowait forms ----------------------------------------------------

TEST_CASE("Queue: first in, first out; QueueEmpty and QueueFull from the _nowait forms", "[queues]") {
  eddy::Queue<int> q(2);
  CHECK(q.maxsize() == 2);
  CHECK(q.empty());
  CHECK_THROWS_AS(q.get_nowait(), eddy::QueueEmpty);
  q.put_nowait(1);
  q.put_nowait(2);
  CHECK(q.full());
  CHECK(q.qsize() == 2);
  CHECK_THROWS_WITH(q.put_nowait(3), "eddy: Queue::put_nowait: the queue is full (maxsize 2)");
  CHECK(q.get_nowait() == 1);
  CHECK(q.get_nowait() == 2);
  CHECK_THROWS_WITH(q.get_nowait(), "eddy: Queue::get_nowait: the queue is empty");
}

TEST_CASE("Queue: maxsize 0 is unbounded", "[queues]") {
  eddy::Queue<int> q;
  for (int i = 0; i < 10000; ++i) q.put_nowait(i);
  CHECK_FALSE(q.full());
  for (int i = 0; i < 10000; ++i) REQUIRE(q.get_nowait() == i);
  CHECK(q.empty());
}

TEST_CASE("PriorityQueue hands out the smallest first; a Compare reverses it", "[queues][priority]") {
  eddy::PriorityQueue<int> smallest;
  for (int v : {5, 1, 4, 2, 3}) smallest.put_nowait(v);
  std::vector<int> out;
  while (!smallest.empty()) out.push_back(smallest.get_nowait());
  CHECK(out == std::vector<int>{1, 2, 3, 4, 5});
  eddy::PriorityQueue<std::string, std::greater<std::string>> largest;
  for (const char* v : {"b", "c", "a"}) largest.put_nowait(v);
  CHECK(largest.get_nowait() == "c");
  CHECK(largest.get_nowait() == "b");
}

TEST_CASE("LifoQueue hands out the last in first", "[queues][lifo]") {
  eddy::LifoQueue<int> q(3);
  for (int v : {1, 2, 3}) q.put_nowait(v);
  CHECK_THROWS_AS(q.put_nowait(4), eddy::QueueFull);
  CHECK(q.get_nowait() == 3);
  CHECK(q.get_nowait() == 2);
  CHECK(q.get_nowait() == 1);
}

// ---- waiting -------------------------------------------------------------------------

TEST_CASE("get() waits while empty; put() hands the item to the first getter through the loop",
          "[queues][wait]") {
  eddy::IOLoop loop;
  eddy::Queue<std::string> q;
  std::vector<std::string> log;
  run_in_loop(loop, [&] {
    for (int i = 0; i < 2; ++i) {
      q.get().add_done_callback([&log, i](Future<std::string> f) { log.push_back(std::to_string(i) + " got " + f.result()); });
    }
    CHECK(q.put("a").done());
    CHECK(q.put("b").done());
    log.push_back("after puts");
    CHECK(q.empty());  // handed over, not queued
    CHECK(q.put("c").done());
    CHECK(q.qsize() == 1);
  }, 10ms);
  CHECK(log == std::vector<std::string>{"after puts", "0 got a", "1 got b"});
  CHECK(q.get_nowait() == "c");
}

TEST_CASE("put() waits while full; a get() takes the first waiting put's item in", "[queues][wait]") {
  eddy::IOLoop loop;
  eddy::Queue<int> q(1);
  std::vector<std::string> log;
  run_in_loop(loop, [&] {
    CHECK(q.put(1).done());
    for (int i = 2; i <= 3; ++i) {
      Future<void> f = q.put(i);
      CHECK_FALSE(f.done());
      f.add_done_callback([&log, i](Future<void> done) {
        done.result();
        log.push_back("put " + std::to_string(i));
      });
    }
    CHECK(q.get_nowait() == 1);
    CHECK(q.full());  // 2 moved in at once
    log.push_back("after get");
    Future<int> next = q.get();
    CHECK(next.done());
    CHECK(next.result() == 2);
    CHECK(q.get_nowait() == 3);
  }, 10ms);
  CHECK(log == std::vector<std::string>{"after get", "put 2", "put 3"});
}

TEST_CASE("PriorityQueue: a get() making room compares the waiting put's item too", "[queues][priority][wait]") {
  eddy::IOLoop loop;
  eddy::PriorityQueue<int> q(1);
  run_in_loop(loop, [&] {
    q.put_nowait(5);
    CHECK_FALSE(q.put(1).done());
    CHECK(q.get_nowait() == 1);
    CHECK(q.get_nowait() == 5);
  }, 1ms);
}

TEST_CASE("get() and put() with a delay or a deadline fail with TimeoutError", "[queues][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Queue<int> q(1);
  Future<int> get_delay, get_deadline;
  Future<void> put_delay, put_deadline;
  run_in_loop(loop, [&] {
    get_delay = q.get(5ms);
    get_deadline = q.get(loop.time() + 5ms);
    loop.call_later(10ms, [&] {
      q.put_nowait(0);
      put_delay = q.put(1, 5ms);
      put_deadline = q.put(2, loop.time() + 5ms);
    });
  });
  CHECK_THROWS_WITH(get_delay.result(), "eddy: Queue::get timed out");
  CHECK(timed_out(get_deadline));
  CHECK_THROWS_WITH(put_delay.result(), "eddy: Queue::put timed out");
  CHECK(timed_out(put_deadline));
  CHECK(q.qsize() == 1);  // the timed-out items were never queued
  CHECK(q.get_nowait() == 0);
}

TEST_CASE("a get() that timed out is skipped: the next item goes to the next getter", "[queues][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Queue<int> q;
  Future<int> impatient, patient;
  run_in_loop(loop, [&] {
    impatient = q.get(5ms);
    patient = q.get();
    loop.call_later(10ms, [&] { q.put_nowait(7); });
  });
  CHECK(timed_out(impatient));
  CHECK(patient.result() == 7);
  CHECK(q.empty());
}

// Getters with random timeouts race puts at random times (with ties): every
// item must reach exactly one getter that did not time out, or stay queued.
TEST_CASE("timeouts racing puts lose no items", "[queues][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Queue<int> q;
  std::vector<Future<int>> getters;
  std::uint64_t rng = 99;
  run_in_loop(loop, [&] {
    for (int i = 0; i < 500; ++i) {
      auto at = std::chrono::milliseconds(next_random(rng, 100));
      auto timeout = std::chrono::milliseconds(next_random(rng, 30));
      loop.call_later(at, [&, timeout] { getters.push_back(q.get(timeout)); });
    }
    for (int item = 0; item < 300; ++item) {
      loop.call_later(std::chrono::milliseconds(next_random(rng, 130)), [&, item] { q.put_nowait(item); });
    }
  });
  std::multiset<int> seen;
  int expired = 0;
  for (Future<int>& g : getters) {
    REQUIRE(g.done());
    if (timed_out(g)) {
      ++expired;
    } else {
      seen.insert(g.result());
    }
  }
  while (!q.empty()) seen.insert(q.get_nowait());
  CHECK(expired > 0);
  CHECK(seen.size() == 300);
  std::set<int> unique(seen.begin(), seen.end());
  CHECK(unique.size() == 300);  // each item exactly once
}

// Putters with random timeouts race gets: every put that did not time out
// must come out of the queue exactly once, and no timed-out one ever does.
TEST_CASE("timeouts racing gets queue no timed-out put and lose no other", "[queues][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Queue<int> q(2);
  std::vector<std::pair<int, Future<void>>> putters;
  std::multiset<int> got;
  std::uint64_t rng = 7;
  run_in_loop(loop, [&] {
    for (int item = 0; item < 500; ++item) {
      auto at = std::chrono::milliseconds(next_random(rng, 100));
      auto timeout = std::chrono::milliseconds(next_random(rng, 30));
      loop.call_later(at, [&, item, timeout] { putters.emplace_back(item, q.put(item, timeout)); });
    }
    for (int i = 0; i < 300; ++i) {
      loop.call_later(std::chrono::milliseconds(next_random(rng, 130)), [&] {
        if (!q.empty()) got.insert(q.get_nowait());
      });
    }
  });
  while (!q.empty()) got.insert(q.get_nowait());
  std::multiset<int> accepted;
  for (auto& [item, f] : putters) {
    REQUIRE(f.done());
    if (!timed_out(f)) accepted.insert(item);
  }
  CHECK(accepted.size() < 500);  // some did time out
  CHECK(got == accepted);
}

// ---- task_done and join -------------------------------------------------------------

TEST_CASE("join() waits until every item put was marked task_done()", "[queues][join]") {
  eddy::IOLoop loop;
  eddy::Queue<int> q;
  Future<void> joined;
  run_in_loop(loop, [&] {
    CHECK(q.join().done());
    q.put_nowait(1);
    q.put_nowait(2);
    joined = q.join();
    q.get_nowait();
    q.task_done();
    CHECK_FALSE(joined.done());
    q.get_nowait();
    q.task_done();
    CHECK(joined.done());
    CHECK_THROWS_WITH(q.task_done(), "eddy: Queue::task_done called more times than items were put");
  }, 1ms);
  joined.result();
}

TEST_CASE("join() with a delay or a deadline fails with TimeoutError", "[queues][join][timeout]") {
  eddy::IOLoop loop(virtual_time());
  eddy::Queue<int> q;
  Future<void> by_delay, by_deadline;
  run_in_loop(loop, [&] {
    q.put_nowait(1);
    by_delay = q.join(5ms);
    by_deadline = q.join(loop.time() + 5ms);
  });
  CHECK_THROWS_WITH(by_delay.result(), "eddy: Queue::join timed out");
  CHECK(timed_out(by_deadline));
}

TEST_CASE("an item handed straight to a getter still counts for join()", "[queues][join]") {
  eddy::IOLoop loop;
  eddy::Queue<int> q;
  Future<void> joined;
  run_in_loop(loop, [&] {
    Future<int> g = q.get();
    q.put_nowait(1);
    joined = q.join();
    CHECK_FALSE(joined.done());
    q.task_done();
    CHECK(joined.done());
  }, 1ms);
}

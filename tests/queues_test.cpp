// Queue, PriorityQueue and LifoQueue: order, waiting puts and gets handed
// over through the loop, timeouts racing puts and gets without losing an
// item, task_done/join, move-only items, teardown with waiters, and the cost
// of the path that need not wait. Built as C++17 and C++20; the coroutine
// tests need C++20.
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

// ---- move-only items, reentrancy, teardown, cost -------------------------------------

TEST_CASE("move-only items go through put and get_nowait, and through a waiting put", "[queues][move_only]") {
  eddy::IOLoop loop;
  eddy::Queue<std::unique_ptr<int>> q(1);
  eddy::LifoQueue<std::unique_ptr<int>> lifo;
  eddy::PriorityQueue<std::unique_ptr<int>, std::function<bool(const std::unique_ptr<int>&, const std::unique_ptr<int>&)>>
      by_value(0, [](const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) { return *a < *b; });
  run_in_loop(loop, [&] {
    CHECK(q.put(std::make_unique<int>(1)).done());
    Future<void> waiting = q.put(std::make_unique<int>(2));
    CHECK(*q.get_nowait() == 1);
    CHECK(waiting.done());
    CHECK(*q.get_nowait() == 2);
    lifo.put_nowait(std::make_unique<int>(3));
    CHECK(*lifo.get_nowait() == 3);
    by_value.put_nowait(std::make_unique<int>(9));
    by_value.put_nowait(std::make_unique<int>(4));
    CHECK(*by_value.get_nowait() == 4);
  }, 1ms);
}

TEST_CASE("a move-only item reaches a waiting get() through its future", "[queues][move_only]") {
  eddy::IOLoop loop;
  eddy::Queue<std::unique_ptr<int>> q;
  Future<std::unique_ptr<int>> waiting;
  run_in_loop(loop, [&] {
    waiting = q.get();
    q.put_nowait(std::make_unique<int>(42));
    Future<std::unique_ptr<int>> ready = q.put(std::make_unique<int>(7)).done() ? q.get() : waiting;
    CHECK(*ready.result() == 7);
  }, 1ms);
  std::unique_ptr<int> item = waiting.result();
  REQUIRE(item != nullptr);
  CHECK(*item == 42);
}

TEST_CASE("a getter that puts back inside its own wake-up feeds the next getter", "[queues][reentrancy]") {
  eddy::IOLoop loop;
  eddy::Queue<int> q;
  std::vector<int> seen;
  run_in_loop(loop, [&] {
    for (int i = 0; i < 5; ++i) {
      q.get().add_done_callback([&](Future<int> f) {
        int v = f.result();
        seen.push_back(v);
        q.put_nowait(v + 1);  // inside its own wake-up
      });
    }
    q.put_nowait(0);
  }, 10ms);
  CHECK(seen == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(q.get_nowait() == 5);
}

TEST_CASE("a queue destroyed with waiters fails its gets, puts and joins with AbandonedError",
          "[queues][teardown]") {
  eddy::IOLoop loop;
  ExceptionLog errors(loop);
  std::vector<std::string> messages;
  auto record = [&messages](auto f) {
    try {
      f.result();
      messages.push_back("resolved");
    } catch (const eddy::AbandonedError& e) {
      messages.push_back(e.what());
    }
  };
  run_in_loop(loop, [&] {
    auto empty = std::make_unique<eddy::Queue<std::string>>();
    empty->get().add_done_callback(record);
    empty->get(1h).add_done_callback(record);
    auto full = std::make_unique<eddy::PriorityQueue<std::string>>(1);
    full->put_nowait("queued item");
    full->put("waiting item").add_done_callback(record);
    full->join(1h).add_done_callback(record);
    empty.reset();
    full.reset();
    CHECK(messages.empty());
  }, 10ms);
  CHECK(messages == std::vector<std::string>{"eddy: Queue destroyed while a get() was pending",
                                             "eddy: Queue destroyed while a get() was pending",
                                             "eddy: Queue destroyed while a put() was pending",
                                             "eddy: Queue destroyed while a join() was pending"});
  CHECK(errors.messages.empty());
}

TEST_CASE("put and get with nobody waiting allocate nothing and need no loop iteration", "[queues][alloc]") {
  eddy::IOLoop loop;
  eddy::Queue<int> q(4);
  eddy::PriorityQueue<int> pq(4);
  eddy::LifoQueue<int> lq(4);
  run_in_loop(loop, [&] {
    auto cycle = [&](int i) {
      CHECK(q.put(i).done());
      CHECK(q.put(i + 1, 1s).done());
      CHECK(q.get().result() == i);
      CHECK(q.get(1s).result() == i + 1);
      pq.put_nowait(i);
      CHECK(pq.get().result() == i);
      lq.put_nowait(i);
      CHECK(lq.get_nowait() == i);
    };
    for (int warm = 0; warm < 3; ++warm) cycle(warm);
    AllocationProbe probe;
    for (int i = 0; i < 1000; ++i) cycle(i);
    // Five ready futures per cycle, whose states are recycled unless the
    // cache is off (AddressSanitizer).
    CHECK_ALLOCATIONS(probe, eddy::detail::block_cache_enabled ? 0u : 5000u);
  }, 1ms);
}

TEST_CASE("a stream of gets that all time out keeps the waiter list short", "[queues][timeout]") {
  // detail::WaiterList drops expired waiters as new ones arrive.
  eddy::IOLoop loop;
  eddy::detail::WaiterList<eddy::detail::Waiter<int>> list;
  run_in_loop(loop, [&] {
    Future<int> live = eddy::detail::wait_forever(list);
    for (int i = 0; i < 10000; ++i) {
      Future<int> f = eddy::detail::wait_forever(list);
      f.set_exception(std::make_exception_ptr(eddy::TimeoutError("expired")));
      (void)f.exception();
    }
    CHECK(list.size() <= 16);
    CHECK(list.front_live() != nullptr);
    list.pop_front();
    CHECK(list.front_live() == nullptr);
  }, 1ms);
}

// ---- coroutines (C++20) --------------------------------------------------------------

#if defined(__cpp_impl_coroutine)

namespace {

Future<void> produce(eddy::Queue<int>& q, int n, std::vector<std::string>& log) {
  for (int i = 0; i < n; ++i) {
    co_await q.put(i);
    log.push_back("put " + std::to_string(i));
  }
}

Future<int> consume(eddy::Queue<int>& q, int n, std::vector<std::string>& log) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    int v = co_await q.get();
    log.push_back("got " + std::to_string(v));
    sum += v;
    q.task_done();
    co_await eddy::sleep(1ms);
  }
  co_return sum;
}

// Takes items until it gets a negative one.
Future<int> sum_boxes(eddy::Queue<std::unique_ptr<int>>& q, int n) {
  int sum = 0;
  for (int i = 0; i < n; ++i) sum += *co_await q.get();
  co_return sum;
}

// The README's worker: loops forever, never told to stop.
Future<void> endless_worker(eddy::Queue<int>& q, int& done) {
  for (;;) {
    int v = co_await q.get();
    co_await eddy::sleep(std::chrono::microseconds(v % 3));
    ++done;
    q.task_done();
  }
}

Future<void> drain(eddy::Queue<int>& q) {
  for (;;) {
    int v = co_await q.get();
    q.task_done();
    if (v < 0) co_return;
    co_await eddy::sleep(std::chrono::microseconds(v % 3));
  }
}

}  // namespace

TEST_CASE("a producer on a bounded queue runs at the consumer's pace", "[queues][coroutine]") {
  eddy::IOLoop loop;
  eddy::Queue<int> q(2);
  std::vector<std::string> log;
  auto [unit, sum] = loop.run_sync([&] {
    Future<void> producer = produce(q, 6, log);  // first: it fills the queue before the consumer starts
    Future<int> consumer = consume(q, 6, log);
    return eddy::gather(producer, consumer);
  });
  (void)unit;
  CHECK(sum == 15);
  // Two puts fit; after that each put waits for a get.
  CHECK(log == std::vector<std::string>{"put 0", "put 1", "got 0", "put 2", "got 1", "put 3", "got 2", "put 4",
                                        "got 3", "put 5", "got 4", "got 5"});
}

TEST_CASE("move-only items flow between coroutines", "[queues][move_only][coroutine]") {
  eddy::IOLoop loop;
  eddy::Queue<std::unique_ptr<int>> q(1);
  int sum = loop.run_sync([&]() -> Future<int> {
    Future<int> consumer = sum_boxes(q, 10);
    for (int i = 1; i <= 10; ++i) co_await q.put(std::make_unique<int>(i));
    co_return co_await consumer;
  });
  CHECK(sum == 55);
}

TEST_CASE("join() finishes once workers have processed everything", "[queues][join][coroutine]") {
  eddy::IOLoop loop;
  eddy::Queue<int> q;
  loop.run_sync([&]() -> Future<void> {
    for (int i = 0; i < 100; ++i) q.put_nowait(i);
    for (int w = 0; w < 4; ++w) q.put_nowait(-1);
    std::vector<Future<void>> workers;
    for (int w = 0; w < 4; ++w) workers.push_back(drain(q));
    co_await q.join(10s);
    CHECK(q.empty());
    co_await eddy::multi(std::move(workers));
  });
}

TEST_CASE("workers left waiting on a queue destroyed after join() end quietly", "[queues][join][coroutine]") {
  // Tornado's idiom: start workers that loop forever, join() the queue, let
  // the program end. The workers' gets are abandoned with the queue; that is
  // nobody's error, so nothing reaches the exception handler.
  eddy::IOLoop loop;
  eddy_test::ExceptionLog reported(loop);
  int done = 0;
  std::vector<Future<void>> workers;
  {
    eddy::Queue<int> q;
    loop.run_sync([&]() -> Future<void> {
      for (int i = 0; i < 50; ++i) q.put_nowait(i);
      for (int w = 0; w < 10; ++w) workers.push_back(endless_worker(q, done));
      co_await q.join(10s);
    });
  }
  loop.run_sync([] { return eddy::sleep(std::chrono::milliseconds(5)); });
  CHECK(done == 50);
  for (Future<void>& w : workers) REQUIRE(w.done());
  workers.clear();  // dropped unobserved: still nothing reported
  loop.run_sync([] { return eddy::sleep(std::chrono::milliseconds(1)); });
  CHECK(reported.messages.empty());
}

#endif

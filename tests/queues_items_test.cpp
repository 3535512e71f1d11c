// Queues and what they carry: move-only items, a getter that puts back from
// its own wake-up, teardown with waiters, the cost of the path that need not
// wait, and coroutines producing and consuming. Built as C++17 and C++20;
// the coroutine tests need C++20. (Order, waiting, timeouts and join:
// queues_test.cpp.)
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

// The README's worker: loops forever, never told to stop.
Future<void> endless_worker(eddy::Queue<int>& q, int& done) {
  for (;;) {
    int v = co_await q.get();
    co_await eddy::sleep(std::chrono::microseconds(v % 3));
    ++done;
    q.task_done();
  }
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

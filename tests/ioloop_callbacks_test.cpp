// add_callback: ordering, iteration boundaries, starvation, threads.
#include <eddy/ioloop.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;

TEST_CASE("callbacks run in FIFO order", "[callbacks]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(backend);
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) loop.add_callback([&order, i] { order.push_back(i); });
  loop.add_callback([&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("a callback added by a callback runs in a later iteration", "[callbacks]") {
  eddy::IOLoop loop;
  std::vector<std::string> order;
  std::uint64_t first_iteration = 0, nested_iteration = 0;
  loop.add_callback([&] {
    first_iteration = loop.stats().iterations;
    order.push_back("a");
    loop.add_callback([&] {
      nested_iteration = loop.stats().iterations;
      order.push_back("nested");
      loop.stop();
    });
  });
  loop.add_callback([&] { order.push_back("b"); });
  run_with_limit(loop);
  CHECK(order == std::vector<std::string>{"a", "b", "nested"});
  CHECK(nested_iteration > first_iteration);
}

TEST_CASE("callbacks run before the timeouts collected in the same iteration", "[callbacks]") {
  eddy::IOLoop loop;
  std::vector<std::string> order;
  loop.add_timeout(loop.time() - 1s, [&] { order.push_back("timeout"); });
  loop.add_callback([&] { order.push_back("callback"); });
  loop.add_timeout(loop.time() - 1s, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(order == std::vector<std::string>{"callback", "timeout"});
}

TEST_CASE("a callback that re-adds itself forever cannot starve timers or I/O", "[callbacks][reentrancy]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(backend);
  SocketPair pair;
  pair.send(1, "x");
  bool io_seen = false, timer_seen = false;
  std::function<void()> spin = [&] {
    if (!(io_seen && timer_seen)) loop.add_callback(spin);
    else loop.stop();
  };
  loop.add_handler(pair.left(), [&](int, std::uint32_t) { io_seen = true; loop.remove_handler(pair.left()); },
                   eddy::IOLoop::READ);
  loop.call_later(1ms, [&] { timer_seen = true; });
  loop.add_callback(spin);
  run_with_limit(loop);
  CHECK(io_seen);
  CHECK(timer_seen);
}

TEST_CASE("add_callback from many threads wakes the loop and loses nothing", "[callbacks][threads]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(backend);
  constexpr int threads = 8, per_thread = 2000;
  std::atomic<int> ready{0};
  int received = 0;
  std::vector<std::thread> workers;
  // The loop is idle (no timers, no callbacks) so it blocks in the poller:
  // only add_callback's wake-up can get the work in.
  loop.add_callback([&] {
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        ready.fetch_add(1);
        for (int i = 0; i < per_thread; ++i) {
          loop.add_callback([&] {
            if (++received == threads * per_thread) loop.stop();
          });
        }
      });
    }
  });
  run_with_limit(loop);
  for (auto& w : workers) w.join();
  CHECK(received == threads * per_thread);
}

TEST_CASE("callbacks from one foreign thread keep their order", "[callbacks][threads]") {
  eddy::IOLoop loop;
  std::vector<int> order;
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) loop.add_callback([&order, i] { order.push_back(i); });
    loop.add_callback([&] { loop.stop(); });
  });
  run_with_limit(loop);
  producer.join();
  REQUIRE(order.size() == 1000);
  for (int i = 0; i < 1000; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("steady-state add_callback of a small lambda allocates nothing", "[callbacks][alloc]") {
  eddy::IOLoop loop;
  int count = 0;
  int* p = &count;
  // Warm up the queues' storage (the remote queue trades its vector with the
  // running one, so each of the three grows once), then count a third,
  // identical round.
  for (int round = 0; round < 3; ++round) {
    eddy_test::AllocationProbe probe;
    for (int i = 0; i < 1000; ++i) loop.add_callback([p, q = p, r = p] { ++*p; (void)q; (void)r; });
    loop.add_callback([&] { loop.stop(); });
    loop.start();
    if (round == 2) CHECK_ALLOCATIONS(probe, 0u);
  }
  CHECK(count == 3000);
}

TEST_CASE("an exception escaping a callback goes to the exception handler and the loop goes on",
          "[callbacks][errors]") {
  eddy::IOLoop loop;
  eddy_test::ExceptionLog errors_log(loop);
  auto& errors = errors_log.messages;
  bool after = false;
  loop.add_callback([] { throw std::runtime_error("boom"); });
  loop.add_callback([&] { after = true; });
  loop.add_timeout(loop.time(), [] { throw std::runtime_error("timeout boom"); });
  loop.call_later(5ms, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(after);
  CHECK(errors == std::vector<std::string>{"boom", "timeout boom"});
}

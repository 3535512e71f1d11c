// add_timeout / call_at / call_later / remove_timeout.
#include <eddy/ioloop.hpp>

#include <vector>

#include "support/alloc_counter.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;

TEST_CASE("equal deadlines fire in insertion order", "[timeouts]") {
  eddy::IOLoop loop;
  std::vector<int> order;
  auto when = loop.time() + 2ms;
  for (int i = 0; i < 20; ++i) loop.add_timeout(when, [&order, i] { order.push_back(i); });
  loop.add_timeout(when, [&] { loop.stop(); });
  run_with_limit(loop);
  REQUIRE(order.size() == 20);
  for (int i = 0; i < 20; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("timeouts fire in deadline order whatever order they were added in", "[timeouts]") {
  eddy::IOLoop loop;
  std::vector<int> order;
  auto now = loop.time();
  loop.add_timeout(now + 30ms, [&] { order.push_back(3); loop.stop(); });
  loop.add_timeout(now + 10ms, [&] { order.push_back(1); });
  loop.add_timeout(now + 20ms, [&] { order.push_back(2); });
  run_with_limit(loop);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("timeouts never fire early", "[timeouts]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(backend);
  std::vector<eddy::Clock::duration> lateness;
  auto start = loop.time();
  for (std::chrono::microseconds delay : {0us, 300us, 1000us, 2500us, 10000us, 25000us}) {
    auto deadline = start + delay;
    loop.add_timeout(deadline, [&, deadline] { lateness.push_back(eddy::Clock::now() - deadline); });
  }
  loop.add_timeout(start + 30ms, [&] { loop.stop(); });
  run_with_limit(loop);
  REQUIRE(lateness.size() == 6);
  for (auto late : lateness) CHECK(late >= 0ns);
}

TEST_CASE("a timeout removed by an earlier timeout of the same iteration does not run",
          "[timeouts][reentrancy]") {
  eddy::IOLoop loop;
  bool second_ran = false;
  auto when = loop.time() - 1ms;  // both due in the first iteration
  eddy::Timeout second;
  loop.add_timeout(when, [&] { loop.remove_timeout(second); });
  second = loop.add_timeout(when, [&] { second_ran = true; });
  loop.call_later(5ms, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK_FALSE(second_ran);
}

TEST_CASE("a due timeout removed by a callback of the same iteration does not run", "[timeouts][reentrancy]") {
  eddy::IOLoop loop;
  bool ran = false;
  eddy::Timeout t = loop.add_timeout(loop.time() - 1ms, [&] { ran = true; });
  loop.add_callback([&] { loop.remove_timeout(t); });
  loop.call_later(5ms, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK_FALSE(ran);
}

TEST_CASE("a timeout added during an iteration runs in a later one even if already due", "[timeouts]") {
  eddy::IOLoop loop;
  std::uint64_t outer = 0, inner = 0;
  loop.add_timeout(loop.time(), [&] {
    outer = loop.stats().iterations;
    loop.add_timeout(loop.time() - 1s, [&] {
      inner = loop.stats().iterations;
      loop.stop();
    });
  });
  run_with_limit(loop);
  CHECK(inner > outer);
}

TEST_CASE("cancelling a timeout from inside its own callback is a no-op", "[timeouts][reentrancy]") {
  eddy::IOLoop loop;
  eddy::Timeout self;
  int runs = 0;
  self = loop.call_later(1ms, [&] {
    ++runs;
    loop.remove_timeout(self);
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(runs == 1);
}

TEST_CASE("remove_timeout is a no-op for fired, removed, empty and foreign handles", "[timeouts]") {
  eddy::IOLoop loop, other;
  bool ran = false;
  eddy::Timeout fired = loop.call_later(0ms, [] {});
  eddy::Timeout keep = loop.call_later(2ms, [&] { ran = true; loop.stop(); });
  eddy::Timeout foreign = other.call_later(0ms, [] {});
  loop.add_callback([&] {
    loop.remove_timeout(eddy::Timeout());
    loop.remove_timeout(foreign);  // must not cancel `keep` even if the slot matches
  });
  run_with_limit(loop);
  loop.remove_timeout(fired);
  loop.remove_timeout(fired);
  CHECK(ran);
  CHECK(!eddy::Timeout());
  CHECK(static_cast<bool>(keep));
}

TEST_CASE("call_later(d) fires no earlier than d after the call", "[timeouts]") {
  eddy::IOLoop loop;
  auto before = loop.time();
  eddy::Clock::time_point fired_at;
  loop.call_later(20ms, [&] { fired_at = loop.time(); loop.stop(); });
  run_with_limit(loop);
  CHECK(fired_at - before >= 20ms);
  CHECK(fired_at - before < 5s);
}

TEST_CASE("huge and negative delays neither overflow nor throw", "[timeouts]") {
  eddy::IOLoop loop;
  bool negative_ran = false;
  eddy::Timeout never = loop.call_later(std::chrono::hours::max(), [] { FAIL("fired"); });
  loop.add_timeout(std::chrono::duration<double>(1e300), [] { FAIL("fired"); });
  loop.call_later(-5s, [&] { negative_ran = true; loop.stop(); });
  run_with_limit(loop);
  CHECK(negative_ran);
  CHECK(loop.stats().timeouts_pending == 2);
  loop.remove_timeout(never);
}

TEST_CASE("20,000 add/remove pairs on the loop leave nothing behind", "[timeouts]") {
  eddy::IOLoop loop;
  for (int i = 0; i < 20000; ++i) loop.remove_timeout(loop.call_later(std::chrono::seconds(i + 1), [] {}));
  CHECK(loop.stats().timeouts_pending == 0);
  CHECK(loop.stats().timeouts_cancelled == 20000);
}

TEST_CASE("steady-state timeouts with small lambdas allocate nothing", "[timeouts][alloc]") {
  eddy::IOLoop loop;
  int count = 0;
  for (int round = 0; round < 2; ++round) {
    eddy_test::AllocationProbe probe;
    auto now = loop.time();
    for (int i = 0; i < 1000; ++i) loop.call_at(now + std::chrono::microseconds(i % 50), [p = &count] { ++*p; });
    loop.call_at(now + 100us, [&] { loop.stop(); });
    loop.start();
    if (round == 1) CHECK_ALLOCATIONS(probe, 0u);
  }
  CHECK(count == 2000);
}

TEST_CASE("destroying a timeout's captures may re-enter the loop", "[timeouts][reentrancy]") {
  eddy::IOLoop loop;
  struct Reenter {
    eddy::IOLoop* loop;
    ~Reenter() {
      if (loop) loop->call_later(1s, [] {});
    }
    Reenter(eddy::IOLoop* l) : loop(l) {}
    Reenter(Reenter&& o) noexcept : loop(o.loop) { o.loop = nullptr; }
  };
  eddy::Timeout t = loop.call_later(1s, [r = Reenter(&loop)] { (void)r; });
  loop.remove_timeout(t);
  CHECK(loop.stats().timeouts_pending == 1);
}

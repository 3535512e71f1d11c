// start/stop, current(), exception handling, destruction.
#include <eddy/ioloop.hpp>

#include <thread>

#include "support/loop_helpers.hpp"

using namespace eddy_test;

TEST_CASE("starting a running loop throws std::logic_error", "[lifecycle]") {
  eddy::IOLoop loop;
  bool threw = false;
  loop.add_callback([&] {
    try {
      loop.start();
    } catch (const std::logic_error&) {
      threw = true;
    }
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(threw);
}

TEST_CASE("stop() before start() makes the next start() return at once", "[lifecycle]") {
  eddy::IOLoop loop;
  bool ran = false;
  loop.add_callback([&] { ran = true; });
  loop.stop();
  loop.start();
  CHECK_FALSE(ran);
  // ...and only that one start(): the callback runs on the next.
  loop.add_callback([&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(ran);
}

TEST_CASE("stop() inside a callback lets the noted work finish, nothing after it", "[lifecycle][reentrancy]") {
  eddy::IOLoop loop;
  std::vector<std::string> order;
  loop.add_callback([&] {
    order.push_back("first");
    loop.stop();
    loop.add_callback([&] { order.push_back("next iteration"); });
  });
  loop.add_callback([&] { order.push_back("already noted"); });
  loop.add_timeout(loop.time() - 1ms, [&] { order.push_back("due timeout"); });
  loop.start();
  CHECK(order == std::vector<std::string>{"first", "already noted", "due timeout"});
  // What was left runs on the next start().
  loop.add_callback([&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(order.back() == "next iteration");
}

TEST_CASE("stop() from another thread wakes and ends a sleeping loop", "[lifecycle][threads]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(backend);
  std::thread stopper;
  loop.add_callback([&] {
    stopper = std::thread([&] {
      std::this_thread::sleep_for(20ms);
      loop.stop();
    });
  });
  run_with_limit(loop);
  stopper.join();
  CHECK_FALSE(loop.running());
}

TEST_CASE("current() is the running loop inside it and the thread's default outside", "[lifecycle]") {
  eddy::IOLoop::clear_current();
  eddy::IOLoop& before = eddy::IOLoop::current();
  CHECK(&before == &eddy::IOLoop::current());
  eddy::IOLoop loop;
  // The first loop built while none is current becomes current (Tornado 4.5).
  CHECK(&eddy::IOLoop::current() == &loop);
  eddy::IOLoop::clear_current();
  eddy::IOLoop* inside = nullptr;
  loop.add_callback([&] {
    inside = &eddy::IOLoop::current();
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(inside == &loop);
  CHECK(&eddy::IOLoop::current() == &before);
  loop.make_current();
  CHECK(&eddy::IOLoop::current() == &loop);
  eddy::IOLoop::clear_current();
  CHECK(&eddy::IOLoop::current() == &before);
  eddy::IOLoop* other_thread = nullptr;
  std::thread([&] { other_thread = &eddy::IOLoop::current(); }).join();
  CHECK(other_thread != &before);
}

TEST_CASE("a different loop may run inside a callback and current() follows it", "[lifecycle][reentrancy]") {
  eddy::IOLoop outer, inner;
  eddy::IOLoop* seen_inner = nullptr;
  eddy::IOLoop* seen_after = nullptr;
  outer.add_callback([&] {
    inner.add_callback([&] {
      seen_inner = &eddy::IOLoop::current();
      inner.stop();
    });
    inner.start();
    seen_after = &eddy::IOLoop::current();
    outer.stop();
  });
  run_with_limit(outer);
  CHECK(seen_inner == &inner);
  CHECK(seen_after == &outer);
}

TEST_CASE("the default exception handler writes one line and the loop goes on", "[lifecycle][errors]") {
  eddy::IOLoop loop;
  bool after = false;
  loop.add_callback([] { throw 42; });  // not a std::exception
  loop.add_callback([] { throw std::runtime_error("visible on stderr"); });
  loop.add_callback([&] { after = true; loop.stop(); });
  run_with_limit(loop);
  CHECK(after);
}

TEST_CASE("an exception handler that throws is itself reported, not fatal", "[lifecycle][errors]") {
  eddy::IOLoop loop;
  loop.set_exception_handler([](std::exception_ptr) { throw std::runtime_error("handler broke"); });
  loop.add_callback([] { throw std::runtime_error("boom"); });
  loop.add_callback([&] { loop.stop(); });
  run_with_limit(loop);
  SUCCEED();
}

TEST_CASE("destroying a loop destroys pending callbacks, timeouts and handlers unrun", "[lifecycle]") {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weak = token;
  SocketPair pair;
  {
    eddy::IOLoop loop;
    loop.add_callback([token] { FAIL("ran"); });
    loop.call_later(1h, [token] { FAIL("ran"); });
    loop.add_handler(pair.left(), [token](int, std::uint32_t) { FAIL("ran"); }, eddy::IOLoop::READ);
    token.reset();
    CHECK_FALSE(weak.expired());
  }
  CHECK(weak.expired());
}

TEST_CASE("every backend can be chosen explicitly and reports its name", "[lifecycle]") {
  auto backend = GENERATE(from_range(backends()));
  eddy::IOLoop loop(backend);
  CHECK(loop.backend() == backend);
  CHECK(eddy::IOLoop().backend() != eddy::Backend::automatic);
  if (!eddy::backend_available(eddy::Backend::kqueue)) {
    CHECK_THROWS_WITH(eddy::IOLoop(eddy::Backend::kqueue), Catch::Contains("kqueue"));
  }
}

TEST_CASE("stats count iterations, callbacks, timeouts and handlers", "[lifecycle]") {
  eddy::IOLoop loop;
  SocketPair pair;
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t) { char c; ::read(fd, &c, 1); }, eddy::IOLoop::READ);
  pair.send(1, "x");
  loop.add_callback([] {});
  loop.call_later(1ms, [] {});
  loop.remove_timeout(loop.call_later(1ms, [] {}));
  loop.call_later(10ms, [&] { loop.stop(); });
  run_with_limit(loop);
  auto s = loop.stats();
  CHECK(s.iterations >= 2);
  CHECK(s.callbacks_run == 1);
  CHECK(s.timeouts_fired == 2);
  CHECK(s.timeouts_cancelled == 2);  // one by hand, one the run_with_limit guard
  CHECK(s.handler_calls >= 1);
  CHECK(s.handlers_registered == 1);
  CHECK(s.timeouts_pending == 0);
  CHECK(s.poll_time > 0ns);
  CHECK(s.utilisation() >= 0.0);
  CHECK(s.utilisation() <= 1.0);
  loop.remove_handler(pair.left());
}

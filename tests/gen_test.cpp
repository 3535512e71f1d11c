// task(), sleep(), with_timeout(), multi(), gather().
#include <eddy/gen.hpp>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;
using eddy::Future;

namespace {
// A callback-style asynchronous function: calls back after `delay`.
void async_double(int x, std::chrono::milliseconds delay, std::function<void(int)> callback) {
  eddy::IOLoop::current().call_later(delay, [callback, x] { callback(2 * x); });
}
}  // namespace

TEST_CASE("task() resolves with what fn passes to its callback", "[gen][task]") {
  eddy::IOLoop loop;
  CHECK(loop.run_sync([] { return eddy::task<int>(async_double, 21, 1ms); }) == 42);
  // A template callback parameter works too.
  auto generic = [](const std::string& s, auto callback) { callback(s + "!"); };
  CHECK(loop.run_sync([&] { return eddy::task<std::string>(generic, std::string("hi")); }) == "hi!");
  auto void_style = [](auto callback) { eddy::IOLoop::current().call_later(1ms, callback); };
  loop.run_sync([&] { return eddy::task(void_style); });
}

TEST_CASE("task() calls fn at once, and ignores later calls of the callback", "[gen][task]") {
  eddy::IOLoop loop;
  bool called = false;
  auto twice = [&](std::function<void(int)> callback) {
    called = true;
    callback(1);
    callback(2);
  };
  int v = loop.run_sync([&] {
    auto f = eddy::task<int>(twice);
    CHECK(called);  // before any loop iteration
    return f;
  });
  CHECK(v == 1);
}

TEST_CASE("task() fails the future when fn throws", "[gen][task][errors]") {
  eddy::IOLoop loop;
  auto broken = [](std::function<void(int)>) { throw std::runtime_error("fn threw"); };
  CHECK_THROWS_WITH(loop.run_sync([&] { return eddy::task<int>(broken); }), "fn threw");
}

TEST_CASE("task() over a blocking function does not make it asynchronous", "[gen][task]") {
  eddy::IOLoop loop;
  std::vector<std::string> log;
  auto blocking = [&](std::function<void()> callback) {
    log.push_back("sleeping");
    std::this_thread::sleep_for(50ms);
    log.push_back("awake!");
    callback();
  };
  loop.run_sync([&] { return eddy::multi(std::vector<Future<void>>{eddy::task(blocking), eddy::task(blocking)}); });
  CHECK(log == std::vector<std::string>{"sleeping", "awake!", "sleeping", "awake!"});
}

TEST_CASE("sleep() resolves after its delay, never before", "[gen][sleep]") {
  eddy::IOLoop loop;
  auto start = eddy::Clock::now();
  loop.run_sync([] { return eddy::sleep(30ms); });
  CHECK(eddy::Clock::now() - start >= 30ms);
}

TEST_CASE("with_timeout passes the outcome through or fails with TimeoutError", "[gen][with_timeout]") {
  eddy::IOLoop loop;
  CHECK(loop.run_sync([] { return eddy::with_timeout(5s, eddy::task<int>(async_double, 2, 1ms)); }) == 4);
  CHECK_THROWS_AS(loop.run_sync([] { return eddy::with_timeout(10ms, eddy::task<int>(async_double, 2, 10s)); }),
                  eddy::TimeoutError);
  CHECK_THROWS_WITH(loop.run_sync([] {
    return eddy::with_timeout(5s, eddy::make_failed_future<int>(std::make_exception_ptr(std::runtime_error("inner"))));
  }), "inner");
  loop.run_sync([] { return eddy::with_timeout(5s, eddy::sleep(1ms)); });
  CHECK(loop.stats().timeouts_pending == 1);  // only the 10 s task's timer is left
}

TEST_CASE("multi() gathers values in order and fails with the first failure", "[gen][multi]") {
  eddy::IOLoop loop;
  auto values = loop.run_sync([] {
    return eddy::multi(std::vector<Future<int>>{eddy::task<int>(async_double, 1, 20ms),
                                                eddy::task<int>(async_double, 2, 1ms),
                                                eddy::make_ready_future(7)});
  });
  CHECK(values == std::vector<int>{2, 4, 7});
  CHECK(loop.run_sync([] { return eddy::multi(std::vector<Future<int>>{}); }).empty());
  CHECK_THROWS_WITH(loop.run_sync([] {
    Future<int> late;
    eddy::IOLoop::current().call_later(5ms, [late]() mutable { late.set_result(1); });
    return eddy::multi(std::vector<Future<int>>{late, eddy::make_failed_future<int>(
                                                          std::make_exception_ptr(std::runtime_error("first")))});
  }), "first");
  loop.run_sync([] { return eddy::multi(std::vector<Future<void>>{eddy::sleep(1ms), eddy::sleep(2ms)}); });
}

TEST_CASE("gather() combines futures of different types, monostate for void", "[gen][gather]") {
  eddy::IOLoop loop;
  auto t = loop.run_sync([] {
    return eddy::gather(eddy::task<int>(async_double, 5, 1ms), eddy::sleep(2ms),
                        eddy::make_ready_future(std::string("s")));
  });
  CHECK(std::get<0>(t) == 10);
  CHECK(std::get<1>(t) == std::monostate());
  CHECK(std::get<2>(t) == "s");
  CHECK_THROWS_WITH(loop.run_sync([] {
    return eddy::gather(eddy::sleep(1ms), eddy::make_failed_future<int>(std::make_exception_ptr(std::runtime_error("g"))));
  }), "g");
}

TEST_CASE("a later failure in multi() is retrieved quietly, as asyncio's gather does", "[gen][multi][errors]") {
  eddy::IOLoop loop;
  eddy_test::ExceptionLog reported_log(loop);
  auto& reported = reported_log.messages;
  auto fail_later = [](const char* what, std::chrono::milliseconds delay) {
    Future<int> f;
    eddy::IOLoop::current().call_later(delay, [f, what]() mutable {
      f.set_exception(std::make_exception_ptr(std::runtime_error(what)));
    });
    return f;
  };
  CHECK_THROWS_WITH(loop.run_sync([&] {
    return eddy::multi(std::vector<Future<int>>{fail_later("one", 1ms), fail_later("two", 5ms)});
  }), "one");
  loop.run_sync([] { return eddy::sleep(20ms); });  // let "two" fail and be dropped
  CHECK(reported.empty());
}

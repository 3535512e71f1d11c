// Future<T>: resolution, done-callbacks, errors, run_sync and add_future.
#include <eddy/future.hpp>

#include <string>
#include <thread>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;
using eddy::Future;

using Errors = eddy_test::ExceptionLog;

TEST_CASE("a new future is pending and refuses result() and exception()", "[future]") {
  Future<int> f;
  CHECK_FALSE(f.done());
  CHECK_THROWS_AS(f.result(), eddy::InvalidStateError);
  CHECK_THROWS_AS(f.exception(), std::logic_error);
}

TEST_CASE("set_result resolves once, and a second resolution throws InvalidStateError", "[future][errors]") {
  Future<std::string> f;
  f.set_result("value");
  CHECK(f.done());
  CHECK(f.result() == "value");
  CHECK(f.exception() == nullptr);
  CHECK_THROWS_AS(f.set_result("again"), eddy::InvalidStateError);
  CHECK_THROWS_AS(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))), eddy::InvalidStateError);
  CHECK(f.result() == "value");
}

TEST_CASE("a stored exception is rethrown by result() and returned by exception()", "[future][errors]") {
  Future<int> f;
  f.set_exception(std::make_exception_ptr(std::runtime_error("failed")));
  CHECK(f.done());
  CHECK_THROWS_WITH(f.result(), "failed");
  CHECK(f.exception() != nullptr);
  Future<void> v;
  CHECK_THROWS_AS(v.set_exception(nullptr), std::invalid_argument);
}

TEST_CASE("Future<void> resolves with nothing", "[future]") {
  Future<void> f;
  f.set_result();
  CHECK(f.done());
  f.result();
  CHECK_THROWS_AS(f.set_result(), eddy::InvalidStateError);
}

TEST_CASE("copies share one state", "[future]") {
  Future<int> a;
  Future<int> b = a;
  CHECK(a == b);
  CHECK(a != Future<int>());
  b.set_result(3);
  CHECK(a.done());
  CHECK(a.result() == 3);
}

TEST_CASE("done-callbacks never run inside set_result, but from the loop, in order", "[future]") {
  eddy::IOLoop loop;
  std::vector<std::string> order;
  loop.add_callback([&] {
    Future<int> f;
    f.add_done_callback([&](Future<int> done) { order.push_back("first " + std::to_string(done.result())); });
    f.add_done_callback([&](Future<int>) { order.push_back("second"); });
    f.set_result(7);
    order.push_back("after set_result");
    f.add_done_callback([&](Future<int>) {
      order.push_back("added when done");
      loop.stop();
    });
    order.push_back("after add_done_callback");
  });
  run_with_limit(loop);
  CHECK(order == std::vector<std::string>{"after set_result", "after add_done_callback", "first 7", "second",
                                          "added when done"});
}

TEST_CASE("resolving a future inside its own done-callback fails with InvalidStateError", "[future][reentrancy]") {
  eddy::IOLoop loop;
  Errors errors(loop);
  Future<int> f;
  f.add_done_callback([&](Future<int> done) {
    done.set_result(2);  // already done: throws, reported, loop goes on
  });
  f.add_done_callback([&](Future<int>) { loop.stop(); });
  loop.add_callback([&] { f.set_result(1); });
  run_with_limit(loop);
  REQUIRE(errors.messages.size() == 1);
  CHECK_THAT(errors.messages[0], Catch::Contains("already done"));
  CHECK(f.result() == 1);
}

TEST_CASE("a throwing done-callback does not keep the others from running", "[future][errors]") {
  eddy::IOLoop loop;
  Errors errors(loop);
  Future<void> f;
  bool second = false;
  f.add_done_callback([](Future<void>) { throw std::runtime_error("callback failed"); });
  f.add_done_callback([&](Future<void>) {
    second = true;
    loop.stop();
  });
  loop.add_callback([&] { f.set_result(); });
  run_with_limit(loop);
  CHECK(second);
  CHECK(errors.messages == std::vector<std::string>{"callback failed"});
}

TEST_CASE("a failed future nobody looked at is reported when it is destroyed", "[future][errors]") {
  eddy::IOLoop loop;
  Errors errors(loop);
  loop.add_callback([&] {
    {
      Future<int> ignored;
      ignored.set_exception(std::make_exception_ptr(std::runtime_error("nobody saw me")));
    }
    {
      Future<int> observed;
      observed.set_exception(std::make_exception_ptr(std::runtime_error("seen")));
      (void)observed.exception();
    }
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(errors.messages == std::vector<std::string>{"nobody saw me"});
}

TEST_CASE("a future reuses a freed state's memory, and a small done-callback allocates nothing", "[future][alloc]") {
  eddy::IOLoop loop;
  int fired = 0;
  // Warm the loop's queues and the thread's block cache first, then count a
  // second, identical round: its state reuses the first one's block. Under
  // AddressSanitizer the cache is off, so each state is one allocation.
  for (int round = 0; round < 2; ++round) {
    loop.add_callback([&] {
      eddy_test::AllocationProbe probe;
      Future<int> f;
      f.add_done_callback([p = &fired](Future<int> done) { *p += done.result(); });
      f.set_result(1);
      if (round == 1) CHECK_ALLOCATIONS(probe, eddy::detail::block_cache_enabled ? 0u : 1u);
      loop.add_callback([&] { loop.stop(); });
    });
    run_with_limit(loop);
  }
  CHECK(fired == 2);
}

TEST_CASE("run_sync returns the value, rethrows the exception, and accepts plain functions", "[future][run_sync]") {
  eddy::IOLoop loop;
  eddy::IOLoop* current_inside = nullptr;
  int v = loop.run_sync([&] {
    current_inside = &eddy::IOLoop::current();
    Future<int> f;
    loop.call_later(1ms, [f]() mutable { f.set_result(41); });
    return f;
  });
  CHECK(v == 41);
  CHECK(current_inside == &loop);
  CHECK_THROWS_WITH(loop.run_sync([]() -> Future<int> { throw std::runtime_error("func threw"); }), "func threw");
  CHECK_THROWS_WITH(loop.run_sync([] {
    Future<void> f;
    f.set_exception(std::make_exception_ptr(std::runtime_error("future failed")));
    return f;
  }), "future failed");
  CHECK(loop.run_sync([] { return 5; }) == 5);
  bool ran = false;
  loop.run_sync([&] { ran = true; });
  CHECK(ran);
}

TEST_CASE("run_sync throws TimeoutError when its timeout passes", "[future][run_sync]") {
  eddy::IOLoop loop;
  CHECK_THROWS_AS(loop.run_sync([] { return Future<int>(); }, std::chrono::milliseconds(20)), eddy::TimeoutError);
  CHECK_THROWS_AS(loop.run_sync([] { return Future<void>(); }, std::chrono::duration<double>(0.01)), std::runtime_error);
  // The loop is reusable afterwards.
  CHECK(loop.run_sync([] { return 1; }, 5s) == 1);
}

TEST_CASE("run_sync says so when the loop is stopped before the future resolves", "[future][run_sync]") {
  eddy::IOLoop loop;
  CHECK_THROWS_WITH(loop.run_sync([&] {
    loop.add_callback([&] { loop.stop(); });
    return Future<int>();
  }), Catch::Contains("stopped before the future resolved"));
}

TEST_CASE("add_future calls back on this loop once the future is done", "[future]") {
  eddy::IOLoop loop;
  int got = 0;
  Future<int> f;
  loop.add_future(f, [&](Future<int> done) {
    got = done.result();
    loop.stop();
  });
  loop.call_later(1ms, [f]() mutable { f.set_result(9); });
  run_with_limit(loop);
  CHECK(got == 9);
}

TEST_CASE("future states made on one thread may be dropped on another", "[future][alloc]") {
  // The executor's pattern: a handle crosses threads. The freed block joins
  // the dropping thread's cache, which is freed when that thread ends (the
  // leak checker and TSan see to the rest).
  std::vector<Future<int>> made(200);
  std::thread dropper([&made] {
    for (int round = 0; round < 3; ++round) {
      made.clear();
      for (int i = 0; i < 200; ++i) made.emplace_back();
    }
    made.clear();
  });
  dropper.join();
  Future<std::string> here;
  here.set_result("still fine");
  CHECK(here.result() == "still fine");
}

TEST_CASE("a done-callback added from inside a done-callback runs once, after it and never inside it",
          "[future][reentrancy]") {
  eddy::IOLoop loop;
  std::vector<std::string> order;
  Future<int> f;
  f.add_done_callback([&](Future<int> done) {
    order.push_back("first begins");
    done.add_done_callback([&](Future<int>) { order.push_back("added"); });
    order.push_back("first ends");
  });
  f.add_done_callback([&](Future<int>) { order.push_back("second"); });
  loop.add_callback([&] {
    f.set_result(7);  // on the running loop: the callbacks' job goes to it
    loop.add_callback([&] { loop.add_callback([&] { loop.add_callback([&] { loop.stop(); }); }); });
  });
  run_with_limit(loop);
  CHECK(order == std::vector<std::string>{"first begins", "first ends", "second", "added"});
}

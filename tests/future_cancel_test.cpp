// Future cancellation: cancel(), cancelled(), set_cancel_callback(), and the
// automatic cancellation by with_timeout and by a coroutine destroyed while
// it awaits.
#include <eddy/eddy.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;
using eddy::Future;
using Errors = eddy_test::ExceptionLog;

namespace {

// A producer that answers a cancellation with CancelledError, as the HTTP
// client does; counts the calls.
Future<int> cancellable(int* calls) {
  Future<int> f;
  f.set_cancel_callback([f, calls]() mutable {
    ++*calls;
    f.set_exception(std::make_exception_ptr(eddy::CancelledError("cancelled by its waiter")));
  });
  return f;
}

Future<int> await_one(Future<int> f) {
  int value = co_await f;
  co_return value;
}

Future<void> await_forever(Future<int> f, bool* resumed) {
  co_await f;
  *resumed = true;
}

}  // namespace

TEST_CASE("cancel() marks a pending future cancelled and runs the producer's callback once", "[future][cancel]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> f;
  f.set_cancel_callback([&] { ++calls; });
  CHECK_FALSE(f.cancelled());
  CHECK(f.cancel());
  CHECK(f.cancelled());
  CHECK(calls == 1);
  // Still pending (the producer chose not to resolve it): a second cancel
  // says so again but the callback has been used up.
  CHECK_FALSE(f.done());
  CHECK(f.cancel());
  CHECK(calls == 1);
}

TEST_CASE("cancel() on a done future returns false and runs nothing", "[future][cancel]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> f;
  f.set_cancel_callback([&] { ++calls; });
  f.set_result(1);
  CHECK_FALSE(f.cancel());
  CHECK_FALSE(f.cancelled());
  CHECK(calls == 0);
  CHECK(f.result() == 1);
}

TEST_CASE("a future whose producer sets no cancel callback stays pending and resolves as before", "[future][cancel]") {
  eddy::IOLoop loop;
  Future<std::string> f;
  CHECK(f.cancel());
  CHECK_FALSE(f.done());
  f.set_result("late");
  CHECK(f.cancelled());
  CHECK(f.result() == "late");
}

TEST_CASE("the producer may fail a cancelled future with CancelledError from its callback", "[future][cancel]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> f = cancellable(&calls);
  CHECK(f.cancel());
  CHECK(calls == 1);
  REQUIRE(f.done());
  CHECK_THROWS_AS(f.result(), eddy::CancelledError);
  CHECK(f.cancelled());
}

TEST_CASE("the exception of a cancelled future is never reported as never retrieved", "[future][cancel][errors]") {
  eddy::IOLoop loop;
  Errors log(loop);
  loop.add_callback([&] {
    int calls = 0;
    Future<int> cancelled = cancellable(&calls);
    cancelled.cancel();
    Future<int> failed_late;
    failed_late.cancel();
    failed_late.set_exception(std::make_exception_ptr(std::runtime_error("after the cancel")));
    // An ordinary failure is still reported, so the log does work.
    Future<int> plain;
    plain.set_exception(std::make_exception_ptr(std::runtime_error("plain failure")));
    loop.add_callback([&] { loop.stop(); });
  });
  run_with_limit(loop);
  CHECK(log.messages == std::vector<std::string>{"plain failure"});
}

TEST_CASE("a second cancel callback replaces the first", "[future][cancel]") {
  eddy::IOLoop loop;
  std::vector<std::string> ran;
  Future<void> f;
  f.set_cancel_callback([&] { ran.push_back("first"); });
  f.set_cancel_callback([&] { ran.push_back("second"); });
  f.cancel();
  CHECK(ran == std::vector<std::string>{"second"});
}

TEST_CASE("a cancel callback set on a cancelled pending future runs at once; on a done one, never",
          "[future][cancel]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> cancelled;
  cancelled.cancel();
  cancelled.set_cancel_callback([&] { ++calls; });
  CHECK(calls == 1);
  Future<int> done;
  done.set_result(2);
  done.set_cancel_callback([&] { ++calls; });
  done.cancel();
  CHECK(calls == 1);
}

TEST_CASE("the cancel callback is dropped when the future resolves", "[future][cancel][lifecycle]") {
  eddy::IOLoop loop;
  auto token = std::make_shared<int>(0);
  Future<int> f;
  f.set_cancel_callback([token] { ++*token; });
  CHECK(token.use_count() == 2);
  f.set_result(1);
  CHECK(token.use_count() == 1);
}

TEST_CASE("a cancel callback that throws is reported and cancel() still returns true", "[future][cancel][errors]") {
  eddy::IOLoop loop;
  Errors log(loop);
  loop.add_callback([&] {
    Future<int> f;
    f.set_cancel_callback([] { throw std::runtime_error("producer failed to cancel"); });
    CHECK(f.cancel());
    CHECK(f.cancelled());
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(log.messages == std::vector<std::string>{"producer failed to cancel"});
}

TEST_CASE("a future held only by its awaiting coroutine and its own cancel callback is freed by the cancellation",
          "[future][cancel][lifecycle]") {
  // Run under LeakSanitizer: the callback's handle to its own future is a
  // cycle that resolving (here, inside the cancellation) must break.
  bool resumed = false;
  bool ran = false;
  {
    eddy::IOLoop loop;
    loop.add_callback([&] {
      Future<int> f;
      f.set_cancel_callback([f, &ran]() mutable {
        ran = true;
        f.set_exception(std::make_exception_ptr(eddy::CancelledError("nobody waits")));
      });
      await_forever(f, &resumed);
      loop.stop();
    });
    run_with_limit(loop);
  }
  CHECK(ran);
  CHECK_FALSE(resumed);
}

TEST_CASE("waiter_count counts done-callbacks and suspended coroutines", "[future][cancel]") {
  eddy::IOLoop loop;
  loop.run_sync([]() -> Future<void> {
    Future<int> f;
    CHECK(f.waiter_count() == 0);
    f.add_done_callback([](Future<int>) {});
    CHECK(f.waiter_count() == 1);
    Future<int> awaiting = await_one(f);
    CHECK(f.waiter_count() == 2);
    f.set_result(4);
    int value = co_await awaiting;
    CHECK(value == 4);
    CHECK(f.waiter_count() == 0);
  });
}

TEST_CASE("with_timeout cancels the future it was the only waiter of", "[future][cancel][with_timeout]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> f = cancellable(&calls);
  CHECK_THROWS_AS(loop.run_sync([f] { return eddy::with_timeout(10ms, f); }), eddy::TimeoutError);
  CHECK(calls == 1);
  CHECK(f.cancelled());
  CHECK_THROWS_AS(f.result(), eddy::CancelledError);
}

TEST_CASE("with_timeout awaited by a coroutine cancels the future on the timeout", "[future][cancel][with_timeout]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> f = cancellable(&calls);
  std::string outcome = loop.run_sync([f]() -> Future<std::string> {
    try {
      Future<int> limited = eddy::with_timeout(10ms, f);
      co_await limited;
      co_return "resolved";
    } catch (const eddy::TimeoutError&) {
      co_return "timed out";
    }
  });
  CHECK(outcome == "timed out");
  CHECK(calls == 1);
}

TEST_CASE("with_timeout leaves a future that another callback waits for running", "[future][cancel][with_timeout]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> f = cancellable(&calls);
  int seen = 0;
  f.add_done_callback([&](Future<int> done) { seen = done.result(); });
  CHECK_THROWS_AS(loop.run_sync([f] { return eddy::with_timeout(10ms, f); }), eddy::TimeoutError);
  CHECK(calls == 0);
  CHECK_FALSE(f.cancelled());
  f.set_result(9);
  loop.run_sync([] { return eddy::sleep(1ms); });
  CHECK(seen == 9);
}

TEST_CASE("with_timeout leaves a future that a coroutine awaits running", "[future][cancel][with_timeout]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> f = cancellable(&calls);
  loop.run_sync([&]() -> Future<void> {
    Future<int> other = await_one(f);
    Future<int> limited = eddy::with_timeout(10ms, f);
    bool timed_out = false;
    try {
      co_await limited;
    } catch (const eddy::TimeoutError&) {
      timed_out = true;
    }
    CHECK(timed_out);
    CHECK(calls == 0);
    f.set_result(5);
    int value = co_await other;
    CHECK(value == 5);
  });
}

TEST_CASE("with_timeout does not cancel a future that resolves in time", "[future][cancel][with_timeout]") {
  eddy::IOLoop loop;
  int calls = 0;
  Future<int> f = cancellable(&calls);
  loop.call_later(1ms, [f]() mutable { f.set_result(6); });
  CHECK(loop.run_sync([f] { return eddy::with_timeout(10s, f); }) == 6);
  CHECK(calls == 0);
  CHECK_FALSE(f.cancelled());
}

TEST_CASE("a coroutine destroyed while suspended cancels the future it awaited", "[future][cancel][lifecycle]") {
  bool resumed = false;
  bool closing_seen = false;
  Future<int> f;
  {
    eddy::IOLoop loop;
    f.set_cancel_callback([&] { closing_seen = loop.closing(); });
    loop.add_callback([&] { await_forever(f, &resumed); });
    loop.add_callback([&] { loop.stop(); });
    run_with_limit(loop);
    CHECK(f.waiter_count() == 1);
  }  // the loop destroys the suspended frame
  CHECK(f.cancelled());
  CHECK(closing_seen);
  CHECK(f.waiter_count() == 0);
  CHECK_FALSE(resumed);
}

TEST_CASE("a coroutine destroyed while suspended leaves a future that another callback waits for",
          "[future][cancel][lifecycle]") {
  bool resumed = false;
  int calls = 0;
  Future<int> f;
  f.set_cancel_callback([&] { ++calls; });
  f.add_done_callback([](Future<int>) {});
  {
    eddy::IOLoop loop;
    loop.add_callback([&] { await_forever(f, &resumed); });
    loop.add_callback([&] { loop.stop(); });
    run_with_limit(loop);
    CHECK(f.waiter_count() == 2);
  }
  CHECK(calls == 0);
  CHECK_FALSE(f.cancelled());
  CHECK(f.waiter_count() == 1);
}

TEST_CASE("the last of two coroutines destroyed while awaiting one future cancels it", "[future][cancel][lifecycle]") {
  bool resumed = false;
  int calls = 0;
  Future<int> f;
  f.set_cancel_callback([&] { ++calls; });
  {
    eddy::IOLoop loop;
    loop.add_callback([&] {
      await_forever(f, &resumed);
      await_forever(f, &resumed);
    });
    loop.add_callback([&] { loop.stop(); });
    run_with_limit(loop);
  }
  CHECK(calls == 1);
  CHECK(f.cancelled());
}

TEST_CASE("cancellation works for void and move-only futures", "[future][cancel]") {
  eddy::IOLoop loop;
  Future<void> v;
  v.set_cancel_callback([v]() mutable { v.set_exception(std::make_exception_ptr(eddy::CancelledError("v"))); });
  CHECK(v.cancel());
  CHECK_THROWS_AS(v.result(), eddy::CancelledError);
  Future<std::unique_ptr<int>> m;
  m.cancel();
  m.set_result(std::make_unique<int>(3));
  CHECK(*m.result() == 3);
}

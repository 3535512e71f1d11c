// Reentrancy and edge values: handlers that replace themselves, deadlines
// at the ends of the clock, executor provisioning, registrations that
// outlive their fd, move-only futures, listen errors.
#include <eddy/eddy.hpp>

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "support/loop_helpers.hpp"

using namespace eddy_test;

namespace {

// Runs the loop with a guard on another thread, so even a loop whose poll
// would block for centuries (the bug under test) is stopped and the test
// fails instead of hanging.
void run_with_thread_limit(eddy::IOLoop& loop, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::atomic<bool> fired{false};
  std::thread guard([&] {
    std::unique_lock<std::mutex> lock(m);
    if (!cv.wait_for(lock, limit, [&] { return done; })) {
      fired = true;
      loop.stop();
    }
  });
  loop.start();
  {
    std::lock_guard<std::mutex> lock(m);
    done = true;
  }
  cv.notify_all();
  guard.join();
  if (fired) FAIL("the loop did not stop within " << limit.count() << " ms");
}

// A barrier for executor jobs: each arrives and waits (up to a generous
// bound) until `expected` have arrived. True if they all met.
struct Meeting {
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0;
  int expected;
  explicit Meeting(int n) : expected(n) {}
  bool arrive() {
    std::unique_lock<std::mutex> lock(m);
    ++arrived;
    cv.notify_all();
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived >= expected; });
  }
};

}  // namespace

TEST_CASE("an exception handler may replace itself while it runs", "[hardening][reentrancy]") {
  eddy::IOLoop loop;
  std::vector<std::string> seen;
  std::string first_name(200, 'a');  // captured by value: heap state a destroyed callable would lose
  loop.set_exception_handler([&, name = first_name](std::exception_ptr) {
    loop.set_exception_handler([&](std::exception_ptr) { seen.push_back("second"); });
    seen.push_back(name.substr(0, 5));  // after its own replacement
  });
  loop.add_callback([] { throw std::runtime_error("one"); });
  loop.add_callback([] { throw std::runtime_error("two"); });
  loop.add_callback([&] { loop.stop(); });
  run_with_limit(loop);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "aaaaa");
  CHECK(seen[1] == "second");
}

TEST_CASE("a blocking handler may replace itself while it runs", "[hardening][reentrancy][blocking]") {
  eddy::IOLoop loop;
  std::atomic<int> first{0};
  std::atomic<int> second{0};
  loop.set_blocking_log_threshold(std::chrono::milliseconds(1));
  loop.set_blocking_handler([&](const eddy::BlockingReport&) {
    ++first;
    loop.set_blocking_handler([&](const eddy::BlockingReport&) { ++second; });
  });
  auto block = [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); };
  loop.add_callback(block);
  loop.add_callback([&] { loop.add_callback(block); });
  loop.add_callback([&] { loop.add_callback([&] { loop.add_callback([&] { loop.stop(); }); }); });
  run_with_thread_limit(loop);
  CHECK(first == 1);
  CHECK(second >= 1);
}

TEST_CASE("call_at(time_point::min()) from inside a callback fires on the next iteration", "[hardening][timeouts]") {
  for (eddy::Backend backend : backends()) {
    CAPTURE(backend);
    eddy::IOLoop loop(backend);
    bool fired = false;
    loop.add_callback([&] {
      loop.call_at(eddy::Clock::time_point::min(), [&] {
        fired = true;
        loop.stop();
      });
    });
    run_with_thread_limit(loop);
    CHECK(fired);
  }
}

TEST_CASE("a deadline at time_point::max() never fires and never wraps", "[hardening][timeouts]") {
  eddy::IOLoop loop;
  bool fired = false;
  loop.call_at(eddy::Clock::time_point::max(), [&] { fired = true; });
  loop.call_later(std::chrono::hours::max(), [&] { fired = true; });
  loop.call_later(std::chrono::milliseconds(20), [&] { loop.stop(); });
  run_with_thread_limit(loop);
  CHECK_FALSE(fired);
}

TEST_CASE("a PeriodicCallback with a huge period saturates its next deadline instead of firing at once",
          "[hardening][periodic]") {
  eddy::IOLoop loop;
  int runs = 0;
  eddy::PeriodicCallback periodic(loop, [&] { ++runs; }, eddy::Clock::duration::max());
  periodic.start();
  loop.call_later(std::chrono::milliseconds(50), [&] { loop.stop(); });
  run_with_thread_limit(loop);
  CHECK(runs == 0);
  CHECK(periodic.is_running());
}

TEST_CASE("a PeriodicCallback jitter outside 0..1 is refused", "[hardening][periodic]") {
  eddy::IOLoop loop;
  auto make = [&](double jitter) { eddy::PeriodicCallback p(loop, [] {}, std::chrono::seconds(1), jitter); };
  CHECK_THROWS_AS(make(1.5), std::invalid_argument);
  CHECK_THROWS_AS(make(-0.1), std::invalid_argument);
  CHECK_THROWS_AS(make(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK_NOTHROW(make(0.0));
  CHECK_NOTHROW(make(1.0));
}

TEST_CASE("advance_time saturates instead of overflowing the virtual clock", "[hardening][virtual_time]") {
  eddy::IOLoopOptions options;
  options.virtual_time = true;
  eddy::IOLoop loop(options);
  loop.advance_time(eddy::Clock::duration::max());
  loop.advance_time(eddy::Clock::duration::max());
  CHECK(loop.time() == eddy::Clock::time_point::max());
}

TEST_CASE("each executor submit claims an idle worker: four jobs with one warm worker run at once",
          "[hardening][executor]") {
  eddy::IOLoop loop;
  loop.set_max_executor_threads(10);
  bool all_met = true;
  int finished = 0;
  loop.run_sync([&] { return loop.run_in_executor([] {}); });  // one warm, idle worker
  Meeting meeting(4);
  loop.add_callback([&] {
    for (int i = 0; i < 4; ++i) {
      loop.add_future(loop.run_in_executor([&] { return meeting.arrive(); }), [&](eddy::Future<bool> f) {
        all_met = all_met && f.result();
        if (++finished == 4) loop.stop();
      });
    }
  });
  run_with_limit(loop, std::chrono::seconds(60));
  CHECK(finished == 4);
  CHECK(all_met);
}

TEST_CASE("a worker notified but not yet awake is not counted idle by the next submit", "[hardening][executor]") {
  std::vector<char> met(4, 0);
  Meeting meeting(4);
  std::size_t workers = 0;
  {
    eddy::detail::ThreadPool pool(10);
    pool.submit([] {});
    // Let the one worker finish and wait, idle.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // Back to back: the first submit wakes the idle worker, which has not
    // woken yet when the next ones arrive; they must start workers.
    for (std::size_t i = 0; i < 4; ++i) pool.submit([&, i] { met[i] = meeting.arrive() ? 1 : 0; });
    workers = pool.workers();
  }
  CHECK(workers == 4);
  CHECK(met == std::vector<char>(4, 1));
}

TEST_CASE("an executor job may wait for a job submitted after it", "[hardening][executor]") {
  eddy::IOLoop loop;
  loop.set_max_executor_threads(10);
  loop.run_sync([&] { return loop.run_in_executor([] {}); });
  Meeting pair(2);
  bool both = loop.run_sync(
      [&]() -> eddy::Future<bool> {
        auto consumer = loop.run_in_executor([&] { return pair.arrive(); });
        auto producer = loop.run_in_executor([&] { return pair.arrive(); });
        eddy::Future<bool> out;
        loop.add_future(consumer, [&, out, producer](eddy::Future<bool> c) mutable {
          bool first_met = c.result();
          loop.add_future(producer, [out, first_met](eddy::Future<bool> p) mutable {
            out.set_result(first_met && p.result());
          });
        });
        return out;
      },
      std::chrono::seconds(60));
  CHECK(both);
}

TEST_CASE("set_max_executor_threads after first use takes effect", "[hardening][executor]") {
  eddy::IOLoop loop;
  loop.set_max_executor_threads(1);
  loop.run_sync([&] { return loop.run_in_executor([] {}); });
  loop.set_max_executor_threads(3);
  CHECK(loop.max_executor_threads() == 3);
  Meeting meeting(3);
  int met = 0;
  int finished = 0;
  loop.add_callback([&] {
    for (int i = 0; i < 3; ++i) {
      loop.add_future(loop.run_in_executor([&] { return meeting.arrive(); }), [&](eddy::Future<bool> f) {
        if (f.result()) ++met;
        if (++finished == 3) loop.stop();
      });
    }
  });
  run_with_limit(loop, std::chrono::seconds(60));
  CHECK(met == 3);
}

TEST_CASE("a reused fd number never receives events of a closed fd that a dup keeps open", "[hardening][handlers]") {
  for (eddy::Backend backend : backends()) {
    // libkqueue keeps the old file's epoll registration (see is_libkqueue());
    // not even run there, since its leftovers disturb the next backend's run.
    if (is_libkqueue(backend)) continue;
    CAPTURE(backend);
    eddy::IOLoop loop(backend);
    SocketPair old_pair;
    int number = old_pair.left();
    int keeper = ::dup(number);  // keeps the old file open after close()
    REQUIRE(keeper >= 0);
    loop.add_handler(number, [](int, std::uint32_t) {}, eddy::IOLoop::READ);
    old_pair.send(1, "x");  // the old file stays readable forever
    ::close(number);        // closed before remove_handler: epoll keeps the registration
    old_pair.fds[0] = -1;
    loop.remove_handler(number);  // tolerated; the kernel may not let go
    SocketPair new_pair;
    REQUIRE(::dup2(new_pair.left(), number) == number);  // the number now names a quiet socket
    int calls = 0;
    loop.add_handler(number, [&](int, std::uint32_t) { ++calls; }, eddy::IOLoop::READ);
    loop.call_later(std::chrono::milliseconds(100), [&] { loop.stop(); });
    run_with_thread_limit(loop);
    CHECK(calls == 0);
    // ... and the old registration does not keep the loop spinning.
    CHECK(loop.stats().polls < 200);
    loop.remove_handler(number);
    ::close(number);
    ::close(keeper);
  }
}

TEST_CASE("a poll wait of never rounds to milliseconds without overflowing", "[hardening][timeouts]") {
  CHECK(eddy::detail::timeout_ms_ceil(std::numeric_limits<std::int64_t>::max()) == std::numeric_limits<int>::max());
  CHECK(eddy::detail::timeout_ms_ceil(1) == 1);
  CHECK(eddy::detail::timeout_ms_ceil(1'000'000) == 1);
  CHECK(eddy::detail::timeout_ms_ceil(1'000'001) == 2);
  CHECK(eddy::detail::timeout_ms_ceil(-1) == -1);
}

TEST_CASE("a Future of a move-only type moves its value out once", "[hardening][future]") {
  eddy::Future<std::unique_ptr<int>> f;
  f.set_result(std::make_unique<int>(7));
  std::unique_ptr<int> value = f.result();
  REQUIRE(value != nullptr);
  CHECK(*value == 7);
  CHECK_THROWS_AS(f.result(), eddy::InvalidStateError);
  auto ready = eddy::make_ready_future(std::make_unique<int>(8));
  CHECK(*ready.result() == 8);
}

TEST_CASE("listening on an address the host lacks reports the errno", "[hardening][tcp]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::TCPServer server([](eddy::IOStream, std::string) {});
  try {
    server.listen(0, "192.0.2.1");  // TEST-NET-1: not on any interface here
    FAIL("listen succeeded");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == EADDRNOTAVAIL);
    CHECK(std::string(e.what()).find("192.0.2.1:0") != std::string::npos);
  }
}

TEST_CASE("listen errors print an IPv6 address in brackets", "[hardening][tcp]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::TCPServer server([](eddy::IOStream, std::string) {});
  try {
    server.listen(0, "2001:db8::1");  // documentation prefix: not on any interface
    FAIL("listen succeeded");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find("[2001:db8::1]:0") != std::string::npos);
  }
}

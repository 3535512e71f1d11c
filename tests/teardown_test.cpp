// Teardown: what destroying a loop does to the work still pending on it, and
// to the objects (servers, periodic callbacks, futures) that outlive it.
// Each of these read freed memory, leaked or left stale work behind before
// the loop's teardown was made explicit; run under ASan+UBSan/LSan.
#include <eddy/eddy.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <vector>

#include <unistd.h>

#include "support/exception_log.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;

namespace {

// Calls back into the loop from its destructor, as an RAII connection or
// timer guard captured by a pending timeout, callback or handler does.
struct LoopGuard {
  eddy::IOLoop* loop;
  eddy::Timeout timeout;
  int fd;
  std::shared_ptr<int> destroyed;
  LoopGuard(eddy::IOLoop& l, eddy::Timeout t, int f, std::shared_ptr<int> d)
      : loop(&l), timeout(t), fd(f), destroyed(std::move(d)) {}
  LoopGuard(LoopGuard&& other) noexcept
      : loop(std::exchange(other.loop, nullptr)), timeout(other.timeout), fd(other.fd),
        destroyed(std::move(other.destroyed)) {}
  LoopGuard& operator=(LoopGuard&&) = delete;
  ~LoopGuard() {
    if (loop == nullptr) return;
    loop->remove_timeout(timeout);
    if (fd >= 0) loop->remove_handler(fd);
    loop->add_callback([] {});
    loop->call_later(std::chrono::seconds(1), [] {});
    ++*destroyed;
  }
};

}  // namespace

TEST_CASE("destructors of pending timeouts may call the loop while it is destroyed", "[teardown]") {
  auto destroyed = std::make_shared<int>(0);
  SocketPair pair;
  {
    eddy::IOLoop loop;
    // More than one chunk of the timer slab (256 nodes).
    std::vector<eddy::Timeout> timeouts;
    for (int i = 0; i < 600; ++i) timeouts.push_back(loop.call_later(std::chrono::hours(1), [] {}));
    for (int i = 0; i < 600; ++i) {
      loop.call_later(std::chrono::hours(1), [g = LoopGuard(loop, timeouts[static_cast<std::size_t>(i)], pair.left(),
                                                             destroyed)] {});
    }
    loop.add_handler(pair.left(), [](int, std::uint32_t) {}, eddy::IOLoop::READ);
  }
  CHECK(*destroyed == 600);
}

TEST_CASE("destructors of pending handlers and callbacks may call the loop while it is destroyed", "[teardown]") {
  auto destroyed = std::make_shared<int>(0);
  SocketPair a;
  SocketPair b;
  {
    eddy::IOLoop loop;
    eddy::Timeout t = loop.call_later(std::chrono::hours(1), [] {});
    loop.add_handler(a.left(), [g = LoopGuard(loop, t, b.left(), destroyed)](int, std::uint32_t) {},
                     eddy::IOLoop::READ);
    loop.add_handler(b.left(), [g = LoopGuard(loop, t, a.left(), destroyed)](int, std::uint32_t) {},
                     eddy::IOLoop::READ);
    loop.add_callback([g = LoopGuard(loop, t, a.left(), destroyed)] {});
    // A callback added from another thread waits in the remote queue.
    std::thread([&] { loop.add_callback([g = LoopGuard(loop, t, -1, destroyed)] {}); }).join();
  }
  CHECK(*destroyed == 4);
}

TEST_CASE("a queued callback holding the last handle of a stream with a close callback is destroyed safely",
          "[teardown][iostream]") {
  SocketPair pair;
  int fd = ::dup(pair.left());
  REQUIRE(fd >= 0);
  {
    eddy::IOLoop loop;
    loop.make_current();
    eddy::IOStream stream(fd);
    stream.set_close_callback([] {});
    loop.add_callback([s = std::move(stream)] {});
  }
  SUCCEED();
}

TEST_CASE("the loop being destroyed is current and closing while pending work is destroyed", "[teardown]") {
  eddy::IOLoop::clear_current();
  bool saw_closing = false;
  bool saw_current = false;
  struct Probe {
    eddy::IOLoop* loop;
    bool* closing;
    bool* current;
    Probe(eddy::IOLoop* l, bool* c, bool* cur) : loop(l), closing(c), current(cur) {}
    Probe(Probe&& o) noexcept : loop(std::exchange(o.loop, nullptr)), closing(o.closing), current(o.current) {}
    ~Probe() {
      if (loop == nullptr) return;
      *closing = loop->closing();
      *current = eddy::IOLoop::current_or_null() == loop;
    }
  };
  {
    eddy::IOLoop other;  // current
    eddy::IOLoop loop;
    loop.add_callback([p = Probe(&loop, &saw_closing, &saw_current)] {});
  }
  CHECK(saw_closing);
  CHECK(saw_current);
  CHECK(eddy::IOLoop::current_or_null() == nullptr);
}

TEST_CASE("a future's scheduled done-callbacks are released when the loop is destroyed unrun", "[teardown][future]") {
  std::weak_ptr<int> watched;
  {
    eddy::IOLoop loop;
    loop.make_current();
    auto token = std::make_shared<int>(7);
    watched = token;
    eddy::Future<int> f;
    f.add_done_callback([token](eddy::Future<int>) {});
    f.set_result(1);  // schedules the callbacks' job on the loop, which never runs it
  }
  CHECK(watched.expired());
}

TEST_CASE("run_sync nested inside the running loop throws and leaves nothing queued", "[teardown][run_sync]") {
  eddy::IOLoop loop;
  bool nested_threw = false;
  bool nested_ran = false;
  loop.add_callback([&] {
    try {
      loop.run_sync([&] { nested_ran = true; }, std::chrono::seconds(30));
    } catch (const std::logic_error&) {
      nested_threw = true;
    }
    loop.stop();
  });
  run_with_limit(loop);
  CHECK(nested_threw);
  CHECK(loop.stats().timeouts_pending == 0);
  // Another run: the nested call's work must not appear.
  loop.add_callback([&] { loop.stop(); });
  run_with_limit(loop);
  CHECK_FALSE(nested_ran);
}

TEST_CASE("run_sync after stop() leaves no stale callback for the next start()", "[teardown][run_sync]") {
  eddy::IOLoop loop;
  bool ran = false;
  loop.stop();
  {
    // A lambda whose state lives in this scope, as a caller's stack does.
    int on_stack = 0;
    CHECK_THROWS_AS(loop.run_sync([&] {
      ran = true;
      ++on_stack;
    }),
                    std::runtime_error);
  }
  loop.add_callback([&] { loop.stop(); });
  run_with_limit(loop);
  CHECK_FALSE(ran);
}

TEST_CASE("a future abandoned by a timed-out run_sync does not stop a later run_sync", "[teardown][run_sync]") {
  eddy::IOLoop loop;
  eddy::Future<void> slow;
  CHECK_THROWS_AS(loop.run_sync([&] { return slow; }, std::chrono::milliseconds(10)), eddy::TimeoutError);
  int value = loop.run_sync(
      [&] {
        eddy::Future<int> later;
        slow.set_result();  // the abandoned future resolves during this run
        loop.call_later(std::chrono::milliseconds(50), [later]() mutable { later.set_result(42); });
        return later;
      },
      std::chrono::seconds(20));
  CHECK(value == 42);
}

TEST_CASE("a TCPServer stopped and outliving its loop is destroyed safely", "[teardown][tcp]") {
  std::optional<eddy::TCPServer> server;
  {
    eddy::IOLoop loop;
    loop.make_current();
    server.emplace([](eddy::IOStream, std::string) {});
    server->listen(0, "127.0.0.1");
    server->stop();
  }
  server->stop();
  server.reset();
  SUCCEED();
}

TEST_CASE("a listening TCPServer outliving its loop is destroyed safely", "[teardown][tcp]") {
  std::optional<eddy::TCPServer> server;
  {
    eddy::IOLoop loop;
    loop.make_current();
    server.emplace([](eddy::IOStream, std::string) {});
    server->listen(0, "127.0.0.1");
  }
  server.reset();
  SUCCEED();
}

TEST_CASE("a PeriodicCallback outliving its loop stops and is destroyed safely", "[teardown][periodic]") {
  std::optional<eddy::PeriodicCallback> periodic;
  {
    eddy::IOLoop loop;
    periodic.emplace(loop, [] {}, std::chrono::seconds(1));
    periodic->start();
  }
  periodic->stop();
  CHECK_THROWS_AS(periodic->start(), std::logic_error);
  periodic.reset();
}

TEST_CASE("a Timeout from a destroyed loop does not cancel a timer of a new loop at the same address",
          "[teardown][timeouts]") {
  alignas(eddy::IOLoop) unsigned char storage[sizeof(eddy::IOLoop)];
  auto* first = new (storage) eddy::IOLoop;
  eddy::Timeout stale = first->call_later(std::chrono::hours(1), [] {});
  std::uint64_t first_serial = first->serial();
  first->~IOLoop();
  auto* second = new (storage) eddy::IOLoop;
  CHECK(second->serial() != first_serial);
  bool fired = false;
  eddy::Timeout fresh = second->call_later(std::chrono::milliseconds(1), [&] {
    fired = true;
    second->stop();
  });
  CHECK(fresh != stale);
  second->remove_timeout(stale);  // another loop's handle: a no-op
  run_with_limit(*second);
  CHECK(fired);
  second->~IOLoop();
}

TEST_CASE("a new loop becomes current when no loop is current on its thread", "[teardown][current]") {
  std::thread([] {
    CHECK(eddy::IOLoop::current_or_null() == nullptr);
    eddy::IOLoop::current();  // the default loop does not make itself current
    CHECK(eddy::IOLoop::current_or_null() == nullptr);
    {
      eddy::IOLoop first;
      CHECK(eddy::IOLoop::current_or_null() == &first);
      eddy::IOLoop second;  // one is current already: unchanged
      CHECK(eddy::IOLoop::current_or_null() == &first);
      second.make_current();
      CHECK(eddy::IOLoop::current_or_null() == &second);
      first.make_current();
    }
    CHECK(eddy::IOLoop::current_or_null() == nullptr);
  }).join();
}

TEST_CASE("a loop built first on its thread serves eddy::sleep and TCPServer::listen without make_current",
          "[teardown][current]") {
  std::thread([] {
    eddy::IOLoop loop;
    bool slept = false;
    eddy::sleep(std::chrono::milliseconds(1)).add_done_callback([&](eddy::Future<void>) {
      slept = true;
      loop.stop();
    });
    eddy::TCPServer server([](eddy::IOStream, std::string) {});
    server.listen(0, "127.0.0.1");
    run_with_limit(loop);
    CHECK(slept);
    CHECK(loop.stats().handlers_registered == 1);
  }).join();
}

TEST_CASE("add_future runs its callback on the loop it was added to while another loop is current",
          "[teardown][future]") {
  std::thread([] {
    eddy::IOLoop other;  // current on this thread
    eddy::IOLoop loop;
    REQUIRE(eddy::IOLoop::current_or_null() == &other);
    eddy::Future<int> f;
    int seen = 0;
    loop.add_future(f, [&](eddy::Future<int> done) {
      seen = done.result();
      loop.stop();
    });
    f.set_result(5);  // before loop.start(), with `other` current
    run_with_limit(loop, std::chrono::seconds(5));
    CHECK(seen == 5);
  }).join();
}

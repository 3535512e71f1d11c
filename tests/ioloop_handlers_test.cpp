// add_handler / update_handler / remove_handler, on every backend.
#include <eddy/ioloop.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/loop_helpers.hpp"

using namespace eddy_test;
using eddy::IOLoop;

namespace {
std::string read_some(int fd) {
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}
}  // namespace

TEST_CASE("a READ handler runs when its fd becomes readable", "[handlers]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  std::string got;
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t events) {
    CHECK(fd == pair.left());
    CHECK((events & IOLoop::READ) != 0);
    got = read_some(fd);
    loop.remove_handler(fd);
    loop.stop();
  }, IOLoop::READ);
  loop.call_later(5ms, [&] { pair.send(1, "hello"); });
  run_with_limit(loop);
  CHECK(got == "hello");
}

TEST_CASE("a READ-only handler is not called for writability", "[handlers]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;  // left is writable at once, never readable here
  int calls = 0;
  loop.add_handler(pair.left(), [&](int, std::uint32_t) { ++calls; }, IOLoop::READ);
  loop.call_later(30ms, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(calls == 0);
  loop.remove_handler(pair.left());
}

TEST_CASE("update_handler switches the events a handler is called for", "[handlers]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  std::vector<std::uint32_t> seen;
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t events) {
    seen.push_back(events);
    if (seen.size() == 1) {
      loop.update_handler(fd, IOLoop::NONE);
      loop.call_later(20ms, [&] { loop.stop(); });
    }
  }, IOLoop::READ);
  loop.update_handler(pair.left(), IOLoop::WRITE);
  run_with_limit(loop);
  REQUIRE(seen.size() == 1);  // NONE: no more calls, even though still writable
  CHECK((seen[0] & IOLoop::WRITE) != 0);
  CHECK_THROWS_WITH(loop.update_handler(999, IOLoop::READ), Catch::Contains("fd 999"));
  loop.remove_handler(pair.left());
}

TEST_CASE("a handler may remove itself from inside its own call", "[handlers][reentrancy]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  auto token = std::make_shared<int>(0);
  int calls = 0;
  loop.add_handler(pair.left(), [&, token](int fd, std::uint32_t) {
    ++calls;
    loop.remove_handler(fd);
    // Our own captures must still be alive until we return (ASan would
    // report a use after free here otherwise).
    CHECK(*token == 0);
    loop.call_later(20ms, [&] { loop.stop(); });
  }, IOLoop::READ);
  pair.send(1, "x");
  std::weak_ptr<int> weak = token;
  token.reset();
  run_with_limit(loop);
  CHECK(calls == 1);
  CHECK(weak.expired());  // destroyed after the call returned
}

TEST_CASE("a handler removed by an earlier handler of the same batch does not run", "[handlers][reentrancy]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair a, b;
  int calls = 0;
  // Whichever runs first removes the other; the other must then not run.
  auto handler = [&](int fd, std::uint32_t) {
    ++calls;
    loop.remove_handler(a.left());
    loop.remove_handler(b.left());
    (void)fd;
    loop.call_later(20ms, [&] { loop.stop(); });
  };
  loop.add_handler(a.left(), handler, IOLoop::READ);
  loop.add_handler(b.left(), handler, IOLoop::READ);
  a.send(1, "x");
  b.send(1, "x");
  run_with_limit(loop);
  CHECK(calls == 1);
}

TEST_CASE("a handler may close its fd and register a new one with the same number", "[handlers][reentrancy]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  int reused = -1;
  int new_peer = -1;
  std::string second;
  loop.add_handler(fds[0], [&](int fd, std::uint32_t) {
    read_some(fd);
    loop.remove_handler(fd);
    ::close(fd);
    int pair2[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair2) == 0);
    // Usually the lowest free number is the one just closed, but another
    // thread may free a lower one meanwhile (libkqueue closes a dropped
    // kqueue's descriptors from its own thread): move it there.
    if (pair2[0] != fd) {
      REQUIRE(::dup2(pair2[0], fd) == fd);
      ::close(pair2[0]);
    }
    reused = fd;
    new_peer = pair2[1];
    loop.add_handler(reused, [&](int fd2, std::uint32_t) {
      second = read_some(fd2);
      loop.remove_handler(fd2);
      loop.stop();
    }, IOLoop::READ);
    ::write(new_peer, "again", 5);
  }, IOLoop::READ);
  ::write(fds[1], "x", 1);
  run_with_limit(loop);
  CHECK(reused == fds[0]);
  CHECK(second == "again");
  ::close(reused);
  ::close(new_peer);
  ::close(fds[1]);
}

TEST_CASE("registering an fd twice throws a message naming the fd", "[handlers][errors]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  loop.add_handler(pair.left(), [](int, std::uint32_t) {}, IOLoop::READ);
  CHECK_THROWS_WITH(loop.add_handler(pair.left(), [](int, std::uint32_t) {}, IOLoop::READ),
                    Catch::Contains("fd " + std::to_string(pair.left())) && Catch::Contains("already registered"));
  loop.remove_handler(pair.left());
}

TEST_CASE("a negative or closed fd is refused with a message naming it", "[handlers][errors]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  CHECK_THROWS_WITH(loop.add_handler(-1, [](int, std::uint32_t) {}, IOLoop::READ), Catch::Contains("fd -1"));
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);
  ::close(fds[1]);
  CHECK_THROWS_WITH(loop.add_handler(fds[0], [](int, std::uint32_t) {}, IOLoop::READ),
                    Catch::Contains("fd " + std::to_string(fds[0])));
  CHECK(loop.stats().handlers_registered == 0);
}

TEST_CASE("remove_handler is a no-op for unknown fds and tolerates closed ones", "[handlers]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  loop.remove_handler(12345);
  loop.remove_handler(-3);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  loop.add_handler(fds[0], [](int, std::uint32_t) {}, IOLoop::READ);
  ::close(fds[0]);
  loop.remove_handler(fds[0]);
  ::close(fds[1]);
  CHECK(loop.stats().handlers_registered == 0);
}

TEST_CASE("a peer that hangs up is reported to a READ handler", "[handlers]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  std::uint32_t seen = 0;
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t events) {
    seen = events;
    loop.remove_handler(fd);
    loop.stop();
  }, IOLoop::READ);
  pair.close_side(1);
  run_with_limit(loop);
  // Readable (EOF), possibly with ERROR bits; never zero.
  CHECK((seen & (IOLoop::READ | IOLoop::ERROR)) != 0);
}

TEST_CASE("a NONE handler is not called for data but hears its peer hang up as ERROR", "[handlers]") {
  // ERROR is always reported: epoll and poll do it by themselves, kqueue
  // through the hang-up watch (kqueue_poller.hpp). An idle stream relies on it.
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  std::vector<std::uint32_t> seen;
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t events) {
    seen.push_back(events);
    if ((events & IOLoop::ERROR) != 0) {
      loop.remove_handler(fd);
      loop.stop();
    }
  }, IOLoop::NONE);
  pair.send(1, "unread");
  loop.call_later(30ms, [&] { pair.close_side(1); });
  run_with_limit(loop);
  REQUIRE(seen.size() == 1);  // the data alone woke nobody
  CHECK((seen[0] & IOLoop::ERROR) != 0);
}

TEST_CASE("an exception in a handler goes to the exception handler and the loop goes on", "[handlers][errors]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  int errors = 0;
  loop.set_exception_handler([&](std::exception_ptr) { ++errors; });
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t) {
    loop.remove_handler(fd);
    throw std::runtime_error("handler failed");
  }, IOLoop::READ);
  pair.send(1, "x");
  loop.call_later(20ms, [&] { loop.stop(); });
  run_with_limit(loop);
  CHECK(errors == 1);
}

TEST_CASE("dispatching I/O events allocates nothing in steady state", "[handlers][alloc]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  int reads = 0;
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t) {
    char c;
    ::read(fd, &c, 1);
    if (++reads % 100 == 0) loop.stop();
    else ::write(pair.right(), "x", 1);
  }, IOLoop::READ);
  for (int round = 0; round < 2; ++round) {
    eddy_test::AllocationProbe probe;
    ::write(pair.right(), "x", 1);
    loop.start();
    if (round == 1) CHECK_ALLOCATIONS(probe, 0u);
  }
  loop.remove_handler(pair.left());
}

TEST_CASE("an fd ready for READ and WRITE at once gets one call with both bits", "[handlers]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair pair;
  std::vector<std::uint32_t> seen;
  pair.send(1, "x");  // left is now readable, and writable all along
  loop.add_handler(pair.left(), [&](int fd, std::uint32_t events) {
    seen.push_back(events);
    loop.remove_handler(fd);
    loop.call_later(20ms, [&] { loop.stop(); });
  }, IOLoop::READ | IOLoop::WRITE);
  run_with_limit(loop);
  REQUIRE(seen.size() == 1);
  CHECK((seen[0] & (IOLoop::READ | IOLoop::WRITE)) == (IOLoop::READ | IOLoop::WRITE));
}

TEST_CASE("error_of reads the errno a backend reported with ERROR, and 0 otherwise", "[handlers][errors]") {
  using eddy::IOLoop;
  CHECK(IOLoop::error_of(IOLoop::READ) == 0);
  CHECK(IOLoop::error_of(IOLoop::READ | IOLoop::ERROR) == 0);
  std::uint32_t reset = eddy::detail::with_errno(IOLoop::READ, ECONNRESET);
  CHECK((reset & IOLoop::ERROR) != 0);
  CHECK((reset & IOLoop::READ) != 0);
  CHECK(IOLoop::error_of(reset) == ECONNRESET);
  // Without ERROR the upper bits mean nothing.
  CHECK(IOLoop::error_of(IOLoop::READ | (ECONNRESET << 16)) == 0);
}

TEST_CASE("a handler registered by an earlier handler of the same batch waits for the next poll", "[handlers][reentrancy]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair a, b;
  int first_calls = 0;
  std::uint64_t registered_at = 0, new_called_at = 0;
  // Whichever runs first takes over the other's fd (still open, still
  // readable): its event, fetched in this batch, belongs to the old
  // registration, so the new handler runs only after a later poll.
  auto first = [&](int fd, std::uint32_t) {
    if (++first_calls > 1) return;
    int other = fd == a.left() ? b.left() : a.left();
    read_some(fd);
    loop.remove_handler(fd);
    loop.remove_handler(other);
    registered_at = loop.stats().polls;
    loop.add_handler(other, [&](int fd2, std::uint32_t) {
      if (new_called_at == 0) new_called_at = loop.stats().polls;
      read_some(fd2);
      loop.remove_handler(fd2);
      loop.stop();
    }, IOLoop::READ);
  };
  loop.add_handler(a.left(), first, IOLoop::READ);
  loop.add_handler(b.left(), first, IOLoop::READ);
  a.send(1, "x");
  b.send(1, "x");
  run_with_limit(loop);
  CHECK(first_calls == 1);
  CHECK(new_called_at > registered_at);
}

TEST_CASE("events an earlier handler of the same batch stopped asking for are not delivered", "[handlers][reentrancy]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  SocketPair a, b;
  int calls = 0;
  // Both fds are writable at once; whichever handler runs first drops WRITE
  // for both, so the other's event (WRITE only) must not reach it.
  auto handler = [&](int, std::uint32_t events) {
    ++calls;
    CHECK((events & IOLoop::WRITE) != 0);
    loop.update_handler(a.left(), IOLoop::READ);
    loop.update_handler(b.left(), IOLoop::READ);
    loop.call_later(20ms, [&] { loop.stop(); });
  };
  loop.add_handler(a.left(), handler, IOLoop::WRITE);
  loop.add_handler(b.left(), handler, IOLoop::WRITE);
  run_with_limit(loop);
  CHECK(calls == 1);
  loop.remove_handler(a.left());
  loop.remove_handler(b.left());
}

// IOStream lifetime: the last handle closing the stream, pending operations
// outliving handles, streams outliving their loop and callbacks owning their
// stream. Futures only, so the suite also runs as C++17.
#include <eddy/iostream.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/iostream_helpers.hpp"
#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::IOLoop;
using eddy::IOStream;

TEST_CASE("dropping the last handle of an idle stream closes its fd", "[iostream][lifetime]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  {
    IOStream b(p.server);
    IOStream copy = b;
    CHECK(copy == b);
  }
  CHECK(c.loop.stats().handlers_registered == 0);
  CHECK(recv_until_close(p.client, 5000).empty());  // EOF: the server side is closed
  ::close(p.client);
}

TEST_CASE("the last handle going closes a stream whose reads and writes have finished", "[iostream][lifetime]") {
  // Finished operations leave the stream's hold on itself in place while
  // handles remain (no reference traffic per read); the last handle must
  // still close the stream, whether destroyed or assigned over.
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TcpPair p = loopback_pair();
  bool assign = GENERATE(false, true);
  {
    IOStream b(p.server);
    send_all(p.client, "ping");
    CHECK(wait_for(c.loop, b.read_bytes(4)) == "ping");
    wait_for(c.loop, b.write("pong"));
    IOStream copy = b;
    CHECK(c.loop.stats().handlers_registered == 1);
    if (assign) {
      TcpPair other = loopback_pair();
      IOStream replacement(other.server);
      b = replacement;
      copy = replacement;
      CHECK(c.loop.stats().handlers_registered == 1);  // only the replacement's
      ::close(other.client);
    }
  }
  CHECK(c.loop.stats().handlers_registered == 0);
  CHECK(recv_until_close(p.client, 5000) == "pong");  // then EOF: the server side is closed
  ::close(p.client);
}

TEST_CASE("a pending write completes after the last handle is dropped", "[iostream][lifetime]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  std::string data = pattern(16u << 20);
  Future<void> written;
  {
    IOStream a(p.client);
    written = a.write(data);
  }
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    while (got.size() < data.size()) {
      ssize_t n = ::recv(p.server, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
  });
  wait_for(c.loop, written);
  spin(c.loop);  // the stream is freed once nothing is pending: EOF follows
  reader.join();
  CHECK(got == data);
  CHECK(recv_until_close(p.server, 5000).empty());
  CHECK(c.loop.stats().handlers_registered == 0);
  ::close(p.server);
}

TEST_CASE("a stream with a pending read outlives its loop safely", "[iostream][lifetime]") {
  TcpPair p = loopback_pair();
  std::optional<IOStream> stream;
  Future<std::string> read;
  {
    IOLoop loop;
    loop.make_current();
    stream.emplace(p.server);
    read = stream->read_bytes(10);
    spin(loop, 5ms);
  }
  CHECK(stream->closed());
  CHECK(!read.done());
  stream.reset();
  ::close(p.client);
}

TEST_CASE("operations on a stream whose loop died fail with StreamClosedError saying so", "[iostream][lifetime]") {
  TcpPair p = loopback_pair();
  std::optional<IOStream> stream;
  {
    IOLoop loop;
    loop.make_current();
    stream.emplace(p.server);
    Future<std::string> pending = stream->read_bytes(10);
    spin(loop, 5ms);
  }
  REQUIRE(stream->closed());
  REQUIRE(stream->error() != nullptr);
  CHECK_THROWS_WITH(std::rethrow_exception(stream->error()), Catch::Contains("its loop was destroyed"));
  CHECK(stream->fd() == -1);
  CHECK(stream->read_buffer_capacity() == 0);
  Future<void> write = stream->write("late");
  REQUIRE(write.done());
  CHECK_THROWS_AS(write.result(), eddy::StreamClosedError);
  CHECK_THROWS_WITH(write.result(), Catch::Contains("its loop was destroyed"));
  Future<std::string> read = stream->read_bytes(1);
  REQUIRE(read.done());
  CHECK_THROWS_AS(read.result(), eddy::StreamClosedError);
  CHECK_THROWS_WITH(read.result(), Catch::Contains("its loop was destroyed"));
  char byte;
  CHECK_THROWS_AS(stream->read_into(&byte, 1, false, [](std::size_t, std::exception_ptr) {}),
                  eddy::StreamClosedError);
  stream.reset();
  CHECK(recv_until_close(p.client, 5000).empty());  // EOF: the fd was closed with the loop
  ::close(p.client);
}

TEST_CASE("a stream closed before its loop died never touches the loop", "[iostream][lifetime]") {
  TcpPair p = loopback_pair();
  std::optional<IOStream> stream;
  auto token = std::make_shared<int>(0);
  {
    IOLoop loop;
    stream.emplace(p.server, loop);
    stream->close();
  }
  REQUIRE(stream->closed());
  CHECK_THROWS_WITH(std::rethrow_exception(stream->error()), Catch::Contains("closed locally"));
  // Each of these used to reach the freed loop (AddressSanitizer sees it).
  stream->set_close_callback([token] { *token = 1; });
  CHECK(token.use_count() == 1);  // destroyed without running: no loop to run it
  char byte;
  CHECK_THROWS_WITH(stream->read_into(&byte, 1, false, [](std::size_t, std::exception_ptr) {}),
                    Catch::Contains("its loop was destroyed"));
  Future<void> write = stream->write("late");
  CHECK_THROWS_WITH(write.result(), Catch::Contains("its loop was destroyed"));
  Future<std::string> read = stream->read_until("\n");
  CHECK_THROWS_WITH(read.result(), Catch::Contains("its loop was destroyed"));
  stream.reset();
  CHECK(*token == 0);
  ::close(p.client);
}

TEST_CASE("a read_into callback still scheduled when the loop dies is dropped and frees its stream",
          "[iostream][lifetime][callback]") {
  TcpPair p = loopback_pair();
  bool ran = false;
  {
    IOLoop loop;
    loop.make_current();
    IOStream stream(p.server);
    send_all(p.client, "ab");  // one segment: "b" stays buffered after the first read
    CHECK(wait_for(loop, stream.read_until("a")) == "a");
    REQUIRE(stream.read_buffer_size() == 1);
    char byte;
    stream.read_into(&byte, 1, false, [&ran](std::size_t, std::exception_ptr) { ran = true; });
  }  // the handle goes, then the loop, with the callback's job still queued
  CHECK_FALSE(ran);
  CHECK(recv_until_close(p.client, 5000).empty());  // the stream was freed: EOF
  ::close(p.client);
}

// The callback owns the last handle (as a connection object captured in its
// own read callback does), so destroying the unrun job frees the stream.
// That used to happen inside the callback's own destruction, in the
// stream's storage: a write to freed memory (glibc: "unaligned tcache
// chunk"; ASan: heap-use-after-free).
TEST_CASE("a loop destroyed with a stream's read delivery still queued frees the stream once and only after the job",
          "[iostream][lifetime][callback][teardown]") {
  TcpPair p = loopback_pair();
  bool ran = false;
  auto token = std::make_shared<int>(0);
  {
    IOLoop loop;
    loop.make_current();
    IOStream stream(p.server);
    send_all(p.client, "ab");  // one segment: "b" stays buffered after the first read
    CHECK(wait_for(loop, stream.read_until("a")) == "a");
    REQUIRE(stream.read_buffer_size() == 1);
    static char byte;
    stream.read_into(&byte, 1, false, [s = stream, token, &ran](std::size_t, std::exception_ptr) { ran = true; });
  }  // the handle goes, then the loop, with the delivery job (and so the last handle) still queued
  CHECK_FALSE(ran);
  CHECK(token.use_count() == 1);                    // the callback was destroyed
  CHECK(recv_until_close(p.client, 5000).empty());  // the stream was freed: EOF
  ::close(p.client);
}

TEST_CASE("a read_into callback owning the last handle of its stream frees the stream after it has run",
          "[iostream][lifetime][callback]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TcpPair p = loopback_pair();
  int runs = 0;
  auto token = std::make_shared<int>(0);
  {
    IOStream stream(p.server);
    bool from_job = GENERATE(true, false);
    if (from_job) {
      // Completed inside the call from buffered bytes: it runs from a job.
      send_all(p.client, "ab");
      CHECK(wait_for(c.loop, stream.read_until("a")) == "a");
      REQUIRE(stream.read_buffer_size() == 1);
    }
    static char byte;
    stream.read_into(&byte, 1, false, [s = stream, token, &runs](std::size_t n, std::exception_ptr e) {
      runs += n == 1 && !e ? 1 : 100;
    });
    // Else completed by the handler: it runs at the end of its dispatch.
    if (!from_job) send_all(p.client, "b");
  }
  spin(c.loop, 50ms);
  CHECK(runs == 1);
  CHECK(token.use_count() == 1);
  CHECK(c.loop.stats().handlers_registered == 0);
  CHECK(recv_until_close(p.client, 5000).empty());  // EOF: the stream closed its fd
  ::close(p.client);
}

TEST_CASE("a callback holding its own stream is released when the read fails", "[iostream][lifetime]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  bool failed = false;
  {
    IOStream b(p.server);
    b.read_until("\n").add_done_callback([b, &failed](const Future<std::string>& f) { failed = f.exception() != nullptr; });
  }
  close_with_reset(p.client);
  spin(c.loop, 50ms);
  CHECK(failed);
  CHECK(c.loop.stats().handlers_registered == 0);
}

TEST_CASE("IOStream::loop names the stream's loop, and nullptr once that loop is destroyed", "[iostream][lifetime]") {
  TcpPair p = loopback_pair();
  std::optional<IOStream> stream;
  {
    IOLoop loop;
    loop.make_current();
    stream.emplace(p.server);
    CHECK(stream->loop() == &loop);
    IOLoop other;
    IOStream elsewhere(p.client, other);
    CHECK(elsewhere.loop() == &other);
  }
  CHECK(stream->loop() == nullptr);
  stream.reset();
}

// IOStream over real loopback TCP connections: reads, writes, buffers,
// errors and lifetime. Written with futures (no coroutines) so the suite also
// runs as C++17.
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

#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::IOLoop;
using eddy::IOStream;

namespace {

// A loop made current (IOStream registers with IOLoop::current()).
struct CurrentLoop {
  IOLoop loop;
  explicit CurrentLoop(eddy::Backend backend = eddy::Backend::automatic) : loop(backend) { loop.make_current(); }
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

}  // namespace

TEST_CASE("IOStream echoes bytes across a loopback connection", "[iostream]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  a.write("hello");
  CHECK(wait_for(c.loop, b.read_bytes(5)) == "hello");
  b.write("world!");
  CHECK(wait_for(c.loop, a.read_bytes(6)) == "world!");
}

TEST_CASE("read_bytes waits for exactly n bytes sent in several packets", "[iostream]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  Future<std::string> read = b.read_bytes(10);
  c.loop.call_later(5ms, [&] { send_all(p.client, "abc"); });
  c.loop.call_later(15ms, [&] { send_all(p.client, "defg"); });
  c.loop.call_later(25ms, [&] { send_all(p.client, "hijKLM"); });
  CHECK(wait_for(c.loop, read) == "abcdefghij");
  CHECK(wait_for(c.loop, b.read_bytes(3)) == "KLM");  // the rest stayed buffered
  ::close(p.client);
}

TEST_CASE("read_bytes with partial resolves with what is available, up to n", "[iostream]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  send_all(p.client, "abc");
  CHECK(wait_for(c.loop, b.read_bytes(100, true)) == "abc");
  send_all(p.client, "defghij");
  std::string got = wait_for(c.loop, b.read_bytes(4, true));
  CHECK(got == "defg");
  CHECK(wait_for(c.loop, b.read_bytes(0)).empty());
  CHECK(wait_for(c.loop, b.read_bytes(3)) == "hij");
  ::close(p.client);
}

TEST_CASE("read_until finds a delimiter split across packets", "[iostream]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  Future<std::string> line = b.read_until("\r\n");
  c.loop.call_later(5ms, [&] { send_all(p.client, "GET / HTTP/1.1\r"); });
  c.loop.call_later(15ms, [&] { send_all(p.client, "\nHost: x\r\n\r\n"); });
  CHECK(wait_for(c.loop, line) == "GET / HTTP/1.1\r\n");
  CHECK(wait_for(c.loop, b.read_until("\r\n\r\n")) == "Host: x\r\n\r\n");
  ::close(p.client);
}

TEST_CASE("pipelined lines come out of the buffer one read at a time", "[iostream]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  send_all(p.client, "one\ntwo\nthree\n");
  CHECK(wait_for(c.loop, b.read_until("\n")) == "one\n");
  CHECK(wait_for(c.loop, b.read_until("\n")) == "two\n");
  CHECK(wait_for(c.loop, b.read_until("\n")) == "three\n");
  ::close(p.client);
}

TEST_CASE("a 64 MiB write is flushed with back-pressure and arrives intact", "[iostream][large]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  const std::size_t size = 64u << 20;
  std::string data = pattern(size);
  Future<void> written = a.write(data);
  // The kernel takes a few MiB; the rest waits in one queued copy.
  CHECK(a.write_buffer_size() <= size);
  CHECK(!written.done());
  Future<std::string> received = b.read_bytes(size);
  CHECK(wait_for(c.loop, received) == data);
  wait_for(c.loop, written);
  CHECK(a.write_buffer_size() == 0);
  CHECK(!a.writing());
}

TEST_CASE("writes queue in order behind a large one", "[iostream]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  std::string big = pattern(8u << 20);
  Future<void> w1 = a.write(big);
  Future<void> w2 = a.write("tail");
  Future<void> w3 = a.write("");
  std::string got = wait_for(c.loop, b.read_bytes(big.size() + 4));
  CHECK(got.substr(big.size()) == "tail");
  CHECK(got.compare(0, big.size(), big) == 0);
  wait_for(c.loop, w3);
  CHECK(w1.done());
  CHECK(w2.done());
}

TEST_CASE("peer reset fails a pending read with StreamClosedError and runs the close callback once",
          "[iostream][errors]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  int closes = 0;
  b.set_close_callback([&] { ++closes; });
  Future<std::string> read = b.read_bytes(10);
  c.loop.call_later(5ms, [&] { close_with_reset(p.client); });
  CHECK_THROWS_AS(wait_for(c.loop, read), eddy::StreamClosedError);
  CHECK(failure_of(read).find("reset") != std::string::npos);
  spin(c.loop);
  CHECK(closes == 1);
  CHECK(b.closed());
  CHECK(b.fd() == -1);
  // Later operations fail with the same reason.
  CHECK(failure_of(b.read_bytes(1)).find("reset") != std::string::npos);
  CHECK_THROWS_AS(wait_for(c.loop, b.write("x")), eddy::StreamClosedError);
}

TEST_CASE("an idle stream notices a reset and runs its close callback", "[iostream][errors]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  int closes = 0;
  b.set_close_callback([&] {
    ++closes;
    c.loop.stop();
  });
  close_with_reset(p.client);
  run_with_limit(c.loop);
  CHECK(closes == 1);
  CHECK(b.closed());
}

TEST_CASE("peer close fails a pending read_bytes but data already received is still readable",
          "[iostream][errors]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  send_all(p.client, "partial");
  ::close(p.client);
  CHECK(wait_for(c.loop, b.read_bytes(3)) == "par");
  Future<std::string> rest = b.read_bytes(100);
  CHECK_THROWS_WITH(wait_for(c.loop, rest), Catch::Contains("peer closed"));
  // What arrived before the close can still be read from the buffer.
  CHECK(wait_for(c.loop, b.read_bytes(4)) == "tial");
}

TEST_CASE("read_until_close returns everything received before the peer closed", "[iostream]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  std::string data = pattern(3u << 20);
  Future<std::string> all = b.read_until_close();
  bool sent = false;
  std::thread writer([&] {
    sent = send_raw(p.client, data);
    ::close(p.client);
  });
  std::string got = wait_for(c.loop, all);
  writer.join();
  CHECK(sent);
  CHECK(got == data);
  CHECK(b.closed());
}

TEST_CASE("writing to a vanished peer fails with StreamClosedError and raises no SIGPIPE", "[iostream][errors]") {
  // SIGPIPE keeps its default disposition, which would kill the test binary.
  REQUIRE(::signal(SIGPIPE, SIG_DFL) != SIG_ERR);
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client);
  int closes = 0;
  a.set_close_callback([&] { ++closes; });
  SECTION("reset") { close_with_reset(p.server); }
  SECTION("closed") { ::close(p.server); }
  std::string chunk(1 << 20, 'x');
  bool failed = false;
  for (int i = 0; i < 16 && !failed; ++i) {
    try {
      wait_for(c.loop, a.write(chunk));
    } catch (const eddy::StreamClosedError& e) {
      failed = true;
      CHECK(e.error() != 0);
    }
  }
  CHECK(failed);
  CHECK(a.closed());
  spin(c.loop);
  CHECK(closes == 1);
}

TEST_CASE("local close fails pending reads and writes and runs the close callback once", "[iostream][errors]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client);
  int closes = 0;
  a.set_close_callback([&] { ++closes; });
  Future<std::string> read = a.read_until("\n");
  Future<void> write = a.write(pattern(32u << 20));  // more than the kernel takes
  REQUIRE(!write.done());
  a.close();
  a.close();  // a no-op
  CHECK(a.closed());
  CHECK_THROWS_WITH(wait_for(c.loop, read), Catch::Contains("closed locally"));
  CHECK_THROWS_AS(wait_for(c.loop, write), eddy::StreamClosedError);
  spin(c.loop);
  CHECK(closes == 1);
  ::close(p.server);
}

TEST_CASE("read_until over max_bytes fails with UnsatisfiableReadError and closes the stream",
          "[iostream][limits]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  SECTION("the delimiter never comes") {
    Future<std::string> line = b.read_until("\n", 1000);
    send_all(p.client, std::string(1500, 'a'));
    CHECK_THROWS_AS(wait_for(c.loop, line), eddy::UnsatisfiableReadError);
    CHECK_THROWS_WITH(line.result(), Catch::Contains("max_bytes"));
    CHECK(b.closed());
  }
  SECTION("the delimiter comes too late") {
    send_all(p.client, std::string(20, 'a') + "\n");
    Future<std::string> line = b.read_until("\n", 10);
    CHECK_THROWS_AS(wait_for(c.loop, line), eddy::UnsatisfiableReadError);
    CHECK(b.closed());
  }
  SECTION("a delimiter ending exactly at max_bytes is fine") {
    send_all(p.client, "123456789\nrest");
    CHECK(wait_for(c.loop, b.read_until("\n", 10)) == "123456789\n");
    CHECK(!b.closed());
  }
  ::close(p.client);
}

TEST_CASE("the read buffer stays bounded by max_buffer_size whatever the peer sends", "[iostream][limits]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  b.set_max_buffer_size(1 << 20);
  CHECK(b.max_buffer_size() == (1u << 20));
  Future<std::string> all = b.read_until_close();
  std::thread flood([&] {
    std::string chunk(1 << 16, 'z');
    for (int i = 0; i < 64; ++i) {
      if (::send(p.client, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;
    }
  });
  CHECK_THROWS_AS(wait_for(c.loop, all), eddy::UnsatisfiableReadError);
  CHECK(b.closed());
  flood.join();
  ::close(p.client);
}

TEST_CASE("a second read while one is pending fails with a clear error", "[iostream]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  Future<std::string> first = b.read_bytes(4);
  Future<std::string> second = b.read_until("\n");
  REQUIRE(second.done());
  CHECK_THROWS_AS(second.result(), std::logic_error);
  CHECK_THROWS_WITH(second.result(), Catch::Contains("already pending"));
  send_all(p.client, "data");
  CHECK(wait_for(c.loop, first) == "data");  // the first read is unaffected
  ::close(p.client);
}

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

TEST_CASE("read_into fills the caller's memory from the buffer, then straight from the socket", "[iostream]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  send_all(p.client, "head\nbody");
  CHECK(wait_for(c.loop, b.read_until("\n")) == "head\n");  // "body" stays buffered
  std::string data = pattern(1u << 20);
  std::vector<char> into(4 + data.size());
  Future<std::size_t> read = b.read_into(into.data(), into.size());
  a.write(data);
  CHECK(wait_for(c.loop, read) == into.size());
  CHECK(std::string(into.data(), 4) == "body");
  CHECK(std::string(into.data() + 4, data.size()) == data);
  SECTION("partial returns what is there") {
    a.write("xyz");
    char small[16];
    CHECK(wait_for(c.loop, b.read_into(small, sizeof small, true)) == 3);
    CHECK(std::string(small, 3) == "xyz");
  }
  SECTION("the peer closing fails it") {
    a.close();
    char small[16];
    CHECK_THROWS_AS(wait_for(c.loop, b.read_into(small, sizeof small)), eddy::StreamClosedError);
  }
}

TEST_CASE("writes the kernel takes at once resolve at once", "[iostream]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  Future<void> w1 = a.write("one");
  Future<void> w2 = a.write("two");
  CHECK(w1.done());
  CHECK(w2.done());
  CHECK(wait_for(c.loop, b.read_bytes(6)) == "onetwo");
}

namespace {

// A connected AF_UNIX pair whose sender can queue `bytes` without a reader
// (SO_SNDBUF is raised; the kernel caps it, so the test checks it fit).
struct QueuedPair {
  int reader = -1;
  int writer = -1;
  explicit QueuedPair(std::size_t bytes) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    reader = fds[0];
    writer = fds[1];
    int size = 1 << 20;
    ::setsockopt(writer, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    std::string data = pattern(bytes);
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(writer, data.data() + sent, data.size() - sent, MSG_DONTWAIT);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    REQUIRE(sent == data.size());
  }
};

}  // namespace

TEST_CASE("a bulk read whose last recv filled its room reads on at once, without a poll", "[iostream][inline]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  constexpr std::size_t room = eddy::detail::StreamState::bulk_room;
  QueuedPair p(3 * room);
  IOStream reader(p.reader);
  std::vector<char> buffer(room);
  // The first read waits for the poller: nothing says yet that data is there.
  Future<std::size_t> first = reader.read_into(buffer.data(), room, true);
  CHECK_FALSE(first.done());
  CHECK(wait_for(c.loop, first) == room);
  // That recv filled its room, so the next two are read inline.
  std::uint64_t polls = c.loop.stats().polls;
  for (int i = 0; i < 2; ++i) {
    Future<std::size_t> next = reader.read_into(buffer.data(), room, true);
    REQUIRE(next.done());
    CHECK(next.result() == room);
  }
  CHECK(c.loop.stats().polls == polls);
  // The kernel is empty now: the inline attempt finds nothing, and the read
  // waits for data like any other.
  Future<std::size_t> last = reader.read_into(buffer.data(), room, true);
  CHECK_FALSE(last.done());
  send_all(p.writer, "tail");
  CHECK(wait_for(c.loop, last) == 4);
  ::close(p.writer);
}

TEST_CASE("inline reads stop after a budget so a stream that never pauses cannot starve the loop",
          "[iostream][inline]") {
  CurrentLoop c;
  constexpr std::size_t room = eddy::detail::StreamState::bulk_room;
  constexpr int budget = eddy::detail::StreamState::inline_read_budget;
  QueuedPair p((budget + 2) * room);
  IOStream reader(p.reader);
  std::vector<char> buffer(room);
  CHECK(wait_for(c.loop, reader.read_into(buffer.data(), room, true)) == room);
  int inline_reads = 0;
  Future<std::size_t> next = reader.read_into(buffer.data(), room, true);
  while (next.done() && inline_reads < 4 * budget) {
    CHECK(next.result() == room);
    ++inline_reads;
    next = reader.read_into(buffer.data(), room, true);
  }
  CHECK(inline_reads == budget);
  // Data is still there, but this read goes round the loop for it.
  std::uint64_t polls = c.loop.stats().polls;
  CHECK(wait_for(c.loop, next) == room);
  CHECK(c.loop.stats().polls > polls);
  ::close(p.writer);
}

TEST_CASE("read_into's callback form reports the count from the loop, never inside the call", "[iostream][callback]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TcpPair p = loopback_pair();
  IOStream a(p.client), b(p.server);
  char buffer[16];
  std::vector<std::size_t> counts;
  std::exception_ptr error;
  a.write("hello");
  b.read_into(buffer, 5, false, [&](std::size_t n, std::exception_ptr e) {
    counts.push_back(n);
    error = e;
    c.loop.stop();
  });
  CHECK(counts.empty());
  run_with_limit(c.loop);
  CHECK(counts == std::vector<std::size_t>{5});
  CHECK_FALSE(error);
  CHECK(std::string(buffer, 5) == "hello");
  // Already buffered data is handed over from the loop as well.
  send_all(p.client, "abcdefgh");
  CHECK(wait_for(c.loop, b.read_bytes(3)) == "abc");  // "defgh" stays buffered
  b.read_into(buffer, sizeof buffer, true, [&](std::size_t n, std::exception_ptr) {
    counts.push_back(n);
    c.loop.stop();
  });
  CHECK(counts.size() == 1);
  run_with_limit(c.loop);
  CHECK(counts == std::vector<std::size_t>{5, 5});
  CHECK(std::string(buffer, 5) == "defgh");
}

TEST_CASE("a read_into count already decided survives the stream closing before its callback runs",
          "[iostream][callback]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  send_all(p.client, "abcdefgh");
  CHECK(wait_for(c.loop, b.read_bytes(2)) == "ab");  // "cdefgh" stays buffered
  char buffer[16];
  std::size_t got = 99;
  std::exception_ptr error;
  // Completed from the buffer inside the call: the outcome waits in a job.
  b.read_into(buffer, 4, false, [&](std::size_t n, std::exception_ptr e) {
    got = n;
    error = e;
  });
  CHECK(got == 99);
  b.close();  // before the job runs
  spin(c.loop);
  CHECK(got == 4);
  CHECK_FALSE(error);
  CHECK(std::string(buffer, 4) == "cdef");
  ::close(p.client);
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

TEST_CASE("read_into's callback form gets StreamClosedError and the bytes stored when the peer closes",
          "[iostream][callback][errors]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  int closes = 0;
  b.set_close_callback([&] { ++closes; });
  char buffer[16];
  std::size_t got = 99;
  std::exception_ptr error;
  send_all(p.client, "abc");
  b.read_into(buffer, sizeof buffer, false, [&](std::size_t n, std::exception_ptr e) {
    got = n;
    error = e;
  });
  ::close(p.client);
  spin(c.loop, 100ms);
  CHECK(got == 3);
  REQUIRE(error);
  CHECK_THROWS_AS(std::rethrow_exception(error), eddy::StreamClosedError);
  CHECK(closes == 1);
  // Later reads fail the same way, still through the callback.
  error = nullptr;
  b.read_into(buffer, 1, false, [&](std::size_t, std::exception_ptr e) { error = e; });
  spin(c.loop);
  CHECK(error);
}

TEST_CASE("a second read while a callback read is pending fails through its own callback",
          "[iostream][callback][errors]") {
  CurrentLoop c;
  TcpPair p = loopback_pair();
  IOStream b(p.server);
  char buffer[4];
  std::exception_ptr second;
  b.read_into(buffer, sizeof buffer, false, [&](std::size_t, std::exception_ptr) {});
  b.read_into(buffer, sizeof buffer, false, [&](std::size_t, std::exception_ptr e) { second = e; });
  CHECK_FALSE(second);  // not inside the call
  Future<std::string> third = b.read_bytes(1);
  REQUIRE(third.done());
  CHECK_THROWS_AS(third.result(), std::logic_error);
  spin(c.loop);
  REQUIRE(second);
  CHECK_THROWS_AS(std::rethrow_exception(second), std::logic_error);
  ::close(p.client);
}

TEST_CASE("a read_into callback may read again at once, and dropping the last handle in it closes the stream",
          "[iostream][callback][lifetime]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  TcpPair p = loopback_pair();
  struct Reader {
    std::optional<IOStream> stream;
    char buffer[4];
    std::string seen;
    void next() {
      stream->read_into(buffer, sizeof buffer, false, [this](std::size_t n, std::exception_ptr e) {
        if (e) return;
        seen.append(buffer, n);
        if (seen.size() < 12) return next();
        stream.reset();  // the last handle goes inside the callback
      });
    }
  } reader;
  reader.stream.emplace(p.server);
  reader.next();
  send_all(p.client, "onetwothree!");
  spin(c.loop, 100ms);
  CHECK(reader.seen == "onetwothree!");
  CHECK(c.loop.stats().handlers_registered == 0);
  CHECK(recv_until_close(p.client, 5000).empty());  // EOF: the stream closed its fd
  ::close(p.client);
}

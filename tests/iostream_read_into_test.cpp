// IOStream::read_into in both forms (future and callback) and the inline bulk
// reads behind it: the caller's memory filled from the buffer then the
// socket, a budget for inline reads, counts delivered from the loop.
// Futures and callbacks only, so the suite also runs as C++17.
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

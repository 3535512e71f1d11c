// IOStream errors and limits: resets, closes from either side, a vanished
// peer, reads over max_bytes, a bounded read buffer, a second read while one
// is pending. Futures only, so the suite also runs as C++17.
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
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
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

// IOStream over real loopback TCP connections: reads that wait for bytes or a
// delimiter, and writes in order with back-pressure. Written with futures (no
// coroutines) so the suite also runs as C++17; errors, lifetime and read_into
// have suites of their own (iostream_*_test.cpp).
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

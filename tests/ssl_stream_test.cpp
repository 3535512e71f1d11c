// SSLIOStream keeps every promise IOStream makes, over TLS: the handshake
// hidden behind the first read or write, partial reads, read_until limits,
// read_into, flow control by the write future, close_notify and truncation,
// start_tls, handles, timeouts and a stream that outlives its loop.
#include <eddy/eddy.hpp>
#include <eddy/ssl.hpp>

#include <sys/socket.h>

#include <string>

#include <catch2/catch.hpp>

#include "support/loop_helpers.hpp"
#include "support/tls_helpers.hpp"

using namespace std::chrono_literals;
using eddy_test::TLSPair;

TEST_CASE("an SSLIOStream pair echoes a line and agrees on ALPN in the server's order", "[ssl][stream]") {
  eddy::IOLoop loop;
  eddy::SSLContext server_ctx = eddy_test::server_context();
  server_ctx.set_alpn_protocols({"h2", "http/1.1"});
  eddy::SSLContext client_ctx = eddy_test::client_context();
  client_ctx.set_alpn_protocols({"http/1.1", "h2"});
  TLSPair p = TLSPair::make(loop, server_ctx, client_ctx);
  std::string echoed = loop.run_sync([&]() -> eddy::Future<std::string> {
    co_await p.client.write("hello\n");
    std::string line = co_await p.server.read_until("\n");
    co_await p.server.write("echo " + line);
    co_return co_await p.client.read_until("\n");
  }, 20s);
  CHECK(echoed == "echo hello\n");
  CHECK(p.server.selected_alpn_protocol() == "h2");
  CHECK(p.client.selected_alpn_protocol() == "h2");
}

TEST_CASE("reads and writes issued before the handshake wait for it", "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  eddy::Future<std::string> read = p.server.read_bytes(5);  // before any handshake byte moved
  eddy::Future<void> written = p.client.write("early");
  CHECK(p.client.selected_alpn_protocol().empty());
  std::string got = loop.run_sync([&] { return read; }, 20s);
  CHECK(got == "early");
  CHECK(written.done());
}

TEST_CASE("wait_for_handshake resolves once the handshake is done, then at once", "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  eddy::Future<void> first = p.client.wait_for_handshake();
  CHECK_FALSE(first.done());
  loop.run_sync([&]() -> eddy::Future<void> {
    co_await first;
    co_await p.server.wait_for_handshake();
  }, 20s);
  CHECK(p.client.wait_for_handshake().done());
  CHECK(p.client.selected_alpn_protocol().empty());  // nobody offered any
}

TEST_CASE("a partial read over TLS resolves with what has arrived", "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  std::string got = loop.run_sync([&]() -> eddy::Future<std::string> {
    co_await p.client.write("abc");
    co_return co_await p.server.read_bytes(100, true);
  }, 20s);
  CHECK(got == "abc");
}

TEST_CASE("read_until over TLS past max_bytes fails with UnsatisfiableReadError and closes", "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  loop.run_sync([&]() -> eddy::Future<void> {
    co_await p.client.write(std::string(200, 'x'));
    eddy::Future<std::string> line = p.server.read_until("\n", 100);
    bool unsatisfiable = false;
    try {
      co_await line;
    } catch (const eddy::UnsatisfiableReadError&) {
      unsatisfiable = true;
    }
    CHECK(unsatisfiable);
  }, 20s);
  CHECK(p.server.closed());
}

TEST_CASE("an 8 MiB write over TLS arrives whole; its future resolves after the last byte went", "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  std::string big(8 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  eddy::Future<void> written = p.server.write(big);
  CHECK_FALSE(written.done());  // far more than the socket buffers hold: back-pressure
  std::string got = loop.run_sync([&] { return p.client.read_bytes(big.size()); }, 60s);
  CHECK(got == big);
  loop.run_sync([&] { return written; }, 20s);
  CHECK(p.server.write_buffer_size() == 0);
}

TEST_CASE("read_into over TLS fills the caller's memory, in pieces smaller than a record", "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  std::string sent(10000, 'q');
  char small[7];
  std::string got;
  loop.run_sync([&]() -> eddy::Future<void> {
    co_await p.client.write(sent);
    // One record holds all 10,000 bytes; reads of 7 leave the rest inside
    // OpenSSL, where the socket will never signal it: the stream must read it.
    while (got.size() < sent.size()) {
      std::size_t n = co_await p.server.read_into(small, sizeof small, true);
      got.append(small, n);
    }
  }, 20s);
  CHECK(got == sent);
}

TEST_CASE("read_into's callback form works over TLS", "[ssl][stream][callback]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  char buf[5];
  std::size_t count = 0;
  bool called = false;
  p.client.write("12345");
  p.server.read_into(buf, sizeof buf, false, [&](std::size_t n, std::exception_ptr error) {
    called = true;
    count = n;
    CHECK_FALSE(error);
    loop.stop();
  });
  eddy_test::run_with_limit(loop);
  CHECK(called);
  CHECK(count == 5);
  CHECK(std::string(buf, 5) == "12345");
}

TEST_CASE("close() sends close_notify: the peer's read_until_close resolves with everything", "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  std::string got = loop.run_sync([&]() -> eddy::Future<std::string> {
    co_await p.client.write("all of it");
    p.client.close();
    co_return co_await p.server.read_until_close();
  }, 20s);
  CHECK(got == "all of it");
}

TEST_CASE("a peer that ends the connection without close_notify fails read_until_close with SSLError",
          "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  loop.run_sync([&]() -> eddy::Future<void> {
    co_await p.client.write("part of it");
    co_await p.server.read_bytes(4);
    ::shutdown(p.client_fd, SHUT_RDWR);  // the socket ends, TLS never said goodbye
    eddy::Future<std::string> rest = p.server.read_until_close();
    try {
      co_await rest;
      FAIL("a truncated read_until_close resolved");
    } catch (const eddy::SSLError& e) {
      CHECK_THAT(e.what(), Catch::Contains("without close_notify"));
    }
  }, 20s);
  CHECK(p.server.closed());
}

TEST_CASE("start_tls upgrades a plain stream in place, bytes that came with the plain ones included",
          "[ssl][stream][starttls]") {
  eddy::IOLoop loop;
  std::pair<int, int> fds = eddy_test::socket_pair();
  eddy::IOStream server(fds.first, loop);
  eddy::IOStream client(fds.second, loop);
  std::string got = loop.run_sync([&]() -> eddy::Future<std::string> {
    co_await client.write("STARTTLS\n");
    eddy::Future<eddy::SSLIOStream> client_tls = client.start_tls(false, eddy_test::client_context(), "localhost");
    co_await eddy::sleep(50ms);  // the ClientHello is in the server's socket before its read
    std::string command = co_await server.read_until("\n");
    CHECK(command == "STARTTLS\n");
    CHECK(server.read_buffer_size() > 0);  // the ClientHello came with it
    eddy::Future<eddy::SSLIOStream> server_tls = server.start_tls(true, eddy_test::server_context());
    eddy::SSLIOStream c = co_await client_tls;
    eddy::SSLIOStream s = co_await server_tls;
    co_await client.write("secret\n");  // the old handle speaks TLS too
    co_return co_await s.read_until("\n");
  }, 20s);
  CHECK(got == "secret\n");
}

TEST_CASE("start_tls with a read pending, or on a TLS stream, throws logic_error", "[ssl][stream][starttls]") {
  eddy::IOLoop loop;
  std::pair<int, int> fds = eddy_test::socket_pair();
  eddy::IOStream plain(fds.first, loop);
  eddy::Future<std::string> pending = plain.read_bytes(1);
  CHECK_THROWS_AS(plain.start_tls(true, eddy_test::server_context()), std::logic_error);
  eddy::SSLIOStream tls(fds.second, loop, eddy_test::server_context(), true);
  CHECK_THROWS_AS(tls.start_tls(true, eddy_test::server_context()), std::logic_error);
  plain.close();
  CHECK_THROWS_AS(pending.result(), eddy::StreamClosedError);
}

TEST_CASE("an IOStream copy of an SSLIOStream speaks TLS", "[ssl][stream]") {
  eddy::IOLoop loop;
  TLSPair p = TLSPair::make(loop);
  eddy::IOStream as_plain = p.client;
  std::string got = loop.run_sync([&]() -> eddy::Future<std::string> {
    co_await as_plain.write("through the base\n");
    co_return co_await p.server.read_until("\n");
  }, 20s);
  CHECK(got == "through the base\n");
}

TEST_CASE("a client handshake past its timeout fails with SSLError and closes the stream", "[ssl][stream][timeout]") {
  eddy::IOLoop loop;
  std::pair<int, int> fds = eddy_test::socket_pair();  // the server side never answers
  eddy::SSLContext ctx = eddy_test::client_context();
  ctx.set_handshake_timeout(100ms);
  eddy::SSLIOStream client(fds.second, loop, ctx, false, "localhost");
  eddy::Future<std::string> read = client.read_bytes(1);
  loop.run_sync([&]() -> eddy::Future<void> {
    eddy::Future<void> handshake = client.wait_for_handshake();
    try {
      co_await handshake;
      FAIL("the handshake finished");
    } catch (const eddy::SSLError& e) {
      CHECK_THAT(e.what(), Catch::Contains("timed out"));
    }
  }, 20s);
  CHECK(client.closed());
  CHECK_THROWS_AS(read.result(), eddy::SSLError);
  ::close(fds.first);
}

TEST_CASE("a verifying client needs server_hostname; the fd stays the caller's", "[ssl][stream]") {
  eddy::IOLoop loop;
  std::pair<int, int> fds = eddy_test::socket_pair();
  CHECK_THROWS_AS(eddy::SSLIOStream(fds.second, loop, eddy_test::client_context(), false), std::invalid_argument);
  CHECK(::send(fds.second, "x", 1, MSG_NOSIGNAL) == 1);  // still open
  ::close(fds.first);
  ::close(fds.second);
}

TEST_CASE("an SSLIOStream still handshaking when its loop dies is closed with the loop", "[ssl][stream][lifetime]") {
  std::pair<int, int> fds = eddy_test::socket_pair();
  std::optional<eddy::SSLIOStream> keep;
  {
    eddy::IOLoop loop;
    keep.emplace(fds.second, loop, eddy_test::client_context(), false, "localhost");
    eddy::Future<std::string> read = keep->read_bytes(1);
    loop.add_timeout(20ms, [&] { loop.stop(); });
    loop.start();
  }
  CHECK(keep->closed());
  CHECK(keep->loop() == nullptr);
  ::close(fds.first);
}

TEST_CASE("a handshake nobody holds the stream for still ends, and frees the stream", "[ssl][stream][lifetime]") {
  eddy::IOLoop loop;
  std::pair<int, int> fds = eddy_test::socket_pair();  // the server side never answers
  eddy::SSLContext ctx = eddy_test::client_context();
  ctx.set_handshake_timeout(50ms);
  eddy::Future<void> handshake = eddy::SSLIOStream(fds.second, loop, ctx, false, "localhost").wait_for_handshake();
  eddy::Future<eddy::SSLIOStream> upgraded = [&] {
    std::pair<int, int> more = eddy_test::socket_pair();
    ::close(more.first);  // the peer is gone: the handshake fails at once
    eddy::IOStream plain(more.second, loop);
    return plain.start_tls(false, ctx, "localhost");
  }();
  loop.run_sync([&]() -> eddy::Future<void> {
    bool timed_out = false, failed = false;
    try {
      co_await handshake;
    } catch (const eddy::SSLError&) {
      timed_out = true;
    }
    try {
      co_await upgraded;
    } catch (const eddy::StreamClosedError&) {
      failed = true;
    }
    CHECK(timed_out);
    CHECK(failed);
  }, 20s);
  ::close(fds.first);  // LeakSanitizer checks that both streams were freed
}

// TCPServer and TCPClient over loopback (port 0 only): echo, addresses,
// errors, stop(), bursts of connections, SO_REUSEPORT, a coroutine per
// connection. EMFILE and 10,000 connections are in tcp_capacity_test.cpp.
#include <eddy/periodic.hpp>
#include <eddy/tcpclient.hpp>
#include <eddy/tcpserver.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::IOLoop;
using eddy::IOStream;
using eddy::TCPClient;
using eddy::TCPServer;

namespace {

// A free loopback port nobody listens on (bound, then closed).
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("TCPServer and TCPClient echo lines over loopback on port 0", "[tcp]") {
  auto backend = GENERATE(from_range(backends()));
  IOLoop loop(backend);
  loop.make_current();
  std::string peer;
  TCPServer server([&](IOStream stream, std::string address) {
    peer = address;
    echo_lines(stream);
  });
  std::uint16_t port = server.listen(0, "127.0.0.1");
  REQUIRE(port != 0);
  IOStream client = wait_for(loop, TCPClient().connect("127.0.0.1", port));
  client.write("hello\nworld\n");
  CHECK(wait_for(loop, client.read_until("\n")) == "hello\n");
  CHECK(wait_for(loop, client.read_until("\n")) == "world\n");
  CHECK(peer.rfind("127.0.0.1:", 0) == 0);
}

TEST_CASE("connect resolves a host name on the executor", "[tcp]") {
  IOLoop loop;
  loop.make_current();
  TCPServer server([](IOStream stream, std::string) { echo_lines(stream); });
  std::uint16_t port = server.listen(0, "127.0.0.1");
  // localhost may resolve to ::1 first: that address is refused, the next works.
  IOStream client = wait_for(loop, TCPClient().connect("localhost", port));
  client.write("ping\n");
  CHECK(wait_for(loop, client.read_until("\n")) == "ping\n");
}

TEST_CASE("TCPServer listens and TCPClient connects over IPv6", "[tcp][ipv6]") {
  IOLoop loop;
  loop.make_current();
  std::string peer;
  TCPServer server([&](IOStream stream, std::string address) {
    peer = address;
    echo_lines(stream);
  });
  std::uint16_t port = 0;
  try {
    port = server.listen(0, "::1");
  } catch (const std::exception& e) {
    WARN("no IPv6 loopback here: " << e.what());
    return;
  }
  IOStream client = wait_for(loop, TCPClient().connect("::1", port));
  client.write("six\n");
  CHECK(wait_for(loop, client.read_until("\n")) == "six\n");
  CHECK(peer.rfind("[::1]:", 0) == 0);
}

TEST_CASE("listen on a name with several addresses and port 0 binds one port for all of them", "[tcp]") {
  IOLoop loop;
  loop.make_current();
  TCPServer server([](IOStream stream, std::string) { echo_lines(stream); });
  std::uint16_t port = server.listen(0, "localhost");  // 127.0.0.1 and, where present, ::1
  IOStream client = wait_for(loop, TCPClient().connect("127.0.0.1", port));
  client.write("any\n");
  CHECK(wait_for(loop, client.read_until("\n")) == "any\n");
}

TEST_CASE("connect to a port nobody listens on fails naming host and port", "[tcp][errors]") {
  IOLoop loop;
  loop.make_current();
  std::uint16_t port = closed_port();
  std::string expected = "connect to 127.0.0.1:" + std::to_string(port);
  CHECK_THROWS_AS(wait_for(loop, TCPClient().connect("127.0.0.1", port)), std::system_error);
  CHECK_THROWS_WITH(wait_for(loop, TCPClient().connect("127.0.0.1", port)),
                    Catch::Contains(expected) && Catch::Contains("refused"));
  CHECK_THROWS_WITH(wait_for(loop, TCPClient().connect("localhost", port)),
                    Catch::Contains("connect to localhost:" + std::to_string(port)));
}

TEST_CASE("a handle_stream coroutine's failure goes to the loop's exception handler", "[tcp][errors]") {
  IOLoop loop;
  loop.make_current();
  std::string reported;
  loop.set_exception_handler([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      reported = x.what();
    }
    loop.stop();
  });
  TCPServer server([](IOStream, std::string) -> Future<void> {
    return eddy::make_failed_future<void>(std::make_exception_ptr(std::runtime_error("handler failed")));
  });
  std::uint16_t port = server.listen(0, "127.0.0.1");
  Future<IOStream> client = TCPClient().connect("127.0.0.1", port);
  run_with_limit(loop);
  CHECK(reported == "handler failed");
}

TEST_CASE("stop() stops accepting while accepted streams stay open", "[tcp]") {
  IOLoop loop;
  loop.make_current();
  std::vector<IOStream> accepted;
  TCPServer server([&](IOStream stream, std::string) { accepted.push_back(stream); });
  std::uint16_t port = server.listen(0, "127.0.0.1");
  IOStream client = wait_for(loop, TCPClient().connect("127.0.0.1", port));
  while (accepted.empty()) spin(loop, 5ms);
  server.stop();
  server.stop();  // a no-op
  CHECK_THROWS_AS(wait_for(loop, TCPClient().connect("127.0.0.1", port)), std::system_error);
  accepted.front().write("still here\n");
  CHECK(wait_for(loop, client.read_until("\n")) == "still here\n");
}

TEST_CASE("a burst of connections is accepted in batches and all are served", "[tcp]") {
  IOLoop loop;
  loop.make_current();
  int served = 0;
  TCPServer server([&](IOStream stream, std::string) {
    ++served;
    echo_lines(stream);
  });
  server.set_accept_batch(4);
  std::uint16_t port = server.listen(0, "127.0.0.1");
  std::vector<Future<IOStream>> connecting;
  for (int i = 0; i < 50; ++i) connecting.push_back(TCPClient().connect("127.0.0.1", port));
  std::vector<IOStream> clients;
  for (auto& f : connecting) clients.push_back(wait_for(loop, f));
  for (auto& c : clients) c.write("x\n");
  for (auto& c : clients) CHECK(wait_for(loop, c.read_until("\n")) == "x\n");
  CHECK(served == 50);
}

TEST_CASE("SO_REUSEPORT lets two servers listen on one port", "[tcp][reuseport]") {
  IOLoop loop;
  loop.make_current();
  TCPServer a([](IOStream stream, std::string) { echo_lines(stream); });
  TCPServer b([](IOStream stream, std::string) { echo_lines(stream); });
  a.set_reuse_port(true);
  b.set_reuse_port(true);
  std::uint16_t port = a.listen(0, "127.0.0.1");
  CHECK(b.listen(port, "127.0.0.1") == port);
  TCPServer c([](IOStream, std::string) {});
  CHECK_THROWS_AS(c.listen(port, "127.0.0.1"), std::system_error);  // without it: address in use
  IOStream client = wait_for(loop, TCPClient().connect("127.0.0.1", port));
  client.write("shared\n");
  CHECK(wait_for(loop, client.read_until("\n")) == "shared\n");
}

#if defined(__cpp_impl_coroutine)
namespace {
eddy::Future<void> echo_coroutine(IOStream stream, std::string) {
  try {
    for (;;) co_await stream.write(co_await stream.read_until("\n"));
  } catch (const eddy::StreamClosedError&) {
  }
}

eddy::Future<std::string> client_coroutine(std::uint16_t port) {
  IOStream stream = co_await TCPClient().connect("127.0.0.1", port);
  std::string got;
  for (int i = 0; i < 100; ++i) {
    co_await stream.write("line " + std::to_string(i) + "\n");
    got += co_await stream.read_until("\n");
  }
  co_return got;
}
}  // namespace

TEST_CASE("a coroutine per connection echoes lines to a coroutine client", "[tcp][coroutines]") {
  IOLoop loop;
  loop.make_current();
  TCPServer server(echo_coroutine);
  std::uint16_t port = server.listen(0, "127.0.0.1");
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "line " + std::to_string(i) + "\n";
  CHECK(loop.run_sync([&] { return client_coroutine(port); }, 20s) == expected);
}
#endif

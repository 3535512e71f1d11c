// UDPSocket: echo between eddy sockets and against Python's socket module,
// 10,000 datagrams with none lost (paced by a window, so no buffer can
// overflow), truncation reported, connect by literal and by name, ICMP
// errors, closing and lifetime; on epoll and poll (and kqueue where built).
#include <eddy/gen.hpp>
#include <eddy/netutil.hpp>

#include <stdio.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "support/current_loop.hpp"
#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"
#include "support/temp_dir.hpp"
#include "support/run_command.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::IOLoop;
using eddy::UDPSocket;
using Datagram = eddy::UDPSocket::Datagram;

namespace {

// Echoes every datagram back to its sender until the socket closes.
Future<void> echo_forever(UDPSocket socket) {
  try {
    for (;;) {
      Datagram d = co_await socket.receive();
      co_await socket.send_to(d.data, d.host, d.port);
    }
  } catch (const eddy::StreamClosedError&) {
  }
}

// Sends `count` numbered datagrams with at most `window` awaiting their
// echo, and checks every echo comes back once.
Future<std::size_t> paced_echoes(UDPSocket client, std::size_t count, std::size_t window) {
  std::vector<bool> seen(count, false);
  std::size_t sent = 0, received = 0;
  while (received < count) {
    while (sent < count && sent - received < window) {
      std::string payload = "datagram " + std::to_string(sent++);
      co_await client.send(payload);
    }
    Datagram d = co_await client.receive();
    std::size_t n = std::stoul(d.data.substr(9));
    if (n >= count || seen[n]) throw std::runtime_error("unexpected echo: " + d.data);
    seen[n] = true;
    ++received;
  }
  co_return received;
}

std::string run_shell(const std::string& command) { return eddy_test::run_command_anywhere(command + " 2>&1").out; }

}  // namespace

TEST_CASE("a datagram goes from a connected UDPSocket to a bound one and back", "[net][udp]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  UDPSocket server = UDPSocket::bind(0, "127.0.0.1");
  REQUIRE(server.port() != 0);
  UDPSocket client = UDPSocket::connect("127.0.0.1", server.port());
  REQUIRE(client.port() != 0);
  wait_for(c.loop, client.send("ping"));
  Datagram d = wait_for(c.loop, server.receive());
  CHECK(d.data == "ping");
  CHECK(d.host == "127.0.0.1");
  CHECK(d.port == client.port());
  wait_for(c.loop, server.send_to("pong", d.host, d.port));
  CHECK(wait_for(c.loop, client.receive()).data == "pong");
}

TEST_CASE("an eddy UDP echo server answers Python's socket module", "[net][udp][python]") {
  CurrentLoop c;
  UDPSocket server = UDPSocket::bind(0, "127.0.0.1");
  Future<void> serving = echo_forever(server);
  TempDir dir;
  std::string script = dir.file("client.py");
  std::ofstream(script) << "import socket, sys\n"
                           "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                           "s.settimeout(10)\n"
                           "for i in range(200):\n"
                           "    m = ('python %d ' % i).encode() * (1 + i % 50)\n"
                           "    s.sendto(m, ('127.0.0.1', int(sys.argv[1])))\n"
                           "    r, a = s.recvfrom(65536)\n"
                           "    assert r == m, (r, m)\n"
                           "print('python ok')\n";
  std::string command = "python3 " + script + " " + std::to_string(server.port());
  Future<std::string> out = c.loop.run_in_executor([command] { return run_shell(command); });
  CHECK(wait_for(c.loop, out, std::chrono::seconds(60)) == "python ok\n");
  server.close();
  wait_for(c.loop, serving);
}

TEST_CASE("10,000 datagrams paced by a window all arrive once, none lost", "[net][udp]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  UDPSocket server = UDPSocket::bind(0, "127.0.0.1");
  Future<void> serving = echo_forever(server);
  UDPSocket client = UDPSocket::connect("127.0.0.1", server.port());
  CHECK(wait_for(c.loop, paced_echoes(client, 10000, 32), std::chrono::seconds(60)) == 10000);
  server.close();
  wait_for(c.loop, serving);
}

TEST_CASE("a datagram larger than max_datagram_size is reported with its size, never cut", "[net][udp][errors]") {
  CurrentLoop c;
  UDPSocket server = UDPSocket::bind(0, "127.0.0.1");
  server.set_max_datagram_size(100);
  CHECK(server.max_datagram_size() == 100);
  UDPSocket client = UDPSocket::connect("127.0.0.1", server.port());
  wait_for(c.loop, client.send(std::string(200, 'x')));
  wait_for(c.loop, client.send(std::string(50, 'y')));
  Future<Datagram> big = server.receive();
  CHECK_THROWS_AS(wait_for(c.loop, big), std::system_error);
  CHECK(error_code_of(big.exception()) == EMSGSIZE);
  CHECK(failure_of(big).find("200 bytes") != std::string::npos);
  CHECK(wait_for(c.loop, server.receive()).data == std::string(50, 'y'));  // the socket goes on
  CHECK_FALSE(server.closed());
}

TEST_CASE("a 65,000-byte datagram arrives whole by default", "[net][udp]") {
  CurrentLoop c;
  UDPSocket server = UDPSocket::bind(0, "127.0.0.1");
  UDPSocket client = UDPSocket::connect("127.0.0.1", server.port());
  std::string big(65000, 'z');
  big[64999] = 'E';
  wait_for(c.loop, client.send(big));
  CHECK(wait_for(c.loop, server.receive()).data == big);
}

TEST_CASE("a socket bound on every interface talks IPv4 and reads its peers as IPv4", "[net][udp]") {
  CurrentLoop c;
  UDPSocket server = UDPSocket::bind(0);
  UDPSocket client = UDPSocket::connect("127.0.0.1", server.port());
  wait_for(c.loop, client.send("v4"));
  Datagram d = wait_for(c.loop, server.receive());
  CHECK(d.host == "127.0.0.1");
  wait_for(c.loop, server.send_to("back", d.host, d.port));
  CHECK(wait_for(c.loop, client.receive()).data == "back");
}

TEST_CASE("connect by name resolves off the loop and sends queued meanwhile go out in order", "[net][udp]") {
  CurrentLoop c;
  UDPSocket server = UDPSocket::bind(0);  // dual-stack: localhost may resolve to ::1 or 127.0.0.1
  UDPSocket client = UDPSocket::connect("localhost", server.port());
  CHECK(client.port() != 0);
  Future<void> first = client.send("one");
  Future<void> second = client.send("two");
  CHECK(wait_for(c.loop, server.receive()).data == "one");
  CHECK(wait_for(c.loop, server.receive()).data == "two");
  CHECK(first.done());
  CHECK(second.done());
}

TEST_CASE("send_to a host name resolves it off the loop", "[net][udp]") {
  CurrentLoop c;
  UDPSocket server = UDPSocket::bind(0);
  UDPSocket client = UDPSocket::bind(0);
  wait_for(c.loop, client.send_to("by name", "localhost", server.port()));
  CHECK(wait_for(c.loop, server.receive()).data == "by name");
}

TEST_CASE("send without a peer fails with EDESTADDRREQ and an IPv6 peer of an IPv4 socket with EAFNOSUPPORT",
          "[net][udp][errors]") {
  CurrentLoop c;
  UDPSocket s = UDPSocket::bind(0, "127.0.0.1");
  Future<void> no_peer = s.send("x");
  CHECK_THROWS_AS(wait_for(c.loop, no_peer), std::system_error);
  CHECK(error_code_of(no_peer.exception()) == EDESTADDRREQ);
  Future<void> v6 = s.send_to("x", "::1", 9);
  CHECK_THROWS_AS(wait_for(c.loop, v6), std::system_error);
  CHECK(error_code_of(v6.exception()) == EAFNOSUPPORT);
  CHECK_FALSE(s.closed());
}

TEST_CASE("a connected socket's closed peer port fails a receive with ECONNREFUSED and the socket goes on",
          "[net][udp][errors]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  std::uint16_t dead_port = 0;
  {
    UDPSocket gone = UDPSocket::bind(0, "127.0.0.1");
    dead_port = gone.port();
  }
  UDPSocket client = UDPSocket::connect("127.0.0.1", dead_port);
  Future<Datagram> refused = client.receive();
  wait_for(c.loop, client.send("anyone?"));
  CHECK_THROWS_AS(wait_for(c.loop, refused), std::system_error);
  CHECK(error_code_of(refused.exception()) == ECONNREFUSED);
  CHECK_FALSE(client.closed());
}

TEST_CASE("close fails waiting receives and every later call with StreamClosedError", "[net][udp][lifetime]") {
  CurrentLoop c;
  UDPSocket s = UDPSocket::bind(0, "127.0.0.1");
  std::uint16_t port = s.port();
  Future<Datagram> first = s.receive();
  Future<Datagram> second = s.receive();
  s.close();
  CHECK(s.closed());
  CHECK(s.fd() == -1);
  CHECK(s.port() == port);
  CHECK_THROWS_AS(wait_for(c.loop, first), eddy::StreamClosedError);
  CHECK_THROWS_AS(wait_for(c.loop, second), eddy::StreamClosedError);
  CHECK(failure_of(first).find("closed locally") != std::string::npos);
  CHECK_THROWS_AS(wait_for(c.loop, s.send_to("x", "127.0.0.1", port)), eddy::StreamClosedError);
  s.close();  // a no-op
}

TEST_CASE("dropping the last handle closes the socket and fails its waiting receive", "[net][udp][lifetime]") {
  CurrentLoop c;
  Future<Datagram> orphan;
  {
    UDPSocket s = UDPSocket::bind(0, "127.0.0.1");
    UDPSocket copy = s;
    orphan = copy.receive();
  }
  CHECK_THROWS_AS(wait_for(c.loop, orphan), eddy::StreamClosedError);
  CHECK(failure_of(orphan).find("last handle") != std::string::npos);
}

TEST_CASE("a socket with a waiting receive outlives its loop safely", "[net][udp][lifetime]") {
  std::optional<UDPSocket> survivor;
  Future<Datagram> pending;
  {
    IOLoop loop;
    loop.make_current();
    survivor = UDPSocket::bind(0, "127.0.0.1");
    pending = survivor->receive();
    IOLoop::clear_current();
  }
  CHECK(survivor->closed());
  CHECK_FALSE(pending.done());  // dropped unresolved with the loop, as streams' are
  CHECK_THROWS_AS(survivor->receive().result(), eddy::StreamClosedError);
}

TEST_CASE("receive's callback form runs from the handler, never inside the call, and reuses its datagram",
          "[net][udp][callback]") {
  auto backend = GENERATE(from_range(backends()));
  CurrentLoop c(backend);
  UDPSocket server = UDPSocket::bind(0, "127.0.0.1");
  UDPSocket client = UDPSocket::connect("127.0.0.1", server.port());
  std::vector<std::string> got;
  bool in_call = true;
  std::function<void(Datagram&, std::exception_ptr)> on_datagram = [&](Datagram& d, std::exception_ptr error) {
    CHECK_FALSE(in_call);
    REQUIRE_FALSE(error);
    CHECK(d.host == "127.0.0.1");
    CHECK(d.port == client.port());
    got.push_back(std::move(d.data));
    if (got.size() < 3) server.receive(on_datagram);  // the next one, at once
  };
  server.receive(on_datagram);
  in_call = false;
  for (const char* m : {"one", "two", "three"}) wait_for(c.loop, client.send(m));
  for (int i = 0; i < 100 && got.size() < 3; ++i) spin(c.loop, std::chrono::milliseconds(5));
  CHECK(got == std::vector<std::string>{"one", "two", "three"});
}

TEST_CASE("future and callback receives are served in the order they were made", "[net][udp][callback]") {
  CurrentLoop c;
  UDPSocket server = UDPSocket::bind(0, "127.0.0.1");
  UDPSocket client = UDPSocket::connect("127.0.0.1", server.port());
  Future<Datagram> first = server.receive();
  std::string second;
  server.receive([&](Datagram& d, std::exception_ptr) { second = d.data; });
  Future<Datagram> third = server.receive();
  for (const char* m : {"a", "b", "c"}) wait_for(c.loop, client.send(m));
  CHECK(wait_for(c.loop, first).data == "a");
  CHECK(wait_for(c.loop, third).data == "c");
  CHECK(second == "b");
}

TEST_CASE("a callback receive on a closed socket gets StreamClosedError from the loop", "[net][udp][callback]") {
  CurrentLoop c;
  UDPSocket s = UDPSocket::bind(0, "127.0.0.1");
  std::string failure = "not called";
  s.receive([&](Datagram& d, std::exception_ptr error) {
    CHECK(d.data.empty());
    failure = failure_of(eddy::make_failed_future<int>(error));
  });
  s.close();
  CHECK(failure == "not called");  // never inside close()
  spin(c.loop);
  CHECK(failure.find("closed locally") != std::string::npos);
  bool called = false;
  s.receive([&](Datagram&, std::exception_ptr error) { called = error != nullptr; });
  CHECK_FALSE(called);
  spin(c.loop);
  CHECK(called);
}

TEST_CASE("a receive callback holding the last handle of its socket may drop it", "[net][udp][callback][lifetime]") {
  CurrentLoop c;
  std::optional<UDPSocket> server = UDPSocket::bind(0, "127.0.0.1");
  UDPSocket client = UDPSocket::connect("127.0.0.1", server->port());
  std::string got;
  server->receive([&](Datagram& d, std::exception_ptr) {
    got = d.data;
    server.reset();  // the last handle: the socket closes after the callback
  });
  wait_for(c.loop, client.send("bye"));
  for (int i = 0; i < 100 && got.empty(); ++i) spin(c.loop, std::chrono::milliseconds(5));
  CHECK(got == "bye");
  CHECK_FALSE(server);
}

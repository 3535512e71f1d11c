// How many datagrams a UDPSocket reads per readable event (the read pacer,
// include/eddy/detail/net/udp_read_pacer.hpp): one while the socket shows no
// backlog, so a request/response exchange makes no EAGAIN read; up to 32
// once it does, so a flood is drained without a poll per datagram; never
// more than 32 per event, so one busy socket cannot starve another. The
// policy itself, then sockets holding a backlog on every backend.
#include <eddy/gen.hpp>
#include <eddy/netutil.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "support/current_loop.hpp"
#include "support/loop_helpers.hpp"
#include "support/stream_helpers.hpp"

using namespace eddy_test;
using eddy::Future;
using eddy::UDPSocket;
using eddy::detail::UDPReadPacer;
using Datagram = eddy::UDPSocket::Datagram;

namespace {

// Reads allowed by one event on which the socket holds `queued` datagrams.
int reads_of_event(UDPReadPacer& pacer, int queued) {
  pacer.start_event();
  int reads = 0;
  while (pacer.may_read()) {
    if (reads == queued) {
      pacer.ran_dry();
      break;
    }
    pacer.took_one();
    ++reads;
  }
  return reads;
}

// Sends `count` datagrams "<prefix> <i>" to `port` on 127.0.0.1 from a
// plain blocking socket: on loopback they are queued on the receiver before
// sendto returns, so the receiver holds them all before its loop runs.
void send_burst(std::uint16_t port, const std::string& prefix, std::size_t count) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (std::size_t i = 0; i < count; ++i) {
    std::string m = prefix + " " + std::to_string(i);
    REQUIRE(::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
            static_cast<ssize_t>(m.size()));
  }
  ::close(fd);
}

// Receives `count` datagrams with co_await receive(), in order.
Future<std::vector<std::string>> receive_all(UDPSocket socket, std::size_t count) {
  std::vector<std::string> got;
  for (std::size_t i = 0; i < count; ++i) {
    Datagram d = co_await socket.receive();
    got.push_back(std::move(d.data));
  }
  co_return got;
}

std::vector<std::string> numbered(const std::string& prefix, std::size_t count) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(prefix + " " + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("a quiet UDP socket reads one datagram per event, probing for a backlog at doubling gaps up to 64",
          "[net][udp][pacing]") {
  UDPReadPacer pacer;
  // The first event probes (two reads allowed); one datagram: the second read
  // answers EAGAIN and the gap doubles.
  CHECK(reads_of_event(pacer, 1) == 1);
  CHECK(pacer.probe_gap() == 2);
  CHECK_FALSE(pacer.may_read());
  // From then on one read per event, no EAGAIN read, except at each probe.
  int probes = 0;
  for (int event = 0; event < 1000; ++event) {
    pacer.start_event();
    REQUIRE(pacer.may_read());
    pacer.took_one();
    if (pacer.may_read()) {
      ++probes;
      pacer.ran_dry();
    }
    CHECK_FALSE(pacer.may_read());
  }
  CHECK_FALSE(pacer.draining());
  CHECK(pacer.probe_gap() == UDPReadPacer::max_probe_gap);
  CHECK(probes <= 5 + 1000 / UDPReadPacer::max_probe_gap + 1);  // 2, 4, 8, 16, 32, then every 64th
}

TEST_CASE("a UDP socket that showed a backlog reads up to 32 per event until an event finds at most one",
          "[net][udp][pacing]") {
  UDPReadPacer pacer;
  CHECK(reads_of_event(pacer, 100) == UDPReadPacer::drain_cap);  // the probe's second read found more
  CHECK(pacer.draining());
  CHECK(reads_of_event(pacer, 100) == UDPReadPacer::drain_cap);  // the cap: others get their turn
  CHECK(reads_of_event(pacer, 5) == 5);  // ran dry after five: still a flood
  CHECK(pacer.draining());
  CHECK(reads_of_event(pacer, 1) == 1);  // one, then EAGAIN: quiet again
  CHECK_FALSE(pacer.draining());
  CHECK(pacer.probe_gap() == 1);         // and the next event probes at once
  CHECK(reads_of_event(pacer, 3) == 3);
  CHECK(pacer.draining());
  // A spurious wake-up (nothing to read) while draining ends the drain too.
  CHECK(reads_of_event(pacer, 0) == 0);
  CHECK_FALSE(pacer.draining());
}

TEST_CASE("a UDP socket holding many datagrams is drained across events, none lost or reordered",
          "[net][udp][pacing]") {
  auto backend = GENERATE(from_range(backends()));
  bool callbacks = GENERATE(true, false);
  CAPTURE(backend, callbacks);
  CurrentLoop c(backend);
  UDPSocket server = UDPSocket::bind(0, "127.0.0.1");
  constexpr std::size_t count = 100;  // 100 small datagrams fit a default receive buffer
  send_burst(server.port(), "d", count);
  std::uint64_t handler_calls = c.loop.stats().handler_calls;
  std::vector<std::string> got;
  if (callbacks) {
    std::function<void(Datagram&, std::exception_ptr)> next = [&](Datagram& d, std::exception_ptr error) {
      REQUIRE_FALSE(error);
      got.push_back(d.data);
      if (got.size() < count) server.receive(next);
    };
    server.receive(next);
    for (int i = 0; i < 200 && got.size() < count; ++i) spin(c.loop, std::chrono::milliseconds(5));
  } else {
    got = wait_for(c.loop, receive_all(server, count));
  }
  CHECK(got == numbered("d", count));
  // At most 32 per event, and not one event per datagram either.
  handler_calls = c.loop.stats().handler_calls - handler_calls;
  CHECK(handler_calls >= (count + UDPReadPacer::drain_cap - 1) / UDPReadPacer::drain_cap);
  CHECK(handler_calls < count / 4);
}

TEST_CASE("one busy UDP socket does not starve another", "[net][udp][pacing]") {
  auto backend = GENERATE(from_range(backends()));
  CAPTURE(backend);
  CurrentLoop c(backend);
  UDPSocket busy = UDPSocket::bind(0, "127.0.0.1");
  UDPSocket other = UDPSocket::bind(0, "127.0.0.1");
  constexpr std::size_t count = 100;
  std::size_t busy_seen = 0;
  std::size_t busy_when_other = count + 1;
  std::function<void(Datagram&, std::exception_ptr)> next = [&](Datagram&, std::exception_ptr error) {
    REQUIRE_FALSE(error);
    if (++busy_seen < count) busy.receive(next);
  };
  busy.receive(next);
  other.receive([&](Datagram& d, std::exception_ptr error) {
    REQUIRE_FALSE(error);
    CHECK(d.data == "other 0");
    busy_when_other = busy_seen;
  });
  // The busy socket's datagrams are queued first, so epoll reports it first
  // and poll scans it first: without a cap it would drain all of them first.
  send_burst(busy.port(), "busy", count);
  send_burst(other.port(), "other", 1);
  for (int i = 0; i < 200 && busy_seen < count; ++i) spin(c.loop, std::chrono::milliseconds(5));
  CHECK(busy_seen == count);
  CHECK(busy_when_other <= std::size_t{UDPReadPacer::drain_cap});
}

// TCPServer at the edge of capacity: out of descriptors (EMFILE) on accept,
// and 10,000 connections held at once. The heavy cases run their client or
// server in a forked process.
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

// ---- blocking client code for forked children: plain syscalls only ----

int blocking_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends "line <i>\n" and checks the echo; true on success.
bool echo_once(int fd, int i) {
  char line[32];
  int len = std::snprintf(line, sizeof line, "line %d\n", i);
  if (::send(fd, line, static_cast<std::size_t>(len), MSG_NOSIGNAL) != len) return false;
  char got[32];
  int have = 0;
  while (have < len) {
    ssize_t n = ::recv(fd, got + have, static_cast<std::size_t>(len - have), 0);
    if (n <= 0) return false;
    have += static_cast<int>(n);
  }
  return std::memcmp(line, got, static_cast<std::size_t>(len)) == 0;
}

}  // namespace

// The server runs in a child whose RLIMIT_NOFILE leaves room for only a few
// connections; the test process connects more than that at once. The server
// must neither die nor spin (its loop counts iterations) and must serve every
// connection as earlier ones close.
namespace {

int emfile_server(int report_fd, int quit_fd) {
  IOLoop loop;
  loop.make_current();
  TCPServer server([](IOStream stream, std::string) {
    stream.read_until("\n").add_done_callback([stream](const Future<std::string>& line) mutable {
      if (line.exception()) return;
      stream.write(line.result()).add_done_callback([stream](const Future<void>&) mutable { stream.close(); });
    });
  });
  std::uint16_t port = server.listen(0, "127.0.0.1");
  // UBSan's vptr check confirms an unknown (object, type) pair by probing
  // memory through a pipe, which fails once descriptors run out and is then
  // misreported as an invalid vptr. Meeting the stream errors' types once,
  // while descriptors are free, puts them in its cache.
  {
    eddy::StreamClosedError closed("warm-up");
    eddy::UnsatisfiableReadError unsatisfiable("warm-up");
    if (closed.error() + unsatisfiable.error() != 0) return 15;
  }
  // Room for exactly three more descriptors: lower the limit, fill every
  // free slot below it (holes included), then free the last three.
  int highest = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    if (eddy::detail::fd_is_open(fd)) highest = fd;
  }
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = static_cast<rlim_t>(highest + 1 + 3);
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return 10;
  std::vector<int> fillers;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
  if (errno != EMFILE || fillers.size() < 3) return 14;
  const int room = 3;
  for (int i = 0; i < room; ++i) {
    ::close(fillers.back());
    fillers.pop_back();
  }
  int report[2] = {port, room};
  if (::write(report_fd, report, sizeof report) != static_cast<ssize_t>(sizeof report)) return 11;
  loop.add_handler(quit_fd, [&](int, std::uint32_t) { loop.stop(); }, IOLoop::READ);
  bool timed_out = false;
  loop.call_later(std::chrono::seconds(60), [&] {
    timed_out = true;
    loop.stop();
  });
  loop.start();
  loop.remove_handler(quit_fd);
  if (timed_out) return 12;
  // Serving a dozen connections takes a few dozen iterations; an accept loop
  // spinning on EMFILE would run hundreds of thousands.
  return loop.stats().iterations < 2000 ? 0 : 13;
}

}  // namespace

TEST_CASE("out of descriptors (EMFILE), the server pauses accepting and resumes as fds free up",
          "[tcp][emfile]") {
  int report[2], quit[2];
  REQUIRE(::pipe(report) == 0);
  REQUIRE(::pipe(quit) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(report[0]);
    ::close(quit[1]);
    int code = 20;
    try {
      code = emfile_server(report[1], quit[0]);
    } catch (...) {
    }
    ::_exit(code);
  }
  ::close(report[1]);
  ::close(quit[0]);
  int info[2] = {0, 0};
  pollfd p{report[0], POLLIN, 0};
  bool reported = ::poll(&p, 1, 30000) == 1 && ::read(report[0], info, sizeof info) == static_cast<ssize_t>(sizeof info);
  std::vector<int> clients;
  bool all_echoed = reported;
  if (reported) {
    auto port = static_cast<std::uint16_t>(info[0]);
    int count = info[1] + 8;  // more connections than the server has room for
    for (int i = 0; i < count; ++i) clients.push_back(blocking_connect(port));
    for (int i = 0; i < count; ++i) {
      all_echoed = all_echoed && clients[static_cast<std::size_t>(i)] >= 0 &&
                   echo_once(clients[static_cast<std::size_t>(i)], i);
    }
  }
  for (int fd : clients) {
    if (fd >= 0) ::close(fd);
  }
  ::close(quit[1]);  // tells the server to stop
  int status = wait_child(pid);
  ::close(report[0]);
  CHECK(reported);
  CHECK(all_echoed);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

// 10,000 connections open at once, each echoing a line. The server is this
// process's loop; the clients are blocking sockets in a forked child.
TEST_CASE("an echo server holds 10,000 connections open at once, each echoing a line", "[tcp][c10k]") {
  constexpr int connections = 10000;
  rlimit lim{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
  const rlim_t needed = connections + 256;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < needed) {
    WARN("RLIMIT_NOFILE hard limit " << lim.rlim_max << " is below " << needed << ": skipped");
    return;
  }
  rlimit raised = lim;
  raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? needed : lim.rlim_max;
  if (raised.rlim_cur > lim.rlim_cur) REQUIRE(::setrlimit(RLIMIT_NOFILE, &raised) == 0);

  IOLoop loop;
  loop.make_current();
  int open = 0, peak = 0;
  TCPServer server([&](IOStream stream, std::string) {
    peak = std::max(peak, ++open);
    stream.set_close_callback([&open] { --open; });
    echo_lines(stream);
  });
  std::uint16_t port = server.listen(0, "127.0.0.1");

  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<int> fds(connections, -1);
    for (int i = 0; i < connections; ++i) {
      fds[static_cast<std::size_t>(i)] = blocking_connect(port);
      if (fds[static_cast<std::size_t>(i)] < 0) ::_exit(2);
    }
    // Every connection is open now; each echoes a line in turn.
    for (int i = 0; i < connections; ++i) {
      if (!echo_once(fds[static_cast<std::size_t>(i)], i)) ::_exit(3);
    }
    for (int fd : fds) ::close(fd);
    ::_exit(0);
  }
  int status = -1;
  bool reaped = false;
  eddy::PeriodicCallback reaper(
      loop,
      [&] {
        if (!reaped) reaped = ::waitpid(pid, &status, WNOHANG) == pid;
        if (reaped && open == 0) loop.stop();
      },
      10ms);
  reaper.start();
  bool finished = true;
  loop.call_later(std::chrono::seconds(150), [&] {
    finished = false;
    loop.stop();
  });
  loop.start();
  reaper.stop();
  if (!reaped) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  server.stop();
  ::setrlimit(RLIMIT_NOFILE, &lim);
  REQUIRE(finished);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(peak == connections);
  CHECK(open == 0);
}

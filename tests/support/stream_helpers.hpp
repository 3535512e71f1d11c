// Helpers shared by the stream and TCP tests: real loopback connections
// (127.0.0.1, port 0), waiting on a future with a time limit, and a reset.
#pragma once

#include <eddy/iostream.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "loop_helpers.hpp"

namespace eddy_test {

// A connected pair of loopback TCP sockets (blocking, close-on-exec); the
// caller owns both fds.
struct TcpPair {
  int client = -1;
  int server = -1;
};

inline TcpPair loopback_pair() {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  TcpPair pair;
  pair.client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(pair.client >= 0);
  REQUIRE(::connect(pair.client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  pair.server = ::accept(listener, nullptr, nullptr);
  REQUIRE(pair.server >= 0);
  ::fcntl(pair.server, F_SETFD, FD_CLOEXEC);
  ::close(listener);
  return pair;
}

// Runs the loop until `future` is done (failing the test after `limit`),
// then returns its result or rethrows its exception.
template <class T>
T wait_for(eddy::IOLoop& loop, eddy::Future<T> future, std::chrono::milliseconds limit = 20s) {
  if (!future.done()) {
    future.add_done_callback([&loop](const eddy::Future<T>&) { loop.stop(); });
    run_with_limit(loop, limit);
  }
  REQUIRE(future.done());
  return future.result();
}

// Runs the loop for a while (e.g. to let a close callback run).
inline void spin(eddy::IOLoop& loop, std::chrono::milliseconds how_long = 20ms) {
  loop.call_later(how_long, [&loop] { loop.stop(); });
  run_with_limit(loop);
}

// Closes fd so that the peer gets a reset (RST) rather than a FIN.
inline void close_with_reset(int fd) {
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd);
}

// Blocking helpers for the raw side of a connection. send_raw asserts
// nothing, so helper threads may call it (Catch2 is not thread-safe).
inline bool send_raw(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}
inline void send_all(int fd, const std::string& data) { REQUIRE(send_raw(fd, data)); }

// Reads until the peer closes (or `limit` passes without data).
inline std::string recv_until_close(int fd, int limit_ms = 20000) {
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, limit_ms) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Waits (bounded) for a child process; kills it if it overstays. Returns the
// wait status, or -1 if it had to be killed.
inline int wait_child(pid_t pid, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r == -1) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// The message of a future's exception, "" when it succeeded.
template <class T>
std::string failure_of(const eddy::Future<T>& future) {
  try {
    future.result();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Echoes lines until the stream closes (callback style, so C++17 suites may
// use it).
inline void echo_lines(eddy::IOStream stream) {
  stream.read_until("\n").add_done_callback([stream](const eddy::Future<std::string>& line) mutable {
    if (line.exception()) return;  // closed: the callback lets go of the stream
    stream.write(line.result()).add_done_callback([](const eddy::Future<void>& w) { w.exception(); });
    echo_lines(stream);
  });
}

}  // namespace eddy_test

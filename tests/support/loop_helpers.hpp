// Helpers shared by the loop tests: the backends to run every test against,
// a watchdog so a broken test fails instead of hanging, and socket pairs.
#pragma once

#include <eddy/ioloop.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace eddy_test {

using namespace std::chrono_literals;

// Every backend this build and platform offer: the loop tests run on each.
inline std::vector<eddy::Backend> backends() {
  std::vector<eddy::Backend> out;
  for (eddy::Backend b : {eddy::Backend::epoll, eddy::Backend::kqueue, eddy::Backend::poll}) {
    if (eddy::backend_available(b)) out.push_back(b);
  }
  return out;
}

// True for the kqueue backend when it is libkqueue's emulation over epoll
// (Linux; eddy_tests_kqueue). libkqueue cannot see close(2): its BUGS.md says
// "If a file descriptor outside of kqueue is closed, the internal kqueue state
// is not cleaned up", so an fd closed before remove_handler while a dup keeps
// the file open stays registered in its epoll set, as with raw epoll. A BSD
// kernel drops a closed fd's knotes. Only checks of that case skip on it.
inline bool is_libkqueue(eddy::Backend backend) {
#if defined(__linux__)
  return backend == eddy::Backend::kqueue;
#else
  (void)backend;
  return false;
#endif
}

// Runs the loop, failing the test (instead of hanging CI) if it has not
// stopped within `limit`. Generous by design: tests never assert speed.
inline void run_with_limit(eddy::IOLoop& loop, std::chrono::milliseconds limit = 20s) {
  bool timed_out = false;
  eddy::Timeout guard = loop.call_later(limit, [&] {
    timed_out = true;
    loop.stop();
  });
  loop.start();
  loop.remove_timeout(guard);
  if (timed_out) FAIL("the loop did not stop within " << limit.count() << " ms");
}

// A connected AF_UNIX stream pair, closed on destruction.
struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
  }
  ~SocketPair() {
    close_side(0);
    close_side(1);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  int left() const { return fds[0]; }
  int right() const { return fds[1]; }
  void close_side(int i) {
    if (fds[i] >= 0) ::close(fds[i]);
    fds[i] = -1;
  }
  void send(int side, const std::string& data) const {
    REQUIRE(::write(fds[side], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  }
};

}  // namespace eddy_test

namespace Catch {
template <>
struct StringMaker<eddy::Backend> {
  static std::string convert(eddy::Backend b) { return eddy::to_string(b); }
};
}  // namespace Catch

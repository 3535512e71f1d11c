// Clients that misbehave on purpose against an HTTPTestServer (issue 20):
// one whose small receive window makes a response it never reads pile up in
// the server, one that resets mid-response; and the waits and counts the
// tests observe the server by (never its memory).
#pragma once

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "http_test_server.hpp"

namespace eddy_test {

inline constexpr std::size_t big_size = 8 * 1024 * 1024;  // more than loopback's kernel buffers hold

// Waits (polling from the test's thread, never the server's) until
// condition() holds; false after `limit`.
template <class F>
bool wait_for(F condition, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The server's open connections and its writes so far, read on its loop.
inline std::size_t connections(HTTPTestServer& server) {
  return server.on_loop([](eddy::HTTPServer& s, eddy::IOLoop&) { return s.connection_count(); });
}

inline std::uint64_t writes(HTTPTestServer& server) {
  return server.on_loop([](eddy::HTTPServer& s, eddy::IOLoop&) { return s.write_count(); });
}

// A blocking client socket whose receive buffer is set before connect(), so
// the window TCP offers the server stays small and the kernel absorbs little
// of a response nobody reads.
class SmallWindowClient {
 public:
  explicit SmallWindowClient(std::uint16_t port, int rcvbuf = 16 * 1024) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{};
    tv.tv_sec = 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  SmallWindowClient(const SmallWindowClient&) = delete;
  SmallWindowClient& operator=(const SmallWindowClient&) = delete;
  ~SmallWindowClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Reads until `total` bytes arrived or the server closed; returns them.
  std::string receive(std::size_t total, std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
    std::string out;
    char chunk[32768];
    while (out.size() < total) {
      ssize_t n = ::recv(fd_, chunk, std::min(sizeof chunk, total - out.size()), 0);
      if (n <= 0) break;
      out.append(chunk, static_cast<std::size_t>(n));
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
    }
    return out;
  }
  std::string receive_until_close() { return receive(SIZE_MAX); }
  // What one recv gives ("" once the server closed).
  std::string receive_some() {
    char chunk[32768];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    return n > 0 ? std::string(chunk, static_cast<std::size_t>(n)) : std::string();
  }
  // Closes with a reset (SO_LINGER 0) instead of a FIN.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The size of the whole response at the front of `data` (its head and its
// Content-Length body), once the head is complete; 0 before.
inline std::size_t expected_size(const std::string& data) {
  std::size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  std::size_t at = data.find("Content-Length: ");
  REQUIRE(at < end);
  return end + 4 + std::stoul(data.substr(at + 16));
}

inline void big_routes(eddy::Application& app, std::atomic<int>& runs) {
  app.route("/big", [&runs](eddy::RequestHandler& h) {
    ++runs;
    h.write(std::string(big_size, 'b'));
  });
}

}  // namespace eddy_test

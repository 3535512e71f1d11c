// Helpers for the TLS tests: contexts made from the test certificates, a
// connected pair of SSLIOStreams (over a socketpair, or TCP on 127.0.0.1),
// and an exception handler that counts the lines a loop would log.
#pragma once

#include <eddy/eddy.hpp>
#include <eddy/ssl.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "test_certs.hpp"

namespace eddy_test {

// A server context with the test server certificate (localhost, 127.0.0.1).
inline eddy::SSLContext server_context(const std::string& which = "server") {
  const TestCerts& c = test_certs();
  if (which == "expired") return eddy::SSLContext::server(c.expired_cert, c.expired_key);
  if (which == "future") return eddy::SSLContext::server(c.future_cert, c.future_key);
  if (which == "other") return eddy::SSLContext::server(c.other_host_cert, c.other_host_key);
  if (which == "self") return eddy::SSLContext::server(c.self_signed_cert, c.self_signed_key);
  return eddy::SSLContext::server(c.server_cert, c.server_key);
}

// A client context trusting the test CA (and the system store).
inline eddy::SSLContext client_context() {
  eddy::SSLContext ctx = eddy::SSLContext::client();
  ctx.load_verify_locations(test_certs().ca_cert);
  return ctx;
}

// Two connected sockets: AF_UNIX, or TCP over 127.0.0.1 (resets need TCP).
inline std::pair<int, int> socket_pair(bool tcp = false) {
  int fds[2];
  if (!tcp) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
    return {fds[0], fds[1]};
  }
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("listen");
  }
  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(client, reinterpret_cast<sockaddr*>(&addr), len) != 0) throw std::runtime_error("connect");
  int server = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  return {server, client};
}

// A server and a client SSLIOStream on `loop`, connected to each other; the
// client checks "localhost" against the server's certificate.
struct TLSPair {
  eddy::SSLIOStream server;
  eddy::SSLIOStream client;
  int server_fd, client_fd;

  static TLSPair make(eddy::IOLoop& loop, const eddy::SSLContext& server_ctx, const eddy::SSLContext& client_ctx,
                      const std::string& host = "localhost", bool tcp = false) {
    std::pair<int, int> fds = socket_pair(tcp);
    eddy::SSLIOStream s(fds.first, loop, server_ctx, true);
    eddy::SSLIOStream c(fds.second, loop, client_ctx, false, host);
    return TLSPair{std::move(s), std::move(c), fds.first, fds.second};
  }
  static TLSPair make(eddy::IOLoop& loop, bool tcp = false) {
    return make(loop, server_context(), client_context(), "localhost", tcp);
  }
};

// Counts what reaches the loop's exception handler (the lines it would log)
// and keeps the messages.
struct LogCounter {
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  void install(eddy::IOLoop& loop) const {
    loop.set_exception_handler([lines = lines](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        lines->push_back(x.what());
      } catch (...) {
        lines->push_back("?");
      }
    });
  }
  std::size_t count() const { return lines->size(); }
  std::string all() const {
    std::string out;
    for (const std::string& l : *lines) out += l + "\n";
    return out;
  }
};

}  // namespace eddy_test

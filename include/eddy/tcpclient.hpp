/// @file
/// TCPClient: opens connections as IOStreams, after Tornado's TCPClient.
///
///   eddy::IOStream stream = co_await eddy::TCPClient().connect("localhost", 8888);
///   eddy::IOStream local = co_await eddy::TCPClient().connect_unix("/run/app.sock");
///
/// Host names are resolved with getaddrinfo on the loop's executor
/// (run_in_executor), so a slow DNS server never blocks the loop; IP literals
/// are parsed in place. Each resolved address (IPv4 or IPv6) is tried in turn
/// with a non-blocking connect. Failures are exceptions naming host and port:
/// std::system_error "eddy: connect to localhost:1: Connection refused", or
/// std::runtime_error with getaddrinfo's reason when the name does not
/// resolve.
///
/// Thread contract: the loop thread (connect uses IOLoop::current()).
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "detail/stream/socket_ops.hpp"
#include "detail/tcp/connector.hpp"
#include "future.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"

namespace eddy {
class SSLContext;
}  // namespace eddy

namespace eddy {

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// TCPClient's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class TCPClientImpl {
 public:
  /// A connected IOStream on IOLoop::current(), or the failure as described
  /// above. The future fails with the last address's error when none
  /// connects.
  Future<IOStream> connect(const std::string& host, std::uint16_t port) {
    IOLoop& loop = IOLoop::current();
    std::string context = "eddy: connect to " + detail::format_host_port(host, port);
    auto connector = std::make_shared<detail::Connector>(loop, context);
    Future<IOStream> result = connector->future;
    if (detail::is_ip_literal(host)) {
      try {
        connector->start(detail::resolve(host, port, false, context, true));
      } catch (...) {
        connector->fail(std::current_exception());
      }
      return result;
    }
    auto resolved = loop.run_in_executor([host, port, context] { return detail::resolve(host, port, false, context); });
    resolved.add_done_callback([connector](const Future<std::vector<detail::ResolvedAddress>>& done) {
      if (std::exception_ptr error = done.exception()) return connector->fail(error);
      connector->start(done.result());
    });
    return result;
  }

  /// A connected IOStream to the Unix-domain socket file `path` (a server's
  /// bind_unix_socket, nginx's or any other), on IOLoop::current(). Fails
  /// with std::system_error naming the path: ENOENT when no file is there,
  /// ECONNREFUSED when nobody listens on it (a stale file), EAGAIN when the
  /// server's backlog is full (Linux refuses at once rather than waiting);
  /// std::invalid_argument for an empty path, ENAMETOOLONG for one over 107
  /// bytes.
  Future<IOStream> connect_unix(std::string path) {
    IOLoop& loop = IOLoop::current();
    std::string context = "eddy: connect to unix:" + path;
    auto connector = std::make_shared<detail::Connector>(loop, context);
    Future<IOStream> result = connector->future;
    try {
      std::vector<detail::ResolvedAddress> addresses{detail::unix_address(path, context)};
      connector->start(std::move(addresses));
    } catch (...) {
      connector->fail(std::current_exception());
    }
    return result;
  }

  /// connect(host, port), then TLS with `ctx` (a client context): SNI and
  /// the certificate's host check use `host`. Resolves once the handshake is
  /// done, with an SSLIOStream as IOStream; fails as connect(host, port) or
  /// with SSLError (the connection closes). Defined in <eddy/ssl.hpp>.
  Future<IOStream> connect(const std::string& host, std::uint16_t port, const SSLContext& ctx);
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// Opens TCP connections as IOStreams, as Tornado's TCPClient; see the file comment.
#if defined(EDDY_DOXYGEN)
class TCPClient : public TCPClientImpl<void> {
#else
class TCPClient : public detail::TCPClientImpl<void> {
#endif
 public:
  using TCPClientImpl::TCPClientImpl;
};

}  // namespace eddy

// EDDY_SEPARATE_COMPILATION (the eddy::compiled target): the members of the
// base above are compiled once, in src/eddy_core.cpp; a user's file
// compiles their declarations only (see docs/compile-time.md).
#if defined(EDDY_SEPARATE_COMPILATION)
extern template class eddy::detail::TCPClientImpl<void>;
#endif

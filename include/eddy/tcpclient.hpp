/// @file
/// TCPClient: opens connections as IOStreams, after Tornado's TCPClient.
///
///   eddy::IOStream stream = co_await eddy::TCPClient().connect("localhost", 8888);
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

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "detail/socket_ops.hpp"
#include "future.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"

namespace eddy {
class SSLContext;
}  // namespace eddy

/// @cond EDDY_DETAIL
namespace eddy::detail {

// One connection attempt across the resolved addresses. While a connect is
// in flight the loop's handler owns the Connector; destroying the loop
// destroys it, which closes the half-open socket.
template <class D = void>
class BasicConnector : public std::enable_shared_from_this<BasicConnector<D>> {
 public:
  BasicConnector(IOLoop& loop, std::string context) : loop_(&loop), context_(std::move(context)) {}
  BasicConnector(const BasicConnector&) = delete;
  BasicConnector& operator=(const BasicConnector&) = delete;
  ~BasicConnector() { close_fd(fd_); }

  Future<IOStream> future;

  void start(std::vector<ResolvedAddress> addresses) {
    addresses_ = std::move(addresses);
    try_next();
  }

  void fail(std::exception_ptr error) {
    if (!future.done()) future.set_exception(std::move(error));
  }

 private:
  // Starts a connect to the next address; completes at once when the kernel
  // connects synchronously, fails the future when none is left.
  void try_next() {
    while (next_ < addresses_.size()) {
      const ResolvedAddress& address = addresses_[next_++];
      int fd = -1;
      try {
        fd = open_socket(address.family);
      } catch (const std::system_error& e) {
        last_error_ = e.code().value();
        continue;
      }
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.len) == 0) return succeed(fd);
      if (errno == EINPROGRESS || errno == EINTR) return wait_for(fd);
      last_error_ = errno;
      close_fd(fd);
    }
    if (last_error_ == 0) last_error_ = EADDRNOTAVAIL;  // resolved to nothing usable
    fail(std::make_exception_ptr(std::system_error(last_error_, std::generic_category(), context_)));
  }

  void wait_for(int fd) {
    fd_ = fd;
    std::shared_ptr<BasicConnector> self = this->shared_from_this();
    try {
      loop_->add_handler(fd, [self](int, std::uint32_t) { self->on_connected(); }, IOLoop::WRITE);
    } catch (...) {
      close_fd(std::exchange(fd_, -1));
      fail(std::current_exception());
    }
  }

  // Writable (or failed): SO_ERROR says which.
  void on_connected() {
    std::shared_ptr<BasicConnector> self = this->shared_from_this();  // removing the handler drops its reference
    int fd = std::exchange(fd_, -1);
    int error = socket_error(fd);
    loop_->remove_handler(fd);
    if (error == 0) return succeed(fd);
    last_error_ = error;
    close_fd(fd);
    try_next();
  }

  void succeed(int fd) {
    try {
      IOStream stream(fd, *loop_);
      future.set_result(std::move(stream));
    } catch (...) {
      close_fd(fd);
      fail(std::current_exception());
    }
  }

  IOLoop* loop_;
  std::string context_;
  std::vector<ResolvedAddress> addresses_;
  std::size_t next_ = 0;
  int fd_ = -1;
  int last_error_ = 0;
};
using Connector = BasicConnector<>;

}  // namespace eddy::detail
/// @endcond

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

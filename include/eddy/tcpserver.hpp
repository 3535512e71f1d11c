/// @file
/// TCPServer: accepts connections and hands each to handle_stream as an
/// IOStream, after Tornado's TCPServer.
///
///   eddy::TCPServer server([](eddy::IOStream stream, std::string address) -> eddy::Future<void> {
///     for (;;) co_await stream.write(co_await stream.read_until("\n"));
///   });
///   std::uint16_t port = server.listen(0, "127.0.0.1");
///
/// - handle_stream(IOStream, std::string address) may return void or a
///   Future<void> (a coroutine per connection); a failed future, or an
///   exception thrown by handle_stream, goes to the loop's exception handler
///   and the server goes on. `address` reads "127.0.0.1:54321" or
///   "[::1]:54321".
/// - Connections are accepted in batches of up to accept_batch() per wake-up.
/// - When the process (or system) runs out of descriptors (EMFILE, ENFILE),
///   the server stops watching its sockets and tries again 100 ms later: it
///   neither spins nor dies, and pending connections wait in the backlog.
/// - Scaling past one core: set_reuse_port(true) before listen() lets several
///   processes bind the same port and the kernel spread connections across
///   them; with fork_processes (process.hpp) that is one loop per core.
///
/// A server may outlive its loop, stopped or not: its sockets were closed
/// with the loop's teardown (or by stop()), and stop() and the destructor then
/// touch nothing of the loop.  Listen errors carry the errno: a host none of
/// whose addresses can be bound throws std::system_error with the last one.
///
/// Thread contract: the thread of the loop that was current at listen().
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "detail/tcp/server_state.hpp"
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
/// TCPServer's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class TCPServerImpl {
 public:
  /// handle_stream(IOStream stream, std::string address), returning void or
  /// Future<void>, is called on the loop for every accepted connection.
  template <class H>
  explicit TCPServerImpl(H&& handle_stream) : state_(std::make_shared<detail::ServerState>(wrap(std::forward<H>(handle_stream)))) {}

  TCPServerImpl(const TCPServerImpl&) = delete;
  TCPServerImpl& operator=(const TCPServerImpl&) = delete;
  ~TCPServerImpl() { stop(); }

  /// Binds and listens on `port` (0: a free port) at `address` ("" for every
  /// interface, "127.0.0.1", "::1", "localhost", ... resolved with
  /// getaddrinfo), on IOLoop::current(). Returns the port bound. May be called
  /// again to add addresses. Throws std::system_error naming the address if
  /// binding fails, std::runtime_error if the address does not resolve.
  std::uint16_t listen(std::uint16_t port, const std::string& address = "") { return state_->listen(port, address); }

  /// Serves a socket that is already listening (Tornado's add_sockets): for
  /// instance one bound before fork_processes, shared by every child. The
  /// server owns it from now on (stop() closes it) and makes it non-blocking.
  void add_socket(int listening_fd) { state_->add_socket(listening_fd); }

  /// Stops accepting and closes the listening sockets. Streams already
  /// accepted stay open. Safe from inside handle_stream.
  void stop() noexcept { state_->stop(); }

  /// SO_REUSEPORT on the sockets of later listen() calls (default off): lets
  /// processes that each listen on the same port share its connections.
  void set_reuse_port(bool on) noexcept { state_->reuse_port = on; }
  /// The listen() backlog (default 1024; the kernel caps it at somaxconn).
  void set_backlog(int backlog) noexcept { state_->backlog = backlog; }
  /// How many connections one wake-up accepts at most (default 128).
  void set_accept_batch(std::size_t n) noexcept { state_->accept_batch = n == 0 ? 1 : n; }
  /// The most connections accepted per readiness event.
  std::size_t accept_batch() const noexcept { return state_->accept_batch; }

  /// TLS (Tornado's ssl_options), before listen(): each accepted connection
  /// does its handshake with `ctx` (a server context) first, and
  /// handle_stream receives it as an SSLIOStream (passed as IOStream; it
  /// speaks TLS) once the handshake is done. A handshake that fails or times
  /// out (ctx.set_handshake_timeout, 10 s by default) closes the connection:
  /// one line through the loop's exception handler for a hostile or broken
  /// client, none for one that left without a word. Defined in
  /// <eddy/ssl.hpp>.
  void set_ssl_context(SSLContext ctx);

 private:
  template <class H>
  static detail::ServerState::Handle wrap(H&& handle_stream) {
    using Fn = std::decay_t<H>;
    using R = std::invoke_result_t<Fn&, IOStream, std::string>;
    return [fn = Fn(std::forward<H>(handle_stream))](IOStream stream, std::string address) mutable {
      if constexpr (std::is_void_v<R>) {
        fn(std::move(stream), std::move(address));
      } else {
        static_assert(std::is_same_v<R, Future<void>>, "handle_stream must return void or Future<void>");
        Future<void> done = fn(std::move(stream), std::move(address));
        done.add_done_callback([](const Future<void>& f) {
          if (std::exception_ptr error = f.exception()) {
            IOLoop::current().handle_exception(error, "TCPServer connection handler");
          }
        });
      }
    };
  }

  std::shared_ptr<detail::ServerState> state_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// Accepts TCP connections and hands each to a callback as an IOStream, as Tornado's TCPServer; see the file comment.
#if defined(EDDY_DOXYGEN)
class TCPServer : public TCPServerImpl<void> {
#else
class TCPServer : public detail::TCPServerImpl<void> {
#endif
 public:
  using TCPServerImpl::TCPServerImpl;
};

}  // namespace eddy

// EDDY_SEPARATE_COMPILATION (the eddy::compiled target): the members of the
// base above are compiled once, in src/eddy_core.cpp; a user's file
// compiles their declarations only (see docs/compile-time.md).
#if defined(EDDY_SEPARATE_COMPILATION)
extern template class eddy::detail::TCPServerImpl<void>;
#endif

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

#include <sys/socket.h>

#include <cerrno>
#include "detail/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
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

template <class D = void>
class BasicServerState : public std::enable_shared_from_this<BasicServerState<D>> {
 public:
  using Handle = Function<void(IOStream, std::string)>;

  // What TCPServer::set_ssl_context (<eddy/ssl.hpp>) puts between accept()
  // and handle_stream: it owns each accepted socket from the call on (and
  // closes it on failure), and hands the stream to deliver() when it is
  // ready, if the server is still there.
  class AcceptFilter {
   public:
    virtual ~AcceptFilter() = default;
    virtual void accept(int fd, IOLoop& loop, std::string address, std::weak_ptr<BasicServerState> server) = 0;
  };
  std::shared_ptr<AcceptFilter> filter;

  explicit BasicServerState(Handle&& handle) : handle_(std::move(handle)) {}
  BasicServerState(const BasicServerState&) = delete;
  BasicServerState& operator=(const BasicServerState&) = delete;
  ~BasicServerState() { stop(); }

  std::uint16_t listen(std::uint16_t port, const std::string& address);
  void add_socket(int fd);
  void stop() noexcept;
  void on_readable(int fd, std::uint64_t id);
  // Hands a connection's stream to handle_stream (its exceptions go to the loop).
  void deliver(IOStream stream, std::string address);
  // The loop destroyed a handler we did not remove: the loop is going away.
  void on_handler_destroyed(std::uint64_t id) noexcept {
    for (const Socket& s : sockets_) {
      if (s.id == id) loop_gone_ = true;
    }
  }

  bool reuse_port = false;
  int backlog = 1024;
  std::size_t accept_batch = 128;
  std::chrono::milliseconds emfile_pause{100};

 private:
  bool loop_usable() const noexcept { return loop_ != nullptr && !loop_gone_ && anchor_->loop != nullptr; }
  void bind_loop(IOLoop& loop) {
    if (loop_ == &loop && loop_usable()) return;
    loop_ = &loop;
    anchor_ = loop.anchor();
    loop_gone_ = false;
  }
  void pause_accepting();
  void resume_accepting();
  void serve(int fd, const sockaddr_storage& peer);

  Handle handle_;
  IOLoop* loop_ = nullptr;
  std::shared_ptr<const LoopAnchor> anchor_;  // loop_'s: reads nullptr once it is gone
  bool loop_gone_ = false;
  bool paused_ = false;
  // Each listening socket with the id of its handler, so a handler destroyed
  // late (after stop() inside handle_stream) is never mistaken for a live one.
  struct Socket {
    int fd;
    std::uint64_t id;
  };
  std::vector<Socket> sockets_;
  std::uint64_t next_id_ = 1;
  bool listed(std::uint64_t id) const noexcept {
    for (const Socket& s : sockets_) {
      if (s.id == id) return true;
    }
    return false;
  }
  Timeout resume_;
};
using ServerState = BasicServerState<>;

// The loop's handler for one listening socket: a weak reference, and a
// destructor that notices the loop being destroyed with the socket listed.
template <class = void>
struct BasicAcceptHandler {
  std::weak_ptr<ServerState> state;
  std::uint64_t id;
  BasicAcceptHandler(std::weak_ptr<ServerState> s, std::uint64_t i) noexcept : state(std::move(s)), id(i) {}
  BasicAcceptHandler(BasicAcceptHandler&&) noexcept = default;  // leaves the source's weak_ptr empty
  BasicAcceptHandler& operator=(BasicAcceptHandler&&) = delete;
  ~BasicAcceptHandler() {
    if (std::shared_ptr<ServerState> s = state.lock()) s->on_handler_destroyed(id);
  }
  void operator()(int fd, std::uint32_t) const {
    if (std::shared_ptr<ServerState> s = state.lock()) s->on_readable(fd, id);
  }
};
using AcceptHandler = BasicAcceptHandler<>;

template <class D>
inline std::uint16_t BasicServerState<D>::listen(std::uint16_t port, const std::string& address) {
  IOLoop& loop = IOLoop::current();
  if (loop_ != nullptr && loop_usable() && loop_ != &loop) {
    throw std::logic_error("eddy: TCPServer::listen: a server listens on one loop");
  }
  bind_loop(loop);
  std::string context = "eddy: TCPServer::listen " + format_host_port(address, port);
  int last_error = 0;  // of the addresses skipped, for the error if none is left
  std::vector<ResolvedAddress> addresses = resolve(address, port, true, context);
  std::vector<int> opened;
  try {
    for (ResolvedAddress& a : addresses) {
      // Port 0 picks a free port for the first address; the others (the
      // same host over IPv4 and IPv6) take that same port, as Tornado does.
      if (port == 0 && !opened.empty()) set_port(a.addr, bound_port(opened.front()));
      int fd = -1;
      try {
        fd = listen_socket(a, reuse_port, backlog);
      } catch (const std::system_error& e) {
        // A host without IPv6 (or IPv4) still serves on the other family.
        if (e.code().value() == EAFNOSUPPORT || e.code().value() == EADDRNOTAVAIL) {
          last_error = e.code().value();
          continue;
        }
        throw;
      }
      opened.push_back(fd);
      std::uint64_t id = next_id_++;
      loop.add_handler(fd, AcceptHandler(this->weak_from_this(), id), paused_ ? IOLoop::NONE : IOLoop::READ);
      sockets_.push_back(Socket{fd, id});
    }
  } catch (...) {
    for (int fd : opened) {
      auto it = sockets_.begin();
      while (it != sockets_.end() && it->fd != fd) ++it;
      if (it != sockets_.end()) sockets_.erase(it);  // unlisted first: the handler's destructor must see it gone
      loop.remove_handler(fd);
      close_fd(fd);
    }
    throw;
  }
  if (opened.empty() && last_error != 0) {
    throw std::system_error(last_error, std::generic_category(), context + ": no address to listen on");
  }
  if (opened.empty()) throw std::runtime_error(context + ": no address to listen on");
  return bound_port(opened.front());
}

template <class D>
inline void BasicServerState<D>::add_socket(int fd) {
  IOLoop& loop = IOLoop::current();
  if (loop_ != nullptr && loop_usable() && loop_ != &loop) {
    throw std::logic_error("eddy: TCPServer::add_socket: a server listens on one loop");
  }
  bind_loop(loop);
  set_nonblocking(fd);
  std::uint64_t id = next_id_++;
  loop.add_handler(fd, AcceptHandler(this->weak_from_this(), id), paused_ ? IOLoop::NONE : IOLoop::READ);
  sockets_.push_back(Socket{fd, id});
}

template <class D>
inline void BasicServerState<D>::stop() noexcept {
  bool usable = loop_usable();
  if (usable) loop_->remove_timeout(resume_);
  std::vector<Socket> sockets;
  sockets.swap(sockets_);  // unlisted first: the handlers' destructors must see them gone
  for (const Socket& s : sockets) {
    if (usable) loop_->remove_handler(s.fd);
    close_fd(s.fd);
  }
  paused_ = false;
}

// Accepts a batch. Each accepted socket becomes an IOStream handed to
// handle_stream, whose exceptions go to the loop's handler. handle_stream may
// call stop(), so the socket is looked up again after each call.
template <class D>
inline void BasicServerState<D>::on_readable(int fd, std::uint64_t id) {
  std::shared_ptr<ServerState> self = this->shared_from_this();  // handle_stream may drop the server
  for (std::size_t i = 0; i < accept_batch; ++i) {
    if (paused_ || !listed(id)) return;
    sockaddr_storage peer{};
    int conn = accept_socket(fd, peer);
    if (conn >= 0) {
      serve(conn, peer);
      continue;
    }
    int error = errno;
    if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
    if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) return pause_accepting();
    if (error != EAGAIN && error != EWOULDBLOCK) {
      loop_->handle_exception(std::make_exception_ptr(std::system_error(error, std::generic_category(), "eddy: TCPServer: accept")),
                              "TCPServer");
    }
    return;
  }
}

template <class D>
inline void BasicServerState<D>::serve(int fd, const sockaddr_storage& peer) {
  if (filter) {
    try {
      filter->accept(fd, *loop_, format_address(peer), this->weak_from_this());
    } catch (...) {
      loop_->handle_exception(std::current_exception(), "TCPServer");
    }
    return;
  }
  std::optional<IOStream> stream;
  try {
    stream.emplace(fd, *loop_);
  } catch (...) {
    close_fd(fd);  // IOStream refused the fd and left it to us
    loop_->handle_exception(std::current_exception(), "TCPServer");
    return;
  }
  deliver(std::move(*stream), format_address(peer));
}

template <class D>
inline void BasicServerState<D>::deliver(IOStream stream, std::string address) {
  try {
    handle_(std::move(stream), std::move(address));
  } catch (...) {
    loop_->handle_exception(std::current_exception(), "TCPServer connection handler");
  }
}

// Out of descriptors: stop watching (so the level-triggered readiness of the
// backlog does not spin the loop) and look again after a pause, by which time
// connections may have closed.
template <class D>
inline void BasicServerState<D>::pause_accepting() {
  paused_ = true;
  for (const Socket& s : sockets_) loop_->update_handler(s.fd, IOLoop::NONE);
  std::weak_ptr<ServerState> weak = this->weak_from_this();
  resume_ = loop_->call_later(emfile_pause, [weak] {
    if (std::shared_ptr<ServerState> s = weak.lock()) s->resume_accepting();
  });
}

template <class D>
inline void BasicServerState<D>::resume_accepting() {
  if (!paused_) return;
  paused_ = false;
  for (const Socket& s : sockets_) loop_->update_handler(s.fd, IOLoop::READ);
}

}  // namespace eddy::detail
/// @endcond

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

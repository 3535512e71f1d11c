/// @file
/// Tornado's netutil on the loop: Unix-domain sockets (bind_unix_socket, and
/// TCPClient::connect_unix in tcpclient.hpp) and UDPSocket, one datagram
/// socket.
///
///   eddy::TCPServer server(handle);
///   server.add_socket(eddy::bind_unix_socket("/run/app.sock"));   // HTTPServer too
///   eddy::IOStream s = co_await eddy::TCPClient().connect_unix("/run/app.sock");
///
///   eddy::UDPSocket udp = eddy::UDPSocket::bind(0, "127.0.0.1");
///   eddy::UDPSocket::Datagram d = co_await udp.receive();
///   co_await udp.send_to(d.data, d.host, d.port);
///
/// Everything here works on every backend (epoll, kqueue, poll) and builds as
/// C++17. Thread contract: the thread of the loop current when the socket
/// was made.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "detail/base/deferred.hpp"
#include "detail/net/udp_state.hpp"
#include "detail/net/unix_socket.hpp"
#include "future.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"
#include "tcpclient.hpp"
#include "tcpserver.hpp"

namespace eddy {

/// A listening Unix-domain stream socket at `path`, as Tornado's
/// netutil.bind_unix_socket: non-blocking, close-on-exec, the file's
/// permissions set to `mode`, listening with `backlog`. Serve it with
/// TCPServer::add_socket or HTTPServer::add_socket (which own it from then
/// on); connections' addresses read "" (an unnamed peer), and so does an
/// HTTP request's remote_ip.
///
/// A socket file already at `path` is replaced (a stale file left by a
/// server that died; a live one's too, as in Tornado). Anything else there
/// (a regular file, a directory, a link) is refused with std::system_error
/// (EEXIST) and left untouched. Other failures throw std::system_error
/// naming the path and the step (bind: EACCES, ENOENT for a missing
/// directory, ...); a path over 107 bytes throws ENAMETOOLONG. The file is
/// not removed when the socket closes. Any thread; nothing blocks.
template <class D = void>
inline int bind_unix_socket(const detail::Deferred<std::string, D>& path, int mode = 0600, int backlog = 128) {
  return detail::bind_unix_socket<D>(path, mode, backlog);
}

class UDPSocket;

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// UDPSocket's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class UDPSocketImpl {
 public:
  /// One received datagram: `data` (the whole payload), `host` (the
  /// sender's IP: "127.0.0.1", "::1"; an IPv4 sender of a dual-stack socket
  /// reads as IPv4) and `port`. Replying is send_to(d.data, d.host, d.port).
  using Datagram = detail::UDPDatagram;

  /// A socket bound to `port` (0: any free port; port() says which) on
  /// `address`: "" for every interface (IPv6 and IPv4 through one
  /// dual-stack socket, or IPv4 alone on a host without IPv6), or an IP
  /// literal ("127.0.0.1", "::1"), or a name resolved with getaddrinfo at
  /// the call (as TCPServer::listen; use a literal on a loop already
  /// serving). Registers with IOLoop::current(). Throws std::system_error
  /// naming the address (EADDRINUSE, ...).
  static UDPSocket bind(std::uint16_t port, const std::string& address = "");

  /// A socket whose default peer is host:port: send() goes there and
  /// receive() gets only its datagrams (the kernel filters the others). An
  /// IP literal connects at once (std::system_error if the kernel refuses);
  /// a name is resolved on the loop's executor, sends queue and receives
  /// wait meanwhile, and a name that does not resolve closes the socket with
  /// the resolver's error. Bound to a free port at once (port()).
  static UDPSocket connect(const std::string& host, std::uint16_t port);

  /// Another handle to the same socket (copies share one socket).
  UDPSocketImpl(const UDPSocketImpl&) = default;
  /// Takes over the handle.
  UDPSocketImpl(UDPSocketImpl&&) noexcept = default;
  /// Makes this a handle to the socket of `other`.
  UDPSocketImpl& operator=(UDPSocketImpl other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  /// The last handle closes the socket (see close()).
  ~UDPSocketImpl() { detail::UDPState::release(state_); }

  /// The local port the socket is bound to (kept after close()).
  std::uint16_t port() const { return state_->port(); }

  /// Sends `data` as one datagram to host:port (an IP literal, or a name
  /// resolved on the executor). Resolves once the kernel took it (a full
  /// socket buffer queues a copy, sent in order); fails with
  /// std::system_error when the kernel refuses it (EMSGSIZE for more than
  /// the protocol allows, EAFNOSUPPORT for an IPv6 peer of an IPv4 socket,
  /// ECONNREFUSED after a peer's port was found closed, ...), the socket
  /// staying open; with StreamClosedError once the socket is closed.
  Future<void> send_to(std::string_view data, const std::string& host, std::uint16_t port) {
    return state_->send_to(data, host, port);
  }

  /// send_to the peer given to connect(); std::system_error EDESTADDRREQ
  /// on a socket made by bind().
  Future<void> send(std::string_view data) { return state_->send(data); }

  /// The next datagram, whole. Receives queue and are served in order. A
  /// datagram larger than max_datagram_size() is dropped and fails this
  /// receive with std::system_error EMSGSIZE giving its size (never cut
  /// silently); an error the kernel reports (ECONNREFUSED: the connected
  /// peer's port is closed) fails it too; the socket stays open either way
  /// and the next receive() goes on. StreamClosedError once closed.
  Future<Datagram> receive() { return state_->receive(); }

  /// receive's callback form (as IOStream::read_into's): no future.
  /// callback(Datagram& datagram, std::exception_ptr error) runs once, on
  /// the loop, never inside this call: straight from the socket's handler
  /// when a datagram arrives (as Asio and libuv run completion handlers), or
  /// from a scheduled callback for a socket already closed. `datagram` is
  /// the socket's own and its memory is reused for the next one, so nothing
  /// is allocated per datagram: read it, or move from it to keep it, during
  /// the call. On failure `error` is set (as for receive()) and `datagram`
  /// is empty. Queued in order with future-form receives; the callback may
  /// call receive again at once. Throws StreamClosedError when the socket's
  /// loop is gone (there is no loop left to call back from).
  template <class F>
  void receive(F&& callback) {
    state_->receive_with(std::forward<F>(callback));
  }

  /// Closes the socket now: waiting receives and queued sends fail with
  /// StreamClosedError ("closed locally"). A no-op when already closed. The
  /// last handle going closes it too ("its last handle was dropped").
  void close() { state_->close_locally(); }
  /// True once closed (by close(), a failed connect by name, or the loop's end).
  bool closed() const noexcept { return state_->closed(); }
  /// The socket (for setsockopt: buffer sizes, broadcast, multicast), or -1
  /// once closed. The socket stays eddy's: do not close it.
  int fd() const noexcept { return state_->fd(); }

  /// The largest datagram receive() accepts whole (default and most 65,536:
  /// every UDP payload fits). A protocol with a smaller limit (DNS's 512)
  /// sets it to have larger datagrams reported rather than buffered.
  void set_max_datagram_size(std::size_t bytes) noexcept { state_->set_max_datagram_size(bytes); }
  /// The largest datagram receive() accepts whole.
  std::size_t max_datagram_size() const noexcept { return state_->max_datagram_size(); }

  /// @cond EDDY_DETAIL
  explicit UDPSocketImpl(std::shared_ptr<detail::UDPState> state) noexcept : state_(std::move(state)) {}
  /// @endcond

 private:
  // The state for a fresh socket, registered with IOLoop::current(). It
  // owns fd from the start: any failure closes it.
  static std::shared_ptr<detail::UDPState> open(int fd) {
    std::shared_ptr<detail::UDPState> state;
    try {
      state = std::make_shared<detail::UDPState>(IOLoop::current(), fd);
    } catch (...) {
      detail::close_fd(fd);
      throw;
    }
    state->attach();
    return state;
  }

  std::shared_ptr<detail::UDPState> state_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// One datagram socket on the loop (asyncio's datagram endpoint, in the
/// shape of eddy's streams): bind() or connect(), then receive() and
/// send_to()/send(), each a Future. A shared handle: copies name the same
/// socket, and the last one closes it. Used on its loop's thread.
#if defined(EDDY_DOXYGEN)
class UDPSocket : public UDPSocketImpl<void> {
#else
class UDPSocket : public detail::UDPSocketImpl<void> {
#endif
 public:
  using UDPSocketImpl::UDPSocketImpl;
};

/// @cond EDDY_DETAIL
namespace detail {

template <class Dummy>
inline UDPSocket UDPSocketImpl<Dummy>::bind(std::uint16_t port, const std::string& address) {
  Deferred<std::string, Dummy> context = "eddy: UDPSocket::bind " + format_host_port(address, port);
  int fd = -1;
  ResolvedAddress where;
  if (address.empty()) {
    fd = wildcard_udp_socket<Dummy>(port, context);
  } else if (parse_literal(address, port, where)) {
    fd = bound_udp_socket<Dummy>(where, false, context);
  } else {
    std::vector<ResolvedAddress> found = resolve(address, port, true, context);
    if (found.empty()) throw std::system_error(EADDRNOTAVAIL, std::generic_category(), context);
    fd = bound_udp_socket<Dummy>(found.front(), false, context);
  }
  return UDPSocket(open(fd));
}

template <class Dummy>
inline UDPSocket UDPSocketImpl<Dummy>::connect(const std::string& host, std::uint16_t port) {
  Deferred<std::string, Dummy> context = "eddy: UDPSocket::connect " + format_host_port(host, port);
  if (host.empty()) throw std::invalid_argument(context + ": empty host");
  ResolvedAddress peer;
  if (parse_literal(host, port, peer)) {
    int fd = open_udp_socket(peer.family);
    if (fd == -1) throw std::system_error(errno, std::generic_category(), context + ": socket");
    std::shared_ptr<UDPState> state = open(fd);
    state->connect_to(peer, context);  // a throw drops the state, which closes the socket
    return UDPSocket(std::move(state));
  }
  std::shared_ptr<UDPState> state = open(wildcard_udp_socket<Dummy>(0, context));
  state->connect_by_name(host, port);
  return UDPSocket(std::move(state));
}

}  // namespace detail
/// @endcond

}  // namespace eddy

// UDPState's receive path. Included by udp_state.hpp; see it for the class,
// its interest rules and its lifetime.
//
// The rules:
// - A datagram is received whole or not at all: recvmsg into a per-thread
//   64 KiB scratch (every UDP payload fits), copied out sized to it. One
//   larger than max_datagram_size() is dropped and that receive fails with
//   std::system_error EMSGSIZE saying how large it was: never cut silently.
// - A future resolves from the loop, never inside the call (see future.hpp).
//   A callback-form receive runs straight from the socket's handler, as
//   Asio's and libuv's completion handlers do (never inside receive()
//   itself), with the state's own datagram, whose memory the next one reuses:
//   in the steady state nothing is allocated per datagram.
// - The last sender is kept as bytes and as text, so a peer sending many
//   datagrams is printed once.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "udp_state.hpp"

namespace eddy::detail {

#if defined(__linux__)
inline constexpr int udp_recv_flags = MSG_TRUNC;  // Linux then returns the datagram's real length
#else
inline constexpr int udp_recv_flags = 0;
#endif

// One recv system call: the datagram's length (its real length on Linux,
// even when cut), or -1 with errno; `truncated` when it did not fit. Linux
// uses recvfrom: with MSG_TRUNC a length over `size` says the datagram was
// cut, and recvfrom skips recvmsg's copying in of a msghdr and an iovec (a
// call per datagram served). Elsewhere recvmsg's MSG_TRUNC flag says it.
inline ssize_t udp_recv(int fd, char* buffer, std::size_t size, sockaddr_storage& peer, socklen_t& peer_len,
                        bool& truncated) noexcept {
  ssize_t n;
#if defined(__linux__)
  do {
    peer_len = sizeof peer;
    n = ::recvfrom(fd, buffer, size, udp_recv_flags, reinterpret_cast<sockaddr*>(&peer), &peer_len);
  } while (n == -1 && errno == EINTR);
  truncated = n > static_cast<ssize_t>(size);
#else
  iovec iov{buffer, size};
  msghdr message{};
  message.msg_name = &peer;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  do {
    message.msg_namelen = sizeof peer;
    n = ::recvmsg(fd, &message, udp_recv_flags);
  } while (n == -1 && errno == EINTR);
  peer_len = message.msg_namelen;
  truncated = n != -1 && (message.msg_flags & MSG_TRUNC) != 0;
#endif
  return n;
}

template <class D>
inline char* BasicUDPState<D>::scratch() {
  thread_local std::unique_ptr<char[]> buffer(new char[datagram_limit]);
  return buffer.get();
}

template <class D>
inline std::exception_ptr BasicUDPState<D>::receive_error(int error) {
  return std::make_exception_ptr(std::system_error(error, std::generic_category(), "eddy: UDPSocket: receive"));
}

template <class D>
inline Future<UDPDatagram> BasicUDPState<D>::receive() {
  if (closed_) return make_failed_future<UDPDatagram>(failure());
  if (receivers_.empty()) {
    if (pending_error_ != 0) return make_failed_future<UDPDatagram>(receive_error(std::exchange(pending_error_, 0)));
    if (pacer_.may_read()) {  // what the last event left: see udp_read_pacer.hpp
      UDPDatagram datagram;
      std::exception_ptr error;
      if (receive_one(datagram, error)) {
        if (error) return make_failed_future<UDPDatagram>(error);
        return make_ready_future(std::move(datagram));
      }
    }
  }
  Future<UDPDatagram> future;
  receivers_.push(future);
  want(IOLoop::READ);
  return future;
}

// The callback form: waits for the handler (never runs inside this call).
// A closed socket or a kept error is delivered from a scheduled callback.
template <class D>
inline void BasicUDPState<D>::receive(ReceiveCallback&& callback) {
  if (!callback) throw std::invalid_argument("eddy: UDPSocket::receive: empty callback");
  if (loop() == nullptr) std::rethrow_exception(failure());
  if (closed_) return fail_later(Receiver(std::in_place_index<1>, std::move(callback)), failure());
  if (receivers_.empty() && pending_error_ != 0) {
    return fail_later(Receiver(std::in_place_index<1>, std::move(callback)),
                      receive_error(std::exchange(pending_error_, 0)));
  }
  receivers_.push(std::move(callback));
  want(IOLoop::READ);
}

// Fails a waiting receive from the loop: a future at once (its callbacks are
// scheduled anyway), a callback through a scheduled job.
template <class D>
inline void BasicUDPState<D>::fail_later(Receiver&& receiver, std::exception_ptr error) {
  if (receiver.index() == 0) return std::get<0>(receiver).set_exception(std::move(error));
  IOLoop* l = loop();
  if (l == nullptr) return;
  l->add_callback([callback = std::move(std::get<1>(receiver)), error = std::move(error)]() mutable {
    UDPDatagram none;
    callback(none, std::move(error));
  });
}

// One datagram, or one error, off the socket: false when it had none. Tells
// the pacer either way.
template <class D>
inline bool BasicUDPState<D>::receive_one(UDPDatagram& out, std::exception_ptr& error) {
  char* buffer = scratch();
  sockaddr_storage peer;
  socklen_t peer_len = 0;
  bool truncated = false;
  ssize_t n = udp_recv(fd_, buffer, max_datagram_, peer, peer_len, truncated);
  if (n == -1) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pacer_.ran_dry();
      return false;
    }
    pacer_.took_one();
    error = receive_error(errno);
    return true;
  }
  pacer_.took_one();
  sender_of(peer, peer_len, out);
  if (truncated) {
    std::string size = udp_recv_flags != 0 ? "of " + std::to_string(n) + " bytes" : "larger than that";
    error = std::make_exception_ptr(std::system_error(
        EMSGSIZE, std::generic_category(),
        "eddy: UDPSocket: a datagram " + size + " from " + format_host_port(out.host, out.port) +
            " exceeds max_datagram_size (" + std::to_string(max_datagram_) + " bytes); it was dropped"));
    return true;
  }
  // Sized first, then copied: a datagram reused for one of the same size
  // (the callback form, a steady protocol) costs one memcpy.
  if (out.data.size() != static_cast<std::size_t>(n)) out.data.resize(static_cast<std::size_t>(n));
  if (n > 0) std::memcpy(out.data.data(), buffer, static_cast<std::size_t>(n));
  return true;
}

// True when `addr` is the sender cached last (compared field by field: the
// padding of a sockaddr need not match).
template <class D>
inline bool BasicUDPState<D>::cached_sender(const sockaddr_storage& addr, socklen_t len) const noexcept {
  if (len != cached_len_ || addr.ss_family != cached_addr_.ss_family) return false;
  if (addr.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
    const auto& b = reinterpret_cast<const sockaddr_in&>(cached_addr_);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (addr.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
    const auto& b = reinterpret_cast<const sockaddr_in6&>(cached_addr_);
    return a.sin6_port == b.sin6_port && a.sin6_scope_id == b.sin6_scope_id &&
           std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return false;
}

template <class D>
inline void BasicUDPState<D>::sender_of(const sockaddr_storage& addr, socklen_t len, UDPDatagram& out) {
  if (!cached_sender(addr, len)) {
    format_sender<D>(addr, cached_host_, cached_port_);
    cached_addr_ = sockaddr_storage{};
    std::memcpy(&cached_addr_, &addr, len);
    cached_len_ = len;
  }
  // The callback form's datagram usually holds this host already.
  if (out.host.size() != cached_host_.size() ||
      std::memcmp(out.host.data(), cached_host_.data(), cached_host_.size()) != 0) {
    out.host = cached_host_;
  }
  out.port = cached_port_;
}

// The handler. A receive callback may drop the last handle (parked until
// the end: see release()) or close the socket.
template <class D>
inline void BasicUDPState<D>::on_events(std::uint32_t events) {
  if (closed_) return;
  dispatching_ = true;
  try {
    dispatch(events);
  } catch (...) {
    dispatching_ = false;
    std::shared_ptr<BasicUDPState> last = std::move(parked_);
    throw;
  }
  dispatching_ = false;
  if (parked_) std::shared_ptr<BasicUDPState> last = std::move(parked_);  // frees *this
}

// Errors first (they belong to the oldest receive), then reads for waiting
// receives, then queued sends.
template <class D>
inline void BasicUDPState<D>::dispatch(std::uint32_t events) {
  if ((events & IOLoop::ERROR) != 0) handle_error(events);
  if (!closed_ && (events & IOLoop::READ) != 0) {
    if (receivers_.empty()) {
      drop(IOLoop::READ);  // the lazy half of READ interest
    } else {
      pacer_.start_event();
      read_datagrams();
    }
  }
  if (!closed_ && (events & IOLoop::WRITE) != 0) {
    if (sends_.empty()) {
      drop(IOLoop::WRITE);
    } else {
      flush_sends();
    }
  }
}

// Serves waiting receives while the pacer allows (one datagram, or up to
// 32 until the socket runs dry once it showed a backlog). A callback-form
// receive gets the state's own datagram (its memory reused); a future gets
// one of its own. What stays queued is reported again by the next poll.
template <class D>
inline void BasicUDPState<D>::read_datagrams() {
  while (!receivers_.empty() && !closed_ && pacer_.may_read()) {
    std::exception_ptr error;
    if (receivers_.front_is_callback()) {
      if (!receive_one(delivered_, error)) break;
      ReceiveCallback callback = receivers_.pop_callback();
      try {
        callback(delivered_, std::move(error));
      } catch (...) {
        if (IOLoop* l = loop()) l->handle_exception(std::current_exception(), "UDPSocket receive callback");
      }
      continue;
    }
    UDPDatagram datagram;
    if (!receive_one(datagram, error)) break;
    Future<UDPDatagram> future = receivers_.pop_future();
    if (error) {
      future.set_exception(std::move(error));
    } else {
      future.set_result(std::move(datagram));
    }
  }
}

// An error the socket holds (an ICMP port unreachable on a connected socket):
// the oldest receive gets it, or the next one. Reading SO_ERROR clears it, so
// a level-triggered backend stops reporting it.
template <class D>
inline void BasicUDPState<D>::handle_error(std::uint32_t events) {
  int error = socket_error(fd_);
  if (error == 0) error = IOLoop::error_of(events);
  if (error == 0) return;
  if (receivers_.empty()) {
    pending_error_ = error;
    return;
  }
  Receiver waiter = receivers_.pop();
  if (waiter.index() == 0) return std::get<0>(waiter).set_exception(receive_error(error));
  UDPDatagram none;
  try {
    std::get<1>(waiter)(none, receive_error(error));
  } catch (...) {
    if (IOLoop* l = loop()) l->handle_exception(std::current_exception(), "UDPSocket receive callback");
  }
}

}  // namespace eddy::detail

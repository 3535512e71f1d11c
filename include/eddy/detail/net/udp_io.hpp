// UDPState's receive and send paths. Included by udp_state.hpp; see it for
// the class, its interest rules and its lifetime.
//
// The rules:
// - A datagram is received whole or not at all: recvmsg into a per-thread
//   64 KiB scratch (every UDP payload fits), copied out sized to it. One
//   larger than max_datagram_size() is dropped and that receive fails with
//   std::system_error EMSGSIZE saying how large it was: never cut silently.
// - Host names (send_to, connect) are resolved on the loop's executor, as
//   TCPClient does; IP literals are parsed in place.
// - Futures resolve from the loop, never inside the call (see future.hpp).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "udp_state.hpp"

namespace eddy::detail {

#if defined(__linux__)
inline constexpr int udp_recv_flags = MSG_TRUNC;  // Linux then returns the datagram's real length
#else
inline constexpr int udp_recv_flags = 0;
#endif

template <class D>
inline char* BasicUDPState<D>::scratch() {
  thread_local std::unique_ptr<char[]> buffer(new char[datagram_limit]);
  return buffer.get();
}

template <class D>
inline Future<UDPDatagram> BasicUDPState<D>::receive() {
  if (closed_) return make_failed_future<UDPDatagram>(failure());
  if (receivers_.empty()) {
    if (pending_error_ != 0) {
      int error = std::exchange(pending_error_, 0);
      return make_failed_future<UDPDatagram>(
          std::make_exception_ptr(std::system_error(error, std::generic_category(), "eddy: UDPSocket: receive")));
    }
    if (more_likely_ && inline_left_ > 0) {
      --inline_left_;
      UDPDatagram datagram;
      std::exception_ptr error;
      if (receive_one(datagram, error)) {
        if (error) return make_failed_future<UDPDatagram>(error);
        return make_ready_future(std::move(datagram));
      }
      more_likely_ = false;
    }
  }
  Future<UDPDatagram> future;
  receivers_.push_back(Future<UDPDatagram>(future));
  want(IOLoop::READ);
  return future;
}

// One datagram, or one error, off the socket: false when it had none.
template <class D>
inline bool BasicUDPState<D>::receive_one(UDPDatagram& out, std::exception_ptr& error) {
  char* buffer = scratch();
  sockaddr_storage peer{};
  iovec iov{buffer, max_datagram_};
  msghdr message{};
  message.msg_name = &peer;
  message.msg_namelen = sizeof peer;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  ssize_t n;
  do {
    n = ::recvmsg(fd_, &message, udp_recv_flags);
  } while (n == -1 && errno == EINTR);
  if (n == -1) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    error = std::make_exception_ptr(std::system_error(errno, std::generic_category(), "eddy: UDPSocket: receive"));
    return true;
  }
  sender_of(peer, message.msg_namelen, out);
  if ((message.msg_flags & MSG_TRUNC) != 0) {
    std::string size = udp_recv_flags != 0 ? "of " + std::to_string(n) + " bytes" : "larger than that";
    error = std::make_exception_ptr(std::system_error(
        EMSGSIZE, std::generic_category(),
        "eddy: UDPSocket: a datagram " + size + " from " + format_host_port(out.host, out.port) +
            " exceeds max_datagram_size (" + std::to_string(max_datagram_) + " bytes); it was dropped"));
    return true;
  }
  out.data.assign(buffer, static_cast<std::size_t>(n));
  return true;
}

template <class D>
inline void BasicUDPState<D>::sender_of(const sockaddr_storage& addr, socklen_t len, UDPDatagram& out) {
  if (len != cached_len_ || std::memcmp(&addr, &cached_addr_, len) != 0) {
    format_sender<D>(addr, cached_host_, cached_port_);
    std::memcpy(&cached_addr_, &addr, len);
    cached_len_ = len;
  }
  out.host = cached_host_;
  out.port = cached_port_;
}

// The handler: errors first (they belong to the oldest receive), then reads
// for waiting receives, then queued sends. Futures resolve without running
// user code here, so *this outlives the call.
template <class D>
inline void BasicUDPState<D>::on_events(std::uint32_t events) {
  if (closed_) return;
  inline_left_ = inline_budget;
  if ((events & IOLoop::ERROR) != 0) handle_error(events);
  if (!closed_ && (events & IOLoop::READ) != 0) {
    if (receivers_.empty()) {
      drop(IOLoop::READ);  // the lazy half of READ interest
    } else {
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

template <class D>
inline void BasicUDPState<D>::read_datagrams() {
  while (!receivers_.empty()) {
    UDPDatagram datagram;
    std::exception_ptr error;
    if (!receive_one(datagram, error)) {
      more_likely_ = false;
      return;
    }
    Future<UDPDatagram> waiter = receivers_.pop_front();
    if (error) {
      waiter.set_exception(error);
    } else {
      waiter.set_result(std::move(datagram));
    }
  }
  more_likely_ = true;  // the waiters ran out before the socket did
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
  receivers_.pop_front().set_exception(
      std::make_exception_ptr(std::system_error(error, std::generic_category(), "eddy: UDPSocket: receive")));
}

template <class D>
inline Future<void> BasicUDPState<D>::send_to(std::string_view data, const std::string& host, std::uint16_t port) {
  if (closed_) return make_failed_future<void>(failure());
  ResolvedAddress to;
  if (cached_len_ != 0 && port == cached_port_ && host == cached_host_) {
    std::memcpy(&to.addr, &cached_addr_, cached_len_);
    to.len = cached_len_;
    to.family = cached_addr_.ss_family;
  } else if (parse_literal(host, port, to)) {
    if (int error = fit_family(to, family_)) return make_failed_future<void>(send_error(error, to, false));
  } else if (host.empty()) {
    return make_failed_future<void>(
        std::make_exception_ptr(std::invalid_argument("eddy: UDPSocket::send_to: empty host")));
  } else {
    return send_to_name(data, host, port);
  }
  return send_or_queue(data, to, false);
}

template <class D>
inline Future<void> BasicUDPState<D>::send(std::string_view data) {
  if (closed_) return make_failed_future<void>(failure());
  if (!connected_ && !connecting_) {
    return make_failed_future<void>(std::make_exception_ptr(std::system_error(
        EDESTADDRREQ, std::generic_category(), "eddy: UDPSocket::send: no peer (use UDPSocket::connect, or send_to)")));
  }
  return send_or_queue(data, ResolvedAddress{}, true);
}

// Sends now when nothing is queued before it, else (or when the socket
// buffer is full) queues a copy for WRITE.
template <class D>
inline Future<void> BasicUDPState<D>::send_or_queue(std::string_view data, const ResolvedAddress& to, bool to_peer) {
  if (sends_.empty() && !connecting_) {
    if (send_one(data, to, to_peer) >= 0) return make_ready_future();
    if (errno != EAGAIN && errno != EWOULDBLOCK) return make_failed_future<void>(send_error(errno, to, to_peer));
  }
  Future<void> done;
  sends_.push_back(Outgoing{std::string(data), to, to_peer, done});
  if (!connecting_) want(IOLoop::WRITE);
  return done;
}

template <class D>
inline ssize_t BasicUDPState<D>::send_one(std::string_view data, const ResolvedAddress& to, bool to_peer) noexcept {
  const sockaddr* address = to_peer ? nullptr : reinterpret_cast<const sockaddr*>(&to.addr);
  socklen_t len = to_peer ? 0 : to.len;
  ssize_t n;
  do {
    n = ::sendto(fd_, data.data(), data.size(), send_flags, address, len);
  } while (n == -1 && errno == EINTR);
  return n;
}

template <class D>
inline void BasicUDPState<D>::flush_sends() {
  while (!sends_.empty() && !connecting_) {
    Outgoing& next = sends_.front();
    ssize_t n = send_one(next.data, next.to, next.to_peer);
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    int error = n == -1 ? errno : 0;
    Outgoing sent = sends_.pop_front();
    if (error != 0) {
      sent.done.set_exception(send_error(error, sent.to, sent.to_peer));
    } else {
      sent.done.set_result();
    }
  }
}

template <class D>
inline std::exception_ptr BasicUDPState<D>::send_error(int error, const ResolvedAddress& to, bool to_peer) {
  std::string where = to_peer ? std::string("its peer") : format_address(to.addr);
  return std::make_exception_ptr(
      std::system_error(error, std::generic_category(), "eddy: UDPSocket: send to " + where));
}

}  // namespace eddy::detail

#include "udp_resolve.hpp"

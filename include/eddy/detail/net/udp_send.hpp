// UDPState's send path. Included by udp_state.hpp; see it for the class,
// its interest rules and its lifetime.
//
// The rules:
// - A datagram goes to the kernel at once when nothing is queued before it;
//   when the socket buffer is full (EAGAIN) a copy is queued and sent, in
//   order, on WRITE. Any other error fails that send only.
// - A send the kernel took at once resolves with a future shared by every
//   such send of the thread's current loop (as streams' whole writes), so
//   the common case allocates nothing.
// - A reply to the last sender (send_to with the host and port a receive
//   gave) reuses that sender's address: no parsing.
// - IP literals are parsed in place; names go to udp_resolve.hpp.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "udp_state.hpp"

namespace eddy::detail {

template <class D>
inline Future<void> BasicUDPState<D>::send_to(std::string_view data, const std::string& host, std::uint16_t port) {
  if (closed_) return make_failed_future<void>(failure());
  if (cached_len_ != 0 && port == cached_port_ && host == cached_host_) {
    return send_or_queue(data, reinterpret_cast<const sockaddr*>(&cached_addr_), cached_len_);
  }
  ResolvedAddress to;
  if (parse_literal(host, port, to)) {
    int error = fit_family(to, family_);
    if (error != 0) return make_failed_future<void>(send_error(error, reinterpret_cast<const sockaddr*>(&to.addr)));
    return send_or_queue(data, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
  }
  if (host.empty()) {
    return make_failed_future<void>(
        std::make_exception_ptr(std::invalid_argument("eddy: UDPSocket::send_to: empty host")));
  }
  return send_to_name(data, host, port);
}

template <class D>
inline Future<void> BasicUDPState<D>::send(std::string_view data) {
  if (closed_) return make_failed_future<void>(failure());
  if (!connected_ && !connecting_) {
    return make_failed_future<void>(std::make_exception_ptr(std::system_error(
        EDESTADDRREQ, std::generic_category(), "eddy: UDPSocket::send: no peer (use UDPSocket::connect, or send_to)")));
  }
  return send_or_queue(data, nullptr, 0);
}

// Sends now when nothing is queued before it, else (or when the socket
// buffer is full) queues a copy for WRITE. `to` null: the connected peer.
template <class D>
inline Future<void> BasicUDPState<D>::send_or_queue(std::string_view data, const sockaddr* to, socklen_t len) {
  if (sends_.empty() && !connecting_) {
    if (send_one(data, to, len) >= 0) return sent_future(*loop());
    if (errno != EAGAIN && errno != EWOULDBLOCK) return make_failed_future<void>(send_error(errno, to));
  }
  Outgoing queued{std::string(data), ResolvedAddress{}, Future<void>()};
  if (to != nullptr) {
    std::memcpy(&queued.to.addr, to, len);
    queued.to.len = len;
    queued.to.family = to->sa_family;
  }
  Future<void> done = queued.done;
  sends_.push_back(std::move(queued));
  if (!connecting_) want(IOLoop::WRITE);
  return done;
}

template <class D>
inline ssize_t BasicUDPState<D>::send_one(std::string_view data, const sockaddr* to, socklen_t len) noexcept {
  ssize_t n;
  do {
    n = ::sendto(fd_, data.data(), data.size(), send_flags, to, len);
  } while (n == -1 && errno == EINTR);
  return n;
}

template <class D>
inline void BasicUDPState<D>::flush_sends() {
  while (!sends_.empty() && !connecting_) {
    Outgoing& next = sends_.front();
    const sockaddr* to = next.to.len != 0 ? reinterpret_cast<const sockaddr*>(&next.to.addr) : nullptr;
    ssize_t n = send_one(next.data, to, next.to.len);
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    int error = n == -1 ? errno : 0;
    Outgoing sent = sends_.pop_front();
    if (error != 0) {
      sent.done.set_exception(send_error(error, to != nullptr ? reinterpret_cast<const sockaddr*>(&sent.to.addr) : nullptr));
    } else {
      sent.done.set_result();
    }
  }
}

template <class D>
inline std::exception_ptr BasicUDPState<D>::send_error(int error, const sockaddr* to) {
  std::string where = "its peer";
  if (to != nullptr) {
    sockaddr_storage copy{};
    std::memcpy(&copy, to, to->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    where = format_address(copy);
  }
  return std::make_exception_ptr(std::system_error(error, std::generic_category(), "eddy: UDPSocket: send to " + where));
}

// One resolved future per thread, remade when another loop asks (a loop's
// serial is never reused), so callbacks added to it run on the loop that asked.
template <class D>
inline Future<void> BasicUDPState<D>::sent_future(const IOLoop& loop) {
  struct Shared {
    std::uint64_t serial = 0;
    std::optional<Future<void>> future;
  };
  thread_local Shared shared;
  if (!shared.future || shared.serial != loop.serial()) {
    shared.future.emplace(make_ready_future());
    shared.serial = loop.serial();
  }
  return *shared.future;
}

}  // namespace eddy::detail

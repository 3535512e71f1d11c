// UDPSocket's addresses and sockets: opening a datagram socket (dual-stack
// where it can be), turning a host and port into an address that socket can
// use, and printing a sender's address.
//
// Dual-stack. A UDPSocket is one socket, so `bind(port)` on every interface
// and a `connect` whose name is still being resolved use an AF_INET6 socket
// with IPV6_V6ONLY off: it talks to IPv4 peers through v4-mapped addresses
// (::ffff:a.b.c.d), which are printed back as plain IPv4 ("127.0.0.1"). A
// host without IPv6 falls back to AF_INET. A socket bound to an IPv4 literal
// is AF_INET and cannot reach IPv6 peers (EAFNOSUPPORT).
//
// Thread contract: plain functions; any thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>

#include "../base/deferred.hpp"
#include "../stream/socket_ops.hpp"

namespace eddy::detail {

// A non-blocking, close-on-exec datagram socket; -1 with errno on failure.
inline int open_udp_socket(int family) noexcept {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  return ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
  int fd = ::socket(family, SOCK_DGRAM, 0);
  if (fd >= 0) {
    try {
      set_cloexec_nonblock(fd);
    } catch (...) {
      ::close(fd);
      errno = EBADF;
      return -1;
    }
  }
  return fd;
#endif
}

// The wildcard address of `family` with `port` (the dual-stack [::] for
// AF_INET6).
inline ResolvedAddress any_address(int family, std::uint16_t port) noexcept {
  ResolvedAddress r;
  r.family = family;
  if (family == AF_INET6) {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(r.addr);
    v6.sin6_family = AF_INET6;
    v6.sin6_addr = in6addr_any;
    v6.sin6_port = htons(port);
    r.len = sizeof(sockaddr_in6);
  } else {
    auto& v4 = reinterpret_cast<sockaddr_in&>(r.addr);
    v4.sin_family = AF_INET;
    v4.sin_addr.s_addr = htonl(INADDR_ANY);
    v4.sin_port = htons(port);
    r.len = sizeof(sockaddr_in);
  }
  return r;
}

// Fits `a` to a socket of `family`: an IPv4 address becomes v4-mapped for an
// AF_INET6 socket. Returns 0, or EAFNOSUPPORT (IPv6 for an AF_INET socket).
inline int fit_family(ResolvedAddress& a, int family) noexcept {
  if (a.family == family) return 0;
  if (family == AF_INET || a.family != AF_INET) return EAFNOSUPPORT;
  sockaddr_in v4;
  std::memcpy(&v4, &a.addr, sizeof v4);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = v4.sin_port;
  v6.sin6_addr.s6_addr[10] = 0xff;
  v6.sin6_addr.s6_addr[11] = 0xff;
  std::memcpy(&v6.sin6_addr.s6_addr[12], &v4.sin_addr, 4);
  a = ResolvedAddress{};
  std::memcpy(&a.addr, &v6, sizeof v6);
  a.len = sizeof v6;
  a.family = AF_INET6;
  return 0;
}

// An IPv4 or IPv6 literal as an address; false when `host` is not one.
inline bool parse_literal(const std::string& host, std::uint16_t port, ResolvedAddress& out) noexcept {
  out = ResolvedAddress{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(out.addr);
  if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    out.len = sizeof(sockaddr_in);
    out.family = AF_INET;
    return true;
  }
  auto& v6 = reinterpret_cast<sockaddr_in6&>(out.addr);
  if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
    out.family = AF_INET6;
    return true;
  }
  return false;
}

// The sender of a datagram as text and port; a v4-mapped IPv6 address reads
// as plain IPv4, so replies can go back to what the application saw.
template <class D = void>
inline void format_sender(const sockaddr_storage& addr, Deferred<std::string, D>& host, std::uint16_t& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(addr);
    port = ntohs(v6.sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      ::inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], text, sizeof text);
    } else {
      ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    }
  } else if (addr.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(addr);
    port = ntohs(v4.sin_port);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
  } else {
    port = 0;
  }
  host.assign(text);
}

// A datagram socket bound to `address` (family from it), or a dual-stack one
// when `dual_stack` (IPV6_V6ONLY off). Throws std::system_error with
// `context`; closes the socket on failure.
template <class D = void>
inline int bound_udp_socket(const ResolvedAddress& address, bool dual_stack, const Deferred<std::string, D>& context) {
  int fd = open_udp_socket(address.family);
  if (fd == -1) throw std::system_error(errno, std::generic_category(), context + ": socket");
  if (dual_stack) {
    int off = 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.len) == -1) {
    int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), context + ": bind");
  }
  return fd;
}

// A socket bound to every interface at `port`: dual-stack [::], or 0.0.0.0
// where the host has no IPv6.
template <class D = void>
inline int wildcard_udp_socket(std::uint16_t port, const Deferred<std::string, D>& context) {
  try {
    return bound_udp_socket<D>(any_address(AF_INET6, port), true, context);
  } catch (const std::system_error& e) {
    if (e.code().value() != EAFNOSUPPORT && e.code().value() != EPROTONOSUPPORT) throw;
  }
  return bound_udp_socket<D>(any_address(AF_INET, port), false, context);
}

}  // namespace eddy::detail

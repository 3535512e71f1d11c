// Socket helpers for the streams and the TCP server and client: sending
// without SIGPIPE, resolving addresses, listening and accepting sockets, and
// naming peers. This is the only file of the streams layer that looks at the
// platform (MSG_NOSIGNAL vs SO_NOSIGPIPE, accept4 vs accept).
//
// Thread contract: plain functions over fds; getaddrinfo-based ones may run
// on any thread (TCPClient calls resolve() from the executor).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "../base/fd_ops.hpp"

namespace eddy::detail {

#if defined(MSG_NOSIGNAL)
inline constexpr int send_flags = MSG_NOSIGNAL;
#else
inline constexpr int send_flags = 0;  // SO_NOSIGPIPE is set on the socket instead
#endif

// Where MSG_NOSIGNAL is missing (macOS), the socket itself is told never to
// raise SIGPIPE. Harmless to call on anything else.
inline void suppress_sigpipe([[maybe_unused]] int fd) noexcept {
#if defined(SO_NOSIGPIPE)
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
}

inline void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags == -1) throw_fd_error(errno, "fcntl(F_GETFL)", fd);
  if ((flags & O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
    throw_fd_error(errno, "fcntl(F_SETFL)", fd);
  }
}

// A socket that is non-blocking, close-on-exec and never raises SIGPIPE.
inline int open_socket(int family) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd == -1) throw_errno("socket");
#else
  int fd = ::socket(family, SOCK_STREAM, 0);
  if (fd == -1) throw_errno("socket");
  set_cloexec_nonblock(fd);
#endif
  suppress_sigpipe(fd);
  return fd;
}

// accept() one connection as a non-blocking, close-on-exec socket, or -1 with
// errno set (EAGAIN when the backlog is empty).
inline int accept_socket(int listen_fd, sockaddr_storage& peer) noexcept {
  socklen_t len = sizeof peer;
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
  int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
  int fd = ::accept(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len);
  if (fd >= 0) {
    try {
      set_cloexec_nonblock(fd);
    } catch (...) {
      ::close(fd);
      errno = EBADF;
      return -1;
    }
  }
#endif
  if (fd >= 0) suppress_sigpipe(fd);
  return fd;
}

// "127.0.0.1:8888" or "[::1]:8888"; for a Unix-domain socket its path, ""
// when unnamed (what an accepted connection's peer almost always is) or
// abstract; "unknown" for other families.
template <class = void>
inline std::string format_address(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "unknown";
  if (addr.ss_family == AF_UNIX) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(addr);
    return std::string(un.sun_path, ::strnlen(un.sun_path, sizeof un.sun_path));
  }
  std::uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &v4.sin_addr, host, sizeof host);
    port = ntohs(v4.sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof host);
    port = ntohs(v6.sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return host;
}

// "host:port" for a message, with brackets around an IPv6 literal
// ("[::1]:8888"), as format_address() prints a socket's address.
template <class = void>
inline std::string format_host_port(const std::string& host, std::uint16_t port) {
  std::string shown = host.empty() ? std::string("*") : host;
  if (shown.find(':') != std::string::npos) shown = "[" + shown + "]";
  return shown + ":" + std::to_string(port);
}

// The port a bound socket got (the kernel's choice after binding port 0).
inline std::uint16_t bound_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == -1) throw_fd_error(errno, "getsockname", fd);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
}

inline void set_port(sockaddr_storage& addr, std::uint16_t port) noexcept {
  if (addr.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6&>(addr).sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in&>(addr).sin_port = htons(port);
  }
}

// One resolved address, copied out of getaddrinfo's list.
struct ResolvedAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
};

// getaddrinfo for TCP. `passive` resolves addresses to bind (an empty host
// means every interface); otherwise addresses to connect to. `numeric_only`
// refuses host names (never blocks). Throws std::runtime_error whose message
// starts with `context` and gives gai_strerror's reason.
template <class = void>
inline std::vector<ResolvedAddress> resolve(const std::string& host, std::uint16_t port, bool passive,
                                            const std::string& context, bool numeric_only = false) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = (passive ? AI_PASSIVE : 0) | (numeric_only ? AI_NUMERICHOST : 0) | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) throw std::system_error(errno, std::generic_category(), context);
    throw std::runtime_error(context + ": " + ::gai_strerror(rc));
  }
  std::vector<ResolvedAddress> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    ResolvedAddress r;
    std::memcpy(&r.addr, ai->ai_addr, ai->ai_addrlen);
    r.len = static_cast<socklen_t>(ai->ai_addrlen);
    r.family = ai->ai_family;
    out.push_back(r);
  }
  ::freeaddrinfo(list);
  return out;
}

// The address of the Unix-domain socket file `path`. Throws
// std::invalid_argument for an empty path or one with a NUL byte (abstract
// names are not files) and std::system_error (ENAMETOOLONG) for one longer
// than sun_path holds (107 bytes on Linux).
template <class = void>
inline ResolvedAddress unix_address(const std::string& path, const std::string& context) {
  ResolvedAddress r;
  auto& un = reinterpret_cast<sockaddr_un&>(r.addr);
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw std::invalid_argument(context + ": a socket path must be non-empty and hold no NUL byte");
  }
  if (path.size() >= sizeof un.sun_path) {
    throw std::system_error(ENAMETOOLONG, std::generic_category(),
                            context + ": the path does not fit a Unix socket address (" +
                                std::to_string(sizeof un.sun_path - 1) + " bytes at most)");
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  r.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  r.family = AF_UNIX;
  return r;
}

// True when `host` is an IPv4 or IPv6 literal: resolving it cannot block.
inline bool is_ip_literal(const std::string& host) noexcept {
  in6_addr buf;
  return ::inet_pton(AF_INET, host.c_str(), &buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

// A bound, listening, non-blocking socket for `address`. SO_REUSEADDR always
// (restarts need no wait); SO_REUSEPORT on request, so that several processes
// (fork_processes) or loops can each listen on the same port. IPv6 sockets are
// IPV6_V6ONLY so that "" can bind 0.0.0.0 and :: side by side.
template <class = void>
inline int listen_socket(const ResolvedAddress& address, bool reuse_port, int backlog) {
  int fd = open_socket(address.family);
  try {
    int one = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1) throw_errno("setsockopt(SO_REUSEADDR)");
    if (reuse_port) {
#if defined(SO_REUSEPORT)
      if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == -1) throw_errno("setsockopt(SO_REUSEPORT)");
#else
      throw std::system_error(ENOTSUP, std::generic_category(), "eddy: SO_REUSEPORT");
#endif
    }
    if (address.family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.len) == -1) {
      throw std::system_error(errno, std::generic_category(), "eddy: bind " + format_address(address.addr));
    }
    if (::listen(fd, backlog) == -1) throw_errno("listen");
  } catch (...) {
    ::close(fd);
    throw;
  }
  return fd;
}

// The pending error of a socket (SO_ERROR), 0 if none.
inline int socket_error(int fd) noexcept {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1) return errno;
  return error;
}

}  // namespace eddy::detail

// Small POSIX helpers shared by the backends and the loop: errors that name
// the fd, timeout conversions, close-on-exec descriptors.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>
#include <time.h>

namespace eddy::detail {

// Throws std::system_error whose what() reads "eddy: <what> fd <fd>: <strerror>".
[[noreturn]] inline void throw_fd_error(int error, const char* what, int fd) {
  throw std::system_error(error, std::generic_category(),
                          std::string("eddy: ") + what + " fd " + std::to_string(fd));
}

[[noreturn]] inline void throw_error(int error, const char* what) {
  throw std::system_error(error, std::generic_category(), std::string("eddy: ") + what);
}

[[noreturn]] inline void throw_errno(const char* what) { throw_error(errno, what); }

// True when fd names an open descriptor: the cheapest portable check.
inline bool fd_is_open(int fd) noexcept {
  return fd >= 0 && ::fcntl(fd, F_GETFD) != -1;
}

inline void set_cloexec_nonblock(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags == -1 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) throw_errno("fcntl");
  int fd_flags = ::fcntl(fd, F_GETFD);
  if (fd_flags == -1 || ::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) == -1) throw_errno("fcntl");
}

// A pipe, both ends non-blocking and close-on-exec. pipe2 sets both flags
// atomically, so a child spawned meanwhile by another thread can never
// inherit the ends (Subprocess promises that of every fd eddy owns).
inline void open_pipe_cloexec_nonblock(int fds[2]) {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1) throw_errno("pipe2");
#else
  if (::pipe(fds) == -1) throw_errno("pipe");
  try {
    set_cloexec_nonblock(fds[0]);
    set_cloexec_nonblock(fds[1]);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
#endif
}

// Milliseconds for APIs that only take those, rounded up so that a wait never
// ends before the deadline (an early wake-up would make the loop spin).
inline int timeout_ms_ceil(std::int64_t timeout_ns) noexcept {
  if (timeout_ns < 0) return -1;
  // Divided before rounding, so a wait of "never" (near INT64_MAX) cannot overflow.
  std::int64_t ms = timeout_ns / 1'000'000 + (timeout_ns % 1'000'000 != 0 ? 1 : 0);
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

inline timespec to_timespec(std::int64_t timeout_ns) noexcept {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
  return ts;
}

// Closes fd, retrying nothing: after EINTR the descriptor state is
// unspecified on Linux and retrying could close a reused number.
inline void close_fd(int fd) noexcept {
  if (fd >= 0) ::close(fd);
}

}  // namespace eddy::detail

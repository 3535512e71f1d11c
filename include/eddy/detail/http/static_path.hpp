// Opening a file beneath a static root without ever leaving it.
//
// Two checks, each sufficient against what it guards:
// - The path (percent-decoded, as the route's group) is refused outright if
//   it could only be an escape or a trick: a ".." segment (however it was
//   encoded: the check runs after decoding), a backslash, a NUL byte, or a
//   leading '/' (an absolute path). 403.
// - The file is opened relative to the root's descriptor so that no
//   component, symbolic links included, may resolve outside the root. On
//   Linux (5.6 and later) that is openat2(2) with RESOLVE_BENEATH |
//   RESOLVE_NO_MAGICLINKS: the kernel resolves the whole path in one call
//   and fails with EXDEV at the first step out of the root, so there is no
//   window between a check and the open (a symlink swapped in meanwhile is
//   seen by the open itself). Where openat2 is missing (older kernels,
//   seccomp filters, other systems) the file is opened with openat(2) and
//   the path of what was opened, read back from the descriptor
//   (/proc/self/fd on Linux, F_GETPATH on macOS), must lie in the root's
//   real path: the opened file itself is checked, so no race either.
//   Systems with neither compare realpath(3) first (a race with a symlink
//   swapped between the check and the open remains there).
//   A link inside the root that stays inside is followed. 403.
//
// The open is O_NONBLOCK (a FIFO in the root cannot block the loop) and
// O_CLOEXEC; the caller fstat()s the descriptor and serves regular files
// only. Opening and fstat-ing a local file takes microseconds; a root on a
// slow network file system would block the loop for as long as it takes.
//
// Thread contract: plain functions, any thread.
#pragma once

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace eddy::detail {

// False for a path that static_files refuses before looking (see above).
inline bool static_path_allowed(std::string_view path) noexcept {
  if (!path.empty() && path.front() == '/') return false;
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) return false;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(begin, end - begin) == "..") return false;
    begin = end + 1;
  }
  return true;
}

// The HTTP status for an errno from opening a static file.
inline int static_open_status(int error) noexcept {
  switch (error) {
    case ENOENT: case ENOTDIR: case ENAMETOOLONG: return 404;
    case EACCES: case EPERM: case EXDEV: case ELOOP: return 403;
    case EMFILE: case ENFILE: case ENOMEM: return 503;
    default: return 500;
  }
}

inline constexpr int static_open_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

// True when `resolved` (an absolute real path) is `root` or below it.
inline bool path_within(std::string_view resolved, std::string_view root) noexcept {
  if (root == "/") return true;
  return resolved.substr(0, root.size()) == root && (resolved.size() == root.size() || resolved[root.size()] == '/');
}

// Where the kernel has neither openat2 nor a way to name an open
// descriptor: realpath first, then open what it named (see above).
inline int open_checked_by_realpath(int root_fd, const std::string& root, const std::string& path) noexcept {
  char resolved[PATH_MAX];
  std::string full = root + "/" + path;
  if (::realpath(full.c_str(), resolved) == nullptr) return -1;
  if (!path_within(resolved, root)) {
    errno = EXDEV;
    return -1;
  }
  return ::openat(root_fd, path.c_str(), static_open_flags);
}

// openat, then the opened file's own path checked against `root`.
inline int open_checked_after(int root_fd, const std::string& root, const std::string& path) noexcept {
  int fd = ::openat(root_fd, path.c_str(), static_open_flags);
  if (fd < 0) return -1;
  char resolved[PATH_MAX];
#if defined(__linux__)
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = ::readlink(link, resolved, sizeof resolved - 1);
  if (n < 0) {
    ::close(fd);
    return open_checked_by_realpath(root_fd, root, path);
  }
  resolved[n] = '\0';
#elif defined(F_GETPATH)
  if (::fcntl(fd, F_GETPATH, resolved) == -1) {
    ::close(fd);
    return open_checked_by_realpath(root_fd, root, path);
  }
#else
  ::close(fd);
  return open_checked_by_realpath(root_fd, root, path);
#endif
  if (!path_within(resolved, root)) {
    ::close(fd);
    errno = EXDEV;
    return -1;
  }
  return fd;
}

// Opens `path` (allowed by static_path_allowed) beneath the root: its
// descriptor `root_fd` and real path `root`. The file's descriptor, or -1
// with errno (EXDEV or ELOOP for a way out of the root).
inline int open_beneath(int root_fd, const std::string& root, const std::string& path) noexcept {
#if defined(__linux__) && defined(SYS_openat2)
  // struct open_how (linux/openat2.h), spelled out so no kernel header is needed.
  struct {
    std::uint64_t flags, mode, resolve;
  } how{static_cast<std::uint64_t>(static_open_flags), 0, 0x08 /* RESOLVE_BENEATH */ | 0x02 /* NO_MAGICLINKS */};
  static std::atomic<bool> unavailable{false};  // every thread learns the same thing
  if (!unavailable.load(std::memory_order_relaxed)) {
    long fd;
    do {
      fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    } while (fd == -1 && errno == EINTR);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(fd);
    unavailable.store(true, std::memory_order_relaxed);
  }
#endif
  return open_checked_after(root_fd, root, path);
}

}  // namespace eddy::detail

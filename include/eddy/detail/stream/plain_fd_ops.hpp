// I/O on descriptors that are not sockets (pipes, FIFOs, ttys), for the
// streams: IOStream uses recv/send/sendmsg, and these where those fail with
// ENOTSOCK (so the socket path pays nothing for them).
//
// SIGPIPE. A write to a pipe whose reader is gone raises SIGPIPE, and
// MSG_NOSIGNAL exists only for sockets. eddy touches no signal disposition,
// so the write blocks SIGPIPE in the calling thread for its duration (the
// signal is thread-directed: it goes to the writing thread) and, when the
// write may have raised it, takes the SIGPIPE off the pending set before
// unblocking; a SIGPIPE that was pending before is left alone. "May have":
// the write failed with EPIPE, or it was cut short, since a pipe write whose
// reader leaves midway returns the count it wrote and still raises SIGPIPE
// (Linux's pipe_write), which unblocking would then deliver. Where the kernel
// offers a per-descriptor switch (macOS's F_SETNOSIGPIPE) that is used
// instead. Three or four extra system calls per write, on pipes only;
// sendfile (file_range.hpp) goes through the same guard.
//
// Thread contract: plain functions over fds, any thread.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace eddy::detail {

#if !defined(F_SETNOSIGPIPE)  // (macOS has the switch and no sigtimedwait)
// Runs `write` (a call that may raise SIGPIPE: writev on a pipe, sendfile)
// with SIGPIPE blocked in this thread, retrying EINTR, and takes back the
// SIGPIPE it may have raised (see the file comment); `wanted` is the byte
// count asked for, so that a short count counts as "may have". Returns what
// the call returned, with its errno.
template <class Write>
inline ssize_t call_without_sigpipe(Write&& write, std::size_t wanted) noexcept {
  sigset_t pipe_only, old, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigemptyset(&pending);
  ::sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ssize_t n;
  do {
    n = write();
  } while (n == -1 && errno == EINTR);
  int saved = errno;
  bool may_have_raised = n == -1 ? saved == EPIPE : static_cast<std::size_t>(n) < wanted;
  if (may_have_raised && !was_pending) {
    timespec zero{};
    while (::sigtimedwait(&pipe_only, nullptr, &zero) == -1 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}
#endif

// writev(2) that never raises SIGPIPE (see the file comment); retries EINTR.
// Returns what writev returned, with errno as writev left it.
template <class = void>
inline ssize_t writev_plain(int fd, const iovec* iov, int count) noexcept {
#if defined(F_SETNOSIGPIPE)
  ::fcntl(fd, F_SETNOSIGPIPE, 1);  // idempotent; one call cheaper than the mask dance
  ssize_t n;
  do {
    n = ::writev(fd, iov, count);
  } while (n == -1 && errno == EINTR);
  return n;
#else
  std::size_t wanted = 0;
  for (int i = 0; i < count; ++i) wanted += iov[i].iov_len;
  return call_without_sigpipe([&] { return ::writev(fd, iov, count); }, wanted);
#endif
}

// The error an ERROR event on a non-socket means: EPIPE on a write-only
// descriptor (the reader is gone), else 0 (a hang-up: the writer is gone and
// what it wrote can still be read).
inline int plain_fd_error(int fd) noexcept {
  int flags = ::fcntl(fd, F_GETFL);
  return flags != -1 && (flags & O_ACCMODE) == O_WRONLY ? EPIPE : 0;
}

}  // namespace eddy::detail

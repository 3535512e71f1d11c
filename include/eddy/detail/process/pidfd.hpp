// Process file descriptors (Linux 5.3+), the kernel's race-free handle on a
// child: pollable (readable once the child has exited), signalled with
// pidfd_send_signal (never a recycled pid) and waited on with
// waitid(P_PIDFD). Called through syscall(2), so eddy needs no glibc that
// wraps them. Elsewhere, or on an older kernel, pidfd_open fails (ENOSYS)
// and Subprocess watches SIGCHLD instead (child_watch.hpp).
//
// Also here: turning a wait status or a siginfo into Tornado's return code
// (the exit status, or -N for a child killed by signal N).
//
// Thread contract: plain system calls; any thread.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#if defined(__linux__)
#include <sys/syscall.h>
#endif

namespace eddy::detail {

#if defined(__linux__) && defined(SYS_pidfd_open)
inline constexpr bool have_pidfd = true;
#else
inline constexpr bool have_pidfd = false;
#endif

// Test hook: when true, new children are watched through SIGCHLD even where
// pidfds work, so the fallback stays tested. The loop thread only.
inline bool& force_sigchld_watch() noexcept {
  static bool force = false;
  return force;
}

// A pidfd for `pid` (close-on-exec), or -1 with errno (ENOSYS where there is none).
inline int open_pidfd([[maybe_unused]] pid_t pid) noexcept {
#if defined(__linux__) && defined(SYS_pidfd_open)
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

inline int pidfd_signal([[maybe_unused]] int pidfd, [[maybe_unused]] int signum) noexcept {
#if defined(__linux__) && defined(SYS_pidfd_send_signal)
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signum, nullptr, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

// waitid on a pidfd (P_PIDFD, Linux 5.4+; EINVAL before), EINTR retried.
// `flags` as waitid's (WEXITED | WNOHANG, maybe WNOWAIT). 0 with
// info.si_pid 0 while the child runs.
inline int wait_pidfd([[maybe_unused]] int pidfd, siginfo_t& info, [[maybe_unused]] int flags) noexcept {
  info = siginfo_t{};
#if defined(__linux__)
  constexpr auto p_pidfd = static_cast<idtype_t>(3);  // P_PIDFD, which older headers lack
  int r;
  do {
    r = ::waitid(p_pidfd, static_cast<id_t>(pidfd), &info, flags);
  } while (r == -1 && errno == EINTR);
  return r;
#else
  errno = EINVAL;
  return -1;
#endif
}

// waitpid(pid, WNOHANG), EINTR retried: the pid, 0 while running, -1 with errno.
inline pid_t wait_pid_nohang(pid_t pid, int& status) noexcept {
  pid_t r;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r == -1 && errno == EINTR);
  return r;
}

// True while `pid` is a child of ours not yet reaped (it may have exited):
// the only time its number cannot name another process.
inline bool still_our_child(pid_t pid) noexcept {
  siginfo_t info{};
  int r;
  do {
    r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (r == -1 && errno == EINTR);
  return r == 0;
}

// The return code of a wait status: the exit status, or -N if killed by N.
inline int returncode_of_status(int status) noexcept {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

inline int returncode_of_info(const siginfo_t& info) noexcept {
  if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) return -info.si_status;
  return info.si_status;
}

}  // namespace eddy::detail

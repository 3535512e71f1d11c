// Starting a child: posix_spawnp with the pipes, working directory,
// environment, signal mask and dispositions Subprocess asks for.
//
// Why posix_spawn. glibc implements it with clone(CLONE_VM | CLONE_VFORK): the
// child runs on the parent's memory until exec, so a large parent pays no
// page-table copy (fork of a 10 GiB process copies tens of MiB of tables),
// and the exec's failure comes back as posix_spawn's return value: the
// caller gets std::system_error with the exec's errno (ENOENT for a program
// that does not exist, EACCES, ENOEXEC, or chdir's errno for a bad cwd).
// macOS and the BSDs implement it in the kernel or with vfork, alike.
//
// What the child gets:
// - Its pipe ends dup2'ed onto 0, 1, 2; every other descriptor eddy owns is
//   close-on-exec (pipes are made with O_CLOEXEC, as are eddy's sockets,
//   epoll, eventfd and pidfds), so nothing of the parent leaks into it.
// - An empty signal mask and every signal at its default disposition
//   (POSIX_SPAWN_SETSIGMASK, POSIX_SPAWN_SETSIGDEF with a full set): a loop
//   thread's blocked signals or an ignored SIGPIPE are not inherited. One
//   exception, glibc's: its two internal signals (32 and 33, below SIGRTMIN,
//   which sigfillset leaves out) start ignored; a glibc program installs
//   its own handlers for them anyway, and no portable program uses them.
// - Its own blocking pipe ends: O_NONBLOCK is set on the parent's ends only
//   (each end is its own open file description).
//
// Thread contract: any thread (posix_spawn is thread-safe; the pipes are
// close-on-exec from birth, so a concurrent spawn elsewhere cannot inherit
// them).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "../base/deferred.hpp"
#include "../base/fd_ops.hpp"

extern char** environ;

namespace eddy::detail {

// The parent's side of a started child: its pid and the ends of its pipes
// (-1 where not piped), which the caller owns.
struct SpawnedChild {
  pid_t pid = -1;
  int stdin_fd = -1;   // write end
  int stdout_fd = -1;  // read end
  int stderr_fd = -1;  // read end
};

// A pipe: [0] read end, [1] write end, both close-on-exec and above 2, so a
// parent started with 0, 1 or 2 closed cannot have a pipe end clobbered by
// the child's dup2 onto its standard descriptors.
struct SpawnPipe {
  int fds[2] = {-1, -1};
  SpawnPipe() = default;
  SpawnPipe(const SpawnPipe&) = delete;
  SpawnPipe& operator=(const SpawnPipe&) = delete;
  ~SpawnPipe() {
    close_fd(fds[0]);
    close_fd(fds[1]);
  }
  void open() {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
    if (::pipe2(fds, O_CLOEXEC) == -1) throw_errno("Subprocess: pipe2");
#else
    if (::pipe(fds) == -1) throw_errno("Subprocess: pipe");
    for (int fd : fds) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
    fds[0] = above_stdio(fds[0]);
    fds[1] = above_stdio(fds[1]);
  }
  int take(int i) noexcept {
    int fd = fds[i];
    fds[i] = -1;
    return fd;
  }
  static int above_stdio(int fd) {
    if (fd > 2) return fd;
    int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int error = errno;
    ::close(fd);
    if (moved == -1) throw_error(error, "Subprocess: fcntl(F_DUPFD_CLOEXEC)");
    return moved;
  }
};

// posix_spawn's attributes and file actions, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    if (int e = ::posix_spawnattr_init(&attr)) throw_error(e, "Subprocess: posix_spawnattr_init");
    if (int e = ::posix_spawn_file_actions_init(&actions)) {
      ::posix_spawnattr_destroy(&attr);
      throw_error(e, "Subprocess: posix_spawn_file_actions_init");
    }
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
  void check(int error, const char* what) const {
    if (error != 0) throw_error(error, what);
  }
  // Default dispositions for every signal, an empty mask.
  void reset_signals() {
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    check(::posix_spawnattr_setsigdefault(&attr, &all), "Subprocess: posix_spawnattr_setsigdefault");
    check(::posix_spawnattr_setsigmask(&attr, &none), "Subprocess: posix_spawnattr_setsigmask");
    check(::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK),
          "Subprocess: posix_spawnattr_setflags");
  }
  void dup_onto(int fd, int target) {
    check(::posix_spawn_file_actions_adddup2(&actions, fd, target), "Subprocess: posix_spawn_file_actions_adddup2");
  }
  template <class D = void>
  void change_directory(const Deferred<std::string, D>& cwd) {
#if (defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))) || defined(__APPLE__) || \
    defined(__FreeBSD__)
    check(::posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str()), "Subprocess: addchdir");
#else
    (void)cwd;
    throw std::system_error(ENOSYS, std::generic_category(), "eddy: Subprocess: cwd is not supported here");
#endif
  }
};

// A NULL-terminated array of pointers into `strings` (which must outlive it).
template <class D = void>
inline Deferred<std::vector<char*>, D> c_strings(const std::vector<std::string>& strings) {
  Deferred<std::vector<char*>, D> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace eddy::detail

#include "spawn_child.hpp"

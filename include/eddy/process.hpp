/// @file
/// fork_processes: Tornado's multi-process model, one loop per core.
///
///   eddy::TCPServer server(handle);
///   server.set_reuse_port(true);           // or: listen before forking
///   int index = eddy::fork_processes(0);   // one child per core; the parent never returns
///   eddy::IOLoop loop;                     // each child makes its own loop, after the fork
///   server.listen(8888);
///   loop.start();
///
/// The parent forks n children and waits. Each child returns from
/// fork_processes with its index in [0, n). A child that exits with status 0
/// is not replaced; one that dies of a signal or exits non-zero is restarted
/// under the same index, up to max_restarts times in all (then the parent
/// throws std::runtime_error, as Tornado's "Too many child restarts"). When
/// every child has exited normally, the parent exits with status 0.
///
/// Create the IOLoop (and start executors or threads) only after forking: a
/// loop must not be used in a child (see ioloop.hpp), and fork copies only the
/// calling thread. Children share a port either by each listening with
/// SO_REUSEPORT (the kernel balances new connections across them), or through
/// a socket bound before the fork that each child then watches.
///
/// Thread contract: call from the main thread of a process with no other
/// threads running.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "detail/base/deferred.hpp"
#include "detail/base/thread.hpp"  // std::thread::hardware_concurrency
#include "ioloop.hpp"

namespace eddy {

/// @cond EDDY_DETAIL
namespace detail {
inline int& task_index() noexcept {
  static int index = -1;
  return index;
}

// The parent's record of one live child. A few per core: a vector searched
// linearly is all it takes (and spares every includer <map>).
struct ForkedChild {
  pid_t pid;
  int index;
};

// Forks the child for `index`: the child returns true (its index is set),
// the parent records the pid and returns false.
template <class D = void>
inline bool start_child(int index, Deferred<std::vector<ForkedChild>, D>& children) {
  pid_t pid = ::fork();
  if (pid == -1) throw_errno("fork_processes: fork");
  if (pid == 0) {
    task_index() = index;
    return true;
  }
  children.push_back(ForkedChild{pid, index});
  return false;
}

inline void report_child_exit(pid_t pid, int index, int status) {
  if (WIFSIGNALED(status)) {
    std::fprintf(stderr, "eddy: child %d (pid %d) killed by signal %d, restarting\n", index, static_cast<int>(pid),
                 WTERMSIG(status));
  } else {
    std::fprintf(stderr, "eddy: child %d (pid %d) exited with status %d, restarting\n", index,
                 static_cast<int>(pid), WEXITSTATUS(status));
  }
}
}  // namespace detail
/// @endcond

/// The index fork_processes returned in this process, or -1 when it was not
/// called (or in the parent).
inline int task_id() noexcept { return detail::task_index(); }

/// Forks n children (0: one per core, std::thread::hardware_concurrency()) and
/// returns the index of the child it returns in; see the file comment. Throws
/// std::logic_error if called twice or with a loop current on this thread, and
/// std::system_error if fork fails.
template <class D = void>
inline int fork_processes(int n, int max_restarts = 100) {
  if (detail::task_index() != -1) throw std::logic_error("eddy: fork_processes: already called in this process");
  if (IOLoop::current_or_null() != nullptr) {
    throw std::logic_error("eddy: fork_processes: an IOLoop is already current; create loops after forking");
  }
  if (n <= 0) {
    unsigned cores = std::thread::hardware_concurrency();
    n = cores == 0 ? 1 : static_cast<int>(cores);
  }
  detail::Deferred<std::vector<detail::ForkedChild>, D> children;
  for (int i = 0; i < n; ++i) {
    if (detail::start_child(i, children)) return i;
  }
  int restarts = 0;
  while (!children.empty()) {
    int status = 0;
    pid_t pid = ::wait(&status);
    if (pid == -1) {
      if (errno == EINTR) continue;
      detail::throw_errno("fork_processes: wait");
    }
    auto it = children.begin();
    while (it != children.end() && it->pid != pid) ++it;
    if (it == children.end()) continue;  // not one of ours
    int index = it->index;
    children.erase(it);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    detail::report_child_exit(pid, index, status);
    if (++restarts > max_restarts) throw std::runtime_error("eddy: fork_processes: too many child restarts, giving up");
    if (detail::start_child(index, children)) return index;
  }
  /// As Tornado's sys.exit(0): the parent's work ends with its children.
  std::exit(0);
}

}  // namespace eddy

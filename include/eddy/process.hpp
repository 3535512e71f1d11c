/// @file
/// Processes: Subprocess (Tornado's process.Subprocess: a child whose pipes
/// are IOStreams and whose exit is a Future) and fork_processes (Tornado's
/// multi-process model, one loop per core).
///
///   eddy::SubprocessOptions options;
///   options.stdout_pipe = true;
///   eddy::Subprocess child({"git", "log", "-1"}, options);
///   std::string out = co_await child.stdout_stream()->read_until_close();
///   int code = co_await child.wait_for_exit();   // CalledProcessError if not 0
///
/// Subprocess: see the class comment and detail/process/ for how children
/// are started (posix_spawn), watched (a pidfd on the loop, or SIGCHLD for
/// eddy's own children only) and signalled (never a recycled pid).
///
/// fork_processes:
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
/// Thread contract: fork_processes from the main thread of a process with no
/// other threads running; Subprocess on the thread of the loop current when
/// it was made.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "detail/base/deferred.hpp"
#include "detail/base/thread.hpp"  // std::thread::hardware_concurrency
#include "detail/process/child_state.hpp"
#include "detail/process/child_watch.hpp"
#include "detail/process/spawn.hpp"
#include "future.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"

namespace eddy {

/// What a Subprocess's child gets besides its argv (Tornado's Subprocess
/// keyword arguments, Python's Popen's).
struct SubprocessOptions {
  /// A pipe for the child's stdin (Tornado's Subprocess.STREAM): the
  /// parent's end is a non-blocking IOStream, stdin_stream(). Unpiped, the
  /// child inherits the parent's stdin (and so for the other two).
  bool stdin_pipe = false;
  /// A pipe for the child's stdout: stdout_stream().
  bool stdout_pipe = false;
  /// A pipe for the child's stderr: stderr_stream().
  bool stderr_pipe = false;
  /// The child's stderr goes where its stdout goes (the stdout pipe if
  /// stdout_pipe). Excludes stderr_pipe.
  bool stderr_to_stdout = false;
  /// The child's working directory; "" inherits the parent's.
  std::string cwd;
  /// The child's whole environment as "NAME=value" entries; nullopt
  /// inherits the parent's. The program is searched in the parent's PATH.
  std::optional<std::vector<std::string>> env;
};

/// Thrown into wait_for_exit(true)'s future when the child exits with a
/// non-zero status or is killed (Python's subprocess.CalledProcessError).
class CalledProcessError : public std::runtime_error {
 public:
  /// `what` names the program, its pid and how it ended.
  CalledProcessError(const std::string& what, int returncode) : std::runtime_error(what), returncode_(returncode) {}
  /// The child's return code: its exit status, or -N if signal N killed it.
  int returncode() const noexcept { return returncode_; }

 private:
  int returncode_;
};

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// Subprocess's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class SubprocessImpl {
  using Child = BasicChildState<Deferred<CalledProcessError, Dummy>>;

 public:
  /// Starts argv[0] with arguments argv[1...] (execvp semantics: a name
  /// without '/' is searched in PATH) on IOLoop::current(). Returns once
  /// the program runs. Throws std::system_error with the exec's errno when
  /// it cannot be started (ENOENT for a program that does not exist, EACCES
  /// for one that is not executable, chdir's errno for a bad cwd), and
  /// std::invalid_argument for an empty argv or stderr_pipe together with
  /// stderr_to_stdout.
  explicit SubprocessImpl(std::vector<std::string> argv, SubprocessOptions options = {}) {
    IOLoop& loop = IOLoop::current();
    detail::SpawnedChild spawned = detail::spawn_child(argv, options);
    try {
      adopt(spawned.stdin_fd, stdin_, loop);
      adopt(spawned.stdout_fd, stdout_, loop);
      adopt(spawned.stderr_fd, stderr_, loop);
      child_ = std::make_shared<Child>(loop, spawned.pid, argv.front());
      detail::watch_child(loop, child_);
    } catch (...) {
      abandon(spawned);
      throw;
    }
  }
  SubprocessImpl(const SubprocessImpl&) = delete;
  SubprocessImpl& operator=(const SubprocessImpl&) = delete;
  /// Takes over the child; the moved-from object must not be used.
  SubprocessImpl(SubprocessImpl&&) noexcept = default;
  /// Takes over the child; the moved-from object must not be used.
  SubprocessImpl& operator=(SubprocessImpl&&) noexcept = default;
  /// Lets go of the pipes (a pipe nobody else holds closes) but not of the
  /// child: it runs on, and is reaped when it exits (while its loop lives).
  ~SubprocessImpl() = default;

  /// The child's process id.
  int pid() const noexcept { return static_cast<int>(child_->pid()); }

  /// The parent's end of the child's stdin pipe (write to it; close() it to
  /// send EOF), or nullopt without stdin_pipe. Copies share one stream.
  std::optional<IOStream> stdin_stream() { return stdin_; }
  /// The parent's end of the child's stdout pipe (read from it), or nullopt
  /// without stdout_pipe. Everything the child wrote can still be read
  /// after it exits.
  std::optional<IOStream> stdout_stream() { return stdout_; }
  /// The parent's end of the child's stderr pipe, or nullopt without stderr_pipe.
  std::optional<IOStream> stderr_stream() { return stderr_; }

  /// The return code once the child has exited: its exit status, or -N
  /// when signal N killed it. With raise_error (the default) a non-zero
  /// code fails the future with CalledProcessError instead. A child reaped
  /// by someone else (a waitpid elsewhere, or SIGCHLD set to SIG_IGN) fails
  /// it with std::system_error ECHILD saying so: it never hangs. May be
  /// called any number of times, before or after the exit.
  Future<int> wait_for_exit(bool raise_error = true) { return child_->wait(raise_error); }

  /// callback(int returncode) runs once, on the loop thread (scheduled,
  /// never inside this call), when the child has exited, or at once
  /// (scheduled) if it already has. Replaces an earlier callback. A child
  /// lost to someone else's waitpid reports that to the loop's exception
  /// handler instead.
  template <class F>
  void set_exit_callback(F&& callback) {
    child_->set_exit_callback(detail::Function<void(int)>(std::forward<F>(callback)));
  }

  /// Sends signal `signum` to the child while it is not yet reaped; after
  /// that, does nothing. Never reaches a process that reuses the pid: it
  /// goes through the child's pidfd, or (without pidfds) through kill()
  /// after checking the pid is still our unreaped child. Throws
  /// std::system_error for an invalid signal (EINVAL) or EPERM.
  void send_signal(int signum) { child_->send_signal(signum); }

  /// The return code once the exit has been seen on the loop, else nullopt.
  std::optional<int> returncode() const noexcept { return child_->returncode(); }

 private:
  static void adopt(int& fd, std::optional<IOStream>& stream, IOLoop& loop) {
    if (fd < 0) return;
    stream.emplace(fd, loop);  // throws before taking fd: abandon() closes it
    fd = -1;
  }
  // The child started but cannot be watched: it must not be left behind.
  // SIGKILL and a blocking reap (it dies at once) before rethrowing.
  static void abandon(detail::SpawnedChild& spawned) noexcept {
    detail::close_fd(spawned.stdin_fd);
    detail::close_fd(spawned.stdout_fd);
    detail::close_fd(spawned.stderr_fd);
    ::kill(spawned.pid, SIGKILL);
    int status = 0;
    while (::waitpid(spawned.pid, &status, 0) == -1 && errno == EINTR) {
    }
  }

  std::shared_ptr<Child> child_;
  std::optional<IOStream> stdin_, stdout_, stderr_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// A child process on the loop, as Tornado's process.Subprocess: its pipes
/// are IOStreams, its exit a Future (wait_for_exit) or a callback. Started
/// with posix_spawn (no copy of a large parent's page tables), with every
/// fd eddy owns close-on-exec and the signal mask and dispositions reset;
/// its exit watched through a pidfd on the loop (Linux 5.3+) or SIGCHLD for
/// eddy's own children (never waitpid(-1)). Used on its loop's thread.
#if defined(EDDY_DOXYGEN)
class Subprocess : public SubprocessImpl<void> {
#else
class Subprocess : public detail::SubprocessImpl<void> {
#endif
 public:
  using SubprocessImpl::SubprocessImpl;
};

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

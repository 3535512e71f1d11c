// ChildState: what Subprocess knows of one child, shared by the Subprocess
// and whatever watches the child's exit (a pidfd handler on the loop, or the
// SIGCHLD watch; child_watch.hpp), so a Subprocess dropped early still has
// its child reaped.
//
// The rules:
// - Exit is learnt once: the return code (exit status, or -N when killed by
//   signal N) resolves every wait_for_exit future, and the exit callback is
//   scheduled on the loop (never called inline).
// - A child reaped by someone else (a waitpid elsewhere in the program, or
//   SIGCHLD set to SIG_IGN, which makes the kernel reap it) has no exit
//   status left to learn: every wait fails with std::system_error ECHILD
//   saying so, and an exit callback is reported to the loop's exception
//   handler instead of being called with a made-up code. Nothing hangs.
// - send_signal reaches the child only while it is not reaped: through the
//   pidfd (which names the process, not the number), or with kill() after
//   checking the pid is still our unreaped child. After that it does nothing.
//
// The template parameter is the error type a failed wait_for_exit(true)
// throws (CalledProcessError, defined in process.hpp).
//
// Thread contract: the loop thread only.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "pidfd.hpp"

namespace eddy::detail {

template <class CalledError>
class BasicChildState : public std::enable_shared_from_this<BasicChildState<CalledError>> {
 public:
  BasicChildState(IOLoop& loop, pid_t pid, std::string name)
      : anchor_(loop.anchor()), pid_(pid), name_(std::move(name)) {}
  BasicChildState(const BasicChildState&) = delete;
  BasicChildState& operator=(const BasicChildState&) = delete;
  ~BasicChildState() { close_fd(pidfd_); }

  pid_t pid() const noexcept { return pid_; }
  std::optional<int> returncode() const noexcept { return returncode_; }
  bool finished() const noexcept { return returncode_.has_value() || lost_ != nullptr; }
  IOLoop* loop() const noexcept { return anchor_->loop; }
  int pidfd() const noexcept { return pidfd_; }
  void adopt_pidfd(int fd) noexcept { pidfd_ = fd; }

  Future<int> wait(bool raise_error) {
    if (lost_) return make_failed_future<int>(lost_);
    if (returncode_) {
      if (raise_error && *returncode_ != 0) return make_failed_future<int>(called_error(*returncode_));
      return make_ready_future(*returncode_);
    }
    Future<int> future;
    waiters_.push_back(Waiter{future, raise_error});
    return future;
  }

  void set_exit_callback(Function<void(int)>&& callback) {
    exit_callback_ = std::move(callback);
    if (finished()) run_exit_callback();
  }

  void send_signal(int signum) {
    if (finished()) return;
    int r;
    if (pidfd_ >= 0) {
      r = pidfd_signal(pidfd_, signum);
    } else if (still_our_child(pid_)) {
      r = ::kill(pid_, signum);
    } else {
      return;  // reaped behind our back: the number may name another process now
    }
    if (r == -1 && errno != ESRCH) {
      throw std::system_error(errno, std::generic_category(),
                              "eddy: Subprocess::send_signal(" + std::to_string(signum) + ") to pid " +
                                  std::to_string(pid_));
    }
  }

  // The child exited with wait status `status` / siginfo `info`; or it was
  // reaped by someone else (errno ECHILD).
  void exited(int returncode) {
    if (finished()) return;
    returncode_ = returncode;
    std::vector<Waiter> waiters = std::move(waiters_);
    for (Waiter& w : waiters) {
      if (w.raise && returncode != 0) {
        w.future.set_exception(called_error(returncode));
      } else {
        w.future.set_result(returncode);
      }
    }
    run_exit_callback();
  }
  void lost(int error) {
    if (finished()) return;
    lost_ = std::make_exception_ptr(std::system_error(
        error, std::generic_category(),
        "eddy: Subprocess: child " + std::to_string(pid_) + " ('" + name_ +
            "') was reaped by someone else (a waitpid elsewhere in this process, or SIGCHLD set to SIG_IGN); "
            "its exit status is lost"));
    std::vector<Waiter> waiters = std::move(waiters_);
    for (Waiter& w : waiters) w.future.set_exception(lost_);
    run_exit_callback();
  }

  // One look at the child without blocking (the SIGCHLD watch, and a last
  // look when the loop goes): true once its exit is known.
  bool poll() {
    if (finished()) return true;
    int status = 0;
    pid_t r = wait_pid_nohang(pid_, status);
    if (r == pid_) exited(returncode_of_status(status));
    if (r == -1) lost(errno);
    return finished();
  }

 private:
  struct Waiter {
    Future<int> future;
    bool raise;
  };

  std::exception_ptr called_error(int returncode) const {
    std::string how = returncode < 0 ? "was killed by signal " + std::to_string(-returncode)
                                     : "exited with status " + std::to_string(returncode);
    return std::make_exception_ptr(CalledError(
        "eddy: Subprocess: '" + name_ + "' (pid " + std::to_string(pid_) + ") " + how, returncode));
  }

  // Schedules the exit callback (moved out: it runs once). After a lost
  // child there is no return code to give it: the loss goes to the loop's
  // exception handler instead, so it is not silent.
  void run_exit_callback() {
    IOLoop* l = loop();
    if (!exit_callback_ || l == nullptr) return;
    if (lost_) {
      exit_callback_ = nullptr;
      l->handle_exception(lost_, "Subprocess exit callback");
      return;
    }
    l->add_callback([callback = std::move(exit_callback_), code = *returncode_]() mutable { callback(code); });
    exit_callback_ = nullptr;
  }

  std::shared_ptr<const LoopAnchor> anchor_;
  pid_t pid_;
  int pidfd_ = -1;
  std::string name_;
  std::optional<int> returncode_;
  std::exception_ptr lost_;
  std::vector<Waiter> waiters_;
  Function<void(int)> exit_callback_;
};

}  // namespace eddy::detail

// Watching a child's exit on the loop, without a process-wide SIGCHLD
// handler and without threads where the kernel allows (the complaints
// against Tornado's Subprocess.initialize and asyncio's child watchers):
//
// - pidfd (Linux 5.3+): the child's pidfd is an ordinary fd handler on the
//   loop, readable once the child exits; waitid(P_PIDFD) then reaps exactly
//   that child. No signal is involved and every backend (epoll, poll, and
//   kqueue through libkqueue) can watch it.
// - SIGCHLD (elsewhere, or when pidfd_open fails): the loop's own signal API
//   (add_signal_handler, which restores the previous disposition when the
//   last child is gone) runs waitpid(pid, WNOHANG) for eddy's children only,
//   never waitpid(-1): children eddy did not start are never reaped. A slow
//   poll (every second while children run) covers a SIGCHLD that never comes
//   (someone set it to SIG_IGN afterwards). One loop per process can own
//   SIGCHLD: a second loop starting children meanwhile gets
//   std::logic_error from add_signal_handler.
//
// A loop destroyed while a child runs stops watching it: the child is
// reaped then if it has exited, else it stays a zombie once it exits (until
// this process exits or reaps it). Destroy loops after their children.
//
// Thread contract: the loop thread only.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "../base/chrono.hpp"
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "../../ioloop.hpp"
#include "child_state.hpp"
#include "pidfd.hpp"

namespace eddy::detail {

// The loop's handler for a child's pidfd: owns the child's state until it is
// reaped, so a dropped Subprocess still reaps its child.
template <class Child>
struct PidfdWatch {
  std::shared_ptr<Child> child;

  explicit PidfdWatch(std::shared_ptr<Child> c) noexcept : child(std::move(c)) {}
  PidfdWatch(PidfdWatch&&) noexcept = default;
  PidfdWatch& operator=(PidfdWatch&&) = delete;
  // Still holding the pidfd here means the loop is being torn down (we
  // remove the handler ourselves once the child is reaped): a last look,
  // then the pidfd goes (send_signal falls back to a checked kill()).
  ~PidfdWatch() {
    if (!child || child->pidfd() < 0) return;
    close_fd(child->pidfd());
    child->adopt_pidfd(-1);
    child->poll();
  }

  void operator()(int fd, std::uint32_t) const {
    std::shared_ptr<Child> keep = child;  // removing the handler destroys this functor's copy
    siginfo_t info;
    int r = wait_pidfd(fd, info, WEXITED | WNOHANG);
    if (r == 0 && info.si_pid == 0) return;  // spurious: still running
    IOLoop* loop = keep->loop();
    if (loop != nullptr) loop->remove_handler(fd);
    close_fd(fd);
    keep->adopt_pidfd(-1);
    if (r == 0) return keep->exited(returncode_of_info(info));
    if (errno == EINVAL) {  // a 5.3 kernel: pidfds but no P_PIDFD; the pid is ours until reaped
      keep->poll();
      return;
    }
    keep->lost(errno);
  }
};

// The SIGCHLD fallback: one per thread (its loop's), alive while it has
// children; see the file comment.
template <class Child>
class SigchldWatch : public std::enable_shared_from_this<SigchldWatch<Child>> {
 public:
  explicit SigchldWatch(IOLoop& loop) : anchor_(loop.anchor()) {}

  static void add(IOLoop& loop, std::shared_ptr<Child> child) {
    std::shared_ptr<SigchldWatch> watch = instance().lock();
    if (watch && watch->anchor_->loop != &loop) {
      if (watch->anchor_->loop != nullptr) {
        throw std::logic_error("eddy: Subprocess: this thread's children are watched by another IOLoop");
      }
      watch.reset();  // its loop is gone
    }
    if (!watch) {
      watch = std::make_shared<SigchldWatch>(loop);
      loop.add_signal_handler(SIGCHLD, [watch](int) { watch->check_all(); });
      instance() = watch;
    }
    watch->children_.push_back(std::move(child));
    watch->arm_poll();
    watch->check_all();  // it may have exited before the handler was in place
  }

 private:
  static std::weak_ptr<SigchldWatch>& instance() {
    thread_local std::weak_ptr<SigchldWatch> watch;
    return watch;
  }

  // waitpid(WNOHANG) for each child; drops the finished ones, and SIGCHLD
  // with the last.
  void check_all() {
    std::shared_ptr<SigchldWatch> self = this->shared_from_this();  // removing the handler drops its copy
    std::vector<std::shared_ptr<Child>> running;
    std::vector<std::shared_ptr<Child>> all = std::move(children_);
    for (std::shared_ptr<Child>& child : all) {
      if (!child->poll()) running.push_back(std::move(child));
    }
    children_ = std::move(running);
    IOLoop* loop = anchor_->loop;
    if (!children_.empty() || loop == nullptr) return;
    loop->remove_timeout(poll_);
    if (instance().lock() == self) instance().reset();
    loop->remove_signal_handler(SIGCHLD);
  }

  void arm_poll() {
    IOLoop* loop = anchor_->loop;
    if (loop == nullptr || polling_) return;
    polling_ = true;
    std::weak_ptr<SigchldWatch> weak = this->weak_from_this();
    poll_ = loop->call_later(std::chrono::seconds(1), [weak] {
      if (std::shared_ptr<SigchldWatch> watch = weak.lock()) {
        watch->polling_ = false;
        watch->check_all();
        if (!watch->children_.empty()) watch->arm_poll();
      }
    });
  }

  std::shared_ptr<const LoopAnchor> anchor_;
  std::vector<std::shared_ptr<Child>> children_;
  Timeout poll_;
  bool polling_ = false;
};

// Starts watching `child` on `loop`: its pidfd where it can, else SIGCHLD.
// A child already reaped by someone else (SIGCHLD ignored) is marked lost.
template <class Child>
inline void watch_child(IOLoop& loop, const std::shared_ptr<Child>& child) {
  if (have_pidfd && !force_sigchld_watch()) {
    int fd = open_pidfd(child->pid());
    if (fd == -1 && errno == ESRCH) return child->lost(ECHILD);
    if (fd >= 0) {
      // The pid was ours at spawn; if it was reaped before pidfd_open (SIGCHLD
      // ignored), the pidfd may name a newcomer: waitid says ECHILD then.
      siginfo_t info;
      if (wait_pidfd(fd, info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD) {
        close_fd(fd);
        return child->lost(ECHILD);
      }
      child->adopt_pidfd(fd);
      loop.add_handler(fd, PidfdWatch<Child>(child), IOLoop::READ);
      return;
    }
    // ENOSYS (old kernel), EPERM (seccomp), EMFILE: SIGCHLD it is.
  }
  SigchldWatch<Child>::add(loop, child);
}

}  // namespace eddy::detail

// EpollPoller: the Linux backend. Level-triggered epoll, as Tornado's, woken
// across threads through an eventfd.
//
// The seam every backend implements (see poller.hpp):
//   add(fd, events) / modify(fd, events) throw std::system_error naming the fd;
//   remove(fd) is noexcept and tolerates an fd that is already closed;
//   poll(timeout_ns, out) waits (timeout < 0: forever) and appends ready fds,
//     draining its own waker; it returns with no events after EINTR;
//   or, instead of poll(), a backend whose wait leaves a stable array (this
//     one) offers wait_ready(timeout_ns) and for_each_ready(sink), so the
//     loop dispatches straight from the kernel's array without a copy;
//   wake() may be called from any thread;
//   this backend also takes a tag with add/modify, reports it with the
//   events (data.u64 = tag << 32 | fd) and offers reset(), since epoll keeps
//   a registration whose fd was closed while a dup holds the file open;
//   signal_wake() wakes the loop from a signal handler (async-signal-safe).
#pragma once

#include "../base/config.hpp"

#if EDDY_HAVE_EPOLL

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "../base/fd_ops.hpp"
#include "ready_event.hpp"

namespace eddy::detail {

template <class = void>
class BasicEpollPoller {
 public:
  static constexpr const char* name = "epoll";

  BasicEpollPoller() : events_(initial_capacity) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ == -1) throw_errno("epoll_create1");
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ == -1) {
      int error = errno;
      close_fd(epoll_fd_);
      throw_error(error, "eventfd");
    }
    watch_waker(epoll_fd_);
  }

  // Replaces the epoll set by an empty one (plus the waker): the only way to
  // drop a registration whose fd is closed. False if the OS refuses.
  bool reset() noexcept {
    int fresh = ::epoll_create1(EPOLL_CLOEXEC);
    if (fresh == -1) return false;
    watch_waker(fresh);
    close_fd(epoll_fd_);
    epoll_fd_ = fresh;
    return true;
  }

  ~BasicEpollPoller() {
    close_fd(wake_fd_);
    close_fd(epoll_fd_);
  }

  BasicEpollPoller(const BasicEpollPoller&) = delete;
  BasicEpollPoller& operator=(const BasicEpollPoller&) = delete;

  void add(int fd, std::uint32_t events, std::uint32_t tag) {
    control(EPOLL_CTL_ADD, fd, events, tag, "epoll_ctl(ADD)");
  }
  void modify(int fd, std::uint32_t events, std::uint32_t tag) {
    control(EPOLL_CTL_MOD, fd, events, tag, "epoll_ctl(MOD)");
  }

  void remove(int fd) noexcept {
    // EBADF/ENOENT mean the kernel already forgot the fd (it was closed).
    epoll_event ev{};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
  }

  // Waits; returns how many entries for_each_ready() will visit (0 after a
  // timeout or EINTR: the loop simply goes round again).
  std::size_t wait_ready(std::int64_t timeout_ns) {
    int n = wait(timeout_ns);
    ready_count_ = n > 0 ? static_cast<std::size_t>(n) : 0;
    return ready_count_;
  }

  // Calls sink(fd, events) for each ready fd of the last wait_ready(). The
  // array is not touched by add/modify/remove, so handlers run by the sink
  // may change registrations freely.
  template <class Sink>
  void for_each_ready(Sink&& sink) {
    const std::size_t n = ready_count_;
    ready_count_ = 0;
    // Bounds read once: the sink's calls are opaque to the compiler, which
    // would otherwise reload the array's address for every event.
    const epoll_event* const end = events_.data() + n;
    for (const epoll_event* ev = events_.data(); ev != end; ++ev) {
      const std::uint64_t data = ev->data.u64;
      const auto tag = static_cast<std::uint32_t>(data >> 32);
      // The waker is the one registration with tag 0, so testing the tag
      // also tells the sink (inlined) that every tag it sees is nonzero.
      if (EDDY_UNLIKELY(tag == 0)) {
        drain_waker();
      } else {
        // Unmasked: epoll reports only the bits a registration asked for
        // (ev_read, ev_write) plus EPOLLERR and EPOLLHUP (ev_error).
        sink(static_cast<int>(static_cast<std::uint32_t>(data)), ev->events, tag);
      }
    }
    // A full batch hints at more ready fds than slots: grow for next time.
    if (n == events_.size()) events_.resize(events_.size() * 2);
  }

  void wake() noexcept {
    std::uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the loop will wake anyway.
    [[maybe_unused]] ssize_t r = ::write(wake_fd_, &one, sizeof one);
  }

  // The wake-up used from signal handlers: write(2) on the eventfd is
  // async-signal-safe, so it is the same as wake().
  void signal_wake() noexcept { wake(); }

 private:
  static constexpr std::size_t initial_capacity = 256;

  void control(int op, int fd, std::uint32_t events, std::uint32_t tag, const char* what) {
    epoll_event ev{};
    ev.events = events & (ev_read | ev_write);
    ev.data.u64 = (static_cast<std::uint64_t>(tag) << 32) | static_cast<std::uint32_t>(fd);
    if (::epoll_ctl(epoll_fd_, op, fd, &ev) == -1) throw_fd_error(errno, what, fd);
  }

  std::uint64_t waker_data() const noexcept { return static_cast<std::uint32_t>(wake_fd_); }

  void watch_waker(int epoll_fd) noexcept {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = waker_data();
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd_, &ev);
  }

  int wait(std::int64_t timeout_ns) {
    int capacity = static_cast<int>(events_.size());
#if defined(SYS_epoll_pwait2)
    // epoll_pwait2 takes nanoseconds, so sub-millisecond timers are honoured.
    // Kernels before 5.11 (and valgrind) answer ENOSYS once; then we fall back.
    if (have_pwait2_) {
      timespec ts = to_timespec(timeout_ns);
      long n = ::syscall(SYS_epoll_pwait2, epoll_fd_, events_.data(), capacity,
                         timeout_ns < 0 ? nullptr : &ts, nullptr, 0);
      if (n != -1 || errno != ENOSYS) return static_cast<int>(n);
      have_pwait2_ = false;
    }
#endif
    return ::epoll_wait(epoll_fd_, events_.data(), capacity, timeout_ms_ceil(timeout_ns));
  }

  void drain_waker() noexcept {
    std::uint64_t count;
    [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof count);
  }

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool have_pwait2_ = true;
  std::size_t ready_count_ = 0;
  std::vector<epoll_event> events_;
};
using EpollPoller = BasicEpollPoller<>;

}  // namespace eddy::detail

#endif  // EDDY_HAVE_EPOLL

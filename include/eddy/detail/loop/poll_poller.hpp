// PollPoller: the portable backend over poll(2) (ppoll where the platform has
// it, for sub-millisecond waits), woken through a self-pipe. It exists so the
// seam is exercised on every machine, and as a fallback.
//
// Implements the seam described in epoll_poller.hpp.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "../base/config.hpp"
#include "../base/fd_ops.hpp"
#include "ready_event.hpp"

namespace eddy::detail {

template <class = void>
class BasicPollPoller {
 public:
  static constexpr const char* name = "poll";

  BasicPollPoller() {
    int fds[2];
    open_pipe_cloexec_nonblock(fds);
    wake_read_ = fds[0];
    wake_write_ = fds[1];
    pollfds_.push_back(pollfd{wake_read_, POLLIN, 0});
  }

  ~BasicPollPoller() {
    close_fd(wake_read_);
    close_fd(wake_write_);
  }

  BasicPollPoller(const BasicPollPoller&) = delete;
  BasicPollPoller& operator=(const BasicPollPoller&) = delete;

  void add(int fd, std::uint32_t events) {
    if (!fd_is_open(fd)) throw_fd_error(EBADF, "poll add", fd);
    if (position(fd) != none) throw_fd_error(EEXIST, "poll add", fd);
    if (static_cast<std::size_t>(fd) >= index_.size()) index_.resize(static_cast<std::size_t>(fd) + 1, none);
    index_[static_cast<std::size_t>(fd)] = pollfds_.size();
    pollfds_.push_back(pollfd{fd, to_poll(events), 0});
  }

  void modify(int fd, std::uint32_t events) {
    std::size_t at = position(fd);
    if (at == none) throw_fd_error(ENOENT, "poll modify", fd);
    pollfds_[at].fd = fd;  // revives an entry parked after POLLNVAL
    pollfds_[at].events = to_poll(events);
  }

  void remove(int fd) noexcept {
    std::size_t at = position(fd);
    if (at == none) return;
    // Swap-with-last keeps the array dense; fix the moved entry's index.
    pollfd last = pollfds_.back();
    pollfds_[at] = last;
    pollfds_.pop_back();
    if (at < pollfds_.size()) index_[static_cast<std::size_t>(owner(at))] = at;
    index_[static_cast<std::size_t>(fd)] = none;
  }

  void poll(std::int64_t timeout_ns, std::vector<ReadyEvent>& out) {
    int n = wait(timeout_ns);
    if (n <= 0) return;  // timeout or EINTR
    for (std::size_t i = 0; i < pollfds_.size() && n > 0; ++i) {
      pollfd& p = pollfds_[i];
      if (p.revents == 0) continue;
      --n;
      if (i == 0) {
        drain_waker();
      } else if (p.revents & POLLNVAL) {
        // The fd was closed without remove_handler. Report it once as an
        // error and park the entry (poll skips negative fds) rather than
        // spin on POLLNVAL forever.
        out.push_back(ReadyEvent{p.fd, ev_error});
        p.fd = -1 - p.fd;
      } else {
        out.push_back(ReadyEvent{p.fd, static_cast<std::uint32_t>(p.revents) & (ev_read | ev_write | ev_error)});
      }
    }
  }

  void wake() noexcept {
    char byte = 1;
    // EAGAIN means the pipe is full: the loop is certain to wake already.
    [[maybe_unused]] ssize_t r = ::write(wake_write_, &byte, 1);
  }

  // The wake-up used from signal handlers: write(2) on the pipe is
  // async-signal-safe, so it is the same as wake().
  void signal_wake() noexcept { wake(); }

 private:
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  static short to_poll(std::uint32_t events) noexcept {
    return static_cast<short>(events & (ev_read | ev_write));
  }

  // A parked entry stores -1 - fd, so the owner is recoverable either way.
  int owner(std::size_t at) const noexcept {
    int fd = pollfds_[at].fd;
    return fd >= 0 ? fd : -1 - fd;
  }

  std::size_t position(int fd) const noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= index_.size()) return none;
    return index_[static_cast<std::size_t>(fd)];
  }

  int wait(std::int64_t timeout_ns) {
    auto count = static_cast<nfds_t>(pollfds_.size());
#if EDDY_HAVE_PPOLL
    timespec ts = to_timespec(timeout_ns);
    return ::ppoll(pollfds_.data(), count, timeout_ns < 0 ? nullptr : &ts, nullptr);
#else
    return ::poll(pollfds_.data(), count, timeout_ms_ceil(timeout_ns));
#endif
  }

  void drain_waker() noexcept {
    char buffer[256];
    while (::read(wake_read_, buffer, sizeof buffer) > 0) {
    }
  }

  int wake_read_ = -1;
  int wake_write_ = -1;
  std::vector<pollfd> pollfds_;      // [0] is the waker
  std::vector<std::size_t> index_;   // fd -> position in pollfds_, or none
};
using PollPoller = BasicPollPoller<>;

}  // namespace eddy::detail

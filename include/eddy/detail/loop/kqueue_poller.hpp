// KqueuePoller: the macOS/BSD backend (and, for testing on Linux, libkqueue).
// Level-triggered EVFILT_READ / EVFILT_WRITE filters, woken across threads by
// an EVFILT_USER event and from signal handlers by a self-pipe.
//
// Implements the seam described in epoll_poller.hpp. What kqueue adds:
//   - Interest is one filter per direction, so an fd is registered as up to
//     two kevents. Changes turn single filters on and off with EV_ADD and
//     EV_DELETE; repeating EV_ADD to change a registration does not update it
//     on libkqueue. A table indexed by fd remembers which filters are on.
//   - Changes go in their own kevent() call, never together with a wait, each
//     with EV_RECEIPT and room for one receipt apiece: the call then returns
//     at once and every change reports its own error. (If the call also
//     waited, errors could be lost.)
//   - Both filters of one fd may be ready in the same batch; poll() merges
//     them into one ReadyEvent, as epoll and poll report them.
//   - The kqueue descriptor is not usable in a child after fork(); the child
//     creates its own loop (see ioloop.hpp).
//   - An fd registered with no interest (NONE) still reports a hang-up or
//     error, as epoll (EPOLLHUP/EPOLLERR) and poll (POLLHUP) always do: an
//     idle stream must notice its peer or pipe reader going. kqueue has no
//     filter for "errors only", so such an fd gets an edge-triggered
//     (EV_CLEAR) EVFILT_READ "hang-up watch" whose plain readiness is
//     dropped and whose EV_EOF is reported as ERROR. EV_CLEAR keeps unread
//     data from waking the loop over and over.
#pragma once

#include "../base/config.hpp"

#if EDDY_HAVE_KQUEUE

#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../base/fd_ops.hpp"
#include "ready_event.hpp"

namespace eddy::detail {

template <class = void>
class BasicKqueuePoller {
 public:
  static constexpr const char* name = "kqueue";

  BasicKqueuePoller() : events_(initial_capacity) {
    kq_ = ::kqueue();
    if (kq_ == -1) throw_errno("kqueue");
    try {
      // kqueue() has no close-on-exec flag everywhere; set it by hand.
      set_cloexec(kq_);
      open_signal_pipe();
      register_wakers();
    } catch (...) {
      close_fd(signal_read_);
      close_fd(signal_write_);
      close_fd(kq_);
      throw;
    }
  }

  ~BasicKqueuePoller() {
    // Delete every fd filter still registered, the signal pipe's too, before
    // closing: libkqueue 2.7.0 leaks its per-fd state for filters that are
    // still registered when the kqueue is closed. (The BSDs need none of it.)
    for (std::size_t fd = 0; fd < fds_.size(); ++fd) remove(static_cast<int>(fd));
    struct kevent change;
    EV_SET(&change, static_cast<std::uintptr_t>(signal_read_), EVFILT_READ, EV_DELETE, 0, 0, nullptr);
    apply(&change, 1);
    close_fd(signal_read_);
    close_fd(signal_write_);
    close_fd(kq_);
  }

  BasicKqueuePoller(const BasicKqueuePoller&) = delete;
  BasicKqueuePoller& operator=(const BasicKqueuePoller&) = delete;

  void add(int fd, std::uint32_t events) {
    // Checked first so a closed fd gives EBADF on every platform (libkqueue
    // answers a bad fd with other codes).
    if (!fd_is_open(fd)) throw_fd_error(EBADF, "kevent(ADD)", fd);
    if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 1);
    fds_[static_cast<std::size_t>(fd)] = FdState{};
    int error = change_filters(fd, events, true);
    if (error != 0) {
      // Leave nothing half-registered: the loop treats a throwing add as
      // "fd not registered".
      remove(fd);
      throw_fd_error(error, "kevent(ADD)", fd);
    }
  }

  void modify(int fd, std::uint32_t events) {
    if (state(fd) == nullptr) throw_fd_error(ENOENT, "kevent(modify)", fd);
    if ((events & ~state(fd)->filters & (ev_read | ev_write)) != 0 && !fd_is_open(fd)) {
      throw_fd_error(EBADF, "kevent(ADD)", fd);
    }
    int error = change_filters(fd, events, true);
    if (error != 0) throw_fd_error(error, "kevent(ADD)", fd);
  }

  void remove(int fd) noexcept {
    FdState* s = state(fd);
    if (s == nullptr || s->filters == 0) return;
    // Every registered filter is deleted, even when fd is already closed:
    // libkqueue keeps stale state for a closed fd that would swallow events
    // of the next fd to reuse the number. ENOENT/EBADF mean the kernel
    // already forgot it, which is what we want.
    change_filters(fd, 0, false);
  }

  void poll(std::int64_t timeout_ns, std::vector<ReadyEvent>& out) {
    int n = wait(timeout_ns);
    if (n <= 0) return;  // timeout, or EINTR: the loop simply goes round again
    std::size_t first = out.size();
    for (int i = 0; i < n; ++i) {
      const struct kevent& ev = events_[static_cast<std::size_t>(i)];
#if defined(EVFILT_USER)
      if (ev.filter == EVFILT_USER) continue;  // EV_CLEAR already re-armed it
#endif
      int fd = static_cast<int>(ev.ident);
      if (fd == signal_read_ && ev.filter == EVFILT_READ) {
        drain_signal_pipe();
      } else if (std::uint32_t events = to_loop_events(ev, watching(fd)); events != 0) {
        report(fd, events, first, out);
      }
    }
    // A full batch hints at more ready filters than slots: grow for next time.
    if (static_cast<std::size_t>(n) == events_.size()) events_.resize(events_.size() * 2);
  }

  // Posts the EVFILT_USER event; kevent(2) is thread-safe. OpenBSD has no
  // EVFILT_USER, so there the self-pipe serves threads too.
  void wake() noexcept {
#if defined(EVFILT_USER)
    struct kevent ev;
    EV_SET(&ev, user_ident, EVFILT_USER, 0, NOTE_TRIGGER, 0, nullptr);
    ::kevent(kq_, &ev, 1, nullptr, 0, nullptr);
#else
    signal_wake();
#endif
  }

  // The wake-up used from signal handlers. It must not call kevent():
  // libkqueue takes an internal lock there, and a handler that interrupts
  // the loop thread inside kevent() would deadlock on it. write(2) on the
  // self-pipe is async-signal-safe; the caller saves errno.
  void signal_wake() noexcept {
    char byte = 1;
    // EAGAIN means the pipe is full: the loop is certain to wake already.
    [[maybe_unused]] ssize_t r = ::write(signal_write_, &byte, 1);
  }

 private:
  static constexpr std::size_t initial_capacity = 256;
  static constexpr std::uintptr_t user_ident = 0;
  // In FdState::filters: the EVFILT_READ registered is the hang-up watch of
  // an fd with no interest (EV_CLEAR; see the file comment).
  static constexpr std::uint8_t hup_watch = 0x80;
  static_assert((hup_watch & (ev_read | ev_write)) == 0);

  struct FdState {
    std::uint8_t filters = 0;  // ev_read | ev_write | hup_watch: the filters now registered
    std::uint32_t slot = 0;    // where poll() last put this fd in `out`
  };

  FdState* state(int fd) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return nullptr;
    return &fds_[static_cast<std::size_t>(fd)];
  }

  bool watching(int fd) noexcept {
    FdState* s = state(fd);
    return s != nullptr && (s->filters & hup_watch) != 0;
  }

  static void set_cloexec(int fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags == -1 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) throw_errno("fcntl");
  }

  void open_signal_pipe() {
    int fds[2];
    open_pipe_cloexec_nonblock(fds);
    signal_read_ = fds[0];
    signal_write_ = fds[1];
  }

  // EV_CLEAR on the user event: without it a triggered EVFILT_USER stays
  // ready forever. The signal pipe is level-triggered and drained by poll().
  void register_wakers() {
    struct kevent changes[2];
    int count = 1;
    EV_SET(&changes[0], static_cast<std::uintptr_t>(signal_read_), EVFILT_READ, EV_ADD, 0, 0, nullptr);
#if defined(EVFILT_USER)
    EV_SET(&changes[1], user_ident, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, nullptr);
    count = 2;
#endif
    int error = apply(changes, count);
    if (error != 0) throw_error(error, "kevent(waker)");
  }

  // Turns fd's filters on or off until exactly those in `events` are
  // registered (with no interest and `watch_idle`, the hang-up watch), and
  // records the outcome. Returns the first EV_ADD error, or 0; a watch that
  // cannot be added is no error (the fd then stays quiet until it gets
  // interest, as every fd with no interest was before the watch).
  int change_filters(int fd, std::uint32_t events, bool watch_idle) noexcept {
    FdState& s = fds_[static_cast<std::size_t>(fd)];
    std::uint32_t want = events & (ev_read | ev_write);
    if (want == 0 && watch_idle) want = hup_watch;
    drop_other_read_kind(fd, s, want);
    struct kevent changes[2];
    std::uint32_t bits[2];
    int count = 0;
    for (std::uint32_t bit : {ev_read | hup_watch, ev_write}) {
      if ((want & bit) == (s.filters & bit)) continue;
      unsigned short flags = (want & bit) != 0 ? EV_ADD : EV_DELETE;
      if ((want & hup_watch) != 0 && bit != ev_write) flags = EV_ADD | EV_CLEAR;
      EV_SET(&changes[count], static_cast<std::uintptr_t>(fd), bit == ev_write ? EVFILT_WRITE : EVFILT_READ, flags, 0,
             0, nullptr);
      bits[count] = want & bit;
      ++count;
    }
    // A deleted filter is gone whatever the receipt says (ENOENT/EBADF mean
    // the fd was closed); an added one only if its receipt reports success.
    s.filters = static_cast<std::uint8_t>(s.filters & want);
    int error = apply(changes, count);
    for (int i = 0; i < count; ++i) {
      if ((changes[i].flags & EV_ADD) != 0 && changes[i].data == 0) {
        s.filters = static_cast<std::uint8_t>(s.filters | bits[i]);
      }
    }
    return (want & hup_watch) != 0 ? 0 : error;
  }

  // A plain read filter and the watch are both EVFILT_READ: switching
  // between them deletes the old one first, in a call of its own (the
  // receipts of one call are matched by filter), since a repeated EV_ADD
  // does not change a libkqueue registration. So going idle or busy costs
  // one kevent() call more on kqueue.
  void drop_other_read_kind(int fd, FdState& s, std::uint32_t want) noexcept {
    std::uint32_t read_kind = s.filters & (ev_read | hup_watch);
    if (read_kind == 0 || read_kind == (want & (ev_read | hup_watch))) return;
    struct kevent del;
    EV_SET(&del, static_cast<std::uintptr_t>(fd), EVFILT_READ, EV_DELETE, 0, 0, nullptr);
    apply(&del, 1);
    s.filters = static_cast<std::uint8_t>(s.filters & ~(ev_read | hup_watch));
  }

  // Applies `count` changes in a call of their own, with EV_RECEIPT so that
  // each comes back as an EV_ERROR entry whose data is its errno (0 on
  // success) and the call never waits. The receipts overwrite `changes`
  // (matched by filter: all changes of one call name one ident). Returns the
  // first failing EV_ADD's errno, or 0; failed deletes are not errors.
  int apply(struct kevent* changes, int count) noexcept {
    if (count == 0) return 0;
    struct kevent receipts[2];
    for (int i = 0; i < count; ++i) {
      changes[i].flags = static_cast<decltype(changes[i].flags)>(changes[i].flags | EV_RECEIPT);
      changes[i].data = 0;
    }
    int n;
    do {
      n = ::kevent(kq_, changes, count, receipts, count, nullptr);
    } while (n == -1 && errno == EINTR);
    if (n == -1) {
      for (int i = 0; i < count; ++i) changes[i].data = errno;
    }
    for (int r = 0; r < n; ++r) {
      for (int i = 0; i < count; ++i) {
        if (changes[i].filter == receipts[r].filter && changes[i].ident == receipts[r].ident) {
          changes[i].data = (receipts[r].flags & EV_ERROR) != 0 ? receipts[r].data : 0;
        }
      }
    }
    for (int i = 0; i < count; ++i) {
      if ((changes[i].flags & EV_ADD) != 0 && changes[i].data != 0) return static_cast<int>(changes[i].data);
    }
    return 0;
  }

  // One kevent in the loop's bits. EV_EOF on a read filter is readable (the
  // read returns 0), with ERROR and that errno (IOLoop::error_of) when fflags
  // carries the socket's error (a reset). EV_EOF on a write filter means writes will fail (EPIPE, or a
  // refused connect), reported as WRITE|ERROR like epoll's EPOLLOUT|EPOLLHUP.
  // For the hang-up watch (`watch`), plain readiness is no event (0) and
  // EV_EOF is ERROR alone, as epoll reports EPOLLHUP to an fd with no interest.
  static std::uint32_t to_loop_events(const struct kevent& ev, bool watch) noexcept {
    std::uint32_t events = 0;
    bool eof = (ev.flags & EV_EOF) != 0;
    if (ev.filter == EVFILT_READ && watch) {
      if (eof) events = with_errno(ev_error, static_cast<int>(ev.fflags));
    } else if (ev.filter == EVFILT_READ) {
      events = ev_read;
      if (eof && ev.fflags != 0) events = with_errno(events, static_cast<int>(ev.fflags));
    } else if (ev.filter == EVFILT_WRITE) {
      events = ev_write;
      if (eof) events |= ev_error;
    }
    if ((ev.flags & EV_ERROR) != 0) events |= ev_error;
    return events;
  }

  // Appends {fd, events}, or ORs events into fd's entry when this poll
  // already reported fd. slot is trustworthy when it points into this poll's
  // part of `out` at an entry for fd: entries from first on are this poll's,
  // one per fd.
  void report(int fd, std::uint32_t events, std::size_t first, std::vector<ReadyEvent>& out) {
    FdState* s = state(fd);
    if (s != nullptr && s->slot >= first && s->slot < out.size() && out[s->slot].fd == fd) {
      out[s->slot].events |= events;
      return;
    }
    if (s != nullptr) s->slot = static_cast<std::uint32_t>(out.size());
    out.push_back(ReadyEvent{fd, events});
  }

  int wait(std::int64_t timeout_ns) {
    // kevent takes a timespec, so sub-millisecond timers are honoured.
    timespec ts = to_timespec(timeout_ns < 0 ? 0 : timeout_ns);
    int capacity = static_cast<int>(events_.size());
    return ::kevent(kq_, nullptr, 0, events_.data(), capacity, timeout_ns < 0 ? nullptr : &ts);
  }

  void drain_signal_pipe() noexcept {
    char buffer[256];
    while (::read(signal_read_, buffer, sizeof buffer) > 0) {
    }
  }

  int kq_ = -1;
  int signal_read_ = -1;
  int signal_write_ = -1;
  std::vector<struct kevent> events_;
  std::vector<FdState> fds_;  // indexed by fd
};
using KqueuePoller = BasicKqueuePoller<>;

}  // namespace eddy::detail

#endif  // EDDY_HAVE_KQUEUE

// Poller: the one seam between the loop and the OS. It holds whichever
// backend the loop was built with and forwards the five seam members to it
// (see epoll_poller.hpp for their contract). Backends are chosen here and
// nowhere else; each is a plain class, so the forwarding compiles to a
// switch, not a virtual call.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "../base/config.hpp"
#include "epoll_poller.hpp"
#include "kqueue_poller.hpp"
#include "poll_poller.hpp"
#include "ready_event.hpp"

namespace eddy {

// Which I/O multiplexer an IOLoop uses. `automatic` picks epoll on Linux,
// kqueue on macOS and the BSDs, and poll elsewhere.
enum class Backend { automatic, epoll, kqueue, poll };

// True when `backend` can be used in this build on this platform.
inline bool backend_available(Backend backend) noexcept {
  switch (backend) {
    case Backend::automatic:
    case Backend::poll:
      return true;
    case Backend::epoll:
      return EDDY_HAVE_EPOLL != 0;
    case Backend::kqueue:
      return EDDY_HAVE_KQUEUE != 0;
  }
  return false;
}

inline const char* to_string(Backend backend) noexcept {
  switch (backend) {
    case Backend::automatic: return "automatic";
    case Backend::epoll: return "epoll";
    case Backend::kqueue: return "kqueue";
    case Backend::poll: return "poll";
  }
  return "unknown";
}

}  // namespace eddy

namespace eddy::detail {

template <class = void>
class BasicPoller {
 public:
  explicit BasicPoller(Backend backend) : kind_(backend == Backend::automatic ? best() : backend) {
    switch (kind_) {
#if EDDY_HAVE_EPOLL
      case Backend::epoll: impl_.emplace<EpollPoller>(); return;
#endif
#if EDDY_HAVE_KQUEUE
      case Backend::kqueue: impl_.emplace<KqueuePoller>(); return;
#endif
      case Backend::poll: impl_.emplace<PollPoller>(); return;
      default:
        throw std::invalid_argument(std::string("eddy: the ") + to_string(backend) +
                                    " backend is not available in this build");
    }
  }

  // The platform's best backend.
  static Backend best() noexcept {
#if EDDY_HAVE_EPOLL
    return Backend::epoll;
#elif EDDY_HAVE_KQUEUE
    return Backend::kqueue;
#else
    return Backend::poll;
#endif
  }

  Backend backend() const noexcept { return kind_; }

  // `tag` names the registration (never 0); backends that can carry it with
  // the events (epoll) report it back, the others report 0.
  void add(int fd, std::uint32_t events, std::uint32_t tag) {
    dispatch([&](auto& p) {
      if constexpr (carries_tags<std::decay_t<decltype(p)>>) {
        p.add(fd, events, tag);
      } else {
        p.add(fd, events);
      }
    });
  }
  void modify(int fd, std::uint32_t events, std::uint32_t tag) {
    dispatch([&](auto& p) {
      if constexpr (carries_tags<std::decay_t<decltype(p)>>) {
        p.modify(fd, events, tag);
      } else {
        p.modify(fd, events);
      }
    });
  }
  // Forgets every registration, including any the kernel kept for a closed
  // fd whose file a dup holds open; the loop then adds the live ones again.
  // Returns false (and changes nothing) if a fresh set cannot be made, or if
  // the backend has no such leftovers to forget (it never reports tags).
  bool reset() noexcept {
    bool done = false;
    dispatch([&](auto& p) {
      if constexpr (carries_tags<std::decay_t<decltype(p)>>) done = p.reset();
    });
    return done;
  }
  void remove(int fd) noexcept {
    dispatch([&](auto& p) { p.remove(fd); });
  }
  // Waits for readiness, up to timeout_ns (< 0: forever, 0: not at all).
  // Returns how many entries for_each_ready() will visit; 0 means nothing.
  std::size_t wait(std::int64_t timeout_ns) {
    std::size_t n = 0;
    dispatch([&](auto& p) {
      if constexpr (dispatches_in_place<std::decay_t<decltype(p)>>) {
        n = p.wait_ready(timeout_ns);
      } else {
        ready_.clear();
        p.poll(timeout_ns, ready_);
        n = ready_.size();
      }
    });
    return n;
  }

  // Calls sink(fd, events, tag) for each fd the last wait() found ready (tag
  // 0 from backends that carry none). The sink may add, modify and remove
  // registrations.
  template <class Sink>
  void for_each_ready(Sink&& sink) {
    dispatch([&](auto& p) {
      if constexpr (dispatches_in_place<std::decay_t<decltype(p)>>) {
        p.for_each_ready(sink);
      } else {
        // Backends whose state a handler may reshuffle (poll's array, kqueue's
        // merge slots) hand over a copy, visited here.
        for (std::size_t i = 0; i < ready_.size(); ++i) {
          const ReadyEvent ev = ready_[i];
          sink(ev.fd, ev.events, std::uint32_t{0});
        }
        ready_.clear();
      }
    });
  }
  void wake() noexcept {
    dispatch([](auto& p) { p.wake(); });
  }
  void signal_wake() noexcept {
    dispatch([](auto& p) { p.signal_wake(); });
  }

 private:
  template <class P>
  static constexpr bool carries_tags =
#if EDDY_HAVE_EPOLL
      std::is_same_v<P, EpollPoller>;
#else
      false;
#endif
  template <class P>
  static constexpr bool dispatches_in_place =
#if EDDY_HAVE_EPOLL
      std::is_same_v<P, EpollPoller>;
#else
      false;
#endif

  // A switch on the chosen kind; the variant's monostate is only its state
  // before the constructor emplaces the backend, so it is never dispatched to.
  template <class F>
  void dispatch(F&& f) {
    switch (kind_) {
#if EDDY_HAVE_EPOLL
      case Backend::epoll: f(*std::get_if<EpollPoller>(&impl_)); return;
#endif
#if EDDY_HAVE_KQUEUE
      case Backend::kqueue: f(*std::get_if<KqueuePoller>(&impl_)); return;
#endif
      default: f(*std::get_if<PollPoller>(&impl_)); return;
    }
  }

  Backend kind_;
  std::vector<ReadyEvent> ready_;  // for backends that report by copy
  std::variant<std::monostate,
#if EDDY_HAVE_EPOLL
               EpollPoller,
#endif
#if EDDY_HAVE_KQUEUE
               KqueuePoller,
#endif
               PollPoller>
      impl_;
};
using Poller = BasicPoller<>;

}  // namespace eddy::detail

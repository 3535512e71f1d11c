/// @file
/// The loop's value types: the Timeout handle, the blocking detector's
/// report, the statistics snapshot and the construction options.
#pragma once

#include "detail/base/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstddef>
#include <cstdint>

#include "detail/loop/poller.hpp"
#include "detail/base/source_location.hpp"
#include "detail/loop/timer_queue.hpp"

namespace eddy {

/// The loop's clock: monotonic, so deadlines never move with the wall clock (see the README).
using Clock = std::chrono::steady_clock;

class IOLoop;
/// @cond EDDY_DETAIL
namespace detail {
template <class Dummy>
class IOLoopImpl;
}  // namespace detail
/// @endcond

/// A handle to one scheduled timeout, returned by add_timeout, call_at and
/// call_later. Default-constructed, it is empty. Copying it copies the handle,
/// not the timeout. It stays safe to pass to remove_timeout after the timeout
/// fired or was removed (that is a no-op), and to any other loop (also a
/// no-op): a handle names its loop by the loop's serial, unique in the process
/// (IOLoop::serial()), not by its address, which a later loop may reuse.
class Timeout {
 public:
  Timeout() noexcept = default;
  /// True if the handle names a timeout (it may have fired or been removed since).
  explicit operator bool() const noexcept { return id_.generation != 0; }
  /// Handles are equal when they name the same timeout of the same loop.
  friend bool operator==(const Timeout& a, const Timeout& b) noexcept {
    return a.loop_serial_ == b.loop_serial_ && a.id_.slot == b.id_.slot && a.id_.generation == b.id_.generation;
  }
  /// The negation of ==.
  friend bool operator!=(const Timeout& a, const Timeout& b) noexcept { return !(a == b); }

 private:
  template <class>
  friend class detail::IOLoopImpl;
  Timeout(std::uint64_t loop_serial, detail::TimerId id) noexcept : loop_serial_(loop_serial), id_(id) {}
  std::uint64_t loop_serial_ = 0;  ///< 0 never names a loop
  detail::TimerId id_{};
};

/// What the blocking detector reports: how long one callback, timeout, handler
/// or coroutine step held the loop, what kind it was, and where it was
/// scheduled (file and line under C++20; "unknown" under C++17).
struct BlockingReport {
  Clock::duration elapsed;  ///< so far, for a watchdog report
  const char* kind;         ///< "callback", "timeout", "handler", "signal handler", "coroutine step"
  /// Where the callback, timeout or handler was scheduled.
  SourceLocation where;
  bool still_running = false;  ///< true when the watchdog reports a step that has not returned yet
};

/// Counters kept by every loop; see IOLoop::stats().
struct LoopStats {
  /// Loop iterations run by start().
  std::uint64_t iterations = 0;
  /// add_callback callbacks run.
  std::uint64_t callbacks_run = 0;
  /// Timeouts that ran.
  std::uint64_t timeouts_fired = 0;
  /// Timeouts that remove_timeout took back before they ran.
  std::uint64_t timeouts_cancelled = 0;
  /// Calls of fd handlers.
  std::uint64_t handler_calls = 0;
  /// Calls into the backend (epoll_wait, kevent, poll); fewer than iterations when zero-wait polls were skipped.
  std::uint64_t polls = 0;
  /// Timeouts scheduled and not yet run or removed, now.
  std::size_t timeouts_pending = 0;
  /// Fds with a handler, now.
  std::size_t handlers_registered = 0;
  Clock::duration poll_time{};  ///< spent waiting in the poller
  Clock::duration run_time{};   ///< spent in start() outside the poller
  /// The share of start()'s time spent running work rather than waiting:
  /// libuv's idle-time metric, inverted.
  double utilisation() const noexcept {
    auto total = poll_time + run_time;
    return total.count() == 0 ? 0.0 : static_cast<double>(run_time.count()) / static_cast<double>(total.count());
  }
};

/// Construction options. `virtual_time` makes the loop's clock start at
/// `virtual_start` and move only when the loop has nothing ready, jumping
/// straight to the next deadline: a test that waits an hour runs in
/// microseconds. Real fds still work (they are polled without waiting).
struct IOLoopOptions {
  /// The backend: automatic picks epoll (Linux) or kqueue (macOS, BSD), else poll.
  Backend backend = Backend::automatic;
  /// True: the clock is virtual and jumps to the next deadline when nothing is ready.
  bool virtual_time = false;
  /// Where a virtual clock starts.
  Clock::time_point virtual_start{};
};

}  // namespace eddy

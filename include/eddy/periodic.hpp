/// @file
/// PeriodicCallback: calls a function every `period` on an IOLoop, as
/// Tornado's PeriodicCallback (with 5.1's jitter).
///
/// Scheduling follows Tornado exactly: the first run is at start() + period;
/// after a run the next deadline advances on the fixed grid
///   next += (floor((now - next) / period) + 1) * period
/// so an overrun skips the runs it missed instead of bursting to catch up;
/// if the clock appears to have gone backwards (now < next), next += period.
/// With jitter j in [0, 1], each period is multiplied by 1 + j * (random - 0.5).
/// Every deadline computation saturates: a period of years means "not in
/// this run", never an overflow.
///
/// Thread contract: construct, start(), stop() and destroy on the loop's thread.
/// Lifetime: it may outlive its loop; then stop() and the destructor do
/// nothing and start() throws std::logic_error.
/// Reentrancy: the callback may call stop(), start() or even destroy the
/// PeriodicCallback; state shared with the scheduled timeout keeps that safe.
#pragma once

#include "detail/base/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>

#include "detail/base/floor.hpp"
#include "detail/base/splitmix64.hpp"
#include "ioloop.hpp"

namespace eddy {

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// PeriodicCallback's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class PeriodicCallbackImpl {
 public:
  /// Throws std::invalid_argument if period <= 0 or jitter is outside [0, 1]
  /// (Tornado's range; beyond 2 a period could turn negative) or NaN.
  template <class F>
  PeriodicCallbackImpl(IOLoop& loop, F&& callback, Clock::duration period, double jitter = 0.0)
      : state_(std::make_shared<State>(loop, detail::Function<void()>(std::forward<F>(callback)), period, jitter)) {
    if (period <= Clock::duration::zero()) {
      throw std::invalid_argument("eddy: PeriodicCallback period must be positive");
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw std::invalid_argument("eddy: PeriodicCallback jitter must be within [0, 1]");
    }
  }

  /// Takes over the schedule.
  PeriodicCallbackImpl(PeriodicCallbackImpl&&) noexcept = default;
  /// Stops this schedule and takes over that of `other`.
  PeriodicCallbackImpl& operator=(PeriodicCallbackImpl&& other) noexcept {
    if (this != &other) {
      stop();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  PeriodicCallbackImpl(const PeriodicCallbackImpl&) = delete;
  PeriodicCallbackImpl& operator=(const PeriodicCallbackImpl&) = delete;

  ~PeriodicCallbackImpl() { stop(); }

  /// Starts the timer; the first run is one period from now. No-op if running.
  void start() {
    State& s = *state_;
    if (s.running) return;
    if (s.anchor->loop == nullptr) throw std::logic_error("eddy: PeriodicCallback::start: its loop was destroyed");
    s.running = true;
    s.next = detail::to_ns(s.loop.time());
    schedule_next(state_);
  }

  /// Stops the timer. Safe from inside the callback. No-op if stopped.
  void stop() noexcept {
    if (!state_ || !state_->running) return;
    state_->running = false;
    if (state_->anchor->loop != nullptr) state_->loop.remove_timeout(state_->timeout);
    state_->timeout = Timeout();
  }

  /// True between start() and stop().
  bool is_running() const noexcept { return state_ && state_->running; }

 private:
  struct State {
    State(IOLoop& l, detail::Function<void()>&& f, Clock::duration p, double j)
        : loop(l), anchor(l.anchor()), callback(std::move(f)), period(detail::to_ns(p)), jitter(j),
          random(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(this)) ^
                 static_cast<std::uint64_t>(Clock::now().time_since_epoch().count())) {}
    IOLoop& loop;
    std::shared_ptr<const detail::LoopAnchor> anchor;  ///< reads nullptr once the loop is gone
    detail::Function<void()> callback;
    std::int64_t period;
    double jitter;
    detail::SplitMix64 random;
    bool running = false;
    std::int64_t next = 0;
    Timeout timeout;
  };

  static void run(const std::shared_ptr<State>& state) {
    if (!state->running) return;
    // As Tornado: an exception goes to the loop's handler and the schedule
    // continues.
    try {
      state->callback();
    } catch (...) {
      state->loop.handle_exception(std::current_exception());
    }
    schedule_next(state);
  }

  static void schedule_next(const std::shared_ptr<State>& state) {
    State& s = *state;
    if (!s.running) return;
    std::int64_t now = detail::to_ns(s.loop.time());
    double period = static_cast<double>(s.period);
    if (s.jitter > 0.0) {
      double r = s.random.next_unit();
      period *= 1.0 + s.jitter * (r - 0.5);
    }
    if (s.next <= now) {
      double missed = detail::floor(static_cast<double>(detail::sub_saturating(now, s.next)) / period);
      s.next = detail::add_saturating(s.next, detail::ns_from_double((missed + 1.0) * period));
    } else {
      s.next = detail::add_saturating(s.next, detail::ns_from_double(period));  ///< the clock went backwards
    }
    /// The timeout holds a weak reference: a destroyed PeriodicCallback's
    /// timeout is removed, and one already running sees the state gone.
    std::weak_ptr<State> weak = state;
    s.timeout = s.loop.call_at(detail::from_ns(s.next), [weak] {
      if (auto locked = weak.lock()) run(locked);
    });
  }

  std::shared_ptr<State> state_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// Calls a function every period on a loop, as Tornado's PeriodicCallback; see the file comment for the schedule and the jitter.
#if defined(EDDY_DOXYGEN)
class PeriodicCallback : public PeriodicCallbackImpl<void> {
#else
class PeriodicCallback : public detail::PeriodicCallbackImpl<void> {
#endif
 public:
  using PeriodicCallbackImpl::PeriodicCallbackImpl;
};

}  // namespace eddy

// EDDY_SEPARATE_COMPILATION (the eddy::compiled target): the members of the
// base above are compiled once, in src/eddy_core.cpp; a user's file
// compiles their declarations only (see docs/compile-time.md).
#if defined(EDDY_SEPARATE_COMPILATION)
extern template class eddy::detail::PeriodicCallbackImpl<void>;
#endif

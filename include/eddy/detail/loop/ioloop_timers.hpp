// IOLoop's timer scheduling (declared, with the public members' contracts,
// in ioloop_impl.hpp): call_at's exact deadlines, call_later's provisional
// ones, and the clock reading that settles them. Included by
// <eddy/ioloop.hpp> once IOLoop is complete; not meant to be included alone.
//
// Why call_later reads no clock: a clock read (25-35 ns in a VM) was most of
// its cost. libev and libuv key relative timers from the time cached at the
// iteration's start, so theirs can fire early by as much as the iteration
// has run. eddy keys a call_later(d) at `base + d`, `base` being the loop's
// last clock reading, which is a lower bound of its true deadline, and flags
// it unsettled; the next time the loop reads the clock (t), before it
// consults the heap for due timers or for how long to sleep, every unsettled
// timer moves to `t + d`: after its call, so never early, and late by at
// most the time from the call to t. All unsettled timers share one base (it
// changes only when they are settled), so one subtraction settles them all.
//
// Thread contract: the loop thread only (assert_loop_thread() checks it in
// debug builds), as every IOLoop member but add_callback() and stop().
#pragma once

#include <cstdint>
#include <utility>

#include "ioloop_impl.hpp"

namespace eddy {

// `where` is kept for the blocking detector's reports while it is on.
template <class D>
template <class F>
inline Timeout detail::IOLoopImpl<D>::schedule(std::int64_t when, F&& callback, const SourceLocation& where) {
  assert_loop_thread();
  const SourceLocation* noted = EDDY_UNLIKELY(detector_.enabled()) ? &where : nullptr;
  detail::TimerId id = timers_.add(when, std::forward<F>(callback), noted);
  return Timeout(serial_, id);
}

template <class D>
template <class F>
inline Timeout detail::IOLoopImpl<D>::schedule_later(std::int64_t delay, F&& callback, const SourceLocation& where) {
  // Virtual time costs no clock read: its deadlines are exact.
  if (virtual_time_) return schedule(detail::add_saturating(virtual_now_, delay), std::forward<F>(callback), where);
  assert_loop_thread();
  const SourceLocation* noted = EDDY_UNLIKELY(detector_.enabled()) ? &where : nullptr;
  std::int64_t key = detail::add_saturating(clock_base_, delay);
  detail::TimerId id = timers_.add_unsettled(key, std::forward<F>(callback), noted);
  return Timeout(serial_, id);
}

// The clock as the loop reads it for its own use: each reading settles the
// unsettled timers (by the time elapsed since the base they were keyed
// from) and becomes the base of the next ones. time() reads the clock
// without settling anything.
template <class D>
inline std::int64_t detail::IOLoopImpl<D>::read_clock() noexcept {
  if (virtual_time_) return virtual_now_;
  std::int64_t now = detail::to_ns(Clock::now());
  timers_.settle(now > clock_base_ ? now - clock_base_ : 0);
  clock_base_ = now;
  return now;
}

}  // namespace eddy

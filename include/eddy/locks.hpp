/// @file
/// Coordinating coroutines on one loop, after Tornado's tornado.locks:
/// Event, Condition, Semaphore, BoundedSemaphore and Lock, plus ReleaseGuard,
/// which releases a Lock or Semaphore when it goes out of scope, and
/// acquire_guard(), which acquires and hands back such a guard.
///
/// These are not thread locks: they never block the thread. Every waiting
/// call returns a Future, to co_await or to give callbacks.
/// - Uncontended, it returns a future that is already done (no trip through
///   the loop; a co_await of it does not suspend) and allocates nothing in
///   the steady state (future states are recycled).
/// - Contended, the caller becomes a waiter (one future). Waiters are woken
///   in FIFO order, always through the loop: set(), notify() and release()
///   only resolve futures, so no waiter's code runs on their stack.
/// - A timeout comes as a delay (Clock::duration) or a deadline
///   (Clock::time_point), timed by IOLoop::current() at the call. It fails
///   the future with TimeoutError (Condition::wait resolves false instead).
///   A waiter whose timeout fired is skipped: it is never handed a permit.
/// - Destroying one of these with waiters pending fails their futures with
///   AbandonedError, so the coroutines waiting on it resume and can unwind.
///
/// Thread contract: the loop thread only (like Future), for every member.
/// Objects are neither copyable nor movable: waiters refer to them by address.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "detail/base/deferred.hpp"
#include "detail/future/permits.hpp"
#include "detail/future/waiter_list.hpp"
#include "future.hpp"
#include "ioloop.hpp"

namespace eddy {

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// Event's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class EventImpl {
 public:
  /// An unset flag.
  EventImpl() = default;
  EventImpl(const EventImpl&) = delete;
  EventImpl& operator=(const EventImpl&) = delete;
  ~EventImpl() { waiters_.abandon("eddy: Event destroyed while a wait() was pending"); }

  /// True while the flag is set.
  bool is_set() const noexcept { return set_; }

  /// Sets the flag and wakes every waiter (from the loop, not from here).
  void set() {
    if (set_) return;
    set_ = true;
    while (detail::Waiter<void>* waiter = waiters_.front_live()) {
      waiter->future.set_result();
      waiters_.pop_front();
    }
  }
  /// Clears the flag; later waits wait again.
  void clear() noexcept { set_ = false; }

  /// Done once the flag is set (at once if it is set now).
  Future<void> wait() {
    if (set_) return make_ready_future();
    return detail::wait_forever(waiters_);
  }
  /// wait(), failed with TimeoutError if `timeout` passes first.
  Future<void> wait(Clock::duration timeout) { return wait_until(timeout); }
  /// wait(), failed with TimeoutError if `deadline` passes first.
  Future<void> wait(Clock::time_point deadline) { return wait_until(deadline); }

 private:
  template <class When>
  Future<void> wait_until(When when) {
    if (set_) return make_ready_future();
    return detail::wait_with_timeout(waiters_, when, "eddy: Event::wait timed out");
  }

  bool set_ = false;
  detail::WaiterList<detail::Waiter<void>> waiters_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// A flag coroutines can wait for. Waiting while it is set finishes at once.
#if defined(EDDY_DOXYGEN)
class Event : public EventImpl<void> {
#else
class Event : public detail::EventImpl<void> {
#endif
 public:
  using EventImpl::EventImpl;
};

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// Condition's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class ConditionImpl {
 public:
  /// A condition nobody waits for yet.
  ConditionImpl() = default;
  ConditionImpl(const ConditionImpl&) = delete;
  ConditionImpl& operator=(const ConditionImpl&) = delete;
  ~ConditionImpl() { waiters_.abandon("eddy: Condition destroyed while a wait() was pending"); }

  /// Resolves true when notified; with a timeout, false when it passes first.
  Future<bool> wait() { return detail::wait_forever(waiters_); }
  /// wait(), resolved false if `timeout` passes before a notify.
  Future<bool> wait(Clock::duration timeout) { return wait_until(timeout); }
  /// wait(), resolved false if `deadline` passes before a notify.
  Future<bool> wait(Clock::time_point deadline) { return wait_until(deadline); }

  /// Wakes the first n waiters still waiting (fewer if fewer wait).
  void notify(std::size_t n = 1) {
    for (; n > 0; --n) {
      detail::Waiter<bool>* waiter = waiters_.front_live();
      if (waiter == nullptr) return;
      waiter->future.set_result(true);
      waiters_.pop_front();
    }
  }
  /// Wakes every waiter waiting now.
  void notify_all() { notify(static_cast<std::size_t>(-1)); }

 private:
  template <class When>
  Future<bool> wait_until(When when) {
    detail::Waiter<bool>& waiter = waiters_.push(detail::Waiter<bool>{Future<bool>(), Timeout()});
    Future<bool> future = waiter.future;
    detail::arm_or_expire(waiter, [&] { return detail::arm_timer(when, detail::FalseOnTimeout{future}); });
    return future;
  }

  detail::WaiterList<detail::Waiter<bool>> waiters_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// Lets coroutines wait until another one notifies them. Unlike
/// std::condition_variable it has no lock of its own: on one loop thread a
/// coroutine runs undisturbed until it awaits, so none is needed (Tornado's
/// Condition is the same).
#if defined(EDDY_DOXYGEN)
class Condition : public ConditionImpl<void> {
#else
class Condition : public detail::ConditionImpl<void> {
#endif
 public:
  using ConditionImpl::ConditionImpl;
};

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// Semaphore's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class SemaphoreImpl {
 public:
  /// std::invalid_argument if value < 0.
  explicit SemaphoreImpl(int value = 1)
      : permits_(detail::checked_semaphore_value(value, "Semaphore"), -1, detail::semaphore_kind) {}

  /// Takes a permit: done at once if one is left, else when one is released
  /// to this waiter (FIFO).
  Future<void> acquire() { return permits_.acquire(); }
  /// acquire(), failed with TimeoutError if `timeout` passes first.
  Future<void> acquire(Clock::duration timeout) { return permits_.acquire(timeout); }
  /// acquire(), failed with TimeoutError if `deadline` passes first.
  Future<void> acquire(Clock::time_point deadline) { return permits_.acquire(deadline); }
  /// Gives a permit back: to the first live waiter (resolved through the
  /// loop), or to the counter.
  void release() { permits_.release(); }

  /// Permits left (0 while anyone waits).
  int value() const noexcept { return permits_.value(); }

 protected:
  /// A bounded one: release() past `value` throws std::logic_error.
  SemaphoreImpl(int value, const detail::PermitsKind& kind)
      : permits_(detail::checked_semaphore_value(value, kind.name), value, kind) {}

 private:
  detail::Permits permits_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// A counter of permits: acquire() takes one, waiting while none is left;
/// release() gives one back (to the first waiter, if any).
#if defined(EDDY_DOXYGEN)
class Semaphore : public SemaphoreImpl<void> {
#else
class Semaphore : public detail::SemaphoreImpl<void> {
#endif
 public:
  using SemaphoreImpl::SemaphoreImpl;
};

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// BoundedSemaphore's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class BoundedSemaphoreImpl : public Semaphore {
 public:
  /// `value` permits, and never more; std::invalid_argument if value < 0.
  explicit BoundedSemaphoreImpl(int value = 1) : Semaphore(value, detail::bounded_semaphore_kind) {}
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// A Semaphore that refuses to be released more often than acquired:
/// release() past the initial value throws std::logic_error.
#if defined(EDDY_DOXYGEN)
class BoundedSemaphore : public BoundedSemaphoreImpl<void> {
#else
class BoundedSemaphore : public detail::BoundedSemaphoreImpl<void> {
#endif
 public:
  using BoundedSemaphoreImpl::BoundedSemaphoreImpl;
};

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// Lock's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class LockImpl {
 public:
  /// An unlocked lock.
  LockImpl() : permits_(1, 1, detail::lock_kind) {}

  /// Takes the lock: done at once if it is free, else when the holder
  /// releases it to this waiter (FIFO).
  Future<void> acquire() { return permits_.acquire(); }
  /// acquire(), failed with TimeoutError if `timeout` passes first.
  Future<void> acquire(Clock::duration timeout) { return permits_.acquire(timeout); }
  /// acquire(), failed with TimeoutError if `deadline` passes first.
  Future<void> acquire(Clock::time_point deadline) { return permits_.acquire(deadline); }
  /// Releases the lock (to the first waiter, if any).
  /// std::logic_error if the lock is not held.
  void release() { permits_.release(); }
  /// True while someone holds the lock.
  bool locked() const noexcept { return permits_.value() == 0; }

 private:
  detail::Permits permits_;
};
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// Mutual exclusion between coroutines. Not reentrant: a coroutine that holds
/// it and acquires it again waits for itself.
#if defined(EDDY_DOXYGEN)
class Lock : public LockImpl<void> {
#else
class Lock : public detail::LockImpl<void> {
#endif
 public:
  using LockImpl::LockImpl;
};

/// Releases an acquired Lock, Semaphore or BoundedSemaphore when it goes out
/// of scope (the scoped form of Tornado's `with (yield lock.acquire()):`).
/// It adopts a lock already acquired; it does not acquire:
///
///   co_await lock.acquire();
///   eddy::ReleaseGuard hold(lock);
///
/// Movable, not copyable. A release() that throws in the destructor (the
/// lock was released by hand as well) is reported through the loop's
/// exception handler instead of terminating.
template <class L>
class ReleaseGuard {
 public:
  /// Adopts `lock`, which the caller has acquired.
  explicit ReleaseGuard(L& lock) noexcept : lock_(&lock) {}
  /// Takes over the duty to release from `other`.
  ReleaseGuard(ReleaseGuard&& other) noexcept : lock_(std::exchange(other.lock_, nullptr)) {}
  ReleaseGuard(const ReleaseGuard&) = delete;
  ReleaseGuard& operator=(const ReleaseGuard&) = delete;
  ReleaseGuard& operator=(ReleaseGuard&&) = delete;
  ~ReleaseGuard() {
    try {
      release();
    } catch (...) {
      IOLoop::current().handle_exception(std::current_exception(), "ReleaseGuard");
    }
  }

  /// Releases now instead of at the end of the scope.
  void release() {
    if (lock_ != nullptr) std::exchange(lock_, nullptr)->release();
  }
  /// Gives up the duty to release; returns the lock.
  L* dismiss() noexcept { return std::exchange(lock_, nullptr); }
  /// True while this guard still has to release its lock.
  bool owns() const noexcept { return lock_ != nullptr; }

 private:
  L* lock_;
};

namespace detail {

/// The guard for an acquire that had to wait: resolved when `acquired` is,
/// with a guard that owns the permit (or with acquired's failure).
template <class L>
Future<ReleaseGuard<L>> guard_when_acquired(L& lock, Future<void> acquired) {
  if (acquired.done() && !acquired.failed_unobserved()) return make_ready_future(ReleaseGuard<L>(lock));
  Future<ReleaseGuard<L>> guard;
  acquired.add_done_callback([guard, &lock](Future<void> done) mutable {
    if (done.failed_unobserved()) {
      guard.set_exception(done.exception());
    } else {
      // If nobody takes the guard, it is destroyed with the future and
      // releases the permit: a lost guard cannot leak the lock.
      guard.set_result(ReleaseGuard<L>(lock));
    }
  });
  return guard;
}

}  // namespace detail

/// Acquires `lock` (a Lock, Semaphore or BoundedSemaphore) and hands back the
/// guard that releases it: `auto hold = co_await eddy::acquire_guard(lock);`.
/// Uncontended it is ready at once, as acquire() is; after a wait it costs a
/// second future and resumes one loop iteration later than acquire() would.
/// Timeouts as for acquire(); TimeoutError or AbandonedError fail it.
template <class L>
Future<ReleaseGuard<L>> acquire_guard(L& lock) {
  return detail::guard_when_acquired(lock, lock.acquire());
}
/// acquire_guard(), failed with TimeoutError if `timeout` passes first.
template <class L>
Future<ReleaseGuard<L>> acquire_guard(L& lock, Clock::duration timeout) {
  return detail::guard_when_acquired(lock, lock.acquire(timeout));
}
/// acquire_guard(), failed with TimeoutError if `deadline` passes first.
template <class L>
Future<ReleaseGuard<L>> acquire_guard(L& lock, Clock::time_point deadline) {
  return detail::guard_when_acquired(lock, lock.acquire(deadline));
}

}  // namespace eddy

// EDDY_SEPARATE_COMPILATION (the eddy::compiled target): the members of the
// bases above are compiled once, in src/eddy_core.cpp; a user's file
// compiles their declarations only (see docs/compile-time.md).
#if defined(EDDY_SEPARATE_COMPILATION)
extern template class eddy::detail::EventImpl<void>;
extern template class eddy::detail::ConditionImpl<void>;
extern template class eddy::detail::SemaphoreImpl<void>;
extern template class eddy::detail::BoundedSemaphoreImpl<void>;
extern template class eddy::detail::LockImpl<void>;
#endif

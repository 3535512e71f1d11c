// The waiting side shared by the locks and the queues: a FIFO of waiters,
// each one pending Future and, when it waits with a timeout, the loop timer
// that expires it.
//
// A waiter whose timeout fired is failed (or, for Condition, resolved false)
// by its timer and then simply skipped: whoever hands out an item or a
// permit takes the first waiter whose future is still pending. Expired
// waiters are dropped from the front as new ones arrive, and the whole list
// is compacted before it would grow, so a stream of waits that all time out
// keeps the list as short as the waits actually pending (Tornado's
// _consume_expired does the first half of this).
//
// Timers run on IOLoop::current() at the wait, as in Tornado. A waiter
// that is woken cancels its timer on the loop current at the wake-up when
// that is the same loop (the usual case); otherwise the timer stays and
// finds the future already done when it fires. Nothing here keeps a pointer
// to a loop, so a lock or queue never touches a loop that has gone.
//
// Thread contract: the loop thread only.
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../base/ring.hpp"

namespace eddy::detail {

// One waiter: its future and, when it waits with a timeout, its timer.
template <class R>
struct Waiter {
  Future<R> future;
  Timeout timer;
};

// Cancels a woken waiter's timer (see the header comment for which loop).
template <class = void>
inline void cancel_timer(const Timeout& timer) noexcept {
  if (!timer) return;
  if (IOLoop* loop = IOLoop::current_or_null()) loop->remove_timeout(timer);
}

// What a timer does to its waiter when it fires first: fail it with
// TimeoutError (`message` must be a string literal), or, for Condition,
// resolve it with false.
template <class R>
struct FailOnTimeout {
  Future<R> future;
  const char* message;
  void operator()() {
    if (!future.done()) future.set_exception(std::make_exception_ptr(TimeoutError(message)));
  }
};
template <class = void>
struct BasicFalseOnTimeout {
  Future<bool> future;
  void operator()() {
    if (!future.done()) future.set_result(false);
  }
};
using FalseOnTimeout = BasicFalseOnTimeout<>;

// FIFO of waiters. Entry is Waiter<R> or a struct with the same two members
// plus more (a queue's putter carries its item).
template <class Entry>
class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;

  // Appends a waiter; returns it so the caller can arm its timer.
  Entry& push(Entry&& entry) {
    drop_expired_front();
    if (ring_.size() == ring_.capacity() && ring_.size() > 0) {
      ring_.remove_if([](const Entry& e) { return e.future.done(); });
      // Grow anyway unless that freed half: compacting a nearly full ring
      // on every push would make each push O(n).
      if (ring_.size() > ring_.capacity() / 2) ring_.reserve(ring_.capacity() * 2);
    }
    ring_.push_back(std::move(entry));
    return ring_.at(ring_.size() - 1);
  }

  // The first waiter still pending, or nullptr. Expired ones before it are
  // dropped.
  Entry* front_live() {
    drop_expired_front();
    return ring_.empty() ? nullptr : &ring_.front();
  }
  // Removes the waiter front_live() returned, cancelling its timer.
  void pop_front() {
    cancel_timer(ring_.front().timer);
    ring_.drop_front();
  }

  bool has_live() { return front_live() != nullptr; }
  std::size_t size() const noexcept { return ring_.size(); }  // expired ones included

  // Fails every pending waiter with AbandonedError(message), for the
  // owner's destructor. The failure is marked retrieved: a waiter whose
  // coroutine is gone too (both torn down together) is not an error worth
  // reporting. Timers are left to fire harmlessly, since the loop they
  // belong to may be the one being torn down.
  void abandon(const char* message) noexcept {
    while (!ring_.empty()) {
      Entry entry = ring_.pop_front();
      if (entry.future.done()) continue;
      try {
        entry.future.set_exception(std::make_exception_ptr(AbandonedError(message)));
        (void)entry.future.exception();
      } catch (...) {
        // Scheduling the wake-up failed (out of memory): the waiter stays
        // pending, as it would had the owner been leaked; nothing to undo.
      }
    }
    ring_.clear();
  }

 private:
  void drop_expired_front() {
    while (!ring_.empty() && ring_.front().future.done()) ring_.drop_front();
  }

  Ring<Entry> ring_;
};

// A waiter's timer on IOLoop::current(), after a delay or at a deadline.
template <class OnTimeout>
Timeout arm_timer(Clock::duration delay, OnTimeout on_timeout) {
  return IOLoop::current().call_later(delay, std::move(on_timeout));
}
template <class OnTimeout>
Timeout arm_timer(Clock::time_point deadline, OnTimeout on_timeout) {
  return IOLoop::current().call_at(deadline, std::move(on_timeout));
}

// Sets entry.timer = arm(); if arming throws (out of memory), expires the
// entry first, so that it is skipped rather than handed an item or a permit
// nobody will collect, and rethrows.
template <class Entry, class Arm>
void arm_or_expire(Entry& entry, Arm&& arm) {
  try {
    entry.timer = arm();
  } catch (...) {
    entry.future.set_exception(std::current_exception());
    (void)entry.future.exception();
    throw;
  }
}

// Appends a Waiter<R> that fails with TimeoutError(message) when `when`
// (a delay or a deadline) passes first; returns its future.
template <class R, class When>
Future<R> wait_with_timeout(WaiterList<Waiter<R>>& list, When when, const char* message) {
  Waiter<R>& waiter = list.push(Waiter<R>{Future<R>(), Timeout()});
  Future<R> future = waiter.future;
  arm_or_expire(waiter, [&] { return arm_timer(when, FailOnTimeout<R>{future, message}); });
  return future;
}
template <class R>
Future<R> wait_forever(WaiterList<Waiter<R>>& list) {
  return list.push(Waiter<R>{Future<R>(), Timeout()}).future;
}

}  // namespace eddy::detail

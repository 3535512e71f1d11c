// Permits: the counter behind Semaphore, BoundedSemaphore and Lock
// (<eddy/locks.hpp>), with its FIFO of waiters, and the names each of them
// gives itself in its errors.
//
// Thread contract: the loop thread only, as the locks.
#pragma once

#include <stdexcept>
#include <string>

#include "../../future.hpp"
#include "../base/deferred.hpp"
#include "waiter_list.hpp"

namespace eddy::detail {

// What a Permits object calls itself in its errors (string literals, so the
// TimeoutError built on each timeout copies nothing it must keep).
struct PermitsKind {
  const char* name;
  const char* timed_out;
  const char* abandoned;
};
inline constexpr PermitsKind semaphore_kind{"Semaphore", "eddy: Semaphore::acquire timed out",
                                            "eddy: Semaphore destroyed while an acquire() was pending"};
inline constexpr PermitsKind bounded_semaphore_kind{
    "BoundedSemaphore", "eddy: BoundedSemaphore::acquire timed out",
    "eddy: BoundedSemaphore destroyed while an acquire() was pending"};
inline constexpr PermitsKind lock_kind{"Lock", "eddy: Lock::acquire timed out",
                                       "eddy: Lock destroyed while an acquire() was pending"};

// The counter behind Semaphore, BoundedSemaphore and Lock. A release with a
// waiter pending hands the permit straight to that waiter (the count does
// not move), so an acquire() arriving before the waiter resumes cannot
// steal it, and none is lost when a waiter times out.
template <class = void>
class BasicPermits {
 public:
  BasicPermits(int value, int bound, const PermitsKind& kind) : value_(value), bound_(bound), kind_(&kind) {}
  BasicPermits(const BasicPermits&) = delete;
  BasicPermits& operator=(const BasicPermits&) = delete;
  ~BasicPermits() { waiters_.abandon(kind_->abandoned); }

  Future<void> acquire() {
    if (take()) return make_ready_future();
    return wait_forever(waiters_);
  }
  template <class When>
  Future<void> acquire(When when) {
    if (take()) return make_ready_future();
    return wait_with_timeout(waiters_, when, kind_->timed_out);
  }

  void release() {
    if (bound_ >= 0 && value_ >= bound_) throw std::logic_error(over_release_message());
    if (Waiter<void>* waiter = waiters_.front_live()) {
      waiter->future.set_result();
      waiters_.pop_front();
      return;
    }
    ++value_;
  }

  int value() const noexcept { return value_; }

 private:
  bool take() noexcept {
    if (value_ == 0) return false;
    --value_;
    return true;
  }
  std::string over_release_message() const {
    if (kind_ == &lock_kind) return "eddy: Lock::release of an unlocked Lock";
    return std::string("eddy: ") + kind_->name + "::release past its initial value " + std::to_string(bound_);
  }

  int value_;
  int bound_;  // -1: unbounded
  const PermitsKind* kind_;
  WaiterList<Waiter<void>> waiters_;
};
using Permits = BasicPermits<>;

template <class D = void>
inline int checked_semaphore_value(Deferred<int, D> value, const char* kind) {
  if (value < 0) {
    throw std::invalid_argument(std::string("eddy: ") + kind + " value must be >= 0, got " + std::to_string(value));
  }
  return value;
}

}  // namespace eddy::detail

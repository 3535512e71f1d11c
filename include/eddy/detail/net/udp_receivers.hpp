// ReceiverQueue: a UDP socket's waiting receives in order, each a future or
// a callback (receive's callback form). The oldest, when it is a callback,
// sits in a slot of its own: a server that calls receive(callback) again
// from each callback then moves one Function in and out per datagram, with
// no ring slot and no variant to visit (its hot path).
//
// Thread contract: the owning socket's loop thread only.
#pragma once

#include <exception>
#include <utility>
#include <variant>

#include "../../future.hpp"
#include "../base/function.hpp"
#include "../base/ring.hpp"

namespace eddy::detail {

template <class Datagram>
class ReceiverQueue {
 public:
  using Callback = Function<void(Datagram&, std::exception_ptr)>;
  using Receiver = std::variant<Future<Datagram>, Callback>;

  bool empty() const noexcept { return !first_ && rest_.empty(); }
  bool front_is_callback() noexcept { return first_ || (!rest_.empty() && rest_.front().index() == 1); }

  // Builds a callback in the slot; the queue must be empty.
  template <class F>
  void emplace_first(F&& callback) {
    first_.emplace(std::forward<F>(callback));
  }

  void push(Future<Datagram> future) { rest_.push_back(Receiver(std::in_place_index<0>, std::move(future))); }
  void push(Callback&& callback) {
    if (empty()) {
      first_ = std::move(callback);
    } else {
      rest_.push_back(Receiver(std::in_place_index<1>, std::move(callback)));
    }
  }

  // The oldest receive, taken out; the queue must not be empty.
  Receiver pop() {
    if (first_) return Receiver(std::in_place_index<1>, std::move(first_));
    return rest_.pop_front();
  }
  // The oldest receive when front_is_callback().
  Callback pop_callback() {
    if (first_) return std::move(first_);
    return std::get<1>(rest_.pop_front());
  }
  // The oldest receive when it is a future.
  Future<Datagram> pop_future() { return std::get<0>(rest_.pop_front()); }

  void clear() noexcept {
    first_ = nullptr;
    rest_.clear();
  }

 private:
  Callback first_;
  Ring<Receiver> rest_;
};

}  // namespace eddy::detail

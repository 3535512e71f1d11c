/// @file
/// Queues between coroutines on one loop, after Tornado's tornado.queues:
/// Queue<T> (first in, first out), PriorityQueue<T, Compare> (smallest
/// first) and LifoQueue<T> (last in, first out), with QueueEmpty and
/// QueueFull for the _nowait forms.
///
/// - put() waits while the queue is full (maxsize > 0 items), get() while it
///   is empty; both return a Future, done at once when they need not wait (no
///   trip through the loop, and no allocation in the steady state).
/// - Waiters are served in FIFO order. A put() finding a get() waiting hands
///   it the item; a get() making room takes the first waiting put()'s item in.
///   Either way the waiter resumes from the loop, never inside the call.
/// - Timeouts (a Clock::duration delay or a Clock::time_point deadline, timed
///   by IOLoop::current() at the call) fail the future with TimeoutError. A
///   waiter whose timeout fired is skipped: a get() that timed out is never
///   handed an item, and the item of a put() that timed out is never queued
///   (it is destroyed with the put; the TimeoutError says so).
/// - task_done()/join() count items as Tornado does: every item put is one
///   unfinished task until task_done() is called for it.
/// - Destroying a queue with waiters fails their futures with AbandonedError
///   (see detail/future/waiter_list.hpp); items still queued are destroyed.
/// - T needs only to be move-constructible: move-only types work.
///
/// Thread contract: the loop thread only, for every member.
#pragma once

#include <cstddef>
// std::less and the heap algorithms without the rest of <functional> and
// <algorithm> (18,000 more preprocessed lines as C++20) where libstdc++ keeps
// them in headers of their own; anywhere else, the standard headers.
#include <version>
#if defined(__GLIBCXX__) && __has_include(<bits/stl_function.h>) && __has_include(<bits/stl_heap.h>)
#include <bits/stl_function.h>
#include <bits/stl_heap.h>
#else
#include <algorithm>
#include <functional>
#endif
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "detail/base/ring.hpp"
#include "detail/future/waiter_list.hpp"
#include "future.hpp"
#include "ioloop.hpp"

namespace eddy {

/// get_nowait() on an empty queue.
class QueueEmpty : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// put_nowait() on a full queue.
class QueueFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// The three orders, as stores with push/pop/size.
template <class T>
struct FifoStore {
  Ring<T> items;
  void push(T&& item) { items.push_back(std::move(item)); }
  T pop() { return items.pop_front(); }
  std::size_t size() const noexcept { return items.size(); }
};

template <class T>
struct LifoStore {
  std::vector<T> items;
  void push(T&& item) { items.push_back(std::move(item)); }
  T pop() {
    T item(std::move(items.back()));
    items.pop_back();
    return item;
  }
  std::size_t size() const noexcept { return items.size(); }
};

/// A binary heap with the smallest item (by Compare) on top: std's heap
/// algorithms keep the largest on top, so they get the comparison reversed.
template <class T, class Compare>
struct HeapStore {
  std::vector<T> items;
  Compare less;
  bool greater(const T& a, const T& b) { return less(b, a); }
  void push(T&& item) {
    items.push_back(std::move(item));
    std::push_heap(items.begin(), items.end(), [this](const T& a, const T& b) { return greater(a, b); });
  }
  T pop() {
    std::pop_heap(items.begin(), items.end(), [this](const T& a, const T& b) { return greater(a, b); });
    T item(std::move(items.back()));
    items.pop_back();
    return item;
  }
  std::size_t size() const noexcept { return items.size(); }
};

/// A put() waiting for room, with its item.
template <class T>
struct Putter {
  Future<void> future;
  Timeout timer;
  T item;
};

/// Everything the three queues share; Store decides the order.
template <class T, class Store>
class BasicQueue {
 public:
  explicit BasicQueue(std::size_t maxsize, Store store = Store()) : maxsize_(maxsize), store_(std::move(store)) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;
  ~BasicQueue() {
    getters_.abandon("eddy: Queue destroyed while a get() was pending");
    putters_.abandon("eddy: Queue destroyed while a put() was pending");
    joiners_.abandon("eddy: Queue destroyed while a join() was pending");
  }

  /// Done once the item is in the queue (or handed to a waiting get()).
  Future<void> put(T item) {
    if (!room_now()) return wait_to_put(std::move(item));
    put_now(std::move(item));
    return make_ready_future();
  }
  Future<void> put(T item, Clock::duration timeout) { return put_until(std::move(item), timeout); }
  Future<void> put(T item, Clock::time_point deadline) { return put_until(std::move(item), deadline); }

  /// Puts at once; QueueFull if the queue is full.
  void put_nowait(T item) {
    if (!room_now()) throw QueueFull("eddy: Queue::put_nowait: the queue is full (maxsize " + std::to_string(maxsize_) + ")");
    put_now(std::move(item));
  }

  /// The next item, once there is one.
  Future<T> get() {
    if (store_.size() == 0) return wait_forever(getters_);
    return make_ready_future(take());
  }
  Future<T> get(Clock::duration timeout) { return get_until(timeout); }
  Future<T> get(Clock::time_point deadline) { return get_until(deadline); }

  /// The next item at once; QueueEmpty if the queue is empty.
  T get_nowait() {
    if (store_.size() == 0) throw QueueEmpty("eddy: Queue::get_nowait: the queue is empty");
    return take();
  }

  /// Marks one item taken earlier as processed. std::logic_error when called
  /// more often than items were put.
  void task_done() {
    if (unfinished_ == 0) throw std::logic_error("eddy: Queue::task_done called more times than items were put");
    if (--unfinished_ > 0) return;
    while (Waiter<void>* joiner = joiners_.front_live()) {
      joiner->future.set_result();
      joiners_.pop_front();
    }
  }

  /// Done once every item put so far has been marked task_done().
  Future<void> join() {
    if (unfinished_ == 0) return make_ready_future();
    return wait_forever(joiners_);
  }
  Future<void> join(Clock::duration timeout) { return join_until(timeout); }
  Future<void> join(Clock::time_point deadline) { return join_until(deadline); }

  std::size_t qsize() const noexcept { return store_.size(); }
  bool empty() const noexcept { return store_.size() == 0; }
  bool full() const noexcept { return maxsize_ > 0 && store_.size() >= maxsize_; }
  std::size_t maxsize() const noexcept { return maxsize_; }

 private:
  /// Room for one more item now: a get() waits for it, or the queue is not
  /// full. (A live getter implies an empty queue, and a live putter a full
  /// one, so waiters never overtake each other.)
  bool room_now() { return getters_.has_live() || !full(); }

  void put_now(T&& item) {
    if (Waiter<T>* getter = getters_.front_live()) {
      getter->future.set_result(std::move(item));
      getters_.pop_front();
    } else {
      store_.push(std::move(item));
    }
    ++unfinished_;
  }

  /// Takes the next item. The first waiting put()'s item goes in first, as
  /// in Tornado, so a PriorityQueue hands out the smallest of both.
  T take() {
    if (Putter<T>* putter = putters_.front_live()) {
      store_.push(std::move(putter->item));
      ++unfinished_;
      putter->future.set_result();
      putters_.pop_front();
    }
    return store_.pop();
  }

  template <class When>
  Future<void> put_until(T&& item, When when) {
    if (!room_now()) return wait_to_put(std::move(item), when);
    put_now(std::move(item));
    return make_ready_future();
  }

  Future<void> wait_to_put(T&& item) {
    return putters_.push(Putter<T>{Future<void>(), Timeout(), std::move(item)}).future;
  }
  template <class When>
  Future<void> wait_to_put(T&& item, When when) {
    Putter<T>& putter = putters_.push(Putter<T>{Future<void>(), Timeout(), std::move(item)});
    Future<void> future = putter.future;
    arm_or_expire(putter, [&] { return arm_timer(when, FailOnTimeout<void>{future, "eddy: Queue::put timed out"}); });
    return future;
  }

  template <class When>
  Future<T> get_until(When when) {
    if (store_.size() == 0) return wait_with_timeout(getters_, when, "eddy: Queue::get timed out");
    return make_ready_future(take());
  }

  template <class When>
  Future<void> join_until(When when) {
    if (unfinished_ == 0) return make_ready_future();
    return wait_with_timeout(joiners_, when, "eddy: Queue::join timed out");
  }

  std::size_t maxsize_;
  std::size_t unfinished_ = 0;
  Store store_;
  WaiterList<Waiter<T>> getters_;
  WaiterList<Putter<T>> putters_;
  WaiterList<Waiter<void>> joiners_;
};

}  // namespace detail

/// First in, first out. maxsize 0 means unbounded.
template <class T>
class Queue : public detail::BasicQueue<T, detail::FifoStore<T>> {
 public:
  /// Holds at most `maxsize` items (0: no bound); put() waits while full.
  explicit Queue(std::size_t maxsize = 0) : detail::BasicQueue<T, detail::FifoStore<T>>(maxsize) {}
};

/// Smallest first by Compare (a std::less<T> by default, so the smallest
/// value comes out first: Tornado's PriorityQueue). Equal items come out in
/// no particular order.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public detail::BasicQueue<T, detail::HeapStore<T, Compare>> {
 public:
  /// Holds at most `maxsize` items (0: no bound), ordered by `compare`.
  explicit PriorityQueue(std::size_t maxsize = 0, Compare compare = Compare())
      : detail::BasicQueue<T, detail::HeapStore<T, Compare>>(maxsize,
                                                             detail::HeapStore<T, Compare>{{}, std::move(compare)}) {}
};

/// Last in, first out.
template <class T>
class LifoQueue : public detail::BasicQueue<T, detail::LifoStore<T>> {
 public:
  /// Holds at most `maxsize` items (0: no bound); put() waits while full.
  explicit LifoQueue(std::size_t maxsize = 0) : detail::BasicQueue<T, detail::LifoStore<T>>(maxsize) {}
};

}  // namespace eddy

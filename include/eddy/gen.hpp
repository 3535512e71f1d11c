/// @file
/// Building blocks over futures, after Tornado's tornado.gen: task(), sleep(),
/// with_timeout(), multi() and gather().
///
/// The article's lesson lives in task(): it turns a function that takes a
/// callback into a future a coroutine can wait on, but it does not make that
/// function asynchronous. If fn blocks, the loop blocks; only asynchronous
/// building blocks (sleep instead of std::this_thread::sleep_for,
/// run_in_executor for what has no asynchronous version) keep it free.
///
/// Thread contract: the loop thread only, like Future.
#pragma once

#include "detail/base/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstddef>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "detail/base/invoke.hpp"
#include "future.hpp"
#include "ioloop.hpp"

namespace eddy {

/// @cond EDDY_DETAIL
namespace detail {

// The callback task() hands to fn: copyable, resolves the future on its
// first call and ignores later ones.
template <class T>
struct TaskCallback {
  Future<T> future;
  template <class V>
  void operator()(V&& value) const {
    if (!future.done()) Future<T>(future).set_result(T(std::forward<V>(value)));
  }
};
template <>
struct TaskCallback<void> {
  Future<void> future;
  // A template so that it is compiled only where used (see detail/base/deferred.hpp).
  template <class = void>
  void operator()() const {
    if (!future.done()) Future<void>(future).set_result();
  }
};

}  // namespace detail
/// @endcond

/// Tornado's gen.Task: calls fn(args..., callback) at once and returns a
/// future that callback(T value) (callback() for void) resolves; later calls
/// are ignored; an exception thrown by fn fails the future. The callback is
/// copyable, so fn may take it as a std::function<void(T)> or a template.
template <class T = void, class F, class... Args>
Future<T> task(F&& fn, Args&&... args) {
  Future<T> future;
  try {
    detail::invoke(std::forward<F>(fn), std::forward<Args>(args)..., detail::TaskCallback<T>{future});
  } catch (...) {
    if (!future.done()) future.set_exception(std::current_exception());
  }
  return future;
}

/// A future that resolves after `delay` on IOLoop::current(): the
/// asynchronous sleep. Never use std::this_thread::sleep_for on the loop.
template <class = void>
inline Future<void> sleep(Clock::duration delay) {
  Future<void> future;
  IOLoop::current().call_later(delay, [future]() mutable { future.set_result(); });
  return future;
}

/// `future`'s outcome, or eddy::TimeoutError if it takes longer than
/// `timeout`. On the timeout, when this was `future`'s only waiter (no other
/// done-callback, no coroutine suspended on it), `future.cancel()` is called
/// so that its producer can stop the work (see Future::set_cancel_callback);
/// `future`'s later outcome is then dropped unreported. With other waiters,
/// `future` runs on for them.
template <class T>
Future<T> with_timeout(Clock::duration timeout, Future<T> future) {
  IOLoop& loop = IOLoop::current();
  Future<T> result;
  // The timer holds `future` only to cancel it; the done-callback below
  // removes the timer (and so that hold) when `future` resolves first.
  Timeout timer = loop.call_later(timeout, [result, future]() mutable {
    if (result.done()) return;
    result.set_exception(std::make_exception_ptr(TimeoutError("eddy: with_timeout: timed out")));
    // The one waiter left is this call's own done-callback.
    if (future.waiter_count() == 1) future.cancel();
  });
  // The anchor, not the loop: `future` may resolve after the loop is gone.
  future.add_done_callback([result, timer, anchor = loop.anchor()](Future<T> done) mutable {
    if (result.done()) return;  // timed out already: leave `done` unobserved
    if (anchor->loop != nullptr) anchor->loop->remove_timeout(timer);
    if (done.failed_unobserved()) {
      result.set_exception(done.exception());
    } else if constexpr (std::is_void_v<T>) {
      done.result();
      result.set_result();
    } else {
      result.set_result(done.result());
    }
  });
  return result;
}

/// @cond EDDY_DETAIL
namespace detail {

template <class T>
using GatherSlot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// The value of a done, successful future, as multi()/gather() store it.
template <class T>
GatherSlot<T> take_value(Future<T>& f) {
  if constexpr (std::is_void_v<T>) {
    f.result();
    return std::monostate();
  } else {
    return f.result();
  }
}

// Shared bookkeeping of multi() and gather(). Values are stored as they
// arrive, so the inputs' callbacks never reference the inputs themselves (no
// cycle keeps a never-resolved input alive). The first failure fails the
// combined future; later ones are retrieved here and dropped, as asyncio's
// gather does: the caller asked for one outcome and got the first failure,
// and logging the others as "never retrieved" would be noise.
template <class Combined, class Slots>
struct Gathering {
  Future<Combined> result;
  std::size_t pending;
  Slots slots;
  Gathering(std::size_t n, Slots initial) : pending(n), slots(std::move(initial)) {}

  // Records one input's outcome; true when the combined future can now be
  // resolved with the slots.
  template <class T, class Store>
  bool absorb(Future<T>& done, Store&& store) {
    if (result.done()) {
      (void)done.exception();  // a later failure: retrieved, not reported
      return false;
    }
    if (done.failed_unobserved()) {
      result.set_exception(done.exception());
      return false;
    }
    store(take_value(done));
    return --pending == 0;
  }
};

}  // namespace detail
/// @endcond

/// All values in order once every future is done; the first failure fails it.
template <class T>
Future<std::vector<T>> multi(std::vector<Future<T>> futures) {
  using Slots = std::vector<std::optional<T>>;
  auto g = std::make_shared<detail::Gathering<std::vector<T>, Slots>>(futures.size(), Slots(futures.size()));
  Future<std::vector<T>> result = g->result;
  if (futures.empty()) result.set_result(std::vector<T>());
  for (std::size_t i = 0; i < futures.size(); ++i) {
    futures[i].add_done_callback([g, i](Future<T> done) {
      if (!g->absorb(done, [&](T&& value) { g->slots[i].emplace(std::move(value)); })) return;
      std::vector<T> values;
      values.reserve(g->slots.size());
      for (auto& slot : g->slots) values.push_back(std::move(*slot));
      g->result.set_result(std::move(values));
    });
  }
  return result;
}

/// Every future done; the first failure fails it.
template <class = void>
inline Future<void> multi(std::vector<Future<void>> futures) {
  auto g = std::make_shared<detail::Gathering<void, std::monostate>>(futures.size(), std::monostate());
  Future<void> result = g->result;
  if (futures.empty()) result.set_result();
  for (Future<void>& f : futures) {
    f.add_done_callback([g](Future<void> done) {
      if (g->absorb(done, [](std::monostate) {})) g->result.set_result();
    });
  }
  return result;
}

/// @cond EDDY_DETAIL
namespace detail {
template <class G, std::size_t... Is, class... Ts>
void gather_each_impl(const std::shared_ptr<G>& g, std::index_sequence<Is...>, Future<Ts>&... futures) {
  auto watch = [&g](auto index, auto& future) {
    using T = typename std::decay_t<decltype(future)>::value_type;
    future.add_done_callback([g](Future<T> done) {
      constexpr std::size_t i = decltype(index)::value;
      if (!g->absorb(done, [&](GatherSlot<T>&& value) { std::get<i>(g->slots).emplace(std::move(value)); })) return;
      g->result.set_result(std::apply([](auto&... slot) { return typename decltype(g->result)::value_type(std::move(*slot)...); }, g->slots));
    });
  };
  (watch(std::integral_constant<std::size_t, Is>(), futures), ...);
}
}  // namespace detail
/// @endcond

/// Futures of different types together: a tuple of their values in order
/// (std::monostate for a void one); the first failure fails it.
template <class... Ts>
Future<std::tuple<detail::GatherSlot<Ts>...>> gather(Future<Ts>... futures) {
  using Tuple = std::tuple<detail::GatherSlot<Ts>...>;
  using Slots = std::tuple<std::optional<detail::GatherSlot<Ts>>...>;
  auto g = std::make_shared<detail::Gathering<Tuple, Slots>>(sizeof...(Ts), Slots());
  Future<Tuple> result = g->result;
  if constexpr (sizeof...(Ts) == 0) {
    result.set_result(Tuple());
  } else {
    detail::gather_each_impl(g, std::index_sequence_for<Ts...>(), futures...);
  }
  return result;
}

}  // namespace eddy

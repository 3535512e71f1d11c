/// @file
/// Future<T>: the result of asynchronous work, to chain with
/// add_done_callback, hand to IOLoop::add_future and run_sync, or co_await
/// from a coroutine under C++20.
///
/// The model is Tornado's (and asyncio's): a future is resolved once, with a
/// value or an exception; done-callbacks never run inside set_result() but are
/// scheduled on the loop; an exception nobody ever retrieves is reported
/// through the loop's exception handler when the future is destroyed.
///
/// Thread contract: a Future and every copy of it belong to the loop thread.
/// To resolve one from another thread, post the resolution with
/// IOLoop::add_callback (run_in_executor does exactly that).
#pragma once

#include "detail/base/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "detail/future/future_state.hpp"
#include "ioloop.hpp"

namespace eddy {

/// What run_sync and with_timeout raise when time runs out.
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What the futures of waiters still pending fail with when their lock,
/// semaphore, condition, event or queue is destroyed. Nobody did anything
/// wrong: a future (or a coroutine's, which the failure unwound) that fails
/// with it and is never looked at is not reported as "never retrieved".
class AbandonedError : public std::runtime_error {

 public:
  using std::runtime_error::runtime_error;
};

/// What a future fails with when its waiter gave up (Future::cancel) and its
/// producer chose to stop: the HTTP client's fetch, for one. A producer may
/// fail a cancelled future with its own error instead (PostgreSQL's 57014).
class CancelledError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Asking a pending future for its result, or resolving a future twice.
class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// A result that will be ready later, as Tornado's Future: a shared handle to one state.
///
/// Copies share the state. Resolve it once with set_result or set_exception; read it with result() once done; add_done_callback and co_await wait for it. Used on one loop's thread.
template <class T>
class Future {
 public:
  /// The type of the result.
  using value_type = T;

  /// A new pending future (one allocation: its shared state).
  Future() : state_(new detail::FutureState<T>()) {}

  /// Another handle to the same state.
  Future(const Future& other) noexcept : state_(other.state_) {
    if (state_) state_->add_ref();
  }
  /// Takes over the handle; `other` is left empty.
  Future(Future&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  /// Makes this a handle to the state of `other`.
  Future& operator=(Future other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~Future() {
    if (state_) detail::FutureState<T>::release(state_);
  }

  /// True once a result or an exception is set.
  bool done() const noexcept { return state_->done(); }

  /// The value (nothing for void), or the stored exception rethrown.
  /// InvalidStateError if the future is not done yet. A copyable value is
  /// copied; a move-only one (std::unique_ptr) is moved out, so the first
  /// result() (or co_await) of any handle takes it and a later one throws
  /// InvalidStateError.
  T result() const {
    check_done("result");
    state_->mark_retrieved();
    if (state_->failed()) std::rethrow_exception(state_->error());
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (std::is_copy_constructible_v<T>) {
      return state_->value();
    } else {
      if (state_->taken()) throw InvalidStateError("eddy: Future::result: the move-only value was already taken");
      state_->mark_taken();
      return std::move(state_->value());
    }
  }

  /// The stored exception, or null if the future succeeded. InvalidStateError
  /// if the future is not done yet.
  std::exception_ptr exception() const {
    check_done("exception");
    state_->mark_retrieved();
    return state_->error();
  }

  /// Resolves the future. InvalidStateError if it is already done.
  template <class U = T, class = std::enable_if_t<!std::is_void_v<U>>>
  void set_result(U value) {
    check_pending("set_result");
    state_->resolve_value(std::move(value));
  }
  /// Resolves a Future<void>; throws InvalidStateError if already done.
  template <class U = T, class = std::enable_if_t<std::is_void_v<U>>>
  void set_result() {
    check_pending("set_result");
    state_->resolve_value();
  }
  /// Fails the future with `error`; throws InvalidStateError if already done.
  void set_exception(std::exception_ptr error) {
    if (!error) throw std::invalid_argument("eddy: Future::set_exception needs an exception");
    check_pending("set_exception");
    state_->resolve_error(std::move(error));
  }

  /// Calls callback(Future<T>) once the future is done: scheduled on the loop
  /// current on the thread that resolves it, or at once on IOLoop::current()
  /// if it is already done. Never called from inside set_result().
  template <class F>
  void add_done_callback(F&& callback) {
    static_assert(std::is_invocable_v<std::decay_t<F>&, Future<T>>,
                  "eddy: add_done_callback needs a callable taking the Future<T>");
    // The state's callbacks take its untyped base (one callback list for
    // every T); the handle is made here, where T is known.
    using D = std::decay_t<F>;
    if constexpr (std::is_pointer_v<D> || std::is_member_pointer_v<D>) {
      if (callback == nullptr) return;  // as an empty callback: nothing to run
    }
    state_->add_callback([callback = D(std::forward<F>(callback))](detail::FutureStateBase& state) mutable {
      detail::invoke(callback, Future(static_cast<detail::FutureState<T>*>(&state)));
    });
  }

  /// The producer's side of cancellation: `callback()` runs at most once, on
  /// the loop thread, when cancel() is called before the future resolved
  /// (at once if that already happened); it is dropped when the future
  /// resolves. Setting a second callback replaces the first; on a done
  /// future it is dropped unrun. The callback is destroyed inside
  /// set_result(), so it should hold weak references (or none) to what
  /// resolves the future. It may run while the loop is being destroyed (a
  /// coroutine frame torn down with it): IOLoop::closing() then says so,
  /// and the callback must not start new work on that loop.
  template <class F>
  void set_cancel_callback(F&& callback) {
    static_assert(std::is_invocable_v<std::decay_t<F>&>, "eddy: set_cancel_callback needs a callable taking nothing");
    state_->set_cancel_callback(detail::Function<void()>(std::forward<F>(callback)));
  }

  /// The consumer's side (asyncio's Future.cancel, without resolving the
  /// future itself): when the future is not done, marks it cancelled and
  /// calls the producer's cancel callback if one is set; the producer then
  /// resolves it as it sees fit (CancelledError, its own error, or a late
  /// result). A future whose producer set no callback stays pending and
  /// resolves as it would have. Returns false when the future was already
  /// done. An exception the callback throws goes to the loop's exception
  /// handler. The exception of a cancelled future is never reported as
  /// "exception never retrieved". with_timeout and a coroutine destroyed
  /// while awaiting call it when they were the future's only waiter.
  bool cancel() { return state_->cancel(); }

  /// True when cancel() was called before the future resolved.
  bool cancelled() const noexcept { return state_->cancelled(); }

  /// Two handles are equal when they share one state.
  friend bool operator==(const Future& a, const Future& b) noexcept { return a.state_ == b.state_; }
  /// True when the handles name different states.
  friend bool operator!=(const Future& a, const Future& b) noexcept { return a.state_ != b.state_; }

  /// For the library's combinators: the outcome without marking it retrieved.
  bool failed_unobserved() const noexcept { return state_->failed(); }
  /// For the library's combinators: how many wait for this future now
  /// (done-callbacks not yet run and suspended coroutines).
  std::size_t waiter_count() const noexcept { return state_->waiters(); }

#if defined(__cpp_impl_coroutine)
  struct promise_type;
  /// Suspends the coroutine until the future is done, then gives its result (C++20).
  auto operator co_await() const noexcept;
#endif

 private:
  template <class>
  friend class detail::FutureState;
  template <class>
  friend class detail::FutureAwaiter;
  template <class>
  friend class detail::IOLoopImpl;
  friend struct detail::InPlace;
  explicit Future(detail::FutureState<T>* state) noexcept : state_(state) { state_->add_ref(); }

  void check_done(const char* what) const {
    if (!state_->done()) throw InvalidStateError(std::string("eddy: Future::") + what + " called on a pending future");
  }
  void check_pending(const char* what) const {
    if (state_->done()) throw InvalidStateError(std::string("eddy: Future::") + what + " called on a future that is already done");
  }

  detail::FutureState<T>* state_;
};

/// A future already resolved with `value` (or, for void, with nothing).
template <class T>
Future<std::decay_t<T>> make_ready_future(T&& value) {
  Future<std::decay_t<T>> f;
  f.set_result(std::forward<T>(value));
  return f;
}
/// A Future<void> already resolved. (A template only so that it is compiled
/// where it is used; call it as make_ready_future().)
template <class = void>
inline Future<void> make_ready_future() {
  Future<void> f;
  f.set_result();
  return f;
}
/// A future already failed with `error`.
template <class T>
Future<T> make_failed_future(std::exception_ptr error) {
  Future<T> f;
  f.set_exception(std::move(error));
  return f;
}

/// @cond EDDY_DETAIL
namespace detail {

template <class>
inline void report_unretrieved(std::exception_ptr error) noexcept {
  // An abandoned wait is nobody's error (a worker left waiting on a queue
  // that is destroyed at exit, say): asyncio does not log a cancelled task.
  try {
    std::rethrow_exception(error);
  } catch (const AbandonedError&) {
    return;
  } catch (...) {
  }
  IOLoop* loop = IOLoop::current_or_null();
  if (loop != nullptr) {
    loop->handle_exception(std::move(error), "a future (exception never retrieved)");
  } else {
    IOLoop::report_exception(error, "a future (exception never retrieved)");
  }
}

template <class>
inline void schedule_job(const LoopAnchor* anchor, Function<void()>&& job) {
  IOLoop* loop = anchor != nullptr ? anchor->loop : nullptr;
  (loop != nullptr ? *loop : IOLoop::current()).add_callback(std::move(job));
}

template <class>
inline void report_callback_error(std::exception_ptr error) {
  IOLoop::current().handle_exception(std::move(error));
}

// What func() returns, as a future: Future<T> stays, void and plain values
// become resolved futures.
template <class R>
struct AsFuture {
  using type = Future<R>;
  template <class F>
  static type call(F& func) {
    return make_ready_future(func());
  }
};
template <>
struct AsFuture<void> {
  using type = Future<void>;
  template <class F>
  static type call(F& func) {
    func();
    return make_ready_future();
  }
};
template <class T>
struct AsFuture<Future<T>> {
  using type = Future<T>;
  template <class F>
  static type call(F& func) {
    return func();
  }
};

}  // namespace detail
/// @endcond

}  // namespace eddy

#include "detail/future/ioloop_futures.hpp"

#if defined(__cpp_impl_coroutine)
#include "detail/future/coroutine.hpp"
#endif

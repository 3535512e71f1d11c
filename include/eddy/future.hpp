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
#include "detail/loop/thread_pool.hpp"
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

  /// Two handles are equal when they share one state.
  friend bool operator==(const Future& a, const Future& b) noexcept { return a.state_ == b.state_; }
  /// True when the handles name different states.
  friend bool operator!=(const Future& a, const Future& b) noexcept { return a.state_ != b.state_; }

  /// For the library's combinators: the outcome without marking it retrieved.
  bool failed_unobserved() const noexcept { return state_->failed(); }

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

// ---- IOLoop members that speak futures ------------------------------------
/// @cond EDDY_DETAIL
// (Documented where IOLoopImpl declares them.)

template <class D>
template <class F>
auto detail::IOLoopImpl<D>::run_sync(F&& func) {
  return run_sync_impl(func, -1);
}

template <class D>
template <class F, class Rep, class Period>
auto detail::IOLoopImpl<D>::run_sync(F&& func, std::chrono::duration<Rep, Period> timeout) {
  std::int64_t ns = detail::to_ns_saturating(timeout);
  return run_sync_impl(func, ns < 0 ? 0 : ns);
}

template <class D>
template <class F>
auto detail::IOLoopImpl<D>::run_sync_impl(F& func, std::int64_t timeout_ns) {
  using Adapter = detail::AsFuture<std::invoke_result_t<F&>>;
  using FutureType = typename Adapter::type;
  // Checked before anything is queued: a nested call leaves nothing behind.
  if (running()) throw std::logic_error("eddy: run_sync: the loop is already running (run_sync does not nest)");
  /// What the queued work shares with this call. The work may outlive the
  /// call (a stop() before start() makes start() return at once; after a
  /// timeout the future may resolve later): once `active` is false it
  /// touches neither `func` (on this stack) nor the loop.
  struct Session {
    F* func;
    std::optional<FutureType> outcome;
    bool timed_out = false;
    bool active = true;
  };
  auto session = std::make_shared<Session>();
  session->func = &func;
  // As Tornado: func() runs from inside the loop, so IOLoop::current() is
  // this loop while it runs and while its coroutines make progress.
  add_callback([this, session] {
    if (!session->active) return;
    try {
      session->outcome.emplace(Adapter::call(*session->func));
    } catch (...) {
      session->outcome.emplace();
      session->outcome->set_exception(std::current_exception());
    }
    // Weak: the future may never resolve, and must not keep the session.
    session->outcome->add_done_callback([this, weak = std::weak_ptr<Session>(session)](const FutureType&) {
      std::shared_ptr<Session> s = weak.lock();
      if (s && s->active) stop();
    });
  });
  Timeout deadline;
  if (timeout_ns >= 0) {
    deadline = call_later(std::chrono::nanoseconds(timeout_ns), [this, session] {
      if (!session->active) return;
      session->timed_out = true;
      stop();
    });
  }
  start();
  session->active = false;
  remove_timeout(deadline);
  if (!session->outcome || !session->outcome->done()) {
    if (session->timed_out) {
      throw TimeoutError("eddy: run_sync: operation timed out after " +
                         std::to_string(static_cast<double>(timeout_ns) / 1e9) + " s");
    }
    throw std::runtime_error("eddy: run_sync: the loop was stopped before the future resolved");
  }
  FutureType outcome = std::move(*session->outcome);
  session->outcome.reset();
  return outcome.result();
}

template <class D>
template <class T, class F>
void detail::IOLoopImpl<D>::add_future(Future<T> future, F&& callback) {
  // The done-callbacks are scheduled on this loop, whichever loop is current
  // where the future resolves (say, before start() with another current).
  future.state_->schedule_on(anchor_);
  future.add_done_callback([this, callback = std::forward<F>(callback)](Future<T> done) mutable {
    if (in_loop_thread()) {
      callback(std::move(done));
    } else {
      add_callback([callback = std::move(callback), done = std::move(done)]() mutable { callback(std::move(done)); });
    }
  });
}

template <class D>
template <class F, class... Args>
auto detail::IOLoopImpl<D>::run_in_executor(F&& func, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&...>;
  assert_loop_thread();
  Future<R> future;
  // The worker only ever *moves* the handle (never copies or drops a live
  // one), so the non-atomic reference count is touched on the loop thread
  // alone; the result comes back through add_callback, the thread-safe door.
  // The arguments are copied (or moved) into the job here, on the loop
  // thread, so the caller's objects may go away at once.
  executor().submit([this, fn = std::decay_t<F>(std::forward<F>(func)),
                     bound = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...),
                     future = future]() mutable {
    std::exception_ptr error;
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply(fn, bound);
        add_callback([future = std::move(future)]() mutable { future.set_result(); });
      } else {
        /// Computed before the capture below, so a throw leaves `future` in
        /// place for the error path.
        R value = std::apply(fn, bound);
        add_callback([future = std::move(future), value = std::move(value)]() mutable {
          future.set_result(std::move(value));
        });
      }
      return;
    } catch (...) {
      error = std::current_exception();
    }
    // Posted after the catch block has ended, so this thread has dropped its
    // own hold on the exception before the loop thread can see it.
    add_callback([future = std::move(future), error = std::move(error)]() mutable { future.set_exception(error); });
  });
  return future;
}

template <class D>
inline detail::ThreadPool& detail::IOLoopImpl<D>::executor() {
  if (!executor_) executor_ = std::make_unique<detail::ThreadPool>(max_executor_threads_);
  return *executor_;
}

/// @endcond

}  // namespace eddy

#if defined(__cpp_impl_coroutine)
#include "detail/future/coroutine.hpp"
#endif

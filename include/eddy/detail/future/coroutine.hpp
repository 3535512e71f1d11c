// C++20 coroutine support for Future<T>: a function returning Future<T> may
// co_await any Future<U> and co_return a value.
//
// - It starts eagerly and runs until its first suspension, like Tornado's
//   coroutines, so calling two and then awaiting both runs them concurrently.
// - Awaiting a done future does not suspend at all.
// - A suspended coroutine resumes from a loop job scheduled by the awaited
//   future's resolution: always on the loop thread, never deep inside the
//   stack of whoever resolved it, so a chain of a million awaits each
//   resolved by the previous step runs in bounded stack.
// - While suspended, the frame is listed on the loop (IOLoop::current() at
//   suspension); destroying the loop destroys the frame, which nothing else
//   owns. The awaiter, destroyed with it, cancels its done-callback, so a
//   future that outlives the loop and resolves later resumes nothing; when
//   that left the future with no waiter, it calls Future::cancel() so the
//   producer can stop (see Future::set_cancel_callback).
// - A coroutine whose own future was resolved from outside before it
//   returns (or throws) keeps the first outcome; the late one is reported
//   through the loop's exception handler, as Tornado logs it.
//
// Included by future.hpp when the compiler supports coroutines.
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "../../future.hpp"
#include "../loop/frame_list.hpp"

namespace eddy::detail {

template <class T>
struct IsFuture : std::false_type {};
template <class T>
struct IsFuture<Future<T>> : std::true_type {};

// The part of every eddy promise that the loop's FrameList can see.
struct TrackedPromise {
  FrameNode node;
  std::coroutine_handle<> handle;

  static void destroy_frame(FrameNode* node) noexcept {
    // The node is the first member of TrackedPromise (standard layout).
    reinterpret_cast<TrackedPromise*>(node)->handle.destroy();
  }

  void track(IOLoop& loop) noexcept {
    node.destroy_frame = &destroy_frame;
    loop.suspended_frames().push(node);
  }
  void untrack() noexcept { FrameList::unlink(node); }

  TrackedPromise() = default;
  TrackedPromise(const TrackedPromise&) = delete;
  TrackedPromise& operator=(const TrackedPromise&) = delete;
  ~TrackedPromise() { untrack(); }
};

template <class U>
class FutureAwaiter {
 public:
  explicit FutureAwaiter(Future<U> future, SourceLocation where = SourceLocation()) noexcept
      : future_(std::move(future)), where_(where) {}
  FutureAwaiter(const FutureAwaiter&) = delete;
  FutureAwaiter& operator=(const FutureAwaiter&) = delete;
  // Destroyed while its callback waits: the frame is being destroyed (its
  // loop is), and the future may outlive it. Nobody else waiting means
  // nobody wants the result: the future is cancelled.
  ~FutureAwaiter() {
    if (!waiting_) return;
    future_.state_->cancel_callback(position_);
    future_.state_->cancel_if_unwaited();
  }

  bool await_ready() const noexcept { return future_.done(); }

  template <class P>
  void await_suspend(std::coroutine_handle<P> handle) {
    if constexpr (std::is_base_of_v<TrackedPromise, P>) {
      handle.promise().handle = handle;
      handle.promise().track(IOLoop::current());
      // The awaiter lives in the suspended frame, so the callback may use it.
      position_ = future_.state_->add_callback([this, handle](FutureStateBase&) {
        waiting_ = false;
        handle.promise().untrack();
        IOLoop::current().run_step("coroutine step", where_, [handle] { handle.resume(); });
      });
      waiting_ = true;
    } else {
      future_.add_done_callback([handle](const Future<U>&) { handle.resume(); });
    }
  }

  U await_resume() const { return future_.result(); }

 private:
  Future<U> future_;
  SourceLocation where_;
  std::size_t position_ = 0;  // of the callback in the future's list
  bool waiting_ = false;      // the callback is registered and has not run
};

template <class T>
struct PromiseBase : TrackedPromise {
  Future<T> future;

  Future<T> get_return_object() noexcept { return future; }
  // Eager: the body runs at once, up to its first suspension.
  std::suspend_never initial_suspend() const noexcept { return {}; }
  // The outcome lives in the shared state, so the frame can free itself.
  std::suspend_never final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept {
    if (future.done()) {
      report_late_outcome(std::current_exception());
      return;
    }
    future.set_exception(std::current_exception());
  }

  // The coroutine's future was resolved from outside before it finished:
  // the first outcome stays, the late one goes to the exception handler.
  static void report_late_outcome(std::exception_ptr late) noexcept {
    IOLoop::current().handle_exception(late, "a coroutine whose future was already resolved");
  }
  static void report_late_return() noexcept {
    report_late_outcome(std::make_exception_ptr(InvalidStateError(
        "eddy: a coroutine returned after its future was already resolved; the first result is kept")));
  }

  // Awaiting a future goes through here so the awaiter learns where the
  // co_await is: the blocking detector names that line for a slow step.
  template <class U>
  FutureAwaiter<U> await_transform(const Future<U>& awaited,
                                   SourceLocation where = SourceLocation::current()) const noexcept {
    return FutureAwaiter<U>(awaited, where);
  }
  template <class U>
  FutureAwaiter<U> await_transform(Future<U>&& awaited,
                                   SourceLocation where = SourceLocation::current()) const noexcept {
    return FutureAwaiter<U>(std::move(awaited), where);
  }
  // Any other awaitable passes through untouched.
  template <class A, class = std::enable_if_t<!IsFuture<std::decay_t<A>>::value>>
  A&& await_transform(A&& awaitable) const noexcept {
    return std::forward<A>(awaitable);
  }
};

}  // namespace eddy::detail

namespace eddy {

template <class T>
struct Future<T>::promise_type : detail::PromiseBase<T> {
  template <class V>
  void return_value(V&& value) {
    if (this->future.done()) return this->report_late_return();
    this->future.set_result(std::forward<V>(value));
  }
};

/// @cond EDDY_DETAIL
namespace detail {
// Future<void>'s promise. A template over a dummy parameter, as PromiseBase
// is: Future<void>::promise_type is an explicit specialization, a plain
// class, so members defined in it would be compiled in every translation
// unit (see detail/deferred.hpp).
template <class = void>
struct BasicVoidPromise : PromiseBase<void> {
  void return_void() {
    if (this->future.done()) return this->report_late_return();
    this->future.set_result();
  }
};
}  // namespace detail
/// @endcond

template <>
struct Future<void>::promise_type : detail::BasicVoidPromise<> {};

template <class T>
auto Future<T>::operator co_await() const noexcept {
  return detail::FutureAwaiter<T>(*this);
}

}  // namespace eddy

// The IOLoop members that speak futures: run_sync, add_future and
// run_in_executor (declared and documented in ioloop.hpp, where IOLoopImpl
// is). Included at the end of future.hpp, where Future<T> is complete; not
// meant to be included on its own.
//
// Thread contract: as documented on each member (run_in_executor runs the
// function on a worker thread and resolves its future on the loop thread).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../../future.hpp"
#include "../loop/thread_pool.hpp"

namespace eddy {

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

// FutureState<T>: the one allocation behind a Future<T>, taken from a
// per-thread BlockCache so that a future per operation costs no malloc in
// the steady state.
//
// It holds the outcome (a value or an exception) and the done-callbacks. The
// first callback is stored inline, since almost every future has exactly one
// (the coroutine awaiting it); more go to a vector. Resolving never calls a
// callback directly: it schedules one job on the loop current on the
// resolving thread (or on the loop IOLoop::add_future named), and that job
// runs every callback in order. So set_result() never re-enters user code,
// and a chain of coroutines each resolving the next runs in bounded stack.
// The job holds a counted reference (RunJob), so a job destroyed unrun by a
// loop's teardown releases the state instead of leaking it.
//
// Everything but the value lives in the plain class FutureStateBase: its
// members are compiled once per program, not once per value type. A header
// that names Future<T> for ten types would otherwise instantiate ten copies
// of the callback list (a std::vector each), the scheduling job and the
// release path in every translation unit, used or not: that was the largest
// share of the umbrella header's compile time. Callbacks take the base; the
// typed Future<T> handle is made for them in Future::add_done_callback.
//
// The reference count is not atomic: futures belong to the loop thread (the
// executor moves a handle across threads but never copies or drops one there).
//
// Thread contract: the loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "block_cache.hpp"
#include "../base/config.hpp"
#include "../base/function.hpp"

namespace eddy {
template <class T>
class Future;
class IOLoop;
}  // namespace eddy

namespace eddy::detail {
struct LoopAnchor;
template <class U>
class FutureAwaiter;
struct InPlace;
}  // namespace eddy::detail

namespace eddy::detail {

// Reports an exception nobody retrieved; defined in future.hpp, where the
// loop is complete.
template <class = void>
void report_unretrieved(std::exception_ptr error) noexcept;
// Schedules `job` on the anchored loop if it is alive, else on
// IOLoop::current(); defined in future.hpp.
template <class = void>
void schedule_job(const LoopAnchor* anchor, Function<void()>&& job);
// Hands an exception a done-callback threw to the current loop's handler;
// defined in future.hpp.
template <class = void>
void report_callback_error(std::exception_ptr error);

template <class T>
using StoredValue = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// The part of a future's state that does not depend on its value type.
// Lifetime: counted references (Future handles, a queued RunJob); the last
// release() destroys the whole FutureState<T> through destroy_.
//
// What few futures use lives in a side block (Rare), allocated the first
// time it is needed: callbacks beyond the first, the anchor
// IOLoop::add_future sets, and the producer's cancel callback. A future
// that is resolved and awaited once (the common case) never allocates it,
// and the state stays small (72 bytes before the value) so it fits a
// smaller pooled block.
template <class = void>
class BasicFutureStateBase {
 public:
  // A done-callback gets the state; Future<T>::add_done_callback wraps the
  // user's callable in one that makes the Future<T> handle from it.
  using Callback = Function<void(BasicFutureStateBase&)>;

  BasicFutureStateBase(const BasicFutureStateBase&) = delete;
  BasicFutureStateBase& operator=(const BasicFutureStateBase&) = delete;

  void add_ref() noexcept { ++refs_; }
  // Drops a reference; the last one frees the state, reporting an exception
  // that nobody ever looked at (Tornado's "Future exception was never
  // retrieved").
  // A cancelled future's exception is expected (CancelledError, or the
  // producer's own) and is not reported.
  static void release(BasicFutureStateBase* state) noexcept {
    if (--state->refs_ != 0) return;
    if (state->error_ && !state->retrieved_ && !state->cancelled_) report_unretrieved(state->error_);
    state->destroy_(state);
  }

  bool done() const noexcept { return done_; }
  bool unique() const noexcept { return refs_ == 1; }
  // A move-only value can be moved out once; this says it was.
  bool taken() const noexcept { return taken_; }
  void mark_taken() noexcept { taken_ = true; }
  // Done-callbacks are scheduled on this loop (IOLoop::add_future) while it
  // lives, instead of on the resolving thread's current loop.
  void schedule_on(std::shared_ptr<const LoopAnchor> anchor) { rare().anchor = std::move(anchor); }
  bool failed() const noexcept { return static_cast<bool>(error_); }
  void mark_retrieved() noexcept { retrieved_ = true; }
  const std::exception_ptr& error() const noexcept { return error_; }

  void resolve_error(std::exception_ptr e) {
    error_ = std::move(e);
    finish();
  }

  // Returns the callback's position, for cancel_callback(). `first_` takes
  // a callback only while no other waits, so order is kept even after a
  // cancel emptied it.
  std::size_t add_callback(Callback&& callback) {
    std::size_t position = 0;
    if (!first_ && !has_more()) {
      first_ = std::move(callback);
    } else {
      position = add_more(std::move(callback));
    }
    if (done_) schedule();
    return position;
  }

  // Destroys a callback that has not run yet (its owner, a coroutine frame
  // destroyed with its loop, is gone); the others keep their places.
  void cancel_callback(std::size_t position) noexcept {
    Callback dead;
    if (position == 0) {
      dead = std::move(first_);
    } else if (rare_ && position <= rare_->more.size()) {
      dead = std::move(rare_->more[position - 1]);
    }
  }

  // The callbacks waiting now: done-callbacks and suspended coroutines
  // (cancelled ones no longer count).
  std::size_t waiters() const noexcept {
    std::size_t n = first_ ? 1 : 0;
    if (rare_) {
      for (const Callback& callback : rare_->more) n += callback ? 1 : 0;
    }
    return n;
  }

  // ---- cancellation (see Future::cancel) ----
  bool cancelled() const noexcept { return cancelled_; }

  // Keeps `callback` until the future resolves or is cancelled. A pending
  // future already cancelled runs it at once: the producer learns the news
  // however late it asks.
  void set_cancel_callback(Function<void()>&& callback) {
    if (done_) return;
    if (cancelled_) {
      run_cancel_callback(callback);
      return;
    }
    rare().on_cancel = std::move(callback);
  }

  // Marks a pending future cancelled and runs the producer's callback, once.
  bool cancel() {
    if (done_) return false;
    cancelled_ = true;
    if (rare_ && rare_->on_cancel) {
      // Moved out first: the callback usually resolves the future, which
      // drops rare_->on_cancel while it runs.
      Function<void()> callback = std::move(rare_->on_cancel);
      run_cancel_callback(callback);
    }
    return true;
  }

  // For a waiter that goes away (a coroutine frame destroyed while
  // suspended): cancels the future if nobody else waits for it. Never throws
  // (it runs in destructors); a failure is reported as a callback's would be.
  void cancel_if_unwaited() noexcept {
    if (done_ || waiters() != 0) return;
    try {
      cancel();
    } catch (...) {
      // Only the report itself can get here (out of memory): nothing more to do.
    }
  }

  // For InPlace (in_place.hpp): the resolution about to happen queues no
  // job; the producer runs the callbacks itself (run_callbacks). False, and
  // nothing changed, when a job is queued already or the callbacks belong
  // to the loop IOLoop::add_future named.
  bool defer_run() noexcept {
    if (scheduled_ || done_ || (rare_ && rare_->anchor)) return false;
    scheduled_ = true;
    return true;
  }

  // Runs the callbacks registered so far; the scheduled job calls this.
  // Callbacks added while these run (possible only once done) were already
  // scheduled by add_callback and run from their own job.
  void run_callbacks() {
    scheduled_ = false;
    // Held for the whole run: a callback may drop the last handle.
    add_ref();
    // The first callback runs in place (no move of the callable). One that
    // it adds lands in the side list (first_ is occupied) with a job of its own,
    // which runs after first_ is cleared below, so nothing runs twice.
    // An empty callback was cancelled (see cancel_callback).
    if (first_) {
      call(first_);
      first_.reset();
    }
    if (has_more()) {
      std::vector<Callback> more;
      more.swap(rare_->more);
      for (Callback& callback : more) {
        if (callback) call(callback);
      }
    }
    release(this);
  }

 protected:
  using Destroy = void (*)(BasicFutureStateBase*) noexcept;
  explicit BasicFutureStateBase(Destroy destroy) noexcept
      : taken_(false), cancelled_(false), destroy_(destroy) {}
  ~BasicFutureStateBase() = default;

  // The cancel callback is dropped here, inside set_result(): a producer's
  // callback should hold weak references (or none) to what resolves it.
  void finish() {
    done_ = true;
    if (rare_) {
      rare_->on_cancel = nullptr;
      if (first_ || !rare_->more.empty()) schedule();
    } else if (first_) {
      schedule();
    }
  }

 private:
  // The scheduled job: a counted reference that runs the callbacks, or,
  // destroyed unrun, lets the state be scheduled again and releases it.
  class RunJob {
   public:
    explicit RunJob(BasicFutureStateBase* state) noexcept : state_(state) { state_->add_ref(); }
    RunJob(RunJob&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    RunJob& operator=(RunJob&&) = delete;
    ~RunJob() {
      if (state_ == nullptr) return;
      state_->scheduled_ = false;
      release(state_);
    }
    void operator()() {
      BasicFutureStateBase* state = std::exchange(state_, nullptr);
      state->run_callbacks();
      release(state);
    }

   private:
    BasicFutureStateBase* state_;
  };

  // What few futures need (see the class comment).
  // Recycled through the thread's BlockCache, as the states are: a producer
  // that sets a cancel callback on every future (a database query) pays no
  // malloc for it in the steady state.
  struct Rare {
    std::vector<Callback> more;                // callbacks after the first
    std::shared_ptr<const LoopAnchor> anchor;  // set by IOLoop::add_future
    Function<void()> on_cancel;                // the producer's, until resolved or cancelled

    static void* operator new(std::size_t) { return BlockCache<(sizeof(Rare) + 15) / 16 * 16>::allocate(); }
    static void operator delete(void* block) noexcept {
      BlockCache<(sizeof(Rare) + 15) / 16 * 16>::deallocate(block);
    }
  };

  Rare& rare() {
    if (!rare_) rare_.reset(new Rare());
    return *rare_;
  }
  // Out of line, so that add_callback's common path stays small.
  EDDY_NOINLINE std::size_t add_more(Callback&& callback) {
    std::vector<Callback>& more = rare().more;
    more.push_back(std::move(callback));
    return more.size();
  }
  bool has_more() const noexcept { return rare_ && !rare_->more.empty(); }

  // A throwing callback must not keep the others from running.
  void call(Callback& callback) {
    try {
      callback(*this);
    } catch (...) {
      report_callback_error(std::current_exception());
    }
  }
  // Runs a cancel callback with its own reference held (it may drop the
  // last handle); its exception goes to the loop's handler, as a
  // done-callback's, so cancel() never throws the producer's error.
  void run_cancel_callback(Function<void()>& callback) {
    add_ref();
    try {
      callback();
    } catch (...) {
      report_callback_error(std::current_exception());
    }
    release(this);
  }

  void schedule() {
    if (scheduled_) return;
    scheduled_ = true;
    schedule_job(rare_ ? rare_->anchor.get() : nullptr, RunJob(this));
  }

  // The flags read or written on every resolution are whole bytes; the two
  // rare ones share the fourth, which keeps the header at 8 bytes.
  std::uint32_t refs_ = 1;
  bool done_ = false;
  bool scheduled_ = false;  // a run_callbacks job is queued
  bool retrieved_ = false;
  bool taken_ : 1;          // a move-only value was moved out
  bool cancelled_ : 1;      // cancel() was called while pending
  Destroy destroy_;     // deletes the FutureState<T> this is the base of
  std::exception_ptr error_;
  Callback first_;
  std::unique_ptr<Rare> rare_;
};
using FutureStateBase = BasicFutureStateBase<>;

template <class T>
class FutureState : public FutureStateBase {
 public:
  FutureState() noexcept : FutureStateBase(&destroy) {}

  // Recycled through the thread's cache of blocks this size; over-aligned
  // values (rare) take the ordinary path.
  // Sizes are rounded to 16 bytes, so states of like-sized types share a list.
  static void* operator new(std::size_t size) {
    if constexpr (alignof(FutureState) <= alignof(std::max_align_t)) {
      return BlockCache<(sizeof(FutureState) + 15) / 16 * 16>::allocate();
    } else {
      return ::operator new(size);
    }
  }
  static void operator delete(void* block) noexcept {
    if constexpr (alignof(FutureState) <= alignof(std::max_align_t)) {
      BlockCache<(sizeof(FutureState) + 15) / 16 * 16>::deallocate(block);
    } else {
      ::operator delete(block);
    }
  }

  StoredValue<T>& value() noexcept { return *value_; }

  template <class... V>
  void resolve_value(V&&... v) {
    value_.emplace(std::forward<V>(v)...);
    finish();
  }

 private:
  static void destroy(FutureStateBase* state) noexcept { delete static_cast<FutureState*>(state); }

  std::optional<StoredValue<T>> value_;
};

}  // namespace eddy::detail

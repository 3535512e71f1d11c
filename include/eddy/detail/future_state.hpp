// FutureState<T>: the one allocation behind a Future<T>, taken from a
// per-thread BlockCache so that a future per operation costs no malloc in
// the steady state.
//
// It holds the outcome (a value or an exception) and the done-callbacks. The
// first callback is stored inline, since almost every future has exactly one
// (the coroutine awaiting it); more go to a vector. Resolving never calls a
// callback directly: it schedules one job on the loop current on the
// resolving thread, and that job runs every callback in order. So
// set_result() never re-enters user code, and a chain of coroutines each
// resolving the next runs in bounded stack.
//
// The reference count is not atomic: futures belong to the loop thread (the
// executor moves a handle across threads but never copies or drops one there).
//
// Thread contract: the loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "block_cache.hpp"
#include "function.hpp"

namespace eddy {
template <class T>
class Future;
class IOLoop;
}  // namespace eddy

namespace eddy::detail {

// Reports an exception nobody retrieved; defined in future.hpp, where the
// loop is complete.
void report_unretrieved(std::exception_ptr error) noexcept;
// Schedules `job` on IOLoop::current(); defined in future.hpp.
void schedule_on_current(Function<void()>&& job);

template <class T>
using StoredValue = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
class FutureState {
 public:
  using Callback = Function<void(Future<T>)>;

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

  void add_ref() noexcept { ++refs_; }
  // Drops a reference; the last one frees the state, reporting an exception
  // that nobody ever looked at (Tornado's "Future exception was never
  // retrieved").
  static void release(FutureState* state) noexcept {
    if (--state->refs_ != 0) return;
    if (state->error_ && !state->retrieved_) report_unretrieved(state->error_);
    delete state;
  }

  bool done() const noexcept { return done_; }
  bool failed() const noexcept { return static_cast<bool>(error_); }
  void mark_retrieved() noexcept { retrieved_ = true; }
  const std::exception_ptr& error() const noexcept { return error_; }
  StoredValue<T>& value() noexcept { return *value_; }

  template <class... V>
  void resolve_value(V&&... v) {
    value_.emplace(std::forward<V>(v)...);
    finish();
  }
  void resolve_error(std::exception_ptr e) {
    error_ = std::move(e);
    finish();
  }

  void add_callback(Callback&& callback) {
    if (!first_) {
      first_ = std::move(callback);
    } else {
      more_.push_back(std::move(callback));
    }
    if (done_) schedule();
  }

  // Runs the callbacks registered so far; the scheduled job calls this.
  // Callbacks added while these run (possible only once done) were already
  // scheduled by add_callback and run from their own job.
  void run_callbacks();

 private:
  void finish() {
    done_ = true;
    if (first_) schedule();
  }
  void schedule();

  std::uint32_t refs_ = 1;
  bool done_ = false;
  bool retrieved_ = false;
  bool scheduled_ = false;  // a run_callbacks job is queued
  std::optional<StoredValue<T>> value_;
  std::exception_ptr error_;
  Callback first_;
  std::vector<Callback> more_;
};

}  // namespace eddy::detail

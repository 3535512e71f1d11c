// InPlace: for a producer that resolves futures from its own loop handler,
// a way to run their callbacks right there, at once, instead of from a job
// the loop runs after the handler (what Future::set_result does).
//
// Why: a driver that reads a hundred pipelined answers in one event would
// otherwise queue a hundred jobs, and each waiting coroutine would send its
// next request only on the loop's next pass over its queue. Resumed in
// place, the coroutine sends while the answers are still being read, as a
// hand-written loop over the C library does: no job per answer, and
// malloc sees the library's frees and allocations interleaved instead of
// in bursts (bench/postgres/results.md has the figures).
//
// The producer's side of the contract -- it is what keeps Future's own
// promise ("set_result never runs a callback") true for everybody else:
// - use it only in its own loop handler (an I/O event the loop
//   dispatched), never on a caller's stack: the callbacks may re-enter the
//   producer (a coroutine sends its next query, cancels another one,
//   closes the connection, drops the last handle);
// - call run() only where its own state is consistent again, and keep
//   itself alive across the call;
// - follow every resolve that returned true with run(), or the callbacks
//   never run.
// The callbacks run in the order they were added, as a job runs them, and
// their exceptions go to the loop's handler. A future whose callbacks
// belong to another loop (IOLoop::add_future) takes the ordinary path, so
// do futures resolved again (an error: set_result throws as usual).
//
// Thread contract: the loop thread.
#pragma once

#include <exception>
#include <utility>

#include "../../future.hpp"

namespace eddy::detail {

struct InPlace {
  // Resolves the pending `future` with `value`; true when the caller must
  // run() it (its callbacks were not queued).
  template <class T, class V>
  static bool set_result(Future<T>& future, V&& value) {
    bool deferred = future.state_->defer_run();
    future.set_result(std::forward<V>(value));
    return deferred;
  }
  // As set_result, with an exception.
  template <class T>
  static bool set_exception(Future<T>& future, std::exception_ptr error) {
    bool deferred = error && future.state_->defer_run();
    future.set_exception(std::move(error));
    return deferred;
  }
  // Runs the callbacks of a future set_result/set_exception deferred.
  template <class T>
  static void run(const Future<T>& future) {
    future.state_->run_callbacks();
  }
};

}  // namespace eddy::detail

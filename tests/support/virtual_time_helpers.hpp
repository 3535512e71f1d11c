// Helpers for the tests of loop-driven waiting (locks, queues): a loop on
// virtual time, a body run inside the loop followed by a settling sleep, and
// a check that a future failed with TimeoutError. Builds as C++17.
#pragma once

#include <eddy/future.hpp>
#include <eddy/gen.hpp>
#include <eddy/ioloop.hpp>

#include <chrono>
#include <utility>

namespace eddy_test {

// Options for a loop whose clock only moves when nothing is ready, so hours
// of timeouts pass at once and deterministically.
inline eddy::IOLoopOptions virtual_time() {
  eddy::IOLoopOptions options;
  options.virtual_time = true;
  return options;
}

// Runs `body` inside the loop, then the loop for `settle` more, so every
// wake-up the body scheduled has run (under virtual time that costs nothing).
template <class F>
void run_in_loop(eddy::IOLoop& loop, F body, eddy::Clock::duration settle) {
  loop.run_sync([&] {
    body();
    return eddy::sleep(settle);
  });
}

// The same, settling for an hour of virtual time or 20 ms of real time.
template <class F>
void run_in_loop(eddy::IOLoop& loop, F body) {
  using namespace std::chrono_literals;
  run_in_loop(loop, std::move(body), loop.virtual_time() ? eddy::Clock::duration(1h) : eddy::Clock::duration(20ms));
}

// True when `f` failed with TimeoutError; false when it has a value (any
// other error propagates, failing the test).
template <class T>
bool timed_out(const eddy::Future<T>& f) {
  try {
    f.result();
  } catch (const eddy::TimeoutError&) {
    return true;
  }
  return false;
}

}  // namespace eddy_test

// Running a Redis test's coroutine: a fresh loop made current, run_sync with
// a generous bound (a broken test fails instead of hanging CI), and the
// shared servers' URLs. Also a coroutine-friendly helper to expect a failure.
//
// The tests only ever write `T v = co_await local;` or `co_await local;`:
// g++ 12 miscompiles temporaries that live across a co_await (a string
// argument, a Catch assertion's decomposer), so futures are bound to locals
// first and checked after.
#pragma once

#include <eddy/gen.hpp>
#include <eddy/redis.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "redis_server.hpp"

namespace eddy_test {

// Runs body() (a function returning a Future) on a new loop; its value, or
// its exception rethrown.
template <class F>
auto run_redis(F&& body, std::chrono::seconds limit = std::chrono::seconds(60)) {
  eddy::IOLoop loop;
  loop.make_current();
  return loop.run_sync(std::forward<F>(body), limit);
}

// The exception a future failed with (null if it succeeded), without
// rethrowing inside a coroutine's co_await expression.
template <class T>
eddy::Future<std::exception_ptr> failure_of(eddy::Future<T> future) {
  std::exception_ptr error;
  try {
    co_await future;
  } catch (...) {
    error = std::current_exception();
  }
  co_return error;
}

// what() and, for an eddy::redis::Error, its kind.
struct Failure {
  std::string what;
  eddy::redis::Error::Kind kind = eddy::redis::Error::Kind::usage;
  bool is_redis_error = false;
  bool is_timeout = false;  // eddy::TimeoutError
  bool is_cancelled = false;  // eddy::CancelledError
};

inline Failure describe(const std::exception_ptr& error) {
  Failure f;
  REQUIRE(error != nullptr);
  try {
    std::rethrow_exception(error);
  } catch (const eddy::redis::Error& e) {
    f.what = e.what();
    f.kind = e.kind();
    f.is_redis_error = true;
  } catch (const eddy::TimeoutError& e) {
    f.what = e.what();
    f.is_timeout = true;
  } catch (const eddy::CancelledError& e) {
    f.what = e.what();
    f.is_cancelled = true;
  } catch (const std::exception& e) {
    f.what = e.what();
  }
  return f;
}

}  // namespace eddy_test

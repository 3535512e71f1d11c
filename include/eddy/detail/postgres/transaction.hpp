// Pool::transaction's coroutine: lease an idle connection, BEGIN, run the
// body, COMMIT (or ROLLBACK and rethrow), give the connection back.
// Included by postgres.hpp once Connection is complete; not meant to be
// included on its own.
//
// The lease is returned by a guard, so a transaction whose coroutine frame
// is destroyed (its loop destroyed mid-way) still frees the connection.
// ROLLBACK's own failure (a lost connection) is dropped: the body's error
// is the one the caller needs. A COMMIT the server answers with ROLLBACK
// (a statement failed inside and the body carried on) fails with 40000.
//
// Thread contract: the pool's loop thread.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "pool.hpp"

namespace eddy::detail::postgres {

struct ConnectionAccess {
  static eddy::postgres::Connection make(std::shared_ptr<Session> session) {
    return eddy::postgres::Connection(std::move(session));
  }
};

// Gives a leased connection back to its pool when the transaction ends.
class LeaseGuard {
 public:
  LeaseGuard(std::shared_ptr<PoolState> pool, std::shared_ptr<Session> session)
      : pool_(std::move(pool)), session_(std::move(session)) {}
  LeaseGuard(const LeaseGuard&) = delete;
  LeaseGuard& operator=(const LeaseGuard&) = delete;
  ~LeaseGuard() { pool_->release(session_); }

 private:
  std::shared_ptr<PoolState> pool_;
  std::shared_ptr<Session> session_;
};

inline Error rolled_back_error() {
  return Error("40000", "eddy: postgres: COMMIT rolled the transaction back (a statement in it had failed)");
}

template <class T, class F>
Future<T> run_transaction(std::shared_ptr<PoolState> pool, F body) {
  Future<std::shared_ptr<Session>> leased = pool->lease();
  std::shared_ptr<Session> session = co_await leased;
  LeaseGuard guard(pool, session);
  eddy::postgres::Connection conn = ConnectionAccess::make(session);
  Future<Result> begin = conn.query("BEGIN");
  co_await begin;
  std::exception_ptr failure;
  std::optional<StoredValue<T>> value;
  try {
    Future<T> work = body(conn);
    if constexpr (std::is_void_v<T>) {
      co_await work;
      value.emplace();
    } else {
      value.emplace(co_await work);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    Future<Result> rollback = conn.query("ROLLBACK");
    try {
      co_await rollback;
    } catch (...) {
      // The body's error is the one to report.
    }
    std::rethrow_exception(failure);
  }
  Future<Result> commit = conn.query("COMMIT");
  Result committed = co_await commit;
  if (committed.command() == "ROLLBACK") throw rolled_back_error();
  if constexpr (std::is_void_v<T>) {
    co_return;
  } else {
    co_return std::move(*value);
  }
}

}  // namespace eddy::detail::postgres

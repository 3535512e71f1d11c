/// @file
/// eddy::postgres: a PostgreSQL client on the loop, over libpq's
/// asynchronous API (C++20; link eddy::postgres, which brings libpq).
///
///   auto conn = co_await eddy::postgres::Connection::connect("host=/run/postgresql dbname=app");
///   eddy::postgres::Result r = co_await conn.query("SELECT name FROM users WHERE id = $1", 42);
///   std::optional<std::string_view> name = r.get(0, 0);     // std::nullopt for NULL
///
/// Nothing blocks the loop: host names are resolved on the executor and
/// given to libpq as hostaddr; the connection, queries and notifications
/// are driven by PQconnectPoll, PQsocket as a loop handler, PQconsumeInput
/// and PQflush; a cancel request (blocking in libpq 15) runs on the
/// executor. Concurrent queries on one connection are pipelined (pipeline
/// mode, a Sync after each, so each is its own implicit transaction) and
/// answered in call order. See docs/postgres.md.
///
/// Errors: a query's failure fails only its own future, with Error and the
/// server's SQLSTATE; connections that cannot be made or are lost use class
/// 08. connect() past its timeout fails with eddy::TimeoutError.
/// Cancellation: a query whose future is cancelled (with_timeout, a
/// destroyed coroutine; see Future::cancel) is cancelled on the server when
/// that cannot touch another caller's query, and fails 57014; one not sent
/// yet fails with eddy::CancelledError.
///
/// Thread contract: a Connection or Pool and everything it returns belong to
/// the loop current when it was made, and are used on that loop's thread.
/// Lifetime: a connection lives while a Connection handle (or its Pool)
/// holds it; dropping the last handle closes it, and queries still pending
/// fail with Error 08003. Keep a Pool alive while its queries run.
#pragma once

#if __cplusplus < 202002L
#error "eddy::postgres needs C++20"
#endif

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/postgres/pool.hpp"
#include "detail/postgres/result.hpp"
#include "detail/postgres/session.hpp"
#include "detail/postgres/session_cancel.hpp"
#include "detail/postgres/session_connect.hpp"
#include "detail/postgres/session_notify.hpp"
#include "future.hpp"
#include "ioloop.hpp"

/// @cond EDDY_DETAIL
namespace eddy::detail::postgres {
struct ConnectionAccess;
}  // namespace eddy::detail::postgres
/// @endcond

namespace eddy::postgres {

/// One server connection; a copyable handle to it (copies share the
/// connection). Made by connect(); a default-constructed handle is closed.
class Connection {
 public:
  /// A closed handle (every query fails with Error 08003).
  Connection() = default;

  /// Connects on IOLoop::current() with `conninfo` (libpq's key=value
  /// string or a postgresql:// URI). Fails with Error (the server's SQLSTATE,
  /// e.g. 28P01 for a bad password, or 08001), eddy::TimeoutError past
  /// `timeout` (lookups included), std::invalid_argument for a malformed
  /// conninfo, eddy::CancelledError when the future is cancelled.
  static Future<Connection> connect(std::string conninfo, Clock::duration timeout = std::chrono::seconds(20)) {
    Future<Connection> result;
    auto session = std::make_shared<detail::postgres::Session>(IOLoop::current());
    // Raw: the session resolves `result` (dropping this callback) before it
    // can go away.
    result.set_cancel_callback([s = session.get()] {
      s->connect_failed(std::make_exception_ptr(CancelledError("eddy: postgres: connect cancelled")));
    });
    session->connect(std::move(conninfo), timeout,
                     [result](std::shared_ptr<detail::postgres::Session> s, std::exception_ptr error) mutable {
                       if (result.done()) return;
                       if (error) result.set_exception(error);
                       else result.set_result(Connection(std::move(s)));
                     });
    return result;
  }

  /// Runs `sql` with parameters $1..$n: std::string, std::string_view,
  /// const char*, integers, double, bool, std::nullopt (NULL) or a
  /// std::optional of those (see detail/postgres/params.hpp for the types
  /// the server is told). Concurrent calls are pipelined; results come back
  /// in call order. A failed statement fails this future only, with Error
  /// and its SQLSTATE. std::invalid_argument (thrown here) for a NUL byte in
  /// the SQL or a text parameter.
  template <class... Args>
  Future<Result> query(std::string sql, const Args&... params) {
    detail::postgres::Statement statement(std::move(sql), params...);
    if (!session_) return closed_future<Result>();
    return session_->query(std::move(statement));
  }

  /// LISTEN on `channel` (quoted as an identifier, so any name works);
  /// notifications then arrive through notification().
  Future<void> listen(std::string channel) {
    if (!session_ || session_->closed()) return closed_future<void>();
    Future<Result> done = query("LISTEN " + session_->quote_identifier(channel));
    Future<void> out;
    done.add_done_callback([out](Future<Result> d) mutable {
      if (std::exception_ptr error = d.exception()) out.set_exception(error);
      else out.set_result();
    });
    out.set_cancel_callback([done]() mutable { done.cancel(); });
    return out;
  }

  /// The next NOTIFY on a channel this connection listens to, in arrival
  /// order; notifications that arrive while nobody waits are queued (without
  /// bound). The socket is watched between queries, so they arrive while the
  /// loop is otherwise idle. Cancelling the future gives up the place in line.
  Future<Notification> notification() {
    if (!session_) return closed_future<Notification>();
    return session_->notification();
  }

  /// Cancels what runs now on the server (PQcancel, on the executor): those
  /// queries fail with Error 57014. Resolves once the request was delivered;
  /// fails with Error 08001 if it could not be.
  Future<void> cancel() {
    if (!session_) return closed_future<void>();
    return session_->cancel_running();
  }

  /// Closes the connection: pending queries and notification() waiters fail
  /// with Error 08003, later calls too. Idempotent.
  void close() {
    if (session_) session_->close();
  }

  /// True once closed: by close(), by a lost connection (a server restart,
  /// a reset, pg_terminate_backend), or never connected.
  bool closed() const noexcept { return !session_ || session_->closed(); }

  /// Queries sent or held back and not yet answered.
  std::size_t in_flight() const noexcept { return session_ ? session_->in_flight() : 0; }

 private:
  friend struct detail::postgres::ConnectionAccess;
  explicit Connection(std::shared_ptr<detail::postgres::Session> session) : session_(std::move(session)) {}

  template <class T>
  static Future<T> closed_future() {
    return make_failed_future<T>(
        std::make_exception_ptr(Error(detail::postgres::connection_closed, "eddy: postgres: the connection is closed")));
  }

  std::shared_ptr<detail::postgres::Session> session_;
};

}  // namespace eddy::postgres

#include "detail/postgres/transaction.hpp"

namespace eddy::postgres {

/// Up to max_connections connections, opened on demand (20 s connect
/// timeout) and reused; see detail/postgres/pool.hpp for where a query goes.
/// Broken connections are replaced by the next query that needs one.
class Pool {
 public:
  /// A pool on IOLoop::current(); nothing is opened yet.
  /// std::invalid_argument when max_connections is 0.
  Pool(std::string conninfo, std::size_t max_connections)
      : state_(std::make_shared<detail::postgres::PoolState>(IOLoop::current(), std::move(conninfo), max_connections)) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// As Connection::query, on one of the pool's connections.
  template <class... Args>
  Future<Result> query(std::string sql, const Args&... params) {
    detail::postgres::Statement statement(std::move(sql), params...);
    return state_->query(std::move(statement));
  }

  /// Runs body(Connection&) -> Future<T> inside BEGIN ... COMMIT on a
  /// connection held for it alone, or ROLLBACK if body throws or its future
  /// fails (the error is rethrown). Returns Future<T>. A COMMIT the server
  /// turned into a rollback (the body swallowed a failed statement) fails
  /// with Error 40000. Transactions on different connections run in
  /// parallel; the body may pipeline queries on its connection.
  template <class F>
  auto transaction(F&& body) {
    using Body = std::decay_t<F>;
    using R = std::invoke_result_t<Body&, Connection&>;
    static_assert(detail::IsFuture<R>::value, "eddy: postgres::Pool::transaction: body(Connection&) must return a Future");
    return detail::postgres::run_transaction<typename R::value_type>(state_, Body(std::forward<F>(body)));
  }

  /// Stops taking queries (later ones fail with Error 08003, so do the ones
  /// still waiting for a connection); resolves once every connection has
  /// closed, those with queries in flight after their answers.
  Future<void> close() { return state_->close(); }

  /// Connections open now (for tests and monitoring).
  std::size_t size() const noexcept { return state_->size(); }

 private:
  std::shared_ptr<detail::postgres::PoolState> state_;
};

}  // namespace eddy::postgres

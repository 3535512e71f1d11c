// Cancellation: with_timeout on a query gives TimeoutError, cancels it on the
// server (57014) and the next query is answered at once; Connection::cancel;
// a cancelled query that others are pipelined behind runs to its end; one
// held back is dropped; a loop destroyed mid-query closes the connection.
#include <chrono>
#include <string>

#include "support/postgres_helpers.hpp"

using namespace eddy_test;

namespace {

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

eddy::Future<void> await_query(eddy::Future<pg::Result> q) { co_await q; }

}  // namespace

TEST_CASE("with_timeout on a query: TimeoutError, the query cancelled on the server, the next answered at once",
          "[postgres][server][cancel][timeout]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  auto start = std::chrono::steady_clock::now();
  eddy::Future<pg::Result> slow;
  CHECK_THROWS_AS(loop.run_sync([&] {
    slow = conn.query("SELECT pg_sleep(30)");
    return eddy::with_timeout(200ms, slow);
  }, 60s), eddy::TimeoutError);
  pg::Result next = run_query(loop, conn, "SELECT 'next'");
  CHECK(text(next) == "next");
  CHECK(seconds(std::chrono::steady_clock::now() - start) < 15.0);  // not after the 30 s sleep
  REQUIRE(slow.done());
  CHECK(slow.cancelled());
  CHECK(sqlstate_of(slow) == "57014");
  CHECK_FALSE(conn.closed());
}

TEST_CASE("a query sent while a cancellation is on its way waits for it, then runs untouched",
          "[postgres][server][cancel]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  eddy::Future<pg::Result> slow, after;
  loop.run_sync([&]() -> eddy::Future<void> {
    slow = conn.query("SELECT pg_sleep(30)");
    co_await eddy::sleep(100ms);
    slow.cancel();
    after = conn.query("SELECT 'after'");  // held back until the cancel is done
    CHECK(conn.in_flight() == 2);
    pg::Result r = co_await after;
    CHECK(text(r) == "after");
  }, 60s);
  CHECK(sqlstate_of(slow) == "57014");
}

TEST_CASE("a cancelled last query waiting behind another is cancelled on the server when its turn comes",
          "[postgres][server][cancel]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  eddy::Future<pg::Result> before, slow, held;
  auto start = std::chrono::steady_clock::now();
  loop.run_sync([&]() -> eddy::Future<void> {
    before = conn.query("SELECT pg_sleep(0.3), 'before'");
    slow = conn.query("SELECT pg_sleep(30)");
    slow.cancel();                             // last sent, but `before` runs first
    held = conn.query("SELECT 'held'");        // waits until the cancellation is over
    pg::Result r = co_await held;
    CHECK(text(r) == "held");
  }, 60s);
  CHECK(seconds(std::chrono::steady_clock::now() - start) < 15.0);
  CHECK(text(before.result(), 0, 1) == "before");  // untouched by the cancellation
  CHECK(sqlstate_of(slow) == "57014");
}

TEST_CASE("a cancel request the server drops while it still reads the query is sent again",
          "[postgres][server][cancel]") {
  // The server drops a cancel request that arrives while it reads a message
  // (it counts as idle). A 32 MiB query text keeps it reading after
  // `before` is answered, when the first request goes out.
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  eddy::Future<pg::Result> before, slow, held;
  std::string sql = "SELECT pg_sleep(30) /*" + std::string(32u << 20, 'x') + "*/";
  auto start = std::chrono::steady_clock::now();
  loop.run_sync([&]() -> eddy::Future<void> {
    before = conn.query("SELECT pg_sleep(0.1), 'before'");
    slow = conn.query(sql);
    slow.cancel();
    held = conn.query("SELECT 'held'");
    pg::Result r = co_await held;
    CHECK(text(r) == "held");
  }, 60s);
  CHECK(seconds(std::chrono::steady_clock::now() - start) < 15.0);
  CHECK(sqlstate_of(slow) == "57014");
}

TEST_CASE("a cancelled query with other queries pipelined behind it runs to its end", "[postgres][server][cancel]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  eddy::Future<pg::Result> first, behind;
  loop.run_sync([&]() -> eddy::Future<void> {
    first = conn.query("SELECT pg_sleep(0.3), 'first'");
    behind = conn.query("SELECT 'behind'");
    first.cancel();  // cancelling on the server could hit `behind`: not done
    pg::Result r = co_await behind;
    CHECK(text(r) == "behind");
  }, 60s);
  REQUIRE(first.done());
  CHECK(text(first.result(), 0, 1) == "first");  // its late result, as Future::cancel allows
}

TEST_CASE("a query held back and then cancelled is dropped before it is sent", "[postgres][server][cancel]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  run_query(loop, conn, "CREATE TEMP TABLE never (n int)");
  eddy::Future<pg::Result> slow, held;
  loop.run_sync([&]() -> eddy::Future<void> {
    slow = conn.query("SELECT pg_sleep(30)");
    co_await eddy::sleep(50ms);
    slow.cancel();
    held = conn.query("INSERT INTO never VALUES (1)");
    held.cancel();
    CHECK(held.done());
    eddy::Future<pg::Result> count = conn.query("SELECT count(*) FROM never");
    pg::Result r = co_await count;
    CHECK(text(r) == "0");
  }, 60s);
  CHECK_THROWS_AS(held.result(), eddy::CancelledError);
  CHECK(sqlstate_of(slow) == "57014");
}

TEST_CASE("Connection::cancel cancels what runs now: it fails with 57014", "[postgres][server][cancel]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  eddy::Future<pg::Result> slow;
  loop.run_sync([&]() -> eddy::Future<void> {
    slow = conn.query("SELECT pg_sleep(30)");
    co_await eddy::sleep(100ms);
    eddy::Future<void> cancelled = conn.cancel();
    co_await cancelled;
    try {
      co_await slow;
    } catch (const pg::Error&) {
    }
  }, 60s);
  CHECK(sqlstate_of(slow) == "57014");
  CHECK(text(run_query(loop, conn, "SELECT 1")) == "1");
}

TEST_CASE("a loop destroyed with a coroutine awaiting a query closes the connection and fails the query",
          "[postgres][server][cancel][lifecycle]") {
  eddy::IOLoop keep_loop;  // current afterwards, so late resolutions have a loop to be dropped on
  pg::Connection conn;
  eddy::Future<pg::Result> slow;
  {
    eddy::IOLoop loop;
    loop.make_current();
    conn = pg_connect(loop);
    slow = conn.query("SELECT pg_sleep(30)");
    await_query(slow);
    loop.run_sync([] { return eddy::sleep(50ms); });
    keep_loop.make_current();
  }  // the loop destroys its handlers and the suspended coroutine
  CHECK(conn.closed());
  REQUIRE(slow.done());
  CHECK(sqlstate_of(slow).substr(0, 2) == "08");
  eddy::Future<pg::Result> later = conn.query("SELECT 1");
  CHECK(sqlstate_of(later) == "08003");
}

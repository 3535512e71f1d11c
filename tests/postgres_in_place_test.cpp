// A query's waiter runs in place: inside the connection's read handler,
// right after its answer, before the next answer is handed out (so its
// next query goes out at once, as in a hand-written libpq loop). What it
// does there -- send, cancel, close, drop the last handle, throw -- must
// leave the connection and the other callers' queries sound.
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/postgres_helpers.hpp"

using namespace eddy_test;

namespace {

// Awaits `first`, then reports whether `second` (sent after it) was still
// pending when this coroutine resumed, and sends one more query.
eddy::Future<bool> second_pending_when_first_resumes(pg::Connection conn, eddy::Future<pg::Result> first,
                                                      eddy::Future<pg::Result> second) {
  pg::Result r = co_await first;
  bool pending = !second.done();
  eddy::Future<pg::Result> next = conn.query("SELECT $1::int + 1", std::stoi(text(r)));
  pg::Result n = co_await next;
  CHECK(text(n) == "2");
  co_return pending;
}

// Closes `conn` as soon as `first` is answered.
eddy::Future<void> close_after(pg::Connection conn, eddy::Future<pg::Result> first) {
  co_await first;
  conn.close();
}

// Holds the only handle to the connection, and drops it in place.
eddy::Future<void> drop_after_first(pg::Connection conn, eddy::Future<pg::Result>* second) {
  eddy::Future<pg::Result> first = conn.query("SELECT 1");
  *second = conn.query("SELECT 2");
  co_await first;
  conn = pg::Connection();
}

// Cancels `slow` (sent last) as soon as `first` is answered.
eddy::Future<std::string> cancel_after(eddy::Future<pg::Result> first, eddy::Future<pg::Result> slow) {
  co_await first;
  slow.cancel();
  try {
    co_await slow;
  } catch (const pg::Error& e) {
    co_return e.sqlstate();
  }
  co_return "(answered)";
}

}  // namespace

TEST_CASE("a query's waiter resumes before the answer after its own is handed out",
          "[postgres][server][pipeline][in_place]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  // The loop is kept busy (a callback that blocks, standing for other work)
  // until both answers are in the socket, so one read takes both. Resolving
  // every future of a read first and resuming the waiters afterwards (as
  // before) failed this; in place, the first waiter runs before the second
  // answer is handed out.
  bool pending = loop.run_sync([&] {
    eddy::Future<pg::Result> first = conn.query("SELECT 1");
    eddy::Future<pg::Result> second = conn.query("SELECT 2");
    loop.add_callback([] { std::this_thread::sleep_for(300ms); });
    return second_pending_when_first_resumes(conn, first, second);
  }, 60s);
  CHECK(pending);
  CHECK(conn.in_flight() == 0);
}

TEST_CASE("a waiter resumed by its answer may close the connection: the queries behind it fail 08003",
          "[postgres][server][pipeline][in_place]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  eddy::Future<pg::Result> behind;
  loop.run_sync([&] {
    eddy::Future<pg::Result> first = conn.query("SELECT 1");
    behind = conn.query("SELECT pg_sleep(0.2)");
    return close_after(conn, first);
  }, 60s);
  CHECK(conn.closed());
  REQUIRE(behind.done());
  CHECK(sqlstate_of(behind) == "08003");
}

TEST_CASE("a waiter resumed by its answer may drop the last handle to its connection",
          "[postgres][server][pipeline][in_place]") {
  eddy::IOLoop loop;
  eddy::Future<pg::Result> second;
  {
    pg::Connection conn = pg_connect(loop);
    loop.run_sync([&] { return drop_after_first(std::move(conn), &second); }, 60s);
  }
  // The second answer may have come in the same read (then it was handed
  // out before the session went), or not: then the session's end failed it.
  loop.run_sync([] { return eddy::sleep(10ms); }, 60s);
  REQUIRE(second.done());
  std::string state = sqlstate_of(second);
  CHECK((state.empty() || state == "08003"));
}

TEST_CASE("a waiter resumed by its answer may cancel the query behind it, which is cancelled on the server",
          "[postgres][server][cancel][in_place]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  auto began = std::chrono::steady_clock::now();
  std::string state = loop.run_sync([&] {
    eddy::Future<pg::Result> first = conn.query("SELECT 1");
    eddy::Future<pg::Result> slow = conn.query("SELECT pg_sleep(30)");
    return cancel_after(first, slow);
  }, 60s);
  CHECK(state == "57014");
  CHECK(std::chrono::steady_clock::now() - began < 20s);
  CHECK(text(run_query(loop, conn, "SELECT 'after'")) == "after");
}

TEST_CASE("a done-callback that throws in place goes to the loop's handler; later answers still reach their waiters",
          "[postgres][server][pipeline][in_place]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  int errors = 0;
  loop.set_exception_handler([&](std::exception_ptr) { ++errors; });
  std::string order;
  pg::Result last = loop.run_sync([&] {
    eddy::Future<pg::Result> first = conn.query("SELECT 1");
    first.add_done_callback([&](eddy::Future<pg::Result>) {
      order += "a";
      throw std::runtime_error("a callback failed");
    });
    first.add_done_callback([&](eddy::Future<pg::Result>) { order += "b"; });
    eddy::Future<pg::Result> second = conn.query("SELECT 2");
    second.add_done_callback([&](eddy::Future<pg::Result>) { order += "c"; });
    return second;
  }, 60s);
  CHECK(text(last) == "2");
  CHECK(order == "abc");
  CHECK(errors == 1);
}

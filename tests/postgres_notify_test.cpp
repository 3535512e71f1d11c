// LISTEN/NOTIFY: notifications arrive in order while the loop is idle, are
// queued when nobody waits, go only to live waiters, and channel names are
// quoted.
#include <string>
#include <vector>

#include "support/postgres_helpers.hpp"

using namespace eddy_test;

TEST_CASE("NOTIFY from another connection arrives while the loop is otherwise idle, in order",
          "[postgres][server][notify]") {
  eddy::IOLoop loop;
  pg::Connection listener = pg_connect(loop);
  pg::Connection sender = pg_connect(loop);
  loop.run_sync([&] { return listener.listen("events"); }, 30s);
  std::vector<std::string> payloads;
  int pid = 0;
  loop.run_sync([&]() -> eddy::Future<void> {
    for (int i = 0; i < 5; ++i) {
      eddy::Future<pg::Result> sent = sender.query("SELECT pg_notify('events', $1)", "message " + std::to_string(i));
      co_await sent;
    }
    eddy::Future<pg::Result> backend = sender.query("SELECT pg_backend_pid()");
    pg::Result r = co_await backend;
    pid = std::stoi(text(r));
    for (int i = 0; i < 5; ++i) {
      // No query runs on `listener`: the socket is watched between queries.
      eddy::Future<pg::Notification> next = listener.notification();
      pg::Notification n = co_await next;
      CHECK(n.channel == "events");
      CHECK(n.pid == pid);
      payloads.push_back(n.payload);
    }
  }, 30s);
  CHECK(payloads == std::vector<std::string>{"message 0", "message 1", "message 2", "message 3", "message 4"});
}

TEST_CASE("a waiter that gives up leaves the line: the next notification goes to a live one",
          "[postgres][server][notify][cancel]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  loop.run_sync([&] { return conn.listen("later"); }, 30s);
  eddy::Future<pg::Notification> abandoned;
  CHECK_THROWS_AS(loop.run_sync([&] {
    abandoned = conn.notification();
    return eddy::with_timeout(50ms, abandoned);
  }, 30s), eddy::TimeoutError);
  CHECK_THROWS_AS(abandoned.result(), eddy::CancelledError);
  run_query(loop, conn, "NOTIFY later, 'kept'");
  pg::Notification n = loop.run_sync([&] { return conn.notification(); }, 30s);
  CHECK(n.payload == "kept");
}

TEST_CASE("channel names are quoted as identifiers; an empty payload arrives empty", "[postgres][server][notify]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  std::string odd = "Mixed Case; DROP \"x\"";
  loop.run_sync([&] { return conn.listen(odd); }, 30s);
  run_query(loop, conn, "SELECT pg_notify($1, '')", odd);
  pg::Notification n = loop.run_sync([&] { return conn.notification(); }, 30s);
  CHECK(n.channel == odd);
  CHECK(n.payload.empty());
}

TEST_CASE("notification() waiters fail with 08003 when the connection closes", "[postgres][server][notify]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  eddy::Future<pg::Notification> waiting = conn.notification();
  conn.close();
  REQUIRE(waiting.done());
  CHECK(sqlstate_of(waiting) == "08003");
  CHECK(conn.closed());
}

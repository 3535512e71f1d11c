// A server that goes away: pg_terminate_backend mid-query (the query fails
// 57P01, the others class 08, the connection reports closed), and a server
// stopped under its connections (a private server, so the shared one stays).
#include <string>
#include <vector>

#include "support/postgres_helpers.hpp"

using namespace eddy_test;

TEST_CASE("a connection terminated mid-query fails that query 57P01, the rest 08006, and reports closed",
          "[postgres][server][failure]") {
  eddy::IOLoop loop;
  pg::Connection victim = pg_connect(loop, pg_server().socket_conninfo("application_name=eddy_victim"));
  pg::Connection killer = pg_connect(loop);
  std::vector<eddy::Future<pg::Result>> pending;
  loop.run_sync([&]() -> eddy::Future<void> {
    pending.push_back(victim.query("SELECT pg_sleep(30)"));
    pending.push_back(victim.query("SELECT 'never'"));
    co_await eddy::sleep(100ms);
    eddy::Future<pg::Result> kill =
        killer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'eddy_victim'");
    co_await kill;
    for (eddy::Future<pg::Result>& f : pending) {
      try {
        co_await f;
      } catch (const pg::Error&) {
      }
    }
  }, 60s);
  CHECK(sqlstate_of(pending[0]) == "57P01");
  CHECK(sqlstate_of(pending[1]) == "08006");
  CHECK(victim.closed());
  eddy::Future<pg::Result> after = victim.query("SELECT 1");
  CHECK(sqlstate_of(after) == "08003");
  CHECK(text(run_query(loop, killer, "SELECT 'unaffected'")) == "unaffected");
}

TEST_CASE("an idle connection terminated by the server is noticed and reports closed", "[postgres][server][failure]") {
  eddy::IOLoop loop;
  pg::Connection victim = pg_connect(loop, pg_server().socket_conninfo("application_name=eddy_idle_victim"));
  pg_server().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'eddy_idle_victim'");
  loop.run_sync([&]() -> eddy::Future<void> {
    for (int i = 0; i < 500 && !victim.closed(); ++i) co_await eddy::sleep(10ms);
  }, 30s);
  CHECK(victim.closed());
}

TEST_CASE("a server stopped under its connections fails the pending queries with class 08 or 57P01",
          "[postgres][server][failure][slow]") {
  PostgresServer own;  // a private server: stopping the shared one would break the other tests
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop, own.tcp_conninfo());
  pg::Pool pool(own.socket_conninfo(), 2);
  CHECK(text(loop.run_sync([&] { return pool.query("SELECT 1"); }, 30s)) == "1");
  eddy::Future<pg::Result> running = conn.query("SELECT pg_sleep(30)");
  loop.run_sync([] { return eddy::sleep(100ms); });
  own.stop();  // immediate mode: the server goes at once
  loop.run_sync([&]() -> eddy::Future<void> {
    try {
      co_await running;
    } catch (const pg::Error&) {
    }
  }, 30s);
  std::string state = sqlstate_of(running);
  CHECK((state.substr(0, 2) == "08" || state == "57P01" || state == "57P02"));
  CHECK(conn.closed());
  eddy::Future<pg::Result> refused = pool.query("SELECT 1");
  CHECK_THROWS_AS(loop.run_sync([&] { return refused; }, 30s), pg::Error);
  CHECK(sqlstate_of(refused).substr(0, 2) == "08");
}

// Pipelining on one connection: concurrent queries go out at once and come
// back in call order, to the right caller; each is its own implicit
// transaction, so an error in the middle touches no other query.
#include <string>
#include <vector>

#include "support/postgres_helpers.hpp"

using namespace eddy_test;

namespace {

// One coroutine's share: `n` queries in turn, each checking its own answer.
eddy::Future<int> worker(pg::Connection conn, int id, int n) {
  int right = 0;
  for (int i = 0; i < n; ++i) {
    eddy::Future<pg::Result> q = conn.query("SELECT $1::int * 1000 + $2::int", id, i);
    pg::Result r = co_await q;
    right += text(r) == std::to_string(id * 1000 + i) ? 1 : 0;
  }
  co_return right;
}

}  // namespace

TEST_CASE("100 coroutines pipeline their queries on one connection, each getting its own answers",
          "[postgres][server][pipeline]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  std::size_t most_in_flight = 0;
  eddy::PeriodicCallback probe(loop, [&] { most_in_flight = std::max(most_in_flight, conn.in_flight()); }, 1ms);
  probe.start();
  std::vector<int> right = loop.run_sync([&] {
    std::vector<eddy::Future<int>> workers;
    for (int id = 0; id < 100; ++id) workers.push_back(worker(conn, id, 20));
    return eddy::multi(std::move(workers));
  }, 120s);
  int total = 0;
  for (int r : right) total += r;
  CHECK(total == 100 * 20);
  CHECK(most_in_flight > 1);  // they really were in flight together
}

TEST_CASE("1,000 concurrent queries on one connection come back in call order", "[postgres][server][pipeline]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  std::vector<int> order;
  loop.run_sync([&] {
    std::vector<eddy::Future<void>> all;
    for (int i = 0; i < 1000; ++i) {
      eddy::Future<pg::Result> q = conn.query("SELECT $1::int", i);
      CHECK(conn.in_flight() == static_cast<std::size_t>(i + 1));
      eddy::Future<void> noted;
      q.add_done_callback([&order, noted](eddy::Future<pg::Result> done) mutable {
        order.push_back(std::stoi(text(done.result())));
        noted.set_result();
      });
      all.push_back(noted);
    }
    return eddy::multi(std::move(all));
  }, 120s);
  REQUIRE(order.size() == 1000);
  bool in_order = true;
  for (int i = 0; i < 1000; ++i) in_order = in_order && order[static_cast<std::size_t>(i)] == i;
  CHECK(in_order);
  CHECK(conn.in_flight() == 0);
}

TEST_CASE("a query answered while a statement larger than the socket buffer is still going out resolves at once",
          "[postgres][server][pipeline]") {
  // libpq reads the answer while it waits to write the big statement (its
  // flush takes input in too); the socket then shows nothing more to read.
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  std::string big = "SELECT pg_sleep(5), 'big' /*" + std::string(32u << 20, 'x') + "*/";
  eddy::Future<pg::Result> first, second;
  bool first_before_second = false;
  loop.run_sync([&]() -> eddy::Future<void> {
    first = conn.query("SELECT pg_sleep(0.1), 'first'");
    second = conn.query(big);
    pg::Result r = co_await first;
    first_before_second = !second.done();  // not held until `big` ends 5 s later
    CHECK(text(r, 0, 1) == "first");
    co_await second;
  }, 60s);
  CHECK(first_before_second);
  CHECK(text(second.result(), 0, 1) == "big");
}

TEST_CASE("an error in the middle of a pipeline fails only its own query", "[postgres][server][pipeline][errors]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  run_query(loop, conn, "CREATE TEMP TABLE log (n int)");
  std::vector<eddy::Future<pg::Result>> queries;
  loop.run_sync([&] {
    queries.push_back(conn.query("INSERT INTO log VALUES (1)"));
    queries.push_back(conn.query("SELECT 1/0"));
    queries.push_back(conn.query("INSERT INTO log VALUES (2)"));
    queries.push_back(conn.query("SELEC syntax error"));
    queries.push_back(conn.query("INSERT INTO log VALUES (3)"));
    queries.push_back(conn.query("SELECT count(*) FROM log"));
    std::vector<eddy::Future<void>> settled;
    for (eddy::Future<pg::Result>& q : queries) {
      eddy::Future<void> s;
      q.add_done_callback([s](eddy::Future<pg::Result>) mutable { s.set_result(); });
      settled.push_back(s);
    }
    return eddy::multi(std::move(settled));
  }, 60s);
  CHECK(sqlstate_of(queries[0]).empty());
  CHECK(sqlstate_of(queries[1]) == "22012");
  CHECK(sqlstate_of(queries[2]).empty());
  CHECK(sqlstate_of(queries[3]) == "42601");
  CHECK(sqlstate_of(queries[4]).empty());
  CHECK(text(queries[5].result()) == "3");  // the failures rolled back nothing of the others
}

TEST_CASE("an explicit transaction spans pipelined queries; a failure in it fails the rest until ROLLBACK",
          "[postgres][server][pipeline]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  run_query(loop, conn, "CREATE TEMP TABLE tx (n int)");
  std::vector<eddy::Future<pg::Result>> q;
  loop.run_sync([&] {
    q.push_back(conn.query("BEGIN"));
    q.push_back(conn.query("INSERT INTO tx VALUES (1)"));
    q.push_back(conn.query("SELECT 1/0"));
    q.push_back(conn.query("INSERT INTO tx VALUES (2)"));
    q.push_back(conn.query("ROLLBACK"));
    q.push_back(conn.query("SELECT count(*) FROM tx"));
    eddy::Future<pg::Result> last = q.back();
    return last;
  }, 60s);
  CHECK(sqlstate_of(q[2]) == "22012");
  CHECK(sqlstate_of(q[3]) == "25P02");  // in a failed transaction
  CHECK(text(q[5].result()) == "0");
}

TEST_CASE("a statement whose commit fails gets the commit's error, not its rows, and the pipeline goes on",
          "[postgres][server][pipeline][errors]") {
  eddy::IOLoop loop;
  pg::Connection conn = pg_connect(loop);
  // A deferred unique constraint is checked at commit, i.e. at the Sync
  // after the statement's rows: the query's one answer is then an error.
  run_query(loop, conn, "CREATE TEMP TABLE deferred_keys (k int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
  run_query(loop, conn, "INSERT INTO deferred_keys VALUES (1)");
  eddy::Future<pg::Result> duplicate;
  eddy::Future<pg::Result> after;
  loop.run_sync([&]() -> eddy::Future<void> {
    duplicate = conn.query("INSERT INTO deferred_keys VALUES (1) RETURNING k");
    after = conn.query("SELECT count(*) FROM deferred_keys");
    try {
      co_await duplicate;
    } catch (const pg::Error&) {
    }
    co_await after;
  }, 60s);
  CHECK(sqlstate_of(duplicate) == "23505");
  CHECK(text(after.result()) == "1");
}

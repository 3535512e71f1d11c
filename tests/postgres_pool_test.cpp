// Pool: connections opened on demand up to the limit and reused, 1,000
// concurrent queries, transactions (commit, rollback, in parallel), broken
// connections replaced, close.
#include <algorithm>
#include <string>
#include <vector>

#include "support/postgres_helpers.hpp"

using namespace eddy_test;

TEST_CASE("a pool under 1,000 concurrent queries answers each caller, within its connection limit",
          "[postgres][server][pool]") {
  eddy::IOLoop loop;
  pg::Pool pool(pg_server().socket_conninfo(), 8);
  std::vector<pg::Result> results = loop.run_sync([&] {
    std::vector<eddy::Future<pg::Result>> all;
    for (int i = 0; i < 1000; ++i) all.push_back(pool.query("SELECT $1::int, pg_backend_pid()", i));
    return eddy::multi(std::move(all));
  }, 120s);
  REQUIRE(results.size() == 1000);
  bool right = true;
  std::vector<std::string> backends;
  for (int i = 0; i < 1000; ++i) {
    right = right && text(results[static_cast<std::size_t>(i)]) == std::to_string(i);
    std::string pid = text(results[static_cast<std::size_t>(i)], 0, 1);
    if (std::find(backends.begin(), backends.end(), pid) == backends.end()) backends.push_back(pid);
  }
  CHECK(right);
  CHECK(backends.size() > 1);   // spread over several connections
  CHECK(backends.size() <= 8);  // never more than allowed
  CHECK(pool.size() <= 8);
  loop.run_sync([&] { return pool.close(); }, 30s);
  CHECK(pool.size() == 0);
}

TEST_CASE("sequential queries reuse one connection", "[postgres][server][pool]") {
  eddy::IOLoop loop;
  pg::Pool pool(pg_server().socket_conninfo(), 4);
  std::string first = text(loop.run_sync([&] { return pool.query("SELECT pg_backend_pid()"); }, 30s));
  for (int i = 0; i < 5; ++i) {
    CHECK(text(loop.run_sync([&] { return pool.query("SELECT pg_backend_pid()"); }, 30s)) == first);
  }
  CHECK(pool.size() == 1);
}

TEST_CASE("transaction commits the body's work and returns its value", "[postgres][server][pool][transaction]") {
  eddy::IOLoop loop;
  pg_server().execute("CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance int)");
  pg_server().execute("TRUNCATE accounts");
  pg_server().execute("INSERT INTO accounts VALUES (1, 100), (2, 0)");
  pg::Pool pool(pg_server().socket_conninfo(), 4);
  int moved = loop.run_sync([&] {
    return pool.transaction([](pg::Connection& c) -> eddy::Future<int> {
      eddy::Future<pg::Result> debit = c.query("UPDATE accounts SET balance = balance - $1 WHERE id = 1", 30);
      eddy::Future<pg::Result> credit = c.query("UPDATE accounts SET balance = balance + $1 WHERE id = 2", 30);
      co_await debit;
      co_await credit;
      co_return 30;
    });
  }, 30s);
  CHECK(moved == 30);
  pg::Result r = loop.run_sync([&] { return pool.query("SELECT balance FROM accounts ORDER BY id"); }, 30s);
  CHECK(text(r, 0) == "70");
  CHECK(text(r, 1) == "30");
}

TEST_CASE("transaction rolls back when the body throws, and rethrows", "[postgres][server][pool][transaction]") {
  eddy::IOLoop loop;
  pg_server().execute("CREATE TABLE IF NOT EXISTS rollback_me (n int)");
  pg_server().execute("TRUNCATE rollback_me");
  pg::Pool pool(pg_server().socket_conninfo(), 2);
  CHECK_THROWS_WITH(loop.run_sync([&] {
    return pool.transaction([](pg::Connection& c) -> eddy::Future<void> {
      eddy::Future<pg::Result> insert = c.query("INSERT INTO rollback_me VALUES (1)");
      co_await insert;
      throw std::runtime_error("the body changed its mind");
    });
  }, 30s), "the body changed its mind");
  eddy::Future<pg::Result> failing;
  try {
    loop.run_sync([&] {
      return pool.transaction([](pg::Connection& c) -> eddy::Future<void> {
        eddy::Future<pg::Result> insert = c.query("INSERT INTO rollback_me VALUES (2)");
        co_await insert;
        eddy::Future<pg::Result> bad = c.query("SELECT 1/0");
        co_await bad;
      });
    }, 30s);
    FAIL("no error");
  } catch (const pg::Error& e) {
    CHECK(e.sqlstate() == "22012");
  }
  CHECK(text(loop.run_sync([&] { return pool.query("SELECT count(*) FROM rollback_me"); }, 30s)) == "0");
}

TEST_CASE("a COMMIT the server turns into a rollback fails with 40000", "[postgres][server][pool][transaction]") {
  eddy::IOLoop loop;
  pg::Pool pool(pg_server().socket_conninfo(), 1);
  try {
    loop.run_sync([&] {
      return pool.transaction([](pg::Connection& c) -> eddy::Future<void> {
        eddy::Future<pg::Result> bad = c.query("SELECT 1/0");
        try {
          co_await bad;
        } catch (const pg::Error&) {
          // swallowed: the transaction is aborted all the same
        }
      });
    }, 30s);
    FAIL("no error");
  } catch (const pg::Error& e) {
    CHECK(e.sqlstate() == "40000");
  }
  CHECK(text(loop.run_sync([&] { return pool.query("SELECT 'usable'"); }, 30s)) == "usable");
}

TEST_CASE("transactions on different connections run in parallel", "[postgres][server][pool][transaction]") {
  eddy::IOLoop loop;
  pg::Pool pool(pg_server().socket_conninfo(), 2);
  auto start = std::chrono::steady_clock::now();
  loop.run_sync([&] {
    std::vector<eddy::Future<void>> both;
    for (int i = 0; i < 2; ++i) {
      both.push_back(pool.transaction([](pg::Connection& c) -> eddy::Future<void> {
        eddy::Future<pg::Result> nap = c.query("SELECT pg_sleep(1)");
        co_await nap;
      }));
    }
    return eddy::multi(std::move(both));
  }, 30s);
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(elapsed >= 0.95);
  CHECK(elapsed < 1.9);  // not one after the other
  CHECK(pool.size() == 2);
}

TEST_CASE("a pool replaces a connection the server terminated", "[postgres][server][pool][failure]") {
  eddy::IOLoop loop;
  pg::Pool pool(pg_server().socket_conninfo("application_name=eddy_pool_victim"), 1);
  std::string before = text(loop.run_sync([&] { return pool.query("SELECT pg_backend_pid()"); }, 30s));
  pg_server().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'eddy_pool_victim'");
  // The pool notices the loss (the socket is watched) or on the next query,
  // which then fails with class 08; after that a new connection serves.
  std::string after;
  for (int attempt = 0; attempt < 3 && after.empty(); ++attempt) {
    try {
      after = text(loop.run_sync([&] { return pool.query("SELECT pg_backend_pid()"); }, 30s));
    } catch (const pg::Error& e) {
      CHECK((e.sqlstate().substr(0, 2) == "08" || e.sqlstate() == "57P01"));
    }
  }
  CHECK_FALSE(after.empty());
  CHECK(after != before);
}

TEST_CASE("a closed pool refuses queries with 08003", "[postgres][server][pool]") {
  eddy::IOLoop loop;
  pg::Pool pool(pg_server().socket_conninfo(), 2);
  loop.run_sync([&] { return pool.query("SELECT 1"); }, 30s);
  loop.run_sync([&] { return pool.close(); }, 30s);
  eddy::Future<pg::Result> late = pool.query("SELECT 1");
  CHECK(sqlstate_of(late) == "08003");
  CHECK_THROWS_AS(pg::Pool(pg_server().socket_conninfo(), 0), std::invalid_argument);
}

TEST_CASE("a pool that cannot connect fails its queries with the connect error, without retrying in a loop",
          "[postgres][server][pool][failure]") {
  eddy::IOLoop loop;
  pg::Pool pool("host=/nonexistent-dir port=5432 user=eddy", 4);
  std::vector<eddy::Future<pg::Result>> first;
  loop.run_sync([&] {
    std::vector<eddy::Future<void>> settled;
    for (int i = 0; i < 3; ++i) {
      first.push_back(pool.query("SELECT 1"));
      eddy::Future<void> s;
      first.back().add_done_callback([s](eddy::Future<pg::Result>) mutable { s.set_result(); });
      settled.push_back(s);
    }
    return eddy::multi(std::move(settled));
  }, 30s);
  for (eddy::Future<pg::Result>& f : first) CHECK(sqlstate_of(f) == "08001");
  eddy::Future<pg::Result> again = pool.query("SELECT 1");  // within the pause: fails at once
  REQUIRE(again.done());
  CHECK(sqlstate_of(again) == "08001");
  CHECK(pool.size() == 0);
}

// The article's last blocking call, db.query, and its asynchronous driver.
//
// Two tasks each run `SELECT pg_sleep(1)` (a query that takes 1 s on the
// server), on their own connections:
// 1. with blocking libpq (PQexec) from loop callbacks: each call holds the
//    loop for its whole second, so the tasks run one after the other and
//    take about 2 s;
// 2. with eddy::postgres (a Pool of two connections) from coroutines: both
//    queries are in flight at once, the tasks interleave, about 1 s.
//
// Usage: db_query [conninfo]   (else $EDDY_PG_CONNINFO, else libpq's
//        defaults: PGHOST, PGUSER, ...), e.g. db_query "host=/run/postgresql dbname=postgres"
// Build: g++ -std=c++20 -Iinclude -I/usr/include/postgresql examples/db_query.cpp -lpq -pthread
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <eddy/eddy.hpp>
#include <eddy/postgres.hpp>

namespace {

double seconds_since(eddy::Clock::time_point start) {
  return std::chrono::duration<double>(eddy::Clock::now() - start).count();
}

// 1. The mistake: a blocking query from a loop callback.
void blocking_task(PGconn* conn, int n) {
  std::printf("  task %d: SELECT pg_sleep(1)\n", n);
  PGresult* result = PQexec(conn, "SELECT pg_sleep(1)");  // the loop stands still for 1 s
  std::printf("  task %d: %s\n", n, PQresultStatus(result) == PGRES_TUPLES_OK ? "done" : PQerrorMessage(conn));
  PQclear(result);
}

// 2. The fix: the query is awaited; the loop runs the other task meanwhile.
eddy::Future<void> async_task(eddy::postgres::Pool& pool, int n) {
  std::printf("  task %d: SELECT pg_sleep(1)\n", n);
  eddy::Future<eddy::postgres::Result> query = pool.query("SELECT pg_sleep(1)");
  co_await query;
  std::printf("  task %d: done\n", n);
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("EDDY_PG_CONNINFO");
  std::string conninfo = argc > 1 ? argv[1] : env != nullptr ? env : "";
  eddy::IOLoop loop;

  std::printf("blocking libpq (PQexec) on the loop:\n");
  PGconn* one = PQconnectdb(conninfo.c_str());
  PGconn* two = PQconnectdb(conninfo.c_str());
  if (PQstatus(one) != CONNECTION_OK || PQstatus(two) != CONNECTION_OK) {
    std::fprintf(stderr, "db_query: cannot connect (%s): %s", conninfo.c_str(), PQerrorMessage(one));
    return 1;
  }
  eddy::Clock::time_point start = eddy::Clock::now();
  loop.add_callback([&] { blocking_task(one, 1); });
  loop.add_callback([&] { blocking_task(two, 2); });
  loop.add_callback([&] { loop.stop(); });
  loop.start();
  std::printf("  took %.1f s\n", seconds_since(start));
  PQfinish(one);
  PQfinish(two);

  std::printf("eddy::postgres on the loop:\n");
  eddy::postgres::Pool pool(conninfo, 2);
  start = eddy::Clock::now();
  loop.run_sync([&] {
    std::vector<eddy::Future<void>> tasks;
    tasks.push_back(async_task(pool, 1));
    tasks.push_back(async_task(pool, 2));
    return eddy::multi(std::move(tasks));
  });
  std::printf("  took %.1f s\n", seconds_since(start));
  loop.run_sync([&] { return pool.close(); });
}

// eddy::postgres under the two workloads, on one connection:
//   pipelined  n `SELECT $1::int` from c concurrent coroutines, each awaiting
//              its queries one after the other (so up to c are in flight,
//              pipelined on the connection);
//   serial     n `SELECT $1::int`, one at a time.
// Prints RESULT workload=pg_<mode> impl=eddy n= c= queries_per_s= cpu_us_per_query=
// (the client's CPU: this process, all threads). A warm-up of n/10 queries
// comes first. The connection string is $EDDY_PG_CONNINFO.
//   eddy pipelined|serial <n> [c]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <eddy/eddy.hpp>
#include <eddy/postgres.hpp>

#include "support/measure.hpp"

namespace pg = eddy::postgres;

namespace {

// The parameter is an int, as the SQL reads it: eddy tells the server it
// is an int4, so `$1::int` costs the server what the floor's untyped
// parameter costs (a long would go out as int8: a cast per query, about a
// tenth of the server's time per query, and the server is what bounds the
// pipelined throughput).
eddy::Future<long> worker(pg::Connection conn, int first, int count) {
  long sum = 0;
  for (int i = first; i < first + count; ++i) {
    eddy::Future<pg::Result> q = conn.query("SELECT $1::int", i);
    pg::Result r = co_await q;
    sum += std::strtol(r.get(0, 0)->data(), nullptr, 10);
  }
  co_return sum;
}

// Runs n queries over c coroutines; returns the sum of the answers.
long run(eddy::IOLoop& loop, pg::Connection& conn, long n, long c) {
  std::vector<long> sums = loop.run_sync([&] {
    std::vector<eddy::Future<long>> workers;
    for (long w = 0; w < c; ++w) workers.push_back(worker(conn, static_cast<int>(w * (n / c)), static_cast<int>(n / c)));
    return eddy::multi(std::move(workers));
  });
  long total = 0;
  for (long s : sums) total += s;
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s pipelined|serial <n> [c]\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  long n = std::atol(argv[2]);
  long c = mode == "serial" ? 1 : (argc > 3 ? std::atol(argv[3]) : 100);
  n -= n % c;
  const char* conninfo = std::getenv("EDDY_PG_CONNINFO");
  eddy::IOLoop loop;
  pg::Connection conn = loop.run_sync([&] { return pg::Connection::connect(conninfo != nullptr ? conninfo : ""); });
  run(loop, conn, n / 10 - (n / 10) % c, c);  // warm-up
  bench::Stopwatch sw;
  long sum = run(loop, conn, n, c);
  double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
  bench::check(sum == (n - 1) * n / 2, "every query answered its own parameter");
  std::printf("RESULT workload=pg_%s impl=eddy n=%ld c=%ld queries_per_s=%.0f cpu_us_per_query=%.3f\n", mode.c_str(),
              n, c, double(n) / (wall / 1e9), cpu / 1e3 / double(n));
}

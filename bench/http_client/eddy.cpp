// The HTTP client benchmark, eddy's side: N GETs of a 13-byte body over
// keep-alive, `concurrency` at a time (1 or 50), from AsyncHTTPClient.
// Prints the client's CPU time per fetch (user + system of this process,
// getrusage) and fetches/s, after a warm-up that opens the connections.
//
//   eddy_http_client PORT N CONCURRENCY
//   RESULT impl=eddy concurrency=50 fetches=20000 seconds=... fetches_per_s=... cpu_us_per_fetch=...
//
// Run by bench/http-client-bench, pinned with nginx to one CPU.
#include "../support/eddy_fetches.hpp"
#include "../support/fetch_bench.hpp"

int main(int argc, char** argv) {
  bench::FetchArgs args = bench::fetch_args(argc, argv, false);
  bench::EddyFetches fetches(eddy::HTTPRequest("http://127.0.0.1:" + args.port + "/hello"), args.concurrency);
  return bench::measure_fetches("eddy", args, fetches);
}

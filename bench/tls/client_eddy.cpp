// The HTTPS client benchmark, eddy's side: N GETs of a 13-byte body from
// nginx over TLS keep-alive, `concurrency` at a time (1 or 50), from
// AsyncHTTPClient with the certificate verified against CAFILE. Prints the
// client's CPU time per fetch (getrusage of this process) over the timed
// part, after a warm-up that opens (and shakes hands on) the connections.
//
//   tls_client_eddy PORT N CONCURRENCY CAFILE
//   RESULT impl=eddy concurrency=50 fetches=20000 seconds=... fetches_per_s=... cpu_us_per_fetch=...
#include "../support/eddy_fetches.hpp"
#include "../support/fetch_bench.hpp"

#include <utility>

#include <eddy/ssl.hpp>

int main(int argc, char** argv) {
  bench::FetchArgs args = bench::fetch_args(argc, argv, true);
  eddy::HTTPRequest request("https://localhost:" + args.port + "/hello");
  request.ca_certs = args.cafile;
  bench::EddyFetches fetches(std::move(request), args.concurrency);
  return bench::measure_fetches("eddy", args, fetches);
}

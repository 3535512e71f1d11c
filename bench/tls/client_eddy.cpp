// The HTTPS client benchmark, eddy's side: N GETs of a 13-byte body from
// nginx over TLS keep-alive, `concurrency` at a time (1 or 50), from
// AsyncHTTPClient with the certificate verified against CAFILE. Prints the
// client's CPU time per fetch (getrusage of this process) over the timed
// part, after a warm-up that opens (and shakes hands on) the connections.
//
//   tls_client_eddy PORT N CONCURRENCY CAFILE
//   RESULT impl=eddy concurrency=50 fetches=20000 seconds=... fetches_per_s=... cpu_us_per_fetch=...
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <eddy/http.hpp>
#include <eddy/ssl.hpp>

namespace {

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

eddy::Future<void> worker(eddy::AsyncHTTPClient& client, const eddy::HTTPRequest& request, long& remaining,
                          long& bad) {
  while (remaining > 0) {
    --remaining;
    eddy::HTTPResponse r = co_await client.fetch(request);
    if (r.body.size() != 13) ++bad;
  }
}

eddy::Future<void> run(eddy::AsyncHTTPClient& client, const eddy::HTTPRequest& request, long n, int concurrency,
                       long& bad) {
  long remaining = n;
  std::vector<eddy::Future<void>> workers;
  for (int i = 0; i < concurrency; ++i) workers.push_back(worker(client, request, remaining, bad));
  co_await eddy::multi(std::move(workers));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s PORT N CONCURRENCY CAFILE\n", argv[0]);
    return 2;
  }
  eddy::HTTPRequest request("https://localhost:" + std::string(argv[1]) + "/hello");
  request.ca_certs = argv[4];
  long n = std::atol(argv[2]);
  int concurrency = std::atoi(argv[3]);
  eddy::IOLoop loop;
  eddy::AsyncHTTPClientOptions options;
  options.max_clients = static_cast<std::size_t>(concurrency);
  eddy::AsyncHTTPClient client(loop, options);
  long bad = 0;
  loop.run_sync([&] { return run(client, request, concurrency * 20L, concurrency, bad); });  // warm-up
  double cpu0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  loop.run_sync([&] { return run(client, request, n, concurrency, bad); });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  if (bad != 0) {
    std::fprintf(stderr, "%ld responses with a wrong body\n", bad);
    return 1;
  }
  std::printf("RESULT impl=eddy concurrency=%d fetches=%ld seconds=%.3f fetches_per_s=%.0f cpu_us_per_fetch=%.2f\n",
              concurrency, n, seconds, static_cast<double>(n) / seconds, cpu * 1e6 / static_cast<double>(n));
  return 0;
}

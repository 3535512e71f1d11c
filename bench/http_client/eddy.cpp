// The HTTP client benchmark, eddy's side: N GETs of a 13-byte body over
// keep-alive, `concurrency` at a time (1 or 50), from AsyncHTTPClient.
// Prints the client's CPU time per fetch (user + system of this process,
// getrusage) and fetches/s, after a warm-up that opens the connections.
//
//   eddy_http_client PORT N CONCURRENCY
//   RESULT impl=eddy concurrency=50 fetches=20000 seconds=... fetches_per_s=... cpu_us_per_fetch=...
//
// Run by bench/http-client-bench, pinned with nginx to one CPU.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <eddy/http.hpp>

namespace {

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// One of `concurrency` workers: fetches until the shared count runs out.
eddy::Future<void> worker(eddy::AsyncHTTPClient& client, const std::string& url, long& remaining, long& bad) {
  while (remaining > 0) {
    --remaining;
    eddy::HTTPResponse r = co_await client.fetch(url);
    if (r.body.size() != 13) ++bad;
  }
}

eddy::Future<void> run(eddy::AsyncHTTPClient& client, const std::string& url, long n, int concurrency, long& bad) {
  long remaining = n;
  std::vector<eddy::Future<void>> workers;
  for (int i = 0; i < concurrency; ++i) workers.push_back(worker(client, url, remaining, bad));
  co_await eddy::multi(std::move(workers));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s PORT N CONCURRENCY\n", argv[0]);
    return 2;
  }
  std::string url = "http://127.0.0.1:" + std::string(argv[1]) + "/hello";
  long n = std::atol(argv[2]);
  int concurrency = std::atoi(argv[3]);
  eddy::IOLoop loop;
  eddy::AsyncHTTPClientOptions options;
  options.max_clients = static_cast<std::size_t>(concurrency);
  eddy::AsyncHTTPClient client(loop, options);
  long bad = 0;
  loop.run_sync([&] { return run(client, url, concurrency * 20L, concurrency, bad); });  // warm-up
  double cpu0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  loop.run_sync([&] { return run(client, url, n, concurrency, bad); });
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

// What the HTTP and HTTPS client benchmarks share (bench/http_client/ and
// bench/tls/client_*.cpp, eddy's and libcurl's sides): the arguments
// (PORT N CONCURRENCY [CAFILE]), the measured section (a warm-up that opens
// the connections, then N timed fetches) and the one RESULT line that
// bench/http-client-bench and bench/tls/run read. Library-neutral: each
// program passes its own way of running `count` fetches.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace bench {

// User + system CPU time of this process so far, in seconds.
inline double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct FetchArgs {
  std::string port;
  long n = 0;
  int concurrency = 1;
  const char* cafile = nullptr;  // only when the program takes one
};

// Parses PORT N CONCURRENCY (and CAFILE when `with_cafile`); exits with a
// usage line when they are missing.
inline FetchArgs fetch_args(int argc, char** argv, bool with_cafile) {
  if (argc < (with_cafile ? 5 : 4)) {
    std::fprintf(stderr, "usage: %s PORT N CONCURRENCY%s\n", argv[0], with_cafile ? " CAFILE" : "");
    std::exit(2);
  }
  FetchArgs a;
  a.port = argv[1];
  a.n = std::atol(argv[2]);
  a.concurrency = std::atoi(argv[3]);
  if (with_cafile) a.cafile = argv[4];
  return a;
}

// Runs `fetches(count)` (which returns how many fetches failed or had a
// wrong body) for concurrency * 20 fetches of warm-up, then for n timed
// ones; prints the RESULT line. Returns main's exit status: 1 if any fetch
// failed (no figure is printed then).
template <class Fetches>
int measure_fetches(const char* impl, const FetchArgs& a, Fetches&& fetches) {
  long bad = fetches(a.concurrency * 20L);  // warm-up: opens (and shakes hands on) the connections
  double cpu0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  bad += fetches(a.n);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  if (bad != 0) {
    std::fprintf(stderr, "%ld failed fetches or wrong bodies\n", bad);
    return 1;
  }
  std::printf("RESULT impl=%s concurrency=%d fetches=%ld seconds=%.3f fetches_per_s=%.0f cpu_us_per_fetch=%.2f\n",
              impl, a.concurrency, a.n, seconds, static_cast<double>(a.n) / seconds,
              cpu * 1e6 / static_cast<double>(a.n));
  return 0;
}

}  // namespace bench

// The HTTP client benchmark on libcurl's multi interface: N GETs of a
// 13-byte body over keep-alive, `concurrency` easy handles at once, each
// re-added when it finishes (libcurl keeps and reuses the connections).
// Same output as eddy.cpp.
//
//   libcurl_http_client PORT N CONCURRENCY
#include "../support/curl_fetches.hpp"
#include "../support/fetch_bench.hpp"

int main(int argc, char** argv) {
  bench::FetchArgs args = bench::fetch_args(argc, argv, false);
  bench::CurlFetches fetches("http://127.0.0.1:" + args.port + "/hello", args.concurrency, [](CURL*) {});
  return bench::measure_fetches("libcurl", args, fetches);
}

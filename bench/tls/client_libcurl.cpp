// The HTTPS client benchmark on libcurl's multi interface (Debian's
// libcurl4-openssl-dev: the same OpenSSL as eddy): N GETs of a 13-byte body
// from nginx over TLS keep-alive, `concurrency` easy handles at once, each
// re-added when it finishes (libcurl keeps and reuses the connections), the
// certificate verified against CAFILE. Same output as client_eddy.cpp.
//
//   tls_client_libcurl PORT N CONCURRENCY CAFILE
#include "../support/curl_fetches.hpp"
#include "../support/fetch_bench.hpp"

int main(int argc, char** argv) {
  bench::FetchArgs args = bench::fetch_args(argc, argv, true);
  bench::CurlFetches fetches("https://localhost:" + args.port + "/hello", args.concurrency, [&](CURL* easy) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, args.cafile);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  });
  return bench::measure_fetches("libcurl", args, fetches);
}

// Fetching an https:// URL, the article's way and the blocking way:
// 1. AsyncHTTPClient.fetch inside the loop: the loop (a ticker here) runs
//    on while the TLS handshake and the request are in flight;
// 2. the blocking HTTPClient (what urlopen is), from plain code outside any
//    running loop: the same response, but the thread waits;
// 3. with --cacert, the same URL once more without it: verification is on
//    by default, so a certificate from a CA the system does not know fails.
//
//   https_fetch [URL] [--cacert FILE]      (default URL: https://www.python.org/)
//
// Try it against hello_web: `hello_web 8443 --tls cert.pem key.pem`, then
// `https_fetch https://localhost:8443/ --cacert ca.pem`.
//
// Build: g++ -std=c++20 -Iinclude examples/https_fetch.cpp -pthread -lssl -lcrypto
#include <eddy/http.hpp>
#include <eddy/ssl.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

using namespace std::chrono_literals;

namespace {

double seconds_since(eddy::Clock::time_point start) {
  return std::chrono::duration<double>(eddy::Clock::now() - start).count();
}

void show(const eddy::HTTPResponse& r) {
  std::printf("   HTTP %d, %zu bytes: %.60s\n", r.code, r.body.size(), r.body.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "https://www.python.org/";
  std::string cacert;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--cacert") == 0 && i + 1 < argc) {
      cacert = argv[++i];
    } else {
      url = argv[i];
    }
  }
  eddy::HTTPRequest request(url);
  request.ca_certs = cacert;  // "" = the system's CA store

  eddy::IOLoop loop;
  loop.make_current();
  int ticks = 0;
  eddy::PeriodicCallback ticker(loop, [&] { ++ticks; }, 10ms);
  ticker.start();

  std::printf("1. AsyncHTTPClient.fetch(%s), inside the loop:\n", url.c_str());
  eddy::AsyncHTTPClient client(loop);
  eddy::Clock::time_point start = eddy::Clock::now();
  try {
    eddy::HTTPResponse r = loop.run_sync([&] { return client.fetch(request); });
    show(r);
    std::printf("   in %.2f s; the ticker ticked %d times meanwhile (the loop ran on)\n", seconds_since(start), ticks);
  } catch (const eddy::HTTPClientError& e) {
    std::printf("   failed: %s\n", e.what());
    return 1;
  }
  ticker.stop();

  std::printf("2. HTTPClient.fetch (blocking, like urlopen), outside any running loop:\n");
  eddy::HTTPClient blocking;
  show(blocking.fetch(request));

  if (!cacert.empty()) {
    std::printf("3. the same URL without --cacert (verification is on by default):\n");
    try {
      blocking.fetch(url);
      std::printf("   fetched: the system trusts that CA\n");
    } catch (const eddy::HTTPClientError& e) {
      std::printf("   HTTP %d: %s\n", e.code(), e.what());
    }
  }
}

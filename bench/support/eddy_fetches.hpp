// eddy's side of the HTTP and HTTPS client benchmarks
// (bench/http_client/eddy.cpp, bench/tls/client_eddy.cpp): GETs of a 13-byte
// body from AsyncHTTPClient over keep-alive, `concurrency` coroutines at
// once, each fetching until the shared count runs out.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <eddy/http.hpp>

namespace bench {

// Owns the loop and the client (max_clients = concurrency); run from the
// thread that made it, outside the loop.
class EddyFetches {
 public:
  EddyFetches(eddy::HTTPRequest request, int concurrency)
      : request_(std::move(request)), concurrency_(concurrency), client_(loop_, options(concurrency)) {}

  // Runs n fetches; returns the count of failed ones or wrong bodies.
  long operator()(long n) {
    long remaining = n, bad = 0;
    loop_.run_sync([&] { return all(remaining, bad); });
    return bad;
  }

 private:
  static eddy::AsyncHTTPClientOptions options(int concurrency) {
    eddy::AsyncHTTPClientOptions o;
    o.max_clients = static_cast<std::size_t>(concurrency);
    return o;
  }
  // One of `concurrency` workers: fetches until the shared count runs out.
  eddy::Future<void> worker(long& remaining, long& bad) {
    while (remaining > 0) {
      --remaining;
      eddy::Future<eddy::HTTPResponse> fetching = client_.fetch(request_);
      eddy::HTTPResponse r = co_await fetching;
      if (r.body.size() != 13) ++bad;
    }
  }
  eddy::Future<void> all(long& remaining, long& bad) {
    std::vector<eddy::Future<void>> workers;
    for (int i = 0; i < concurrency_; ++i) workers.push_back(worker(remaining, bad));
    eddy::Future<void> done = eddy::multi(std::move(workers));
    co_await done;
  }

  eddy::HTTPRequest request_;
  int concurrency_;
  eddy::IOLoop loop_;
  eddy::AsyncHTTPClient client_;
};

}  // namespace bench

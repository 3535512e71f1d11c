/// @file
/// AsyncHTTPClient and HTTPClient: an HTTP/1.1 client after Tornado's, with
/// a keep-alive pool (Tornado's simple client opens a connection per fetch).
///
///   eddy::AsyncHTTPClient client;                          // on IOLoop::current()
///   eddy::HTTPResponse r = co_await client.fetch("http://127.0.0.1:8888/");
///
///   eddy::HTTPClient blocking;                             // scripts only, never on a loop thread
///   std::cout << blocking.fetch("http://example.com/").body;
///
/// Outcomes (raise_error as in Tornado 6):
/// - a final response in 2xx: the future resolves with it;
/// - any other final response (a 3xx not followed included): HTTPClientError
///   "HTTP 404: Not Found" carrying it, or, with raise_error = false, the
///   response itself;
/// - a network or protocol failure (refused, reset, DNS, closed or cut short,
///   a response that breaks HTTP/1.1 or a limit): HTTPConnectionError (code
///   599, what() names host and port), whatever raise_error says;
/// - connect_timeout or request_timeout: HTTPTimeoutError (code 599);
/// - a malformed URL, an https:// URL (no TLS yet), a bad method or header:
///   a future failed at once with std::invalid_argument.
///
/// Framing: Content-Length, chunked (extensions ignored, trailers checked and
/// dropped), close-delimited; 1xx interim responses are skipped; HEAD, 204
/// and 304 have no body. The response parser is the server's (RFC 9112
/// strict: no bare CR/LF, no obs-fold, Content-Length with Transfer-Encoding
/// closes the connection after the response, a bad Content-Length fails).
/// Limits: AsyncHTTPClientOptions::max_header_size and max_body_size.
///
/// Redirects 301/302/303/307/308 are followed up to max_redirects (303, and
/// 301/302 after a POST, become a GET without a body; Authorization and
/// credentials are dropped when the origin changes; a relative Location is
/// resolved against the URL it answered). Past max_redirects the 3xx is the
/// final response. header_callback and streaming_callback see only the final
/// response.
///
/// The pool: see detail/http/http_client_pool.hpp. Requests send Host, User-Agent,
/// Accept and, with a body or for POST/PUT/PATCH, Content-Length (see
/// detail/http/http_client_request.hpp); TCP_NODELAY is on.
///
/// Lifetime: destroy an AsyncHTTPClient before its loop. Destroying it lets
/// the fetches in flight finish (they keep what they need) and then closes
/// the pooled connections; close() instead fails them at once.
/// Thread contract: AsyncHTTPClient: its loop's thread. HTTPClient: any one
/// thread at a time that is not running an IOLoop (each HTTPClient has its
/// own private loop, so threads may each use their own).
#pragma once

#if __cplusplus < 202002L
#error "eddy's HTTP client needs C++20"
#endif

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "detail/http/http_client_fetch.hpp"
#include "detail/http/http_client_types.hpp"
#include "detail/http/url.hpp"
#include "future.hpp"
#include "gen.hpp"
#include "httputil.hpp"
#include "ioloop.hpp"

namespace eddy {

/// Tornado's AsyncHTTPClient: fetches over HTTP/1.1 on one loop, with a
/// keep-alive pool; see the file comment for outcomes, framing, redirects and
/// the thread contract (its loop's thread only). Destroy it before its loop.
class AsyncHTTPClient {
 public:
  /// On IOLoop::current(), with the default options.
  AsyncHTTPClient() : AsyncHTTPClient(IOLoop::current()) {}
  /// On `loop`, with `options`. Throws std::invalid_argument when
  /// options.max_clients is 0.
  explicit AsyncHTTPClient(IOLoop& loop, AsyncHTTPClientOptions options = {})
      : shared_(std::make_shared<detail::ClientShared>(loop, normalized(options))) {}
  AsyncHTTPClient(const AsyncHTTPClient&) = delete;
  AsyncHTTPClient& operator=(const AsyncHTTPClient&) = delete;
  ~AsyncHTTPClient() {
    shared_->orphaned = true;
    if (shared_->first == nullptr) shared_->pool->clear();
  }

  /// GET `url`.
  Future<HTTPResponse> fetch(std::string url, bool raise_error = true) {
    return fetch(HTTPRequest(std::move(url)), raise_error);
  }

  /// Sends `request`; the future resolves with the final response, or fails
  /// as the file comment lists (raise_error = false turns a non-2xx response
  /// into a value). Fetches beyond options().max_clients wait in a queue.
  /// After close() the future fails at once with std::logic_error.
  Future<HTTPResponse> fetch(HTTPRequest request, bool raise_error = true) {
    detail::Url url;
    try {
      if (shared_->closed) throw std::logic_error("eddy: AsyncHTTPClient::fetch after close()");
      url = detail::parse_url(request.url);
      if (url.scheme == "https") {
        throw std::invalid_argument("eddy: " + request.url + ": https:// is not supported yet (eddy has no TLS)");
      }
      detail::check_request(request);
    } catch (...) {
      return make_failed_future<HTTPResponse>(std::current_exception());
    }
    auto f = std::make_shared<detail::FetchState>(shared_, std::move(request), std::move(url), raise_error);
    Future<HTTPResponse> result = f->result;
    f->link();
    f->arm_request_timer();
    if (shared_->queue.empty() && shared_->active < shared_->options.max_clients) {
      f->begin();
    } else {
      shared_->queue.push_back(std::move(f));
      shared_->start_next();
    }
    return result;
  }

  /// Closes the pooled connections and fails every fetch not yet finished
  /// (queued or in flight) with HTTPClientError 599 "client closed". Later
  /// fetches fail at once. Idempotent.
  void close() {
    shared_->closed = true;
    shared_->pool->clear();
    while (detail::FetchState* f = shared_->first) {
      f->abort(std::make_exception_ptr(HTTPClientError(599, "eddy: AsyncHTTPClient closed before the fetch of " +
                                                                f->request.url + " finished")));
    }
    shared_->queue.clear();
  }

  /// The options given at construction.
  const AsyncHTTPClientOptions& options() const noexcept { return shared_->options; }
  /// Idle connections in the pool (for tests and monitoring).
  std::size_t idle_connections() const noexcept { return shared_->pool->size(); }
  /// Fetches holding a slot now (at most options().max_clients).
  std::size_t active_fetches() const noexcept { return shared_->active; }
  /// Fetches waiting for a slot.
  std::size_t queued_fetches() const noexcept { return shared_->queue.size(); }

 private:
  static AsyncHTTPClientOptions normalized(AsyncHTTPClientOptions o) {
    if (o.max_clients == 0) throw std::invalid_argument("eddy: AsyncHTTPClientOptions::max_clients must be >= 1");
    return o;
  }

  std::shared_ptr<detail::ClientShared> shared_;
};

/// A blocking client for scripts: each fetch runs a private loop until the
/// response (or error) is in. Exceptions as AsyncHTTPClient's, thrown.
class HTTPClient {
 public:
  /// With the default options.
  HTTPClient() : HTTPClient(AsyncHTTPClientOptions{}) {}
  /// With `options` (as AsyncHTTPClient's). The private loop does not become
  /// this thread's current loop.
  explicit HTTPClient(AsyncHTTPClientOptions options)
      : loop_(private_loop()), client_(std::make_unique<AsyncHTTPClient>(*loop_, options)) {}
  HTTPClient(const HTTPClient&) = delete;
  HTTPClient& operator=(const HTTPClient&) = delete;
  ~HTTPClient() {
    client_.reset();  // before its loop
    loop_.reset();
  }

  /// GET `url`, blocking until the response is in.
  HTTPResponse fetch(std::string url) { return fetch(HTTPRequest(std::move(url))); }

  /// Sends `request` and blocks until the response is in; errors are thrown
  /// as AsyncHTTPClient's futures fail.
  /// Throws std::logic_error on a thread whose IOLoop is running: the loop
  /// would stand still for the whole fetch (the article's lesson).
  HTTPResponse fetch(HTTPRequest request) {
    if (detail::running_loop != nullptr) {
      throw std::logic_error(
          "eddy: HTTPClient::fetch called on a thread whose IOLoop is running: it would block that loop "
          "until the response arrives; use AsyncHTTPClient and co_await its fetch instead");
    }
    return loop_->run_sync([this, &request] { return client_->fetch(std::move(request)); });
  }

  /// Closes the pooled connections (as AsyncHTTPClient::close()); later
  /// fetches throw.
  void close() { client_->close(); }

 private:
  /// A loop that does not become this thread's current loop.
  static std::unique_ptr<IOLoop> private_loop() {
    IOLoop* previous = IOLoop::current_or_null();
    auto loop = std::make_unique<IOLoop>();
    if (previous != nullptr) previous->make_current();
    else IOLoop::clear_current();
    return loop;
  }

  std::unique_ptr<IOLoop> loop_;
  std::unique_ptr<AsyncHTTPClient> client_;
};

}  // namespace eddy

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
/// - a malformed URL, a bad method or header: a future failed at once with
///   std::invalid_argument; an https:// URL in a program without
///   <eddy/ssl.hpp>: HTTPClientError 599 at once, saying to include it and
///   link eddy::ssl (OpenSSL);
/// - the future cancelled (Future::cancel; with_timeout or a destroyed
///   coroutine that was its only waiter): CancelledError, and the fetch's
///   connection is closed, never returned to the pool.
///
/// https://: TLS 1.2 or later, the server's certificate verified against the
/// system store (or HTTPRequest::ca_certs) and the URL's host, SNI for
/// names, ALPN "http/1.1" offered, a client certificate when
/// client_cert is set; validate_cert = false accepts any certificate. A
/// failed handshake is an HTTPConnectionError (599) carrying OpenSSL's
/// reason ("certificate verify failed: hostname mismatch"); connect_timeout
/// covers the handshake. Pooled connections are keyed by scheme, host, port
/// and these TLS settings, so a fetch never gets a connection made with
/// others.
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
#include "detail/ssl/context.hpp"
#include "detail/http/url.hpp"
#include "future.hpp"
#include "gen.hpp"
#include "httputil.hpp"
#include "ioloop.hpp"

namespace eddy {

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// AsyncHTTPClient's members, in a template so that only those a program uses
/// are compiled (detail/base/deferred.hpp): a file that includes the client
/// and builds none compiles none of the fetch.
template <class D>
class AsyncHTTPClientImpl {
 public:
  /// On IOLoop::current(), with the default options.
  AsyncHTTPClientImpl() : AsyncHTTPClientImpl(IOLoop::current()) {}
  /// On `loop`, with `options`. Throws std::invalid_argument when
  /// options.max_clients is 0.
  explicit AsyncHTTPClientImpl(IOLoop& loop, AsyncHTTPClientOptions options = {})
      : shared_(std::make_shared<detail::ClientShared>(loop, normalized(options))) {
    shared_->run = &detail::run_fetch<D>;
  }
  AsyncHTTPClientImpl(const AsyncHTTPClientImpl&) = delete;
  AsyncHTTPClientImpl& operator=(const AsyncHTTPClientImpl&) = delete;
  ~AsyncHTTPClientImpl() {
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
      if (url.scheme == "https" && detail::ssl_hooks.connect == nullptr) {
        throw HTTPClientError(599, "eddy: " + request.url + ": https:// needs TLS: " + detail::ssl_missing);
      }
      detail::check_request(request);
    } catch (...) {
      return make_failed_future<HTTPResponse>(std::current_exception());
    }
    auto f = std::make_shared<detail::FetchState>(shared_, std::move(request), std::move(url), raise_error);
    Future<HTTPResponse> result = f->result;
    // A waiter that gives up (with_timeout, a destroyed coroutine) aborts
    // the fetch: its connection is closed, never pooled. Weak: the callback
    // is destroyed inside FetchState::finish.
    result.set_cancel_callback([weak = std::weak_ptr<detail::FetchState>(f)] {
      if (std::shared_ptr<detail::FetchState> fetch = weak.lock()) {
        fetch->abort(std::make_exception_ptr(
            CancelledError("eddy: the fetch of " + fetch->request.url + " was cancelled by its waiter")));
      }
    });
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
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// Tornado's AsyncHTTPClient: fetches over HTTP/1.1 on one loop, with a
/// keep-alive pool; see the file comment for outcomes, framing, redirects and
/// the thread contract (its loop's thread only). Destroy it before its loop.
#if defined(EDDY_DOXYGEN)
class AsyncHTTPClient : public AsyncHTTPClientImpl<void> {
#else
class AsyncHTTPClient : public detail::AsyncHTTPClientImpl<void> {
#endif
 public:
  using AsyncHTTPClientImpl::AsyncHTTPClientImpl;
};

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// HTTPClient's members, in a template for the reason AsyncHTTPClient's are.
template <class D>
class HTTPClientImpl {
 public:
  /// With the default options.
  HTTPClientImpl() : HTTPClientImpl(AsyncHTTPClientOptions{}) {}
  /// With `options` (as AsyncHTTPClient's). The private loop does not become
  /// this thread's current loop.
  explicit HTTPClientImpl(AsyncHTTPClientOptions options)
      : loop_(private_loop()), client_(std::make_unique<AsyncHTTPClient>(*loop_, options)) {}
  HTTPClientImpl(const HTTPClientImpl&) = delete;
  HTTPClientImpl& operator=(const HTTPClientImpl&) = delete;
  ~HTTPClientImpl() {
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
/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

/// A blocking client for scripts: each fetch runs a private loop until the
/// response (or error) is in. Exceptions as AsyncHTTPClient's, thrown.
#if defined(EDDY_DOXYGEN)
class HTTPClient : public HTTPClientImpl<void> {
#else
class HTTPClient : public detail::HTTPClientImpl<void> {
#endif
 public:
  using HTTPClientImpl::HTTPClientImpl;
};

}  // namespace eddy

// EDDY_SEPARATE_COMPILATION (the eddy::compiled target): the members of the
// bases above are compiled once, in src/eddy_http.cpp; a user's file
// compiles their declarations only (see docs/compile-time.md).
#if defined(EDDY_SEPARATE_COMPILATION)
extern template class eddy::detail::AsyncHTTPClientImpl<void>;
extern template class eddy::detail::HTTPClientImpl<void>;
#endif

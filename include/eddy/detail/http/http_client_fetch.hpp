// One fetch from start to end, and the client state the fetches share.
//
// A fetch is a FetchState (the request, the response being built, its
// timers, its future) and a coroutine, run_fetch, that goes through the
// steps: take a pooled connection or connect one (TCP_NODELAY on), write
// the request, read the response, pool or close the connection, follow a
// redirect or finish. The coroutine never throws; every outcome goes
// through FetchState::finish, which resolves the future exactly once.
//
// - A cancelled future (see AsyncHTTPClient::fetch) aborts as a timeout
//   does, with CancelledError.
// - request_timeout runs from fetch() (queue wait included, as Tornado);
//   connect_timeout from the start of each connect. When one fires the fetch
//   fails with HTTPTimeoutError and its connection is closed, which wakes
//   the coroutine; a connect still in flight is let finish and its stream
//   closed (a connect cannot be cancelled).
// - A request that fails on a reused connection before any byte of the
//   response arrived (the server closed it while we wrote) is sent again
//   once on a fresh connection, if its method is idempotent.
// - max_clients slots: a fetch holds one from its start to its end; a freed
//   slot starts the oldest queued fetch from a loop callback (so a run of
//   fetches that fail at once does not recurse).
//
// Lifetime: ClientShared lives while the AsyncHTTPClient or any fetch holds
// it. Timers hold weak references. A fetch's coroutine frame belongs to the
// loop while suspended, so a loop destroyed mid-fetch frees it.
// Thread contract: the loop thread.
#pragma once

#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../iostream.hpp"
#include "../../tcpclient.hpp"
#include "../ssl/context.hpp"
#include "http_client_connect.hpp"
#include "http_client_connection.hpp"
#include "http_client_pool.hpp"
#include "http_client_proxy.hpp"
#include "http_client_request.hpp"
#include "http_client_gzip.hpp"
#include "http_client_types.hpp"
#include "url.hpp"

namespace eddy::detail {

struct FetchState;

struct ClientShared {
  ClientShared(IOLoop& l, const AsyncHTTPClientOptions& o)
      : loop(&l),
        options(o),
        pool(std::make_shared<ClientPool>(l, o.max_idle_per_host != 0 ? o.max_idle_per_host : o.max_clients,
                                          o.idle_timeout)) {
    pool->set_self(pool);
  }

  IOLoop* loop;
  AsyncHTTPClientOptions options;
  std::shared_ptr<ClientPool> pool;
  std::deque<std::shared_ptr<FetchState>> queue;  // waiting for a slot, oldest first
  FetchState* first = nullptr;                     // every unfinished fetch, for close()
  std::size_t active = 0;                          // fetches holding a slot
  bool closed = false;                             // close() was called
  bool orphaned = false;                           // the AsyncHTTPClient is gone
  // run_fetch<>, set by AsyncHTTPClient's constructor (see run_fetch).
  Future<void> (*run)(std::shared_ptr<ClientShared>, std::shared_ptr<FetchState>) = nullptr;
  // TLS contexts made for https:// fetches, by their settings (tls_key):
  // made once, shared by every connection with those settings.
  std::vector<std::pair<std::string, Future<SSLContext>>> tls_contexts;

  void start_next();
  // The context for `request`'s TLS settings, made by <eddy/ssl.hpp>'s hook
  // on first use on the executor, since making one reads files (the CA
  // store: /etc/ssl/certs/ca-certificates.crt is 200 KiB to parse); fails
  // with SSLError if they cannot be loaded.
  Future<SSLContext> tls_context(const HTTPRequest& request);
};

inline Future<SSLContext> ClientShared::tls_context(const HTTPRequest& request) {
  std::string key = tls_key(request);
  for (auto it = tls_contexts.begin(); it != tls_contexts.end(); ++it) {
    if (it->first != key) continue;
    if (!it->second.done() || !it->second.exception()) return it->second;
    tls_contexts.erase(it);  // it failed: a later fetch tries again (the file may be there by then)
    break;
  }
  if (tls_contexts.size() >= 16) tls_contexts.erase(tls_contexts.begin());  // bounded: oldest out
  ClientTLSSettings settings{request.validate_cert, request.ca_certs, request.client_cert, request.client_key,
                             {"http/1.1"}};
  auto make = ssl_hooks.client_context;
  Future<SSLContext> made = loop->run_in_executor([make, settings] { return make(settings); });
  tls_contexts.emplace_back(std::move(key), made);
  return made;
}

// A template (over a dummy parameter) reached only through ClientShared::run,
// which AsyncHTTPClient's constructor sets: g++ 12 compiles a coroutine's body
// in every translation unit where it is instantiated, used or not, and the
// fetch's body is most of the client. So a file that includes the client but
// builds none compiles none of it (see detail/base/deferred.hpp).
template <class D = void>
Future<void> run_fetch(std::shared_ptr<ClientShared> shared, std::shared_ptr<FetchState> f);

struct FetchState final : ResponseSink, std::enable_shared_from_this<FetchState> {
  enum class Phase : unsigned char { queued, connecting, requesting };

  FetchState(std::shared_ptr<ClientShared> s, HTTPRequest r, Url u, bool raise)
      : shared(std::move(s)), request(std::move(r)), url(std::move(u)), raise_error(raise), start(Clock::now()) {}

  std::shared_ptr<ClientShared> shared;
  HTTPRequest request;
  Url url;
  bool raise_error;
  Clock::time_point start;
  Future<HTTPResponse> result;
  HTTPResponse response;
  Timeout request_timer, connect_timer;
  std::weak_ptr<ClientConnection> connection;
  Phase phase = Phase::queued;
  bool finished = false, holds_slot = false, following = false;
  GzipResponse gzip;  // decompress_response's state
  FetchState *prev = nullptr, *next = nullptr;

  std::string where() const { return format_host_port(url.host, url.port); }
  // The pool's key: an https:// connection is reused only for the same TLS settings.
  std::string key() const {
    std::string k = url.scheme + "://" + url.host + ":" + std::to_string(url.port);
    if (url.scheme == "https") k += "\n" + tls_key(request);
    if (!request.proxy_host.empty()) k += "\nproxy " + format_host_port(request.proxy_host, proxy_port_of(request));
    return k;
  }

  // ---- ResponseSink ----
  void on_head(const http::ResponseHead& head, std::string_view raw) override {
    response.code = head.status_code;
    response.reason.assign(head.reason);
    response.headers.clear();
    response.headers.reserve(head.headers.size());
    bool location = false;
    for (const http::HeaderField& field : head.headers) {
      response.headers.add(field.name, field.value);
      if (iequals(field.name, "Location")) location = true;
    }
    following = request.follow_redirects && redirect_status(head.status_code) && request.max_redirects > 0 && location;
    gzip.begin(request, response, following);
    if (following || !request.header_callback) return;
    // Tornado's lines: the start line, each field line, then the empty line,
    // each with its CRLF.
    while (!raw.empty()) {
      std::size_t end = raw.find("\r\n");
      end = end == std::string_view::npos ? raw.size() : end + 2;
      request.header_callback(raw.substr(0, end));
      raw.remove_prefix(end);
    }
  }
  void on_data(std::string_view data) override {
    if (following) return;  // a redirect's body is read to keep the connection, then dropped
    if (gzip.active()) return gzip.feed(data, request, response, shared->options.max_body_size);
    if (request.streaming_callback) request.streaming_callback(data);
    else response.body.append(data);
  }
  // The body ended: a gzip body must have ended too (GzipError otherwise).
  void end_body() { gzip.end(request, response); }

  // ---- outcomes ----
  void finish(std::exception_ptr error) {
    if (finished) return;
    finished = true;
    shared->loop->remove_timeout(std::exchange(request_timer, Timeout()));
    shared->loop->remove_timeout(std::exchange(connect_timer, Timeout()));
    unlink();
    if (holds_slot) {
      holds_slot = false;
      --shared->active;
      shared->start_next();
    }
    if (shared->orphaned && shared->first == nullptr) shared->pool->clear();
    if (error) result.set_exception(std::move(error));
    else result.set_result(std::move(response));
  }

  void succeed() {
    response.effective_url = request.url;
    response.request_time = Clock::now() - start;
    if (raise_error && (response.code < 200 || response.code >= 300)) {
      HTTPResponse r = std::move(response);
      finish(std::make_exception_ptr(HTTPClientError(std::move(r))));
      return;
    }
    finish(nullptr);
  }

  void fail_connection(const std::string& what) { finish(std::make_exception_ptr(HTTPConnectionError(what))); }

  // A timer or close(): fail now and wake the coroutine by closing its
  // connection.
  void abort(std::exception_ptr error) {
    if (finished) return;
    std::shared_ptr<FetchState> keep = shared_from_this();
    finish(std::move(error));
    if (std::shared_ptr<ClientConnection> c = connection.lock()) c->close();
  }

  void arm_request_timer() {
    std::weak_ptr<FetchState> weak = weak_from_this();
    request_timer = shared->loop->call_later(request.request_timeout, [weak] {
      std::shared_ptr<FetchState> f = weak.lock();
      if (!f) return;
      f->request_timer = Timeout();
      const char* what = f->phase == Phase::queued       ? "in request queue"
                         : f->phase == Phase::connecting ? "while connecting"
                                                         : "during request";
      f->abort(std::make_exception_ptr(HTTPTimeoutError("HTTP 599: Timeout " + std::string(what) + " to " +
                                                        f->where() + " (request_timeout)")));
    });
  }

  void arm_connect_timer() {
    std::weak_ptr<FetchState> weak = weak_from_this();
    connect_timer = shared->loop->call_later(request.connect_timeout, [weak] {
      std::shared_ptr<FetchState> f = weak.lock();
      if (!f) return;
      f->connect_timer = Timeout();
      f->abort(std::make_exception_ptr(
          HTTPTimeoutError("HTTP 599: Timeout while connecting to " + f->where() + " (connect_timeout)")));
    });
  }

  void link() {
    next = shared->first;
    if (next != nullptr) next->prev = this;
    shared->first = this;
  }
  void unlink() noexcept {
    if (prev != nullptr) prev->next = next;
    else if (shared->first == this) shared->first = next;
    if (next != nullptr) next->prev = prev;
    prev = next = nullptr;
  }

  void begin() {
    holds_slot = true;
    ++shared->active;
    phase = Phase::connecting;
    shared->run(shared, shared_from_this());
  }
};

inline void ClientShared::start_next() {
  if (queue.empty() || active >= options.max_clients) return;
  // Reserve the slot now, start from a callback: the caller may be deep in
  // another fetch's completion.
  ++active;
  loop->add_callback([shared = queue.front()->shared] {
    --shared->active;
    while (!shared->queue.empty() && shared->active < shared->options.max_clients) {
      std::shared_ptr<FetchState> f = std::move(shared->queue.front());
      shared->queue.pop_front();
      if (!f->finished) f->begin();
    }
  });
}

// The steps of one fetch (see the top of the file). Never throws.
template <class D>
Future<void> run_fetch(std::shared_ptr<ClientShared> shared, std::shared_ptr<FetchState> f) {
  while (true) {
    const std::string key = f->key();
    std::shared_ptr<ClientConnection> conn;
    bool retried = false;
    while (true) {
      bool reused = false;
      if (!retried) conn = shared->pool->take(key);
      if (conn) {
        reused = true;
      } else {
        f->phase = FetchState::Phase::connecting;
        f->arm_connect_timer();
        std::optional<IOStream> stream;
        std::exception_ptr error;
        try {
          std::optional<SSLContext> tls;
          if (f->url.scheme == "https") {
            Future<SSLContext> context = shared->tls_context(f->request);
            tls.emplace(co_await context);
          }
          const SSLContext* use = nullptr;
          if (tls) use = &*tls;
          Future<IOStream> connecting;
          if (f->request.proxy_host.empty()) {
            connecting = connect_on(*shared->loop, f->url.host, f->url.port, use);
          } else {
            connecting = connect_through_proxy(*shared->loop, f->request, f->url, tls, shared->options.max_header_size);
          }
          stream.emplace(co_await connecting);
        } catch (...) {
          error = std::current_exception();
        }
        if (f->finished) {
          if (stream) stream->close();
          co_return;
        }
        shared->loop->remove_timeout(std::exchange(f->connect_timer, Timeout()));
        if (error) {
          f->fail_connection(error_text(error));
          co_return;
        }
        stream->set_nodelay(true);
        conn = std::make_shared<ClientConnection>(std::move(*stream), key);
      }
      f->phase = FetchState::Phase::requesting;
      f->connection = conn;
      f->response = HTTPResponse();
      f->following = false;
      std::exception_ptr error;
      try {
        build_request(f->request, f->url, conn->out());
        Future<void> written = conn->stream().write(conn->out());
        // A failed write closes the stream, which fails the read too: the
        // read reports it. Retrieve the write's outcome so it is not
        // reported as lost.
        if (written.done()) (void)written.exception();  // the usual case: no callback, no job
        else written.add_done_callback([](const Future<void>& done) { (void)done.exception(); });
        Future<void> read = conn->read_response(f, f->request.method,
                                                ResponseLimits{shared->options.max_header_size,
                                                               shared->options.max_body_size});
        co_await read;
        if (!written.done()) conn->mark_not_reusable();
        f->end_body();
      } catch (...) {
        error = std::current_exception();
      }
      if (f->finished) {
        conn->close();
        co_return;
      }
      if (error) {
        conn->close();
        if (reused && !conn->got_bytes() && idempotent(f->request.method) && !retried) {
          retried = true;
          conn.reset();
          continue;
        }
        f->fail_connection("eddy: HTTP " + f->request.method + " " + f->request.url + " (" + f->where() +
                           "): " + error_text(error));
        co_return;
      }
      break;
    }
    f->connection.reset();
    if (conn->reusable() && !shared->closed && !shared->orphaned) {
      shared->pool->put(std::move(conn));
    } else {
      conn->close();
    }
    if (!f->following) {
      f->succeed();
      co_return;
    }
    // A redirect: resolve Location, check it, and go round with the new
    // request (its own connection, pooled or new).
    std::string location = f->response.headers.get("Location");
    try {
      std::string next = resolve_url(f->request.url, location);
      Url to = parse_url(next);
      if (to.scheme == "https" && ssl_hooks.connect == nullptr) {
        throw std::invalid_argument(std::string("https:// needs TLS: ") + ssl_missing);
      }
      redirect_request(f->request, f->response.code, std::move(next), f->url, to);
      f->url = std::move(to);
    } catch (const std::exception& e) {
      HTTPResponse r = std::move(f->response);
      r.effective_url = f->request.url;
      r.request_time = Clock::now() - f->start;
      std::string message = "HTTP " + std::to_string(r.code) + ": redirect to \"" + location + "\" refused: " + e.what();
      int code = r.code;
      f->finish(std::make_exception_ptr(HTTPClientError(code, message, std::make_shared<const HTTPResponse>(std::move(r)))));
      co_return;
    }
  }
}

}  // namespace eddy::detail

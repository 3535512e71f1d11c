// Helpers for the wss:// tests (websocket_tls_test.cpp and
// websocket_tls_peers_test.cpp): an echo server on HTTPS, the URL of one of
// its routes, and a client run on a loop of the test's own thread.
#pragma once

#include <eddy/ssl.hpp>
#include <eddy/websocket.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "http_test_server.hpp"
#include "tls_helpers.hpp"

namespace eddy_test {

// Echoes every message; answers "protocol?" with the upgrade request's
// protocol ("https" behind TLS), so a test sees what the server saw.
inline eddy::Future<void> wss_echo(eddy::WebSocket ws) {
  for (;;) {
    std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
    if (!m) break;
    std::string reply = m->data == "protocol?" ? ws.request()->protocol : std::move(m->data);
    eddy::Future<void> w = ws.write_message(reply, m->binary);
    co_await w;
  }
}

// /plain and /deflate (compression on) on HTTPS with `ssl`.
inline eddy::HTTPServerOptions wss_options(const eddy::SSLContext& ssl) {
  eddy::HTTPServerOptions o;
  o.ssl = ssl;
  return o;
}

inline void wss_routes(eddy::Application& app, eddy::IOLoop&) {
  app.websocket("/plain", wss_echo);
  eddy::WebSocketOptions o;
  o.compression = true;
  app.websocket("/deflate", wss_echo, o);
}

inline std::string wss_url(std::uint16_t port, const std::string& path) {
  return "wss://127.0.0.1:" + std::to_string(port) + path;
}

// Runs `body` as a coroutine on a fresh loop of this thread (at most 30 s).
inline void run_client(const std::function<eddy::Future<void>()>& body) {
  eddy::IOLoop loop;
  loop.make_current();
  loop.run_sync(body, std::chrono::seconds(30));
  eddy::IOLoop::clear_current();
}

// How a connect ended: connected (and closed at once), or its error.
struct ConnectOutcome {
  bool connected = false;
  bool timed_out = false;  // HTTPTimeoutError
  int code = 0;
  std::string what;
};

inline ConnectOutcome try_connect(const eddy::HTTPRequest& request, const eddy::WebSocketOptions& options = {}) {
  ConnectOutcome out;
  run_client([&]() -> eddy::Future<void> {
    eddy::Future<eddy::WebSocket> connecting = eddy::websocket_connect(request, options);
    std::optional<eddy::WebSocket> ws;
    try {
      eddy::WebSocket connected = co_await connecting;
      ws.emplace(connected);
    } catch (const eddy::HTTPTimeoutError& e) {
      out.timed_out = true;
      out.code = e.code();
      out.what = e.what();
    } catch (const eddy::HTTPClientError& e) {
      out.code = e.code();
      out.what = e.what();
    } catch (const std::exception& e) {  // std::invalid_argument: a bad URL or request
      out.what = e.what();
    }
    if (!ws) co_return;
    out.connected = true;
    eddy::Future<void> w = ws->write_message("hello");
    co_await w;
    std::optional<eddy::WebSocketMessage> echo = co_await ws->read_message();
    REQUIRE(echo);
    REQUIRE(echo->data == "hello");
    ws->close(1000);
    std::optional<eddy::WebSocketMessage> end = co_await ws->read_message();
    REQUIRE_FALSE(end);
  });
  return out;
}

}  // namespace eddy_test

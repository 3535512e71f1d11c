// wss://: eddy's WebSocket client and server over TLS (<eddy/ssl.hpp>):
// echoes and a 1 MiB message with and without compression, certificate
// verification (the system store by default, the request's ca_certs,
// validate_cert=false, client certificates), and connect_timeout covering
// the TLS handshake. Certificates are made at test time (test_certs.hpp).
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "support/wss_helpers.hpp"

namespace {

using namespace std::chrono_literals;
using eddy_test::ConnectOutcome;
using eddy_test::HTTPTestServer;
using eddy_test::test_certs;
using eddy_test::try_connect;
using eddy_test::wss_url;

std::string pseudo_random(std::size_t n) {
  std::string out(n, '\0');
  std::uint32_t x = 2463534242u;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

eddy::HTTPRequest trusting_request(std::uint16_t port, const std::string& path = "/plain") {
  eddy::HTTPRequest request(wss_url(port, path));
  request.ca_certs = test_certs().ca_cert;
  return request;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("eddy's client and server talk over wss://: echoes and a 1 MiB message, with and without compression",
          "[websocket][tls]") {
  HTTPTestServer server(eddy_test::wss_routes, eddy_test::wss_options(eddy_test::server_context()));
  for (bool deflate : {false, true}) {
    eddy::HTTPRequest request = trusting_request(server.port(), deflate ? "/deflate" : "/plain");
    eddy::WebSocketOptions options;
    options.compression = deflate;
    eddy_test::run_client([&]() -> eddy::Future<void> {
      eddy::Future<eddy::WebSocket> connecting = eddy::websocket_connect(request, options);
      eddy::WebSocket ws = co_await connecting;
      REQUIRE(eddy::detail::ws::Access::get(ws)->compresses() == deflate);
      eddy::Future<void> asked = ws.write_message("protocol?");
      co_await asked;
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      REQUIRE(m);
      REQUIRE(m->data == "https");
      std::string big = pseudo_random(1024 * 1024);
      std::string text = "κόσμε " + std::string(1024 * 1024, 'k');
      for (int round = 0; round < 2; ++round) {
        eddy::Future<void> w1 = ws.write_message(big, true);
        co_await w1;
        m = co_await ws.read_message();
        REQUIRE(m);
        REQUIRE(m->binary);
        REQUIRE(m->data == big);
        eddy::Future<void> w2 = ws.write_message(text);
        co_await w2;
        m = co_await ws.read_message();
        REQUIRE(m);
        REQUIRE_FALSE(m->binary);
        REQUIRE(m->data == text);
      }
      eddy::Future<void> pong = ws.ping("over TLS");
      co_await pong;
      ws.close(1000, "done");
      std::optional<eddy::WebSocketMessage> end = co_await ws.read_message();
      REQUIRE_FALSE(end);
    });
  }
  REQUIRE(server.exceptions().empty());
}

TEST_CASE("wss:// verifies against the system store by default: a certificate it does not trust fails with 599",
          "[websocket][tls][verify]") {
  HTTPTestServer server(eddy_test::wss_routes, eddy_test::wss_options(eddy_test::server_context()));
  ConnectOutcome out;
  eddy_test::run_client([&]() -> eddy::Future<void> {
    eddy::Future<eddy::WebSocket> connecting = eddy::websocket_connect(wss_url(server.port(), "/plain"));
    try {
      co_await connecting;
      out.connected = true;
    } catch (const eddy::HTTPConnectionError& e) {
      out.code = e.code();
      out.what = e.what();
    }
  });
  INFO(out.what);
  REQUIRE_FALSE(out.connected);
  REQUIRE(out.code == 599);
  REQUIRE(contains(out.what, "certificate verify failed"));
  // The same server is accepted once its CA is given as ca_certs.
  REQUIRE(try_connect(trusting_request(server.port())).connected);
}

TEST_CASE("wss:// refuses a self-signed, an expired or another host's certificate, even with ca_certs",
          "[websocket][tls][verify]") {
  for (const char* which : {"self", "expired", "other"}) {
    HTTPTestServer server(eddy_test::wss_routes, eddy_test::wss_options(eddy_test::server_context(which)));
    ConnectOutcome out = try_connect(trusting_request(server.port()));
    INFO(which << ": " << out.what);
    REQUIRE_FALSE(out.connected);
    REQUIRE(out.code == 599);
    REQUIRE(contains(out.what, "certificate verify failed"));
    if (std::string(which) == "other") REQUIRE(contains(out.what, "mismatch"));
  }
}

TEST_CASE("wss:// with validate_cert=false accepts any certificate", "[websocket][tls][verify]") {
  for (const char* which : {"server", "self", "other"}) {
    HTTPTestServer server(eddy_test::wss_routes, eddy_test::wss_options(eddy_test::server_context(which)));
    eddy::HTTPRequest request(wss_url(server.port(), "/plain"));
    request.validate_cert = false;
    ConnectOutcome out = try_connect(request);
    INFO(which << ": " << out.what);
    REQUIRE(out.connected);
  }
}

TEST_CASE("wss:// presents the request's client_cert to a server that requires one", "[websocket][tls][verify]") {
  const eddy_test::TestCerts& c = test_certs();
  eddy::SSLContext ssl = eddy_test::server_context();
  ssl.load_verify_locations(c.ca_cert);
  ssl.set_verify(true);
  HTTPTestServer server(eddy_test::wss_routes, eddy_test::wss_options(ssl));
  eddy::HTTPRequest request = trusting_request(server.port());
  ConnectOutcome without = try_connect(request);
  INFO(without.what);
  REQUIRE_FALSE(without.connected);
  REQUIRE(without.code == 599);
  request.client_cert = c.client_cert;
  request.client_key = c.client_key;
  ConnectOutcome with = try_connect(request);
  INFO(with.what);
  REQUIRE(with.connected);
}

TEST_CASE("wss:// with a ca_certs file that cannot be loaded fails with 599 naming it", "[websocket][tls][verify]") {
  eddy::HTTPRequest request("wss://127.0.0.1:1/");
  request.ca_certs = "/nonexistent/eddy-ca.pem";
  ConnectOutcome out = try_connect(request);
  INFO(out.what);
  REQUIRE_FALSE(out.connected);
  REQUIRE(out.code == 599);
  REQUIRE(contains(out.what, "/nonexistent/eddy-ca.pem"));
}

TEST_CASE("websocket_connect(HTTPRequest) sends the request's headers and refuses a method or a body",
          "[websocket][tls][client]") {
  HTTPTestServer server(
      [](eddy::Application& app, eddy::IOLoop&) {
        app.websocket("/who", [](eddy::WebSocket ws) -> eddy::Future<void> {
          eddy::Future<void> w = ws.write_message(ws.request()->headers.get("X-Who"));
          co_await w;
        });
      },
      eddy_test::wss_options(eddy_test::server_context()));
  eddy::HTTPRequest request = trusting_request(server.port(), "/who");
  request.headers.add("X-Who", "the request");
  eddy_test::run_client([&]() -> eddy::Future<void> {
    eddy::Future<eddy::WebSocket> connecting = eddy::websocket_connect(request);
    eddy::WebSocket ws = co_await connecting;
    std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
    REQUIRE(m);
    REQUIRE(m->data == "the request");
  });
  request.method = "POST";
  REQUIRE(contains(try_connect(request).what, "GET without a body"));
}

TEST_CASE("connect_timeout covers the TLS handshake of a server that never answers it", "[websocket][tls][client]") {
  // A listening socket nobody accepts: the kernel completes TCP, TLS waits.
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  eddy::HTTPRequest request = trusting_request(ntohs(addr.sin_port));
  eddy::WebSocketOptions options;
  options.connect_timeout = 300ms;
  ConnectOutcome out = try_connect(request, options);
  ::close(listener);
  INFO(out.what);
  REQUIRE(out.timed_out);
  REQUIRE(out.code == 599);
}

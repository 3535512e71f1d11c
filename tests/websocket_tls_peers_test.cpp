// wss:// with a real peer (tests/support/ws_peer.py): Python's websockets as
// a wss:// client of eddy's HTTPS server (Python's ssl verifying against the
// test CA), and as a wss:// server for eddy's client. Skipped (with a
// warning) where Debian's python3-websockets is missing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "support/wss_helpers.hpp"
#include "support/ws_peer_server.hpp"
#include "support/run_command.hpp"

#ifndef EDDY_TEST_SOURCE_DIR
#error "EDDY_TEST_SOURCE_DIR must name the tests directory"
#endif

namespace {

const std::string python = "/usr/bin/python3";
const std::string peer = std::string(EDDY_TEST_SOURCE_DIR) + "/support/ws_peer.py";

bool have_websockets() { return std::system((python + " -c 'import websockets' 2>/dev/null").c_str()) == 0; }

std::string run(const std::string& command) { return eddy_test::run_command(command + " 2>&1").out; }

// Python's websockets serving wss:// (echo) as a child process; its port.
// It exits when its stdin closes.
// Python websockets serving wss:// (ws_peer.py websockets-server).
struct PythonWssServer : eddy_test::WsPeerServer {
  PythonWssServer(const std::string& cert, const std::string& key)
      : WsPeerServer({"websockets-server", cert, key}) {}
};

}  // namespace

TEST_CASE("Python's websockets talks to eddy's server over wss://, with and without compression",
          "[websocket][tls][peers]") {
  if (!have_websockets()) {
    WARN("python3 module websockets is missing: skipped");
    return;
  }
  eddy_test::HTTPTestServer server(eddy_test::wss_routes, eddy_test::wss_options(eddy_test::server_context()));
  for (bool deflate : {false, true}) {
    std::string url = eddy_test::wss_url(server.port(), deflate ? "/deflate" : "/plain");
    std::string out = run(python + " " + peer + " websockets-client " + url + (deflate ? " --deflate" : "") +
                          " --cafile " + eddy_test::test_certs().ca_cert);
    INFO(out);
    REQUIRE(out.find("ok echoes") != std::string::npos);
    REQUIRE(out.find(deflate ? "ok extensions permessage-deflate" : "ok extensions none") != std::string::npos);
    REQUIRE(out.find("ok closed 1000") != std::string::npos);
  }
  REQUIRE(server.exceptions().empty());
}

TEST_CASE("eddy's client talks to Python's websockets over wss://, verifying its certificate",
          "[websocket][tls][peers]") {
  if (!have_websockets()) {
    WARN("python3 module websockets is missing: skipped");
    return;
  }
  const eddy_test::TestCerts& c = eddy_test::test_certs();
  PythonWssServer python_server(c.server_cert, c.server_key);
  REQUIRE(python_server.port != 0);
  for (bool deflate : {false, true}) {
    eddy::HTTPRequest request(eddy_test::wss_url(python_server.port, "/"));
    request.ca_certs = c.ca_cert;
    eddy::WebSocketOptions options;
    options.compression = deflate;
    eddy_test::run_client([&]() -> eddy::Future<void> {
      eddy::Future<eddy::WebSocket> connecting = eddy::websocket_connect(request, options);
      eddy::WebSocket ws = co_await connecting;
      REQUIRE(eddy::detail::ws::Access::get(ws)->compresses() == deflate);
      std::string text = "κόσμε over TLS " + std::string(300000, 't');
      eddy::Future<void> w = ws.write_message(text);
      co_await w;
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      REQUIRE(m);
      REQUIRE(m->data == text);
      eddy::Future<void> pong = ws.ping("python?");
      co_await pong;
      ws.close(1000);
      std::optional<eddy::WebSocketMessage> end = co_await ws.read_message();
      REQUIRE_FALSE(end);
    });
  }
  // Without the test CA (the system store only), the same server is refused.
  eddy_test::ConnectOutcome out = eddy_test::try_connect(eddy::HTTPRequest(eddy_test::wss_url(python_server.port, "/")));
  INFO(out.what);
  REQUIRE_FALSE(out.connected);
  REQUIRE(out.code == 599);
  REQUIRE(out.what.find("certificate verify failed") != std::string::npos);
}

// Real peers (tests/support/ws_peer.py): Python's websockets and Tornado's
// websocket_connect as clients of eddy's server, Tornado's WebSocketHandler
// as the server for eddy's client, with and without compression. Skipped
// (with a warning) where Debian's python3-websockets or python3-tornado is
// missing.
#include <eddy/websocket.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "support/http_test_server.hpp"
#include "support/ws_peer_server.hpp"
#include "support/run_command.hpp"

#ifndef EDDY_TEST_SOURCE_DIR
#error "EDDY_TEST_SOURCE_DIR must name the tests directory"
#endif

namespace {

using namespace std::chrono_literals;

const std::string python = "/usr/bin/python3";
const std::string peer = std::string(EDDY_TEST_SOURCE_DIR) + "/support/ws_peer.py";

bool have_module(const char* module) {
  std::string command = python + " -c 'import " + module + "' 2>/dev/null";
  return std::system(command.c_str()) == 0;
}

std::string run(const std::string& command) { return eddy_test::run_command(command + " 2>&1").out; }

void echo_server_routes(eddy::Application& app, eddy::IOLoop&) {
  auto echo = [](eddy::WebSocket ws) -> eddy::Future<void> {
    for (;;) {
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      if (!m) break;
      eddy::Future<void> w = ws.write_message(m->data, m->binary);
      co_await w;
    }
  };
  app.websocket("/plain", echo);
  eddy::WebSocketOptions o;
  o.compression = true;
  app.websocket("/deflate", echo, o);
}

void check_client(const std::string& module, const std::string& mode, bool deflate) {
  if (!have_module(module.c_str())) {
    WARN("python3 module " << module << " is missing: skipped");
    return;
  }
  eddy_test::HTTPTestServer server(echo_server_routes);
  std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + (deflate ? "/deflate" : "/plain");
  std::string out = run(python + " " + peer + " " + mode + " " + url + (deflate ? " --deflate" : ""));
  INFO(out);
  REQUIRE(out.find("ok echoes") != std::string::npos);
  REQUIRE(out.find(deflate ? "ok extensions permessage-deflate" : "ok extensions none") != std::string::npos);
  REQUIRE(out.find("ok closed 1000") != std::string::npos);
  REQUIRE(server.exceptions().empty());
}

// Tornado's echo server as a child process; its port.
// Tornado's WebSocket echo server (ws_peer.py tornado-server).
struct TornadoServer : eddy_test::WsPeerServer {
  explicit TornadoServer(bool deflate)
      : WsPeerServer({"tornado-server", deflate ? "--deflate" : "--plain"}) {}
};

}  // namespace

TEST_CASE("Python's websockets client talks to eddy's server", "[websocket][peers]") {
  check_client("websockets", "websockets-client", false);
}

TEST_CASE("Python's websockets client talks to eddy's server with compression", "[websocket][peers][deflate]") {
  check_client("websockets", "websockets-client", true);
}

TEST_CASE("Tornado's websocket_connect talks to eddy's server", "[websocket][peers]") {
  check_client("tornado", "tornado-client", false);
}

TEST_CASE("Tornado's websocket_connect talks to eddy's server with compression", "[websocket][peers][deflate]") {
  check_client("tornado", "tornado-client", true);
}

TEST_CASE("eddy's client talks to Tornado's WebSocketHandler, with and without compression", "[websocket][peers]") {
  if (!have_module("tornado")) {
    WARN("python3 module tornado is missing: skipped");
    return;
  }
  for (bool deflate : {false, true}) {
    TornadoServer tornado(deflate);
    REQUIRE(tornado.port != 0);
    std::string url = "ws://127.0.0.1:" + std::to_string(tornado.port) + "/echo";
    eddy::IOLoop loop;
    loop.make_current();
    loop.run_sync([&]() -> eddy::Future<void> {
      eddy::WebSocketOptions o;
      o.compression = deflate;
      eddy::WebSocket ws = co_await eddy::websocket_connect(url, o);
      REQUIRE(eddy::detail::ws::Access::get(ws)->compresses() == deflate);
      std::string text = "κόσμε, and a lot of it: " + std::string(100000, 'k');
      std::string binary;
      for (int i = 0; i < 1024; ++i) binary += static_cast<char>(i);
      for (int round = 0; round < 3; ++round) {
        eddy::Future<void> w1 = ws.write_message(text);
        co_await w1;
        std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
        REQUIRE(m);
        REQUIRE(m->data == text);
        eddy::Future<void> w2 = ws.write_message(binary, true);
        co_await w2;
        m = co_await ws.read_message();
        REQUIRE(m->binary);
        REQUIRE(m->data == binary);
      }
      eddy::Future<void> pong = ws.ping("tornado?");
      co_await pong;
      ws.close(1000);
      std::optional<eddy::WebSocketMessage> end = co_await ws.read_message();
      REQUIRE_FALSE(end);
    }, 20s);
    eddy::IOLoop::clear_current();
  }
}

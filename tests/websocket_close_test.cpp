// Ends of a connection: the closing handshake started by either side, a
// peer that never answers a close, liveness pings and the ping timeout
// (also after a silent network drop), and what the handler sees in each
// case: read_message gives nullopt, on_close runs once, writes fail with
// StreamClosedError.
#include <eddy/websocket.hpp>

#include <string>

#include <catch2/catch.hpp>

#include "support/http_test_server.hpp"
#include "support/websocket_raw.hpp"

namespace {

using namespace std::chrono_literals;
using eddy_test::EventLog;
using eddy_test::HTTPTestServer;
using eddy_test::RawFrame;
using eddy_test::RawWebSocket;

std::string frame(int first, std::string_view payload) { return eddy_test::encode_frame(first, payload); }

// A handler that reads until the end and logs what it saw, with the time it
// took from the first message.
auto reader(EventLog* log) {
  return [log](eddy::WebSocket ws) -> eddy::Future<void> {
    for (;;) {
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      if (!m) break;
      if (m->data == "close me") ws.close(4000, "as asked");
      if (m->data == "write after close") {
        ws.close();
        eddy::Future<void> w = ws.write_message("too late");
        try {
          co_await w;
        } catch (const eddy::StreamClosedError&) {
          log->add("write failed");
        }
      }
    }
    log->add("end " + std::to_string(ws.close_code().value_or(0)) + " " + ws.close_reason());
  };
}

}  // namespace

TEST_CASE("the client's close is echoed, the handler reads nullopt and sees the code", "[websocket][close]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) { app.websocket("/ws", reader(&log)); });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  c.send(frame(0x88, eddy_test::close_payload(1001, "tab closed")));
  REQUIRE(c.read_close().close_code() == 1001);
  REQUIRE(c.wait_eof());
  REQUIRE(log.wait_for("end 1001 tab closed"));
}

TEST_CASE("the server's close waits for the client's answer, then closes TCP", "[websocket][close]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) { app.websocket("/ws", reader(&log)); });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  c.send(frame(0x81, "close me"));
  RawFrame f = c.read_close();
  REQUIRE(f.close_code() == 4000);
  REQUIRE(f.payload.substr(2) == "as asked");
  REQUIRE(log.wait_for("end 0 "));  // read_message ended at close(); the peer has not answered yet
  c.send(frame(0x88, eddy_test::close_payload(4000)));
  REQUIRE(c.wait_eof());
}

TEST_CASE("a peer that never answers a close is dropped after close_timeout", "[websocket][close]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) {
    eddy::WebSocketOptions o;
    o.close_timeout = 200ms;
    app.websocket("/ws", reader(&log), o);
  });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  c.send(frame(0x81, "close me"));
  REQUIRE(c.read_close().close_code() == 4000);
  auto start = std::chrono::steady_clock::now();
  REQUIRE(c.wait_eof());  // never answered
  REQUIRE(std::chrono::steady_clock::now() - start >= 150ms);
}

TEST_CASE("write_message after close fails with StreamClosedError", "[websocket][close]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) { app.websocket("/ws", reader(&log)); });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  c.send(frame(0x81, "write after close"));
  REQUIRE(log.wait_for("write failed"));
  REQUIRE(c.read_close().close_code() == 1000);
}

TEST_CASE("a client that leaves without a close frame ends the handler with no code", "[websocket][close]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) { app.websocket("/ws", reader(&log)); });
  {
    RawWebSocket c(server.port());
    REQUIRE(c.handshake().status == 101);
    c.send(frame(0x81, "hi"));
  }
  REQUIRE(log.wait_for("end 0 "));
}

namespace {
EventLog* close_log = nullptr;
struct Quiet : eddy::WebSocketHandler {
  void on_message(const eddy::WebSocketMessage&) override {}
  void on_close() override { close_log->add("on_close"); }
};
}  // namespace

TEST_CASE("a peer silent for ping_timeout after a ping is dropped at once, and the handler learns it",
          "[websocket][close][ping]") {
  EventLog log;
  close_log = &log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) {
    eddy::WebSocketOptions o;
    o.ping_interval = 100ms;
    o.ping_timeout = 200ms;
    app.websocket("/ws", reader(&log), o);
    app.websocket<Quiet>("/quiet", o);
  });
  for (std::string path : {"/ws", "/quiet"}) {
    RawWebSocket c(server.port());
    REQUIRE(c.handshake(path).status == 101);
    auto start = std::chrono::steady_clock::now();
    RawFrame ping = c.read_frame();  // never answered: a network drop, as seen from the server
    REQUIRE(ping.opcode == 0x9);
    REQUIRE(c.wait_eof());  // no close frame first: the close handshake is skipped
    auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE(waited >= 150ms);
    REQUIRE(waited < 5s);
  }
  REQUIRE(log.wait_for("end 0 "));
  REQUIRE(log.wait_for("on_close"));
}

TEST_CASE("any frame counts as liveness: a peer that answers pings, or sends messages, stays", "[websocket][close][ping]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) {
    eddy::WebSocketOptions o;
    o.ping_interval = 50ms;
    o.ping_timeout = 100ms;
    app.websocket("/ws", reader(&log), o);
  });
  RawWebSocket answers(server.port());
  REQUIRE(answers.handshake().status == 101);
  RawWebSocket talks(server.port());
  REQUIRE(talks.handshake().status == 101);
  auto until = std::chrono::steady_clock::now() + 600ms;
  int pings = 0;
  while (std::chrono::steady_clock::now() < until) {
    RawFrame f = answers.read_frame();
    REQUIRE(f.opcode == 0x9);
    answers.send(frame(0x8A, f.payload));
    talks.send(frame(0x81, "still typing"));
    ++pings;
  }
  REQUIRE(pings >= 3);
  // Both are still open: a message still gets through each.
  answers.send(frame(0x81, "close me"));
  RawFrame f = answers.read_frame();
  while (f.opcode == 0x9) f = answers.read_frame();
  REQUIRE(f.close_code() == 4000);
  talks.send(frame(0x81, "close me"));
  f = talks.read_frame();
  while (f.opcode == 0x9) f = talks.read_frame();
  REQUIRE(f.close_code() == 4000);
}

TEST_CASE("ping() resolves when its pong arrives, and fails when the connection closes first", "[websocket][close][ping]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) {
    app.websocket("/ws", [&log](eddy::WebSocket ws) -> eddy::Future<void> {
      eddy::Future<void> first = ws.ping("one");
      eddy::Future<void> second = ws.ping("two");
      co_await second;  // a pong answers its ping and every earlier one
      log.add(first.done() ? "both answered" : "first pending");
      eddy::Future<void> third = ws.ping("three");
      try {
        co_await third;
      } catch (const eddy::StreamClosedError&) {
        log.add("third failed");
      }
      eddy::Future<void> big = ws.ping(std::string(126, 'x'));
      try {
        co_await big;
      } catch (const std::invalid_argument&) {
        log.add("big refused");
      }
    });
  });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  REQUIRE(c.read_frame().payload == "one");
  REQUIRE(c.read_frame().payload == "two");
  c.send(frame(0x8A, "two"));
  REQUIRE(log.wait_for("both answered"));
  REQUIRE(c.read_frame().payload == "three");
  c.send(frame(0x88, eddy_test::close_payload(1000)));
  REQUIRE(log.wait_for("third failed"));
  REQUIRE(log.wait_for("big refused"));
}

TEST_CASE("close() refuses invalid codes and reasons", "[websocket][close]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) {
    app.websocket("/ws", [&log](eddy::WebSocket ws) -> eddy::Future<void> {
      for (int code : {999, 1004, 1005, 1006, 1015, 2000, 5000}) {
        try {
          ws.close(code);
        } catch (const std::invalid_argument&) {
          log.add("refused " + std::to_string(code));
        }
      }
      try {
        ws.close(1000, std::string(124, 'r'));
      } catch (const std::invalid_argument&) {
        log.add("long reason refused");
      }
      ws.close(3001, std::string(123, 'r'));
      co_return;
    });
  });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  RawFrame f = c.read_close();
  REQUIRE(f.close_code() == 3001);
  REQUIRE(f.payload.size() == 125);
  for (int code : {999, 1004, 1005, 1006, 1015, 2000, 5000}) REQUIRE(log.has("refused " + std::to_string(code)));
  REQUIRE(log.has("long reason refused"));
}

namespace {
struct Idle : eddy::WebSocketHandler {
  void on_message(const eddy::WebSocketMessage&) override {}
};
}  // namespace

TEST_CASE("a loop destroyed with connections open, timers armed and closes pending frees them all",
          "[websocket][close][teardown]") {
  for (int variant = 0; variant < 3; ++variant) {
    auto loop = std::make_unique<eddy::IOLoop>();
    loop->make_current();
    auto app = std::make_unique<eddy::Application>();
    eddy::WebSocketOptions o;
    o.ping_interval = 50ms;  // a timer armed on every connection
    o.compression = variant == 2;
    app->websocket("/co", [](eddy::WebSocket ws) -> eddy::Future<void> {
      while (co_await ws.read_message()) {
      }
    }, o);
    app->websocket<Idle>("/class", o);
    auto server = std::make_unique<eddy::HTTPServer>(*app);
    std::uint16_t port = server->listen(0, "127.0.0.1");
    std::vector<eddy::WebSocket> clients;
    loop->run_sync([&]() -> eddy::Future<void> {
      for (const char* path : {"/co", "/class", "/co", "/class"}) {
        eddy::Future<eddy::WebSocket> connecting =
            eddy::websocket_connect("ws://127.0.0.1:" + std::to_string(port) + path, o);
        eddy::WebSocket ws = co_await connecting;
        eddy::Future<void> w = ws.write_message("hello, enough to compress: aaaaaaaaaaaaaaaaaaaaaaaaa");
        co_await w;
        clients.push_back(ws);
      }
      if (variant == 1) clients[0].close();  // a close waiting for its answer
      eddy::Future<void> nap = eddy::sleep(20ms);
      co_await nap;
    });
    // The server goes first, as documented; then the loop, with every
    // connection still open on both sides.
    server.reset();
    loop.reset();
    clients.clear();  // handles outliving the loop: released without touching it
    app.reset();
    eddy::IOLoop::clear_current();
  }
}

// The server side: the opening handshake as answered on the wire (101 and
// each refusal), both handler styles, what request() keeps, subprotocols
// and extensions, bytes sent right behind the upgrade request, and errors
// in handlers. Raw sockets on the test's thread, the server on its own.
#include <eddy/websocket.hpp>

#include <atomic>
#include <string>

#include <catch2/catch.hpp>

#include "support/http_test_server.hpp"
#include "support/websocket_raw.hpp"

namespace {

using eddy_test::EventLog;
using eddy_test::HTTPTestServer;
using eddy_test::RawFrame;
using eddy_test::RawWebSocket;

// A function handler that echoes every message and logs the end.
auto echo_route(EventLog* log) {
  return [log](eddy::WebSocket ws) -> eddy::Future<void> {
    for (;;) {
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      if (!m) break;
      eddy::Future<void> w = ws.write_message(m->data, m->binary);
      co_await w;
    }
    if (log != nullptr) log->add("end " + std::to_string(ws.close_code().value_or(0)));
  };
}

EventLog* class_log = nullptr;  // set by the test that uses Recorder

struct Recorder : eddy::WebSocketHandler {
  void open() override { class_log->add("open " + connection().request()->path); }
  void on_message(const eddy::WebSocketMessage& m) override {
    class_log->add("message " + m.data);
    if (m.data == "throw") throw std::runtime_error("on_message failed");
    write_message("got " + m.data);
  }
  void on_close() override { class_log->add("close " + std::to_string(connection().close_code().value_or(0))); }
};

}  // namespace

TEST_CASE("an upgrade gets 101 with the accept key, and messages echo", "[websocket][server]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) { app.websocket("/ws", echo_route(nullptr)); });
  RawWebSocket c(server.port());
  eddy_test::Response r = c.handshake();
  REQUIRE(r.status == 101);
  REQUIRE(r.headers.get("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  REQUIRE(eddy::detail::iequals(r.headers.get("Upgrade"), "websocket"));
  REQUIRE(eddy::detail::iequals(r.headers.get("Connection"), "Upgrade"));
  REQUIRE_FALSE(r.headers.contains("Sec-WebSocket-Extensions"));  // compression is off by default
  c.send_frame(0x81, "hello");
  RawFrame f = c.read_frame();
  REQUIRE(f.opcode == 1);
  REQUIRE(f.fin);
  REQUIRE(f.payload == "hello");
  std::string big(200000, 'b');
  c.send_frame(0x82, big);
  f = c.read_frame();
  REQUIRE(f.opcode == 2);
  REQUIRE(f.payload == big);
}

TEST_CASE("a bad upgrade gets 400 or 426 and never reaches the handler", "[websocket][server]") {
  std::atomic<int> calls{0};
  HTTPTestServer server([&calls](eddy::Application& app, eddy::IOLoop&) {
    app.websocket("/ws", [&calls](eddy::WebSocket) -> eddy::Future<void> {
      ++calls;
      co_return;
    });
  });
  auto status_of = [&](std::string_view fields) {
    RawWebSocket c(server.port());
    return c.handshake("/ws", "", fields);
  };
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  REQUIRE(status_of("Connection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 13\r\n").status == 400);
  REQUIRE(status_of("Upgrade: websocket\r\n" + key + "Sec-WebSocket-Version: 13\r\n").status == 400);
  REQUIRE(status_of("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n").status == 400);
  REQUIRE(status_of("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\n"
                    "Sec-WebSocket-Version: 13\r\n").status == 400);
  eddy_test::Response r = status_of("Upgrade: websocket\r\nConnection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 8\r\n");
  REQUIRE(r.status == 426);
  REQUIRE(r.headers.get("Sec-WebSocket-Version") == "13");
  REQUIRE(status_of("").status == 400);  // a plain GET of the route
  REQUIRE(calls == 0);
}

TEST_CASE("a WebSocket route answers other methods as HTTP", "[websocket][server]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) { app.websocket("/ws", echo_route(nullptr)); });
  eddy_test::Response r = eddy_test::fetch(server.port(), "POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(r.status == 405);
  r = eddy_test::fetch(server.port(), "HEAD /ws HTTP/1.1\r\nHost: x\r\n\r\n", true);
  REQUIRE(r.status == 405);
  REQUIRE(r.headers.get("Allow") == "GET");
  // The rest of the Application is untouched.
  r = eddy_test::fetch(server.port(), eddy_test::get_request("/other"));
  REQUIRE(r.status == 404);
}

TEST_CASE("a cross-origin upgrade gets 403 unless check_origin allows it", "[websocket][server]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.websocket("/ws", echo_route(nullptr));
    eddy::WebSocketOptions open_to_all;
    open_to_all.check_origin = [](std::string_view origin, const eddy::HTTPServerRequest&) {
      return origin == "http://friend.example";
    };
    app.websocket("/friends", echo_route(nullptr), open_to_all);
  });
  auto status = [&](std::string_view path, std::string_view origin) {
    RawWebSocket c(server.port());
    return c.handshake(path, origin.empty() ? std::string() : "Origin: " + std::string(origin) + "\r\n").status;
  };
  REQUIRE(status("/ws", "") == 101);  // no Origin: not a browser
  REQUIRE(status("/ws", "http://127.0.0.1") == 101);  // same host
  REQUIRE(status("/ws", "http://evil.example") == 403);
  REQUIRE(status("/friends", "http://friend.example") == 101);
  REQUIRE(status("/friends", "http://127.0.0.1") == 403);
}

namespace {
struct Picky : eddy::WebSocketHandler {
  bool check_origin(std::string_view origin) override { return origin.size() > 20; }
  void on_message(const eddy::WebSocketMessage&) override {}
};
}  // namespace

TEST_CASE("a WebSocketHandler's check_origin decides, and the default is Tornado's rule", "[websocket][server]") {
  EventLog log;
  class_log = &log;
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.websocket<Picky>("/picky");
    app.websocket<Recorder>("/rec");
  });
  auto status = [&](std::string_view path, std::string_view origin) {
    RawWebSocket c(server.port());
    return c.handshake(path, "Origin: " + std::string(origin) + "\r\n").status;
  };
  REQUIRE(status("/picky", "http://a.example") == 403);
  REQUIRE(status("/picky", "http://a-long-enough.example") == 101);
  REQUIRE(status("/rec", "http://127.0.0.1") == 101);
  REQUIRE(status("/rec", "http://127.0.0.2") == 403);
}

TEST_CASE("a class handler sees open, each message, then on_close once", "[websocket][server]") {
  EventLog log;
  class_log = &log;
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) { app.websocket<Recorder>("/rec"); });
  {
    RawWebSocket c(server.port());
    REQUIRE(c.handshake("/rec").status == 101);
    c.send_frame(0x81, "one");
    REQUIRE(c.read_frame().payload == "got one");
    c.send_frame(0x01, "tw");  // fragmented
    c.send_frame(0x80, "o");
    REQUIRE(c.read_frame().payload == "got two");
    c.send_frame(0x88, eddy_test::close_payload(1001, "going"));
    RawFrame echo = c.read_close();
    REQUIRE(echo.close_code() == 1001);
    REQUIRE(c.wait_eof());
  }
  REQUIRE(log.wait_for("close 1001"));
  REQUIRE(log.events() == std::vector<std::string>{"open /rec", "message one", "message two", "close 1001"});
}

TEST_CASE("an exception in on_message closes the connection with 1011 and reaches the loop", "[websocket][server]") {
  EventLog log;
  class_log = &log;
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) { app.websocket<Recorder>("/rec"); });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake("/rec").status == 101);
  c.send_frame(0x81, "throw");
  RawFrame f = c.read_close();
  REQUIRE(f.close_code() == 1011);
  c.send_frame(0x88, eddy_test::close_payload(1011));
  REQUIRE(log.wait_for("close 1011"));
  bool reported = false;
  for (const std::string& e : server.exceptions()) reported = reported || e.find("on_message failed") != std::string::npos;
  REQUIRE(reported);
}

TEST_CASE("a handler function's end closes the connection with 1000; its exception with 1011", "[websocket][server]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.websocket("/once", [](eddy::WebSocket ws) -> eddy::Future<void> {
      eddy::Future<void> w = ws.write_message("bye");
      co_await w;
    });
    app.websocket("/fails", [](eddy::WebSocket) -> eddy::Future<void> {
      eddy::Future<void> nap = eddy::sleep(std::chrono::milliseconds(1));
      co_await nap;
      throw std::runtime_error("handler failed");
    });
  });
  RawWebSocket a(server.port());
  REQUIRE(a.handshake("/once").status == 101);
  REQUIRE(a.read_frame().payload == "bye");
  REQUIRE(a.read_close().close_code() == 1000);
  RawWebSocket b(server.port());
  REQUIRE(b.handshake("/fails").status == 101);
  REQUIRE(b.read_close().close_code() == 1011);
}

TEST_CASE("request() keeps the upgrade request without the handshake's own fields", "[websocket][server]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop& loop) {
    app.websocket("/req", [&log, &loop](eddy::WebSocket ws) -> eddy::Future<void> {
      eddy::Future<void> nap = eddy::sleep(std::chrono::milliseconds(5));
      co_await nap;  // after the handshake: the compact copy
      const eddy::HTTPServerRequest* r = ws.request();
      log.add(r->method + " " + r->uri + " " + r->path + " " + r->query + " " + r->version + " " + r->remote_ip + " " +
              r->host + " " + r->headers.get("X-Token") + " key:" + r->headers.get("Sec-WebSocket-Key") +
              " upgrade:" + r->headers.get("Upgrade"));
      (void)loop;
    });
  });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake("/req?x=1", "X-Token: abc\r\n").status == 101);
  REQUIRE(log.wait_for("GET /req?x=1 /req x=1 HTTP/1.1 127.0.0.1 127.0.0.1 abc key: upgrade:"));
}

TEST_CASE("frames sent right behind the upgrade request are read", "[websocket][server]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) { app.websocket("/ws", echo_route(nullptr)); });
  RawWebSocket c(server.port());
  c.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
         eddy_test::encode_frame(0x81, "early") + eddy_test::encode_frame(0x81, "bird"));
  REQUIRE(c.response().status == 101);
  REQUIRE(c.read_frame().payload == "early");
  REQUIRE(c.read_frame().payload == "bird");
}

TEST_CASE("the first of the client's subprotocols that the server accepts is selected", "[websocket][server]") {
  EventLog log;
  HTTPTestServer server([&log](eddy::Application& app, eddy::IOLoop&) {
    eddy::WebSocketOptions o;
    o.subprotocols = {"chat.v1", "chat.v2"};
    app.websocket("/ws", [&log](eddy::WebSocket ws) -> eddy::Future<void> {
      log.add("protocol " + ws.selected_subprotocol());
      co_return;
    }, o);
  });
  {
    RawWebSocket c(server.port());
    eddy_test::Response r = c.handshake("/ws", "Sec-WebSocket-Protocol: chat.v2, chat.v1\r\n");
    REQUIRE(r.status == 101);
    REQUIRE(r.headers.get("Sec-WebSocket-Protocol") == "chat.v2");
  }
  REQUIRE(log.wait_for("protocol chat.v2"));
  RawWebSocket c(server.port());
  eddy_test::Response r = c.handshake("/ws", "Sec-WebSocket-Protocol: other\r\n");
  REQUIRE(r.status == 101);
  REQUIRE_FALSE(r.headers.contains("Sec-WebSocket-Protocol"));
  REQUIRE(log.wait_for("protocol "));
}

TEST_CASE("compression is negotiated when on, and compressed messages echo", "[websocket][server][deflate]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    eddy::WebSocketOptions o;
    o.compression = true;
    app.websocket("/ws", echo_route(nullptr), o);
  });
  RawWebSocket c(server.port());
  eddy_test::Response r = c.handshake("/ws", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
  REQUIRE(r.status == 101);
  REQUIRE(r.headers.get("Sec-WebSocket-Extensions") == "permessage-deflate; server_no_context_takeover");
  std::string text;
  for (int i = 0; i < 50; ++i) text += "compress me, ";
  eddy::detail::ws::Deflater d(15);
  std::string packed;
  d.compress(text, packed, false);
  c.send_frame(0xC1, packed);  // FIN, RSV1, text
  RawFrame f = c.read_frame();
  REQUIRE(f.rsv1);
  eddy::detail::ws::Inflater i(15);
  std::string out;
  REQUIRE(i.feed(f.payload, out, 1 << 20) == eddy::detail::ws::InflateStatus::ok);
  REQUIRE(i.finish(out, 1 << 20, true) == eddy::detail::ws::InflateStatus::ok);
  REQUIRE(out == text);
  // An uncompressed message is fine too (RFC 7692 §6).
  c.send_frame(0x81, "plain");
  f = c.read_frame();
  REQUIRE(f.payload == "plain");  // too small to shrink: sent as it is
  REQUIRE_FALSE(f.rsv1);
  // A malformed extension offer is refused.
  RawWebSocket bad(server.port());
  REQUIRE(bad.handshake("/ws", "Sec-WebSocket-Extensions: permessage-deflate; =\r\n").status == 400);
}

namespace {
EventLog* text_log = nullptr;
struct TextChecker : eddy::WebSocketHandler {
  void on_message(const eddy::WebSocketMessage& m) override {
    eddy::Future<void> echo = write_message(m.data);  // the same bytes: known to be UTF-8
    eddy::Future<void> bad = write_message(std::string_view(m.data).substr(0, 1));  // half a character
    text_log->add(std::string(echo.done() && echo.exception() ? "echo failed" : "echo ok") + " " +
                  (bad.done() && bad.exception() ? "bad refused" : "bad sent"));
  }
};
}  // namespace

TEST_CASE("text written from on_message is checked for UTF-8, unless it is the message itself", "[websocket][server]") {
  EventLog log;
  text_log = &log;
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) { app.websocket<TextChecker>("/t"); });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake("/t").status == 101);
  c.send_frame(0x81, "\xC3\xA9t\xC3\xA9");
  REQUIRE(c.read_frame().payload == "\xC3\xA9t\xC3\xA9");
  REQUIRE(log.wait_for("echo ok bad refused"));
}

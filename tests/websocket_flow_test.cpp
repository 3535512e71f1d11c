// Flow control and broadcast: a handler that does not read stops the socket
// being read (received messages are never queued without bound); awaiting
// write_message is back-pressure; past max_write_buffer_size a write fails
// and the connection closes; a prepared message goes to many connections
// framed (and compressed) once.
#include <eddy/websocket.hpp>

#include <sys/socket.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "support/http_test_server.hpp"
#include "support/websocket_raw.hpp"

namespace {

using namespace std::chrono_literals;
using eddy_test::EventLog;
using eddy_test::HTTPTestServer;
using eddy_test::RawFrame;
using eddy_test::RawWebSocket;

// Sends as much as the kernel takes without blocking, for up to `patience`
// without progress; returns the bytes it took.
std::size_t send_until_full(int fd, const std::string& chunk, std::chrono::milliseconds patience, std::size_t cap) {
  std::size_t total = 0, offset = 0;
  auto idle_since = std::chrono::steady_clock::now();
  while (total < cap && std::chrono::steady_clock::now() - idle_since < patience) {
    ssize_t n = ::send(fd, chunk.data() + offset, chunk.size() - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      offset = (offset + static_cast<std::size_t>(n)) % chunk.size();
      idle_since = std::chrono::steady_clock::now();
    } else {
      std::this_thread::sleep_for(5ms);
    }
  }
  return total;
}

}  // namespace

TEST_CASE("while the handler does not read, the socket is not read", "[websocket][flow]") {
  EventLog log;
  std::atomic<bool> start_reading{false};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.websocket("/ws", [&](eddy::WebSocket ws) -> eddy::Future<void> {
      while (!start_reading) {
        eddy::Future<void> nap = eddy::sleep(10ms);
        co_await nap;
      }
      std::size_t messages = 0;
      for (;;) {
        std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
        if (!m || m->data == "last") break;
        ++messages;
      }
      log.add("read " + std::to_string(messages));
    });
  });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  // Before any data frame, control frames are still read and answered.
  c.send_frame(0x89, "ping while idle");
  REQUIRE(c.read_frame().payload == "ping while idle");
  // 1 MiB messages, as fast as the kernel takes them.
  std::string message = eddy_test::encode_frame(0x82, std::string(1 << 20, 'm'));
  std::size_t sent = send_until_full(c.fd(), message, 500ms, std::size_t{256} << 20);
  INFO("bytes the kernel took before pushing back: " << sent);
  REQUIRE(sent < std::size_t{64} << 20);  // TCP pushed back: nothing was read into the server's memory
  // Once the handler reads, every message arrives.
  start_reading = true;
  std::size_t whole = sent / message.size();
  std::size_t rest = sent % message.size();
  if (rest != 0) {
    c.send(message.substr(rest));  // complete the frame cut short
    ++whole;
  }
  c.send_frame(0x81, "last");
  REQUIRE(log.wait_for("read " + std::to_string(whole), 20s));
}

TEST_CASE("awaiting write_message is back-pressure against a client that does not read", "[websocket][flow]") {
  std::atomic<int> written{0};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.websocket("/ws", [&](eddy::WebSocket ws) -> eddy::Future<void> {
      std::string chunk(64 * 1024, 'w');
      for (int i = 0; i < 4000; ++i) {  // 250 MiB if nothing pushed back
        eddy::Future<void> w = ws.write_message(chunk, true);
        co_await w;
        ++written;
      }
    });
  });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  std::this_thread::sleep_for(500ms);
  int stalled = written;
  INFO("messages written before the client read anything: " << stalled);
  REQUIRE(stalled < 1000);  // the kernel's buffers, not the server's memory
  for (int i = 0; i < stalled + 10; ++i) REQUIRE(c.read_frame().payload.size() == 64 * 1024);
  REQUIRE(written > stalled);
}

TEST_CASE("past max_write_buffer_size a write fails and the connection closes", "[websocket][flow]") {
  EventLog log;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    eddy::WebSocketOptions o;
    o.max_write_buffer_size = 256 * 1024;
    app.websocket("/ws", [&](eddy::WebSocket ws) -> eddy::Future<void> {
      std::string chunk(64 * 1024, 'w');
      int sent = 0;
      for (;; ++sent) {
        eddy::Future<void> w = ws.write_message(chunk, true);  // never awaited: a careless broadcaster
        if (w.done() && w.exception()) {
          try {
            std::rethrow_exception(w.exception());
          } catch (const eddy::StreamClosedError& e) {
            log.add(std::string("failed: ") + (std::string(e.what()).find("max_write_buffer_size") != std::string::npos
                                                   ? "bound"
                                                   : e.what()));
          }
          break;
        }
        w.add_done_callback([](const eddy::Future<void>& f) { (void)f.exception(); });
        if (sent > 100000) break;
      }
      log.add(sent < 2000 ? "bounded" : "unbounded " + std::to_string(sent));
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      log.add(m ? "still open" : "closed");
    }, o);
  });
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  REQUIRE(log.wait_for("closed"));
  REQUIRE(log.has("failed: bound"));
  REQUIRE(log.has("bounded"));
}

TEST_CASE("a prepared message goes to every connection, compressed once for those that compress",
          "[websocket][flow][broadcast]") {
  std::vector<eddy::WebSocket> sockets;  // the server thread's only
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    eddy::WebSocketOptions o;
    o.compression = true;
    app.websocket("/room", [&sockets](eddy::WebSocket ws) -> eddy::Future<void> {
      sockets.push_back(ws);
      while (co_await ws.read_message()) {
      }
    }, o);
  });
  const std::string offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
  RawWebSocket plain(server.port()), packed1(server.port()), packed2(server.port());
  REQUIRE(plain.handshake("/room").status == 101);
  REQUIRE(packed1.handshake("/room", offer).status == 101);
  REQUIRE(packed2.handshake("/room", offer).status == 101);
  std::string text;
  for (int i = 0; i < 20; ++i) text += "news for everyone; ";
  std::size_t sent = 0;
  while (sent != 3) {
    sent = server.on_loop([&](eddy::HTTPServer&, eddy::IOLoop&) {
      if (sockets.size() < 3) return std::size_t{0};
      eddy::PreparedWebSocketMessage message(text);
      return eddy::websocket_broadcast(sockets, message);
    });
    if (sent != 3) std::this_thread::sleep_for(5ms);
  }
  RawFrame a = plain.read_frame(), b = packed1.read_frame(), c = packed2.read_frame();
  REQUIRE_FALSE(a.rsv1);
  REQUIRE(a.payload == text);
  REQUIRE(b.rsv1);
  REQUIRE(c.rsv1);
  REQUIRE(b.payload == c.payload);  // the same compressed bytes
  REQUIRE(b.payload.size() < text.size());
  server.on_loop([&](eddy::HTTPServer&, eddy::IOLoop&) {
    for (eddy::WebSocket& ws : sockets) ws.close();
    sockets.clear();
    return 0;
  });
}

TEST_CASE("an upgraded connection outlives the HTTP server's idle and send timeouts", "[websocket][flow]") {
  // The WebSocket has its own liveness rules: once upgraded, the connection
  // is off the HTTP server's deadline lists.
  eddy::HTTPServerOptions options;
  options.idle_connection_timeout = 200ms;
  options.send_timeout = 200ms;
  HTTPTestServer server(
      [](eddy::Application& app, eddy::IOLoop&) {
        app.websocket("/ws", [](eddy::WebSocket ws) -> eddy::Future<void> {
          for (;;) {
            std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
            if (!m) break;
            eddy::Future<void> w = ws.write_message(m->data, m->binary);
            co_await w;
          }
        });
      },
      options);
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  std::this_thread::sleep_for(800ms);  // four idle and send timeouts
  c.send_frame(0x81, "still here");
  RawFrame f = c.read_frame();
  REQUIRE(f.opcode == 1);
  REQUIRE(f.payload == "still here");
}

// RFC 6455's rules, end to end: a raw client breaks each one and the server
// answers with the rule's close code, then lets the client read it before
// TCP closes. Limits at limit - 1, limit and limit + 1; UTF-8 fails on the
// byte that breaks it, before the message ends; pings are answered between
// the fragments of a message.
#include <eddy/websocket.hpp>

#include <string>

#include <catch2/catch.hpp>

#include "support/http_test_server.hpp"
#include "support/websocket_raw.hpp"

namespace {

using eddy_test::HTTPTestServer;
using eddy_test::RawFrame;
using eddy_test::RawWebSocket;

void echo_routes(eddy::Application& app, eddy::IOLoop&) {
  auto echo = [](eddy::WebSocket ws) -> eddy::Future<void> {
    for (;;) {
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      if (!m) break;
      eddy::Future<void> w = ws.write_message(m->data, m->binary);
      co_await w;
    }
  };
  app.websocket("/ws", echo);
  eddy::WebSocketOptions small;
  small.max_message_size = 1000;
  app.websocket("/small", echo, small);
  eddy::WebSocketOptions deflate = small;
  deflate.compression = true;
  app.websocket("/deflate", echo, deflate);
}

// Sends `bytes` after the handshake; the server must close with `code`,
// then close TCP.
void expect_close(HTTPTestServer& server, const std::string& bytes, int code, std::string_view path = "/ws",
                  std::string_view extra = "") {
  RawWebSocket c(server.port());
  REQUIRE(c.handshake(path, extra).status == 101);
  c.send(bytes);
  RawFrame f = c.read_close();
  INFO("close payload size " << f.payload.size());
  REQUIRE(f.close_code() == code);
  REQUIRE(c.wait_eof());
}

std::string frame(int first, std::string_view payload, bool masked = true, int length_form = 0) {
  return eddy_test::encode_frame(first, payload, masked, length_form);
}

}  // namespace

TEST_CASE("an unmasked client frame is closed with 1002", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  expect_close(server, frame(0x81, "x", false), 1002);
}

TEST_CASE("reserved bits without an extension and unknown opcodes are closed with 1002", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  expect_close(server, frame(0xC1, "x"), 1002);  // RSV1
  expect_close(server, frame(0xA1, "x"), 1002);  // RSV2
  expect_close(server, frame(0x91, "x"), 1002);  // RSV3
  expect_close(server, frame(0x83, "x"), 1002);  // opcode 3
  expect_close(server, frame(0x8B, "x"), 1002);  // opcode 0xB
}

TEST_CASE("fragmented or over-125-byte control frames are closed with 1002", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  expect_close(server, frame(0x09, "p"), 1002);
  expect_close(server, frame(0x89, std::string(126, 'p')), 1002);
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  c.send(frame(0x89, std::string(125, 'p')));  // the limit itself is fine
  RawFrame pong = c.read_frame();
  REQUIRE(pong.opcode == 0xA);
  REQUIRE(pong.payload == std::string(125, 'p'));
}

TEST_CASE("a continuation without a start and a new message inside one are closed with 1002", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  expect_close(server, frame(0x80, "x"), 1002);
  expect_close(server, frame(0x01, "a") + frame(0x81, "b"), 1002);
  expect_close(server, frame(0x01, "a") + frame(0x02, "b"), 1002);
}

TEST_CASE("a length not in its shortest form is closed with 1002", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  expect_close(server, frame(0x82, std::string(10, 'x'), true, 16), 1002);
}

TEST_CASE("text that is not UTF-8 is closed with 1007 as soon as the bad byte arrives", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  // The first fragment holds the bad byte; the message never ends.
  expect_close(server, frame(0x01, "valid so far \xED\xA0\x80 then not"), 1007);
  // A character cut between fragments is fine...
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  c.send(frame(0x01, "caf\xC3") + frame(0x80, "\xA9"));
  REQUIRE(c.read_frame().payload == "caf\xC3\xA9");
  // ...but not one left unfinished at the end.
  expect_close(server, frame(0x01, "caf\xC3") + frame(0x80, ""), 1007);
  // A binary message is not checked.
  c.send(frame(0x82, "\xFF\xFE"));
  REQUIRE(c.read_frame().payload == "\xFF\xFE");
}

TEST_CASE("pings are answered at once, between the fragments of a message too", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  c.send(frame(0x01, "Hel") + frame(0x89, "are you there"));
  RawFrame pong = c.read_frame();
  REQUIRE(pong.opcode == 0xA);
  REQUIRE(pong.payload == "are you there");
  c.send(frame(0x80, "lo"));
  REQUIRE(c.read_frame().payload == "Hello");
  c.send(frame(0x8A, "unsolicited"));  // ignored
  c.send(frame(0x81, "still here"));
  REQUIRE(c.read_frame().payload == "still here");
}

TEST_CASE("a message over max_message_size is closed with 1009 (limit - 1, limit, limit + 1)", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  RawWebSocket c(server.port());
  REQUIRE(c.handshake("/small").status == 101);
  c.send(frame(0x82, std::string(999, 'x')));
  REQUIRE(c.read_frame().payload.size() == 999);
  c.send(frame(0x82, std::string(1000, 'x')));
  REQUIRE(c.read_frame().payload.size() == 1000);
  expect_close(server, frame(0x82, std::string(1001, 'x')), 1009, "/small");
  // Counted across fragments, and refused at the header that crosses it.
  expect_close(server, frame(0x02, std::string(600, 'x')) + frame(0x80, std::string(401, 'x')).substr(0, 4), 1009,
               "/small");
}

TEST_CASE("a compressed message that inflates past max_message_size is closed with 1009", "[websocket][protocol][deflate]") {
  HTTPTestServer server(echo_routes);
  const std::string offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
  for (std::size_t size : {999, 1000, 1001}) {
    eddy::detail::ws::Deflater d(15);
    std::string packed;
    d.compress(std::string(size, 'z'), packed, true);
    if (size <= 1000) {
      RawWebSocket c(server.port());
      REQUIRE(c.handshake("/deflate", offer).status == 101);
      c.send(frame(0xC2, packed));
      RawFrame f = c.read_frame();
      eddy::detail::ws::Inflater i(15);
      std::string out;
      std::string_view got = f.payload;
      if (f.rsv1) {
        REQUIRE(i.feed(got, out, 1 << 20) == eddy::detail::ws::InflateStatus::ok);
        REQUIRE(i.finish(out, 1 << 20, true) == eddy::detail::ws::InflateStatus::ok);
        got = out;
      }
      REQUIRE(got.size() == size);
    } else {
      expect_close(server, frame(0xC2, packed), 1009, "/deflate", offer);
    }
  }
  // Compressed data that is not DEFLATE: 1007.
  expect_close(server, frame(0xC2, "\xFF\xFF\xFF\xFF"), 1007, "/deflate", offer);
}

TEST_CASE("close frames: one byte or an invalid code is 1002, a bad reason 1007", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  expect_close(server, frame(0x88, "\x03"), 1002);
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    INFO(code);
    expect_close(server, frame(0x88, eddy_test::close_payload(code)), 1002);
  }
  expect_close(server, frame(0x88, eddy_test::close_payload(1000, "\xFF")), 1007);
}

TEST_CASE("a close frame is echoed with its code and TCP closes", "[websocket][protocol]") {
  HTTPTestServer server(echo_routes);
  for (int code : {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999}) {
    INFO(code);
    expect_close(server, frame(0x88, eddy_test::close_payload(code, "why")), code);
  }
  RawWebSocket c(server.port());
  REQUIRE(c.handshake().status == 101);
  c.send(frame(0x88, ""));
  RawFrame f = c.read_close();
  REQUIRE(f.payload.empty());  // no code in, no code out
  REQUIRE(c.wait_eof());
}

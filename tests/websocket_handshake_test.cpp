// The opening handshake and extension negotiation as pure functions: the
// server's checks of an upgrade request, subprotocols, origins, the
// permessage-deflate offers and answers, and the client's checks.
#include <eddy/websocket.hpp>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

namespace ws = eddy::detail::ws;

eddy::HTTPServerRequest upgrade_request() {
  eddy::HTTPServerRequest r;
  r.method = "GET";
  r.version = "HTTP/1.1";
  r.uri = r.path = "/chat";
  r.host = "server.example.com";
  r.headers.add("Host", "server.example.com");
  r.headers.add("Upgrade", "websocket");
  r.headers.add("Connection", "Upgrade");
  r.headers.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
  r.headers.add("Sec-WebSocket-Version", "13");
  return r;
}

ws::DeflateAgreement negotiate(const std::string& offer, std::string* answer = nullptr) {
  auto offers = ws::parse_extensions(offer);
  REQUIRE(offers);
  auto result = ws::negotiate_deflate(*offers);
  REQUIRE(result);
  if (answer != nullptr) *answer = result->second;
  return result->first;
}

}  // namespace

TEST_CASE("a valid upgrade request passes, with tokens compared case-insensitively in lists", "[websocket][handshake]") {
  eddy::HTTPServerRequest r = upgrade_request();
  REQUIRE(ws::check_upgrade_request(r).status == 0);
  REQUIRE(ws::check_upgrade_request(r).key == "dGhlIHNhbXBsZSBub25jZQ==");
  r.headers.set("Upgrade", "WebSocket");
  r.headers.set("Connection", "keep-alive, UPGRADE");
  REQUIRE(ws::check_upgrade_request(r).status == 0);
  r.headers.set("Connection", "keep-alive");
  r.headers.add("Connection", " Upgrade ");  // a second field line
  REQUIRE(ws::check_upgrade_request(r).status == 0);
}

TEST_CASE("a bad upgrade request gets 400, a version other than 13 gets 426", "[websocket][handshake]") {
  auto status = [](auto change) {
    eddy::HTTPServerRequest r = upgrade_request();
    change(r);
    return ws::check_upgrade_request(r).status;
  };
  REQUIRE(status([](auto& r) { r.headers.remove("Upgrade"); }) == 400);
  REQUIRE(status([](auto& r) { r.headers.set("Upgrade", "h2c"); }) == 400);
  REQUIRE(status([](auto& r) { r.headers.set("Upgrade", "websockets"); }) == 400);
  REQUIRE(status([](auto& r) { r.headers.remove("Connection"); }) == 400);
  REQUIRE(status([](auto& r) { r.headers.set("Connection", "upgraded"); }) == 400);
  REQUIRE(status([](auto& r) { r.version = "HTTP/1.0"; }) == 400);
  REQUIRE(status([](auto& r) { r.headers.remove("Sec-WebSocket-Key"); }) == 400);
  REQUIRE(status([](auto& r) { r.headers.set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ"); }) == 400);
  REQUIRE(status([](auto& r) { r.headers.set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZWU="); }) == 400);  // 17 bytes
  REQUIRE(status([](auto& r) { r.headers.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="); }) == 400);
  REQUIRE(status([](auto& r) { r.headers.remove("Sec-WebSocket-Version"); }) == 426);
  REQUIRE(status([](auto& r) { r.headers.set("Sec-WebSocket-Version", "8"); }) == 426);
  REQUIRE(status([](auto& r) { r.headers.set("Sec-WebSocket-Version", "13, 8"); }) == 426);
}

TEST_CASE("the default origin rule compares the Origin's host with Host", "[websocket][handshake]") {
  REQUIRE(ws::same_origin("http://server.example.com", "server.example.com"));
  REQUIRE(ws::same_origin("https://SERVER.example.com", "server.example.com"));
  REQUIRE(ws::same_origin("http://127.0.0.1:8888", "127.0.0.1:8888"));
  REQUIRE_FALSE(ws::same_origin("http://127.0.0.1:8889", "127.0.0.1:8888"));
  REQUIRE_FALSE(ws::same_origin("http://evil.example.com", "server.example.com"));
  REQUIRE_FALSE(ws::same_origin("null", "server.example.com"));
}

TEST_CASE("the subprotocol is the client's first offer that the server accepts", "[websocket][handshake]") {
  eddy::HTTPHeaders h;
  h.add("Sec-WebSocket-Protocol", "chat.v2, chat.v1");
  h.add("Sec-WebSocket-Protocol", "superchat");
  REQUIRE(ws::pick_subprotocol(h, {"chat.v1", "chat.v2"}) == 1);  // chat.v2 is offered first
  REQUIRE(ws::pick_subprotocol(h, {"superchat"}) == 0);
  REQUIRE(ws::pick_subprotocol(h, {"other"}) == -1);
  REQUIRE(ws::pick_subprotocol(eddy::HTTPHeaders(), {"chat"}) == -1);
}

TEST_CASE("Sec-WebSocket-Extensions lists are parsed, quoted values included", "[websocket][handshake]") {
  auto list = ws::parse_extensions("permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", x-foo");
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  REQUIRE((*list)[0].name == "permessage-deflate");
  REQUIRE((*list)[0].params.size() == 2);
  REQUIRE_FALSE((*list)[0].params[0].has_value);
  REQUIRE((*list)[0].params[1].value == "10");
  REQUIRE((*list)[1].name == "x-foo");
  for (const char* bad : {"permessage-deflate;", "a; =1", "a b", "a; b=", "a; b=\"1", "a; b=\"x y\""}) {
    INFO(bad);
    REQUIRE_FALSE(ws::parse_extensions(bad));
  }
}

TEST_CASE("the server answers permessage-deflate without context takeover of its own", "[websocket][handshake]") {
  std::string answer;
  ws::DeflateAgreement a = negotiate("permessage-deflate; client_max_window_bits", &answer);
  REQUIRE(answer == "permessage-deflate; server_no_context_takeover");
  REQUIRE(a.compress_reset);
  REQUIRE_FALSE(a.decompress_reset);
  REQUIRE(a.compress_window == 15);
  a = negotiate("permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
                &answer);
  REQUIRE(answer ==
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
          "client_max_window_bits=12");
  REQUIRE(a.decompress_reset);
  REQUIRE(a.compress_window == 10);
  REQUIRE(a.decompress_window == 12);
  a = negotiate("permessage-deflate; server_max_window_bits=8");
  REQUIRE(a.compress_window == 8);  // accepted; messages then go uncompressed
}

TEST_CASE("offers with bad parameters are declined, the first good one wins", "[websocket][handshake]") {
  for (const char* bad : {"permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=7",
                          "permessage-deflate; server_max_window_bits=16", "permessage-deflate; client_max_window_bits=0",
                          "permessage-deflate; server_no_context_takeover=1", "permessage-deflate; foo",
                          "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                          "x-webkit-deflate-frame"}) {
    INFO(bad);
    auto offers = ws::parse_extensions(bad);
    REQUIRE(offers);
    REQUIRE_FALSE(ws::negotiate_deflate(*offers));
  }
  std::string answer;
  negotiate("permessage-deflate; foo, permessage-deflate; server_max_window_bits=11", &answer);
  REQUIRE(answer == "permessage-deflate; server_no_context_takeover; server_max_window_bits=11");
}

TEST_CASE("the client accepts only the permessage-deflate it offered, with valid answers", "[websocket][handshake]") {
  ws::ClientExtensions e = ws::accept_extensions("", true);
  REQUIRE(e.error == nullptr);
  REQUIRE_FALSE(e.deflate);
  e = ws::accept_extensions("permessage-deflate; server_no_context_takeover; client_max_window_bits=9", true);
  REQUIRE(e.error == nullptr);
  REQUIRE(e.deflate);
  REQUIRE(e.deflate->decompress_reset);
  REQUIRE_FALSE(e.deflate->compress_reset);
  REQUIRE(e.deflate->compress_window == 9);
  REQUIRE(ws::accept_extensions("permessage-deflate", false).error != nullptr);  // not offered
  REQUIRE(ws::accept_extensions("x-foo", true).error != nullptr);
  REQUIRE(ws::accept_extensions("permessage-deflate, permessage-deflate", true).error != nullptr);
  REQUIRE(ws::accept_extensions("permessage-deflate; client_max_window_bits", true).error != nullptr);
  REQUIRE(ws::accept_extensions("permessage-deflate; bogus", true).error != nullptr);
}

TEST_CASE("the client checks Upgrade, Connection, the accept key and the subprotocol", "[websocket][handshake]") {
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  eddy::HTTPHeaders h{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", ws::accept_key(key)}};
  int sub = 7;
  REQUIRE(ws::check_switching_protocols(h, key, {}, sub) == nullptr);
  REQUIRE(sub == -1);
  eddy::HTTPHeaders with = h;
  with.add("Sec-WebSocket-Protocol", "b");
  REQUIRE(ws::check_switching_protocols(with, key, {"a", "b"}, sub) == nullptr);
  REQUIRE(sub == 1);
  REQUIRE(ws::check_switching_protocols(with, key, {"a"}, sub) != nullptr);
  eddy::HTTPHeaders wrong = h;
  wrong.set("Sec-WebSocket-Accept", ws::accept_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  REQUIRE(ws::check_switching_protocols(wrong, key, {}, sub) != nullptr);
  wrong = h;
  wrong.set("Upgrade", "h2c");
  REQUIRE(ws::check_switching_protocols(wrong, key, {}, sub) != nullptr);
}

TEST_CASE("the client's request carries the key, version, offers and extra fields", "[websocket][handshake]") {
  std::string r = ws::client_request("h:81", "/p?q", "KEY", {"a", "b"}, true, eddy::HTTPHeaders{{"Origin", "http://h"}});
  REQUIRE(r.rfind("GET /p?q HTTP/1.1\r\nHost: h:81\r\n", 0) == 0);
  REQUIRE(r.find("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: KEY\r\n") != std::string::npos);
  REQUIRE(r.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
  REQUIRE(r.find("Sec-WebSocket-Protocol: a, b\r\n") != std::string::npos);
  REQUIRE(r.find("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n") != std::string::npos);
  REQUIRE(r.find("Origin: http://h\r\n") != std::string::npos);
  REQUIRE(r.substr(r.size() - 4) == "\r\n\r\n");
}

TEST_CASE("ws:// and wss:// URLs are parsed; other schemes and fragments are refused", "[websocket][handshake]") {
  ws::ClientTarget t = ws::parse_ws_url("ws://example.com/chat?x=1");
  REQUIRE_FALSE(t.secure);
  REQUIRE(t.url.host == "example.com");
  REQUIRE(t.url.port == 80);
  REQUIRE(t.url.target == "/chat?x=1");
  t = ws::parse_ws_url("WSS://[::1]:8443");
  REQUIRE(t.secure);
  REQUIRE(t.url.port == 8443);
  REQUIRE(t.url.target == "/");
  REQUIRE_THROWS_AS(ws::parse_ws_url("http://example.com/"), std::invalid_argument);
  REQUIRE_THROWS_AS(ws::parse_ws_url("ws://example.com/#frag"), std::invalid_argument);
  REQUIRE_THROWS_AS(ws::parse_ws_url("ws://exa mple.com/"), std::invalid_argument);
  REQUIRE_THROWS_WITH(ws::parse_ws_url("ws://h:99999/"), Catch::Contains("port out of range"));
}

// websocket_connect: against eddy's own server (both directions, both
// closes, compression, subprotocols), and against raw servers that answer
// badly (refusal, silence, a wrong accept key, masked server frames).
#include <eddy/websocket.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "support/http_test_server.hpp"
#include "support/websocket_raw.hpp"

namespace {

using namespace std::chrono_literals;
using eddy_test::EventLog;
using eddy_test::HTTPTestServer;

// A server socket on 127.0.0.1 that hands its first connection to `serve`
// (a blocking function on a thread of its own).
class RawServer {
 public:
  explicit RawServer(std::function<void(int fd)> serve) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener_, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, serve = std::move(serve)] {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      timeval tv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      serve(fd);
      ::close(fd);
    });
  }
  ~RawServer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  std::string url(std::string_view path = "/") const { return "ws://127.0.0.1:" + std::to_string(port_) + std::string(path); }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Reads a request head from fd; returns it.
std::string read_head(int fd) {
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
  return head;
}

std::string key_of(const std::string& head) {
  std::size_t at = head.find("Sec-WebSocket-Key: ");
  return head.substr(at + 19, 24);
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Runs `body` as a coroutine on a fresh loop of the test's thread.
template <class F>
void run(F body, std::chrono::seconds limit = 20s) {
  eddy::IOLoop loop;
  loop.make_current();
  loop.run_sync(body, limit);
  eddy::IOLoop::clear_current();
}

template <class E>
std::string failure_of(eddy::Future<eddy::WebSocket>& f) {
  try {
    f.result();
  } catch (const E& e) {
    return e.what();
  }
  return "(no failure)";
}

void echo_routes(eddy::Application& app, eddy::IOLoop&) {
  auto echo = [](eddy::WebSocket ws) -> eddy::Future<void> {
    for (;;) {
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      if (!m) break;
      if (m->data == "close please") {
        ws.close(4001, "you asked");
        continue;
      }
      eddy::Future<void> w = ws.write_message(m->data, m->binary);
      co_await w;
    }
  };
  eddy::WebSocketOptions o;
  o.subprotocols = {"v2", "v1"};
  o.compression = true;
  app.websocket("/echo", echo, o);
}

}  // namespace

TEST_CASE("websocket_connect exchanges messages and pings with eddy's server, then closes", "[websocket][client]") {
  HTTPTestServer server(echo_routes);
  std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo";
  run([&]() -> eddy::Future<void> {
    eddy::WebSocketOptions o;
    o.subprotocols = {"v1", "v3"};
    eddy::WebSocket ws = co_await eddy::websocket_connect(url, o);
    REQUIRE(ws.selected_subprotocol() == "v1");
    REQUIRE(ws.request() == nullptr);
    eddy::Future<void> w1 = ws.write_message("text");
    co_await w1;
    std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
    REQUIRE(m);
    REQUIRE(m->data == "text");
    REQUIRE_FALSE(m->binary);
    std::string big(300000, 'b');
    eddy::Future<void> w2 = ws.write_message(big, true);
    co_await w2;
    m = co_await ws.read_message();
    REQUIRE(m->data == big);
    REQUIRE(m->binary);
    eddy::Future<void> pong = ws.ping("anyone");
    co_await pong;
    ws.close(1000, "bye");
    m = co_await ws.read_message();
    REQUIRE_FALSE(m);
    eddy::Future<void> later = ws.write_message("after");
    REQUIRE_THROWS_AS(later.result(), eddy::StreamClosedError);
  });
}

TEST_CASE("the server's close reaches the client: nullopt, with the code and reason", "[websocket][client]") {
  HTTPTestServer server(echo_routes);
  std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo";
  run([&]() -> eddy::Future<void> {
    eddy::WebSocket ws = co_await eddy::websocket_connect(url);
    eddy::Future<void> w = ws.write_message("close please");
    co_await w;
    std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
    REQUIRE_FALSE(m);
    REQUIRE(ws.close_code() == 4001);
    REQUIRE(ws.close_reason() == "you asked");
    REQUIRE(ws.closed());
  });
}

TEST_CASE("compressed messages cross between eddy's client and server", "[websocket][client][deflate]") {
  HTTPTestServer server(echo_routes);
  std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo";
  run([&]() -> eddy::Future<void> {
    eddy::WebSocketOptions o;
    o.compression = true;
    eddy::WebSocket ws = co_await eddy::websocket_connect(url, o);
    for (int i = 0; i < 5; ++i) {  // the client keeps its context between messages
      std::string text(50000 + i, static_cast<char>('a' + i));
      eddy::Future<void> w = ws.write_message(text);
      co_await w;
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      REQUIRE(m->data == text);
    }
    ws.close();
  });
}

TEST_CASE("the client offers compression and masks each frame with a fresh key", "[websocket][client]") {
  std::string head, masks;
  {
    RawServer raw([&](int fd) {
      head = read_head(fd);
      send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: " + eddy::detail::ws::accept_key(key_of(head)) + "\r\n\r\n");
      std::string buffer;
      auto more = [&] {
        char chunk[4096];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n > 0) buffer.append(chunk, static_cast<std::size_t>(n));
        return n > 0;
      };
      for (int i = 0; i < 2; ++i) {
        while (buffer.size() < 6 && more()) {
        }
        masks += buffer.substr(2, 4);
        eddy_test::RawFrame f = eddy_test::read_frame_from(buffer, more, true);
        if (f.payload != "same") masks += "!";
      }
      send_all(fd, eddy_test::encode_frame(0x88, eddy_test::close_payload(1000), false));
      eddy_test::read_frame_from(buffer, more, true);  // the client's answer
    });
    run([&]() -> eddy::Future<void> {
      eddy::WebSocketOptions o;
      o.compression = true;
      o.headers.add("Origin", "http://client.example");
      eddy::WebSocket ws = co_await eddy::websocket_connect(raw.url("/x?y=1"), o);
      eddy::Future<void> a = ws.write_message("same");
      co_await a;
      eddy::Future<void> b = ws.write_message("same");
      co_await b;
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      REQUIRE_FALSE(m);
      REQUIRE(ws.close_code() == 1000);
    });
  }  // the raw server's thread is joined: what it saw can be read
  REQUIRE(head.rfind("GET /x?y=1 HTTP/1.1\r\n", 0) == 0);
  REQUIRE(head.find("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n") != std::string::npos);
  REQUIRE(head.find("Origin: http://client.example\r\n") != std::string::npos);
  REQUIRE(masks.size() == 8);
  REQUIRE(masks.substr(0, 4) != masks.substr(4, 4));
}

TEST_CASE("a refused connection, an HTTP answer and a bad URL fail websocket_connect clearly", "[websocket][client]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/plain", [](eddy::RequestHandler& h) { h.write("not a websocket"); });
  });
  std::uint16_t port = server.port();
  run([&]() -> eddy::Future<void> {
    eddy::Future<eddy::WebSocket> missing =
        eddy::websocket_connect("ws://127.0.0.1:" + std::to_string(port) + "/nowhere");
    try {
      co_await missing;
    } catch (const eddy::HTTPClientError& e) {
      REQUIRE(e.code() == 404);
    }
    REQUIRE(missing.done());
    eddy::Future<eddy::WebSocket> plain = eddy::websocket_connect("ws://127.0.0.1:" + std::to_string(port) + "/plain");
    try {
      co_await plain;
    } catch (const eddy::HTTPClientError& e) {
      REQUIRE(e.code() == 200);
    }
    // A port nobody listens on (the server's, once it is closed, is not safe: use port 1).
    eddy::Future<eddy::WebSocket> refused = eddy::websocket_connect("ws://127.0.0.1:1/");
    try {
      co_await refused;
    } catch (const eddy::HTTPConnectionError& e) {
      REQUIRE(e.code() == 599);
    }
    eddy::Future<eddy::WebSocket> bad = eddy::websocket_connect("http://127.0.0.1/");
    REQUIRE(failure_of<std::invalid_argument>(bad).find("ws or wss") != std::string::npos);
    eddy::Future<eddy::WebSocket> tls = eddy::websocket_connect("wss://127.0.0.1:1/");
    try {
      co_await tls;
    } catch (const eddy::HTTPClientError& e) {
      REQUIRE(std::string(e.what()).find("<eddy/ssl.hpp>") != std::string::npos);
    }
  });
}

TEST_CASE("a server that never answers the upgrade times out after connect_timeout", "[websocket][client]") {
  RawServer raw([](int fd) {
    read_head(fd);
    std::this_thread::sleep_for(1s);  // silence
  });
  run([&]() -> eddy::Future<void> {
    eddy::WebSocketOptions o;
    o.connect_timeout = 200ms;
    auto start = std::chrono::steady_clock::now();
    eddy::Future<eddy::WebSocket> f = eddy::websocket_connect(raw.url(), o);
    try {
      co_await f;
    } catch (const eddy::HTTPTimeoutError& e) {
      REQUIRE(e.code() == 599);
    }
    REQUIRE(f.done());
    REQUIRE(std::chrono::steady_clock::now() - start < 900ms);
  });
}

TEST_CASE("a wrong accept key or an unoffered extension fails the handshake", "[websocket][client]") {
  for (std::string extra : {std::string("Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"),
                            std::string("Sec-WebSocket-Extensions: permessage-deflate\r\n")}) {
    RawServer raw([&](int fd) {
      std::string head = read_head(fd);
      std::string accept = "Sec-WebSocket-Accept: " + eddy::detail::ws::accept_key(key_of(head)) + "\r\n";
      send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                       (extra.find("Accept") != std::string::npos ? extra : accept + extra) + "\r\n");
      char c;
      while (::recv(fd, &c, 1, 0) == 1) {
      }
    });
    run([&]() -> eddy::Future<void> {
      eddy::Future<eddy::WebSocket> f = eddy::websocket_connect(raw.url());  // compression not offered
      try {
        co_await f;
      } catch (const eddy::HTTPConnectionError&) {
      }
      REQUIRE(f.done());
      REQUIRE(f.exception());
    });
  }
}

TEST_CASE("a masked frame from the server is closed by the client with 1002", "[websocket][client]") {
  int code = 0;
  {
    RawServer raw([&](int fd) {
      std::string head = read_head(fd);
      send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: " + eddy::detail::ws::accept_key(key_of(head)) + "\r\n\r\n");
      send_all(fd, eddy_test::encode_frame(0x81, "masked", true));
      std::string buffer;
      auto more = [&] {
        char chunk[4096];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n > 0) buffer.append(chunk, static_cast<std::size_t>(n));
        return n > 0;
      };
      code = eddy_test::read_frame_from(buffer, more, true).close_code();
    });
    run([&]() -> eddy::Future<void> {
      eddy::WebSocket ws = co_await eddy::websocket_connect(raw.url());
      std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
      REQUIRE_FALSE(m);
    });
  }  // joined
  REQUIRE(code == 1002);
}

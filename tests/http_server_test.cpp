// HTTPServer and HTTP1Connection: the wire behaviour of issue 12, driven by
// raw sockets from the test's thread against a server on a loop of its own.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "support/http_test_server.hpp"

using eddy_test::Client;
using eddy_test::fetch;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;
using namespace std::chrono_literals;

namespace {

void hello_routes(eddy::Application& app, eddy::IOLoop&) {
  app.route("/hello", [](eddy::RequestHandler& h) { h.write("Hello, World!"); });
  app.route("/echo", [](eddy::RequestHandler& h) { h.write(h.request().body); });
  app.route("/n/([0-9]+)", [](eddy::RequestHandler& h) { h.write("n=" + h.path_args()[0]); });
}

}  // namespace

TEST_CASE("HTTP/1.1 connections stay open by default and serve several requests", "[http][keepalive]") {
  HTTPTestServer server(hello_routes);
  Client c(server.port());
  for (int i = 0; i < 3; ++i) {
    c.send(get_request("/hello"));
    eddy_test::Response r = c.response();
    CHECK(r.status == 200);
    CHECK(r.body == "Hello, World!");
    CHECK_FALSE(r.headers.contains("Connection"));
  }
}

TEST_CASE("HTTP/1.0 closes after the response unless the request asks for keep-alive", "[http][keepalive]") {
  HTTPTestServer server(hello_routes);
  {
    Client c(server.port());
    c.send("GET /hello HTTP/1.0\r\n\r\n");
    eddy_test::Response r = c.response();
    CHECK(r.body == "Hello, World!");
    CHECK(r.headers.get("Connection") == "close");
    CHECK(c.closed_by_server());
  }
  {
    Client c(server.port());
    c.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    eddy_test::Response r = c.response();
    CHECK(r.headers.get("Connection") == "keep-alive");
    c.send("GET /n/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(c.response().body == "n=2");
  }
}

TEST_CASE("Connection: close is honoured", "[http][keepalive]") {
  HTTPTestServer server(hello_routes);
  Client c(server.port());
  c.send(get_request("/hello", "Connection: close\r\n"));
  eddy_test::Response r = c.response();
  CHECK(r.headers.get("Connection") == "close");
  CHECK(c.closed_by_server());
}

TEST_CASE("no_keep_alive closes every connection after its response", "[http][keepalive]") {
  eddy::HTTPServerOptions options;
  options.no_keep_alive = true;
  HTTPTestServer server(hello_routes, options);
  Client c(server.port());
  c.send(get_request("/hello"));
  CHECK(c.response().headers.get("Connection") == "close");
  CHECK(c.closed_by_server());
}

TEST_CASE("pipelined requests are answered in order", "[http][pipelining]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/slow/([0-9]+)", [](eddy::RequestHandler& h) -> eddy::Future<void> {
      co_await eddy::sleep(std::chrono::milliseconds(std::stoi(h.path_args()[0])));
      h.write("slow" + h.path_args()[0]);
    });
    app.route("/n/([0-9]+)", [](eddy::RequestHandler& h) { h.write("n=" + h.path_args()[0]); });
  });
  Client c(server.port());
  std::string batch;
  for (int i = 0; i < 20; ++i) batch += get_request(i % 5 == 2 ? "/slow/" + std::to_string(i) : "/n/" + std::to_string(i));
  c.send(batch);
  for (int i = 0; i < 20; ++i) {
    eddy_test::Response r = c.response();
    CHECK(r.body == (i % 5 == 2 ? "slow" : "n=") + std::to_string(i));
  }
}

// The batch goes in one send() of under 1 KiB, which loopback delivers as
// one segment: the server reads it whole, answers all 16 in the batch, and
// hands the 16 responses to the stream in one write (write_count()).
TEST_CASE("while a pipelined batch is being answered, responses ready together go out in one write",
          "[http][pipelining]") {
  HTTPTestServer server(hello_routes);
  Client c(server.port());
  c.send(get_request("/hello"));  // the connection is accepted and reading: the batch meets one read
  CHECK(c.response().body == "Hello, World!");
  auto writes = [&] { return server.on_loop([](eddy::HTTPServer& s, eddy::IOLoop&) { return s.write_count(); }); };
  std::uint64_t before = writes();
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += get_request("/n/" + std::to_string(i));
  REQUIRE(batch.size() < 1024);
  c.send(batch);
  for (int i = 0; i < 16; ++i) CHECK(c.response().body == "n=" + std::to_string(i));
  CHECK(writes() - before == 1);
}

TEST_CASE("a Content-Length request body reaches the handler", "[http][body]") {
  HTTPTestServer server(hello_routes);
  std::string body(100000, 'x');
  Client c(server.port());
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
  std::this_thread::sleep_for(10ms);
  c.send(body);
  eddy_test::Response r = c.response();
  CHECK(r.body == body);
}

TEST_CASE("a chunked request body is decoded, extensions ignored and trailers dropped", "[http][body]") {
  HTTPTestServer server(hello_routes);
  Client c(server.port());
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n");
  std::this_thread::sleep_for(10ms);
  c.send("6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n");
  eddy_test::Response r = c.response();
  CHECK(r.body == "hello world");
  c.send(get_request("/hello"));
  CHECK(c.response().body == "Hello, World!");
}

TEST_CASE("Expect: 100-continue gets 100 Continue before the body is sent", "[http][body]") {
  HTTPTestServer server(hello_routes);
  Client c(server.port());
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  eddy_test::Response interim = c.response();
  CHECK(interim.status == 100);
  c.send("ping");
  eddy_test::Response r = c.response();
  CHECK(r.status == 200);
  CHECK(r.body == "ping");
}

TEST_CASE("HEAD runs the handler and sends the GET headers without a body", "[http][head]") {
  std::atomic<int> runs{0};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/page", {"GET"}, [&](eddy::RequestHandler& h) {
      ++runs;
      h.write("twelve bytes");
    });
  });
  Client c(server.port());
  c.send("HEAD /page HTTP/1.1\r\nHost: t\r\n\r\n");
  eddy_test::Response r = c.response(true);
  CHECK(r.status == 200);
  CHECK(r.headers.get("Content-Length") == "12");
  CHECK(r.body.empty());
  c.send(get_request("/page"));
  CHECK(c.response().body == "twelve bytes");  // nothing stray was left between them
  CHECK(runs == 2);
}

TEST_CASE("204 and 304 responses never carry a body or a length", "[http][status]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/204", [](eddy::RequestHandler& h) { h.set_status(204); });
    app.route("/304", [](eddy::RequestHandler& h) { h.set_status(304); });
    app.route("/204-body", [](eddy::RequestHandler& h) {
      h.set_status(204);
      h.write("oops");
    });
  });
  Client c(server.port());
  for (const char* target : {"/204", "/304"}) {
    c.send(get_request(target));
    eddy_test::Response r = c.response();
    CHECK(r.status == std::stoi(target + 1));
    CHECK_FALSE(r.headers.contains("Content-Length"));
    CHECK_FALSE(r.headers.contains("Transfer-Encoding"));
    CHECK(r.headers.contains("Date"));
  }
  c.send(get_request("/204-body"));
  CHECK(c.response().status == 500);  // a body on a 204 is the handler's bug
  CHECK(server.exceptions().size() == 1);
}

TEST_CASE("every response has Date and Content-Length", "[http][framing]") {
  HTTPTestServer server(hello_routes);
  for (const char* target : {"/hello", "/nothing-here"}) {
    eddy_test::Response r = fetch(server.port(), get_request(target));
    CHECK(r.headers.get("Date").size() == 29);
    CHECK(r.headers.contains("Content-Length"));
    CHECK_FALSE(r.chunked);
  }
}

TEST_CASE("a response flushed before it ends is chunked to HTTP/1.1 and closed to HTTP/1.0", "[http][framing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/stream", [](eddy::RequestHandler& h) -> eddy::Future<void> {
      h.write("part one, ");
      co_await h.flush();
      co_await eddy::sleep(5ms);
      h.write("part two");
    });
  });
  Client c(server.port());
  c.send(get_request("/stream"));
  eddy_test::Response r = c.response();
  CHECK(r.chunked);
  CHECK(r.headers.get("Transfer-Encoding") == "chunked");
  CHECK(r.body == "part one, part two");
  c.send(get_request("/stream"));
  CHECK(c.response().body == "part one, part two");  // the connection stayed usable

  Client old(server.port());
  old.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  eddy_test::Response r10 = old.response();
  CHECK_FALSE(r10.chunked);
  CHECK_FALSE(r10.headers.contains("Content-Length"));
  CHECK(r10.headers.get("Connection") == "close");
  CHECK(r10.body == "part one, part two");
}

TEST_CASE("no matching route is 404; a route without the method is 405 with Allow", "[http][routing]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/only-post", {"POST"}, [](eddy::RequestHandler& h) { h.write("posted"); });
  });
  CHECK(fetch(server.port(), get_request("/missing")).status == 404);
  eddy_test::Response r = fetch(server.port(), get_request("/only-post"));
  CHECK(r.status == 405);
  CHECK(r.headers.get("Allow") == "POST");
  CHECK(fetch(server.port(), "POST /only-post HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").body == "posted");
}

TEST_CASE("HTTPError(n) gives n, any other exception 500 to the loop's handler, and the server goes on",
          "[http][errors]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/forbidden", [](eddy::RequestHandler&) { throw eddy::HTTPError(403); });
    app.route("/boom", [](eddy::RequestHandler&) { throw std::runtime_error("boom"); });
    app.route("/async-boom", [](eddy::RequestHandler&) -> eddy::Future<void> {
      co_await eddy::sleep(1ms);
      throw std::runtime_error("async boom");
    });
    app.route("/ok", [](eddy::RequestHandler& h) { h.write("ok"); });
  });
  Client c(server.port());
  c.send(get_request("/forbidden"));
  CHECK(c.response().status == 403);
  c.send(get_request("/boom"));
  CHECK(c.response().status == 500);
  c.send(get_request("/async-boom"));
  CHECK(c.response().status == 500);
  c.send(get_request("/ok"));
  CHECK(c.response().body == "ok");
  std::vector<std::string> errors = server.exceptions();
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == "boom");
  CHECK(errors[1] == "async boom");
}

namespace {

// Sends `request`, expects `status` and a close, and that no handler ran.
void check_refused(std::uint16_t port, const std::string& request, int status, const std::atomic<int>& runs) {
  INFO("request: " << request);
  Client c(port);
  c.send(request);
  eddy_test::Response r = c.response();
  CHECK(r.status == status);
  CHECK(r.headers.get("Connection") == "close");
  CHECK(c.closed_by_server());
  CHECK(runs == 0);
}

}  // namespace

TEST_CASE("bad requests get their status, then a close, and never reach a handler", "[http][errors]") {
  std::atomic<int> runs{0};
  eddy::HTTPServerOptions options;
  options.max_header_size = 1024;
  options.max_body_size = 100;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/.*", [&](eddy::RequestHandler&) { ++runs; });
  }, options);
  std::uint16_t port = server.port();
  check_refused(port, "GARBAGE\r\n\r\n", 400, runs);
  check_refused(port, "GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400, runs);
  check_refused(port, std::string("GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n", 33), 400, runs);
  check_refused(port, "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400, runs);
  check_refused(port, "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n  folded\r\n\r\n", 400, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc", 400, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n", 400, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: frobnicate, chunked\r\n\r\n", 501, runs);
  check_refused(port, "GET / HTTP/1.1\r\n\r\n", 400, runs);
  check_refused(port, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, runs);
  check_refused(port, "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505, runs);
  check_refused(port, "GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(1100, 'a') + "\r\n\r\n", 431, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n", 413, runs);
  check_refused(port, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", 413, runs);
  CHECK(server.exceptions().empty());
}

TEST_CASE("the limits hold at limit and refuse at limit + 1", "[http][limits]") {
  eddy::HTTPServerOptions options;
  options.max_body_size = 10;
  HTTPTestServer server(hello_routes, options);
  auto post = [](std::size_t n) {
    return "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + std::string(n, 'b');
  };
  CHECK(fetch(server.port(), post(9)).status == 200);
  CHECK(fetch(server.port(), post(10)).status == 200);
  CHECK(fetch(server.port(), post(11)).status == 413);
}

TEST_CASE("a response header value with CR, LF or NUL is refused", "[http][errors]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/h", [](eddy::RequestHandler& h) {
      int refused = 0;
      for (const char* bad : {"a\rb", "a\nb"}) {
        try {
          h.set_header("X-Bad", bad);
        } catch (const std::invalid_argument&) {
          ++refused;
        }
      }
      try {
        h.add_header("X-Bad", std::string("a\0b", 3));
      } catch (const std::invalid_argument&) {
        ++refused;
      }
      h.write(std::to_string(refused));
    });
  });
  eddy_test::Response r = fetch(server.port(), get_request("/h"));
  CHECK(r.body == "3");
  CHECK_FALSE(r.headers.contains("X-Bad"));
}

TEST_CASE("an idle keep-alive connection closes after idle_connection_timeout", "[http][timeouts]") {
  eddy::HTTPServerOptions options;
  options.idle_connection_timeout = 200ms;
  HTTPTestServer server(hello_routes, options);
  Client c(server.port());
  c.send(get_request("/hello"));
  CHECK(c.response().status == 200);
  auto start = std::chrono::steady_clock::now();
  CHECK(c.closed_by_server());
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
}

TEST_CASE("a header that trickles in is cut off after idle_connection_timeout", "[http][timeouts]") {
  eddy::HTTPServerOptions options;
  options.idle_connection_timeout = 300ms;
  HTTPTestServer server(hello_routes, options);
  Client c(server.port());
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    try {
      c.send("X");
    } catch (const std::runtime_error&) {
      closed = true;
    }
    pollfd p{c.fd(), POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) closed = true;
  }
  CHECK(closed);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("a stalled body is cut off after body_timeout", "[http][timeouts]") {
  std::atomic<int> runs{0};
  eddy::HTTPServerOptions options;
  options.body_timeout = 200ms;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/", [&](eddy::RequestHandler&) { ++runs; });
  }, options);
  Client c(server.port());
  c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  CHECK(c.closed_by_server());
  CHECK(runs == 0);
}

TEST_CASE("a client that leaves mid-request triggers on_connection_close; later writes are no-ops",
          "[http][close]") {
  std::atomic<bool> notified{false}, wrote_after{false};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/wait", [&](eddy::RequestHandler& h) -> eddy::Future<void> {
      h.on_connection_close([&] { notified = true; });
      while (!notified) co_await eddy::sleep(5ms);
      h.write("nobody reads this");
      co_await h.flush();
      h.write("or this");
      wrote_after = true;
    });
  });
  {
    Client c(server.port());
    c.send(get_request("/wait"));
    std::this_thread::sleep_for(50ms);
  }
  for (int i = 0; i < 400 && !wrote_after; ++i) std::this_thread::sleep_for(5ms);
  CHECK(notified);
  CHECK(wrote_after);
  CHECK(server.exceptions().empty());
}

TEST_CASE("xheaders take remote_ip and protocol from the proxy's headers", "[http][xheaders]") {
  auto routes = [](eddy::Application& app, eddy::IOLoop&) {
    app.route("/who", [](eddy::RequestHandler& h) { h.write(h.request().remote_ip + " " + h.request().protocol); });
  };
  std::string request = get_request("/who", "X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\nX-Forwarded-Proto: https\r\n");
  {
    HTTPTestServer plain(routes);
    CHECK(fetch(plain.port(), request).body == "127.0.0.1 http");
  }
  eddy::HTTPServerOptions options;
  options.xheaders = true;
  HTTPTestServer proxied(routes, options);
  CHECK(fetch(proxied.port(), request).body == "10.0.0.2 https");
  CHECK(fetch(proxied.port(), get_request("/who", "X-Real-Ip: 192.168.1.9\r\n")).body == "192.168.1.9 http");
}

TEST_CASE("close_all_connections closes idle connections now and busy ones after their response",
          "[http][close]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/hello", [](eddy::RequestHandler& h) { h.write("hi"); });
    app.route("/slow", [](eddy::RequestHandler& h) -> eddy::Future<void> {
      co_await eddy::sleep(200ms);
      h.write("slow done");
    });
  });
  Client idle(server.port());
  idle.send(get_request("/hello"));
  CHECK(idle.response().body == "hi");
  Client busy(server.port());
  busy.send(get_request("/slow"));
  std::this_thread::sleep_for(50ms);
  std::atomic<bool> resolved{false};
  server.on_loop([&](eddy::HTTPServer& s, eddy::IOLoop&) {
    s.close_all_connections().add_done_callback([&](const eddy::Future<void>&) { resolved = true; });
  });
  CHECK(idle.closed_by_server());
  eddy_test::Response r = busy.response();
  CHECK(r.body == "slow done");
  CHECK(r.headers.get("Connection") == "close");
  CHECK(busy.closed_by_server());
  for (int i = 0; i < 400 && !resolved; ++i) std::this_thread::sleep_for(5ms);
  CHECK(resolved);
}

TEST_CASE("stop() stops accepting while open connections go on", "[http][close]") {
  HTTPTestServer server(hello_routes);
  Client c(server.port());
  c.send(get_request("/hello"));
  CHECK(c.response().status == 200);
  server.on_loop([](eddy::HTTPServer& s, eddy::IOLoop&) { s.stop(); });
  c.send(get_request("/hello"));
  CHECK(c.response().status == 200);
  CHECK_THROWS(Client(server.port()));
}

TEST_CASE("the blocking detector names a handler that blocks", "[http][detector]") {
  std::mutex mutex;
  std::string kind, file;
  unsigned line = 0;
  unsigned route_line = 0;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop& loop) {
    loop.set_blocking_log_threshold(20ms);
    loop.set_blocking_handler([&](const eddy::BlockingReport& report) {
      std::lock_guard<std::mutex> lock(mutex);
      if (kind.empty()) {
        kind = report.kind;
        file = report.where.file_name();
        line = report.where.line();
      }
    });
    route_line = __LINE__ + 1;
    app.route("/block", [](eddy::RequestHandler& h) {
      std::this_thread::sleep_for(60ms);
      h.write("done");
    });
  });
  CHECK(fetch(server.port(), get_request("/block")).body == "done");
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(kind == "HTTP handler for /block");
  CHECK(file.find("http_server_test.cpp") != std::string::npos);
  CHECK(line == route_line);
}

TEST_CASE("add_socket serves a socket that already listens, set_reuse_port lets two servers share a port",
          "[http][sockets]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy::Application app;
  app.route("/", [](eddy::RequestHandler& h) { h.write("via add_socket"); });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::uint16_t port = ntohs(addr.sin_port);
  std::string body;
  {
    eddy::HTTPServer server(app);
    server.add_socket(fd);
    eddy::HTTPServer a(app), b(app);
    a.set_reuse_port(true);
    b.set_reuse_port(true);
    std::uint16_t shared = a.listen(0, "127.0.0.1");
    CHECK(b.listen(shared, "127.0.0.1") == shared);
    // The client thread owns `body` until `fetched` says it is done: the
    // loop thread only polls the flag (TSan: no read of the string racing
    // its write).
    std::atomic<bool> fetched{false};
    std::thread client([&] {
      body = fetch(port, get_request("/")).body;
      fetched.store(true, std::memory_order_release);
    });
    while (!fetched.load(std::memory_order_acquire)) {
      loop.run_sync([]() -> eddy::Future<void> { co_await eddy::sleep(5ms); });
    }
    client.join();
  }
  CHECK(body == "via add_socket");
  eddy::IOLoop::clear_current();
}

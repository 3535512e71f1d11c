// HTTPServer against bad requests, limits and timeouts: refused requests
// get their status and a close, limits hold at limit and refuse at limit + 1,
// idle, trickling and stalled clients are cut off.
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
using eddy_test::hello_routes;

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

TEST_CASE("after a pipelined batch the connection waits on idle_connection_timeout", "[http][timeouts][pipelining]") {
  eddy::HTTPServerOptions options;
  options.idle_connection_timeout = 200ms;
  HTTPTestServer server(hello_routes, options);
  Client c(server.port());
  // Three requests in one write: the deadline is armed once, after the last.
  c.send(get_request("/hello") + get_request("/hello") + get_request("/hello"));
  for (int i = 0; i < 3; ++i) CHECK(c.response().status == 200);
  auto start = std::chrono::steady_clock::now();
  CHECK(c.closed_by_server());
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
  // A batch whose last request is cut short keeps the same deadline.
  Client d(server.port());
  d.send(get_request("/hello") + get_request("/hello") + "GET /hel");
  for (int i = 0; i < 2; ++i) CHECK(d.response().status == 200);
  CHECK(d.closed_by_server());
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

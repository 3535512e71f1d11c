// HTTPServer's output against clients and handlers that misbehave (issue
// 20, defects 5 and 8): a response nobody reads is cut off after
// send_timeout while a slow reader is not, and a handler's own
// Content-Length must match its body. Raw sockets from the test's thread
// against a server on a loop of its own. Pipelining, closing and teardown:
// http_server_hardening_test.cpp.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/http_test_server.hpp"
#include "support/misbehaving_client.hpp"

using eddy_test::big_routes;
using eddy_test::Client;
using eddy_test::connections;
using eddy_test::expected_size;
using eddy_test::fetch;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;
using eddy_test::SmallWindowClient;
using eddy_test::wait_for;
using namespace std::chrono_literals;

// ---- defect 5: send_timeout --------------------------------------------------

TEST_CASE("a response to a client that never reads is closed after send_timeout", "[http][hardening][timeouts]") {
  std::atomic<int> runs{0};
  eddy::HTTPServerOptions options;
  options.send_timeout = 300ms;
  std::string request;
  SECTION("Connection: close") { request = get_request("/big", "Connection: close\r\n"); }
  SECTION("HTTP/1.0") { request = "GET /big HTTP/1.0\r\n\r\n"; }
  SECTION("no_keep_alive") {
    options.no_keep_alive = true;
    request = get_request("/big");
  }
  SECTION("HTTP/1.0, streamed") { request = "GET /stream HTTP/1.0\r\n\r\n"; }
  SECTION("HTTP/1.1 streamed") { request = get_request("/stream"); }
  SECTION("keep-alive, the client stopped reading mid-response") { request = get_request("/big"); }
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    big_routes(app, runs);
    app.route("/stream", [&](eddy::RequestHandler& h) -> eddy::Future<void> {
      ++runs;
      for (int i = 0; i < 8; ++i) {
        h.write(std::string(1024 * 1024, 's'));
        eddy::Future<void> flushed = h.flush();
        co_await flushed;
      }
    });
  }, options);
  SmallWindowClient c(server.port());
  c.send(request);
  REQUIRE(wait_for([&] { return runs == 1; }));
  auto start = std::chrono::steady_clock::now();
  CHECK(wait_for([&] { return connections(server) == 0; }));
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  CHECK(server.exceptions().empty());
}

TEST_CASE("a client that reads slowly but steadily is not cut off by send_timeout", "[http][hardening][timeouts]") {
  std::atomic<int> runs{0};
  eddy::HTTPServerOptions options;
  options.send_timeout = 1s;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/big", [&](eddy::RequestHandler& h) {
      ++runs;
      h.write(std::string(1024 * 1024, 'b'));
    });
  }, options);
  SmallWindowClient c(server.port());
  c.send(get_request("/big"));
  // 1 MiB at about 32 KiB per 20 ms: over half a second with a backlog queued
  // in the server the whole time, never a second without progress.
  std::string data;
  std::size_t size = 0;
  while ((size = expected_size(data)) == 0) data += c.receive_some();
  data += c.receive(size - data.size(), 20ms);
  CHECK(data.size() == size);
  CHECK(size > 1024 * 1024);
  CHECK(connections(server) == 1);
  CHECK(server.exceptions().empty());
}

// ---- defect 8: the handler's own Content-Length ------------------------------

TEST_CASE("a body longer than the handler's Content-Length is an error at write and closes the connection",
          "[http][hardening][content-length]") {
  std::atomic<int> caught{0};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/short", [](eddy::RequestHandler& h) {
      h.set_header("Content-Length", "2");
      h.write("hello");
    });
    app.route("/short-flushed", [&](eddy::RequestHandler& h) {
      h.set_header("Content-Length", "4");
      h.write("ab");
      h.flush();
      try {
        h.write("cde");
      } catch (const eddy::HTTPOutputError&) {
        ++caught;
      }
    });
    app.route("/hello", [](eddy::RequestHandler& h) { h.write("Hello, World!"); });
  });
  {
    Client c(server.port());
    c.send(get_request("/short") + get_request("/hello"));
    std::string data = c.read_until_close();
    CHECK(data.find("llo") == std::string::npos);  // never framed as the next response's start
    CHECK(data.find("Hello, World!") == std::string::npos);
  }
  {
    Client c(server.port());
    c.send(get_request("/short-flushed") + get_request("/hello"));
    std::string data = c.read_until_close();
    CHECK(data.find("Content-Length: 4\r\n") != std::string::npos);
    CHECK(data.substr(data.size() - 4) == "\r\nab");  // what fit, then the close
    CHECK(data.find("Hello, World!") == std::string::npos);
  }
  // The handler goes on after the close: wait for it.
  CHECK(wait_for([&] { return caught == 1 && server.exceptions().size() == 1; }));
  std::vector<std::string> errors = server.exceptions();
  REQUIRE(errors.size() == 1);  // /short's, uncaught; /short-flushed caught its own
  CHECK(errors[0].find("Content-Length") != std::string::npos);
}

TEST_CASE("a body shorter than the handler's Content-Length is an error at finish and closes the connection",
          "[http][hardening][content-length]") {
  std::atomic<int> caught{0};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/long", [](eddy::RequestHandler& h) {
      h.set_header("Content-Length", "10");
      h.write("hello");
    });
    app.route("/long-flushed", [&](eddy::RequestHandler& h) {
      h.set_header("Content-Length", "10");
      h.write("hello");
      h.flush();
      try {
        h.finish();
      } catch (const eddy::HTTPOutputError&) {
        ++caught;
      }
    });
    app.route("/hello", [](eddy::RequestHandler& h) { h.write("Hello, World!"); });
  });
  {
    Client c(server.port());
    c.send(get_request("/long") + get_request("/hello"));
    std::string data = c.read_until_close();
    CHECK(data.find("hello") == std::string::npos);
    CHECK(data.find("Hello, World!") == std::string::npos);
  }
  {
    Client c(server.port());
    c.send(get_request("/long-flushed") + get_request("/hello"));
    std::string data = c.read_until_close();
    CHECK(data.find("Content-Length: 10\r\n") != std::string::npos);
    CHECK(data.substr(data.size() - 9) == "\r\n\r\nhello");  // 5 of 10, then the close
  }
  CHECK(wait_for([&] { return caught == 1 && server.exceptions().size() == 1; }));
  std::vector<std::string> errors = server.exceptions();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("Content-Length") != std::string::npos);
}

TEST_CASE("a Content-Length that is not a decimal number is refused when set", "[http][hardening][content-length]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/set", [](eddy::RequestHandler& h) {
      int refused = 0;
      for (const char* bad : {"abc", "", "-1", "+5", " 5", "5 ", "1.0", "0x10", "5,5", "99999999999999999999999"}) {
        try {
          h.set_header("Content-Length", bad);
        } catch (const std::invalid_argument&) {
          ++refused;
        }
        try {
          h.add_header("content-length", bad);
        } catch (const std::invalid_argument&) {
          ++refused;
        }
      }
      h.write(std::to_string(refused));
    });
  });
  eddy_test::Response r = fetch(server.port(), get_request("/set"));
  CHECK(r.status == 200);
  CHECK(r.body == "20");
  CHECK(r.headers.get("Content-Length") == "2");
  CHECK(server.exceptions().empty());
}

TEST_CASE("a matching Content-Length keeps the connection; HEAD and 304 keep their rules",
          "[http][hardening][content-length]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/exact", [](eddy::RequestHandler& h) -> eddy::Future<void> {
      h.set_header("Content-Length", "10");
      h.write("hello");
      eddy::Future<void> flushed = h.flush();
      co_await flushed;
      h.write("world");
    });
    app.route("/declared", {"GET"}, [](eddy::RequestHandler& h) {
      h.set_header("Content-Length", "100");  // HEAD: the size, no body
      if (h.request().method == "GET") h.write(std::string(100, 'g'));
    });
    app.route("/304", [](eddy::RequestHandler& h) {
      h.set_status(304);
      h.set_header("Content-Length", "50");
    });
    app.route("/hello", [](eddy::RequestHandler& h) { h.write("Hello, World!"); });
  });
  Client c(server.port());
  c.send(get_request("/exact"));
  eddy_test::Response exact = c.response();
  CHECK(exact.body == "helloworld");
  CHECK_FALSE(exact.chunked);
  c.send("HEAD /declared HTTP/1.1\r\nHost: t\r\n\r\n");
  eddy_test::Response head = c.response(true);
  CHECK(head.headers.get("Content-Length") == "100");
  CHECK(head.body.empty());
  c.send(get_request("/declared"));
  CHECK(c.response().body == std::string(100, 'g'));
  c.send(get_request("/304"));
  eddy_test::Response not_modified = c.response();
  CHECK(not_modified.status == 304);
  CHECK_FALSE(not_modified.headers.contains("Content-Length"));
  c.send(get_request("/hello"));
  CHECK(c.response().body == "Hello, World!");
  CHECK(server.exceptions().empty());
}

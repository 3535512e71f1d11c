// HTTPServer and HTTP1Connection: the wire behaviour of issue 12 (keep-alive,
// pipelining, bodies, HEAD, framing, routing, errors, xheaders), driven by
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
using eddy_test::hello_routes;

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

// Application::route_streaming: request bodies handed to the handler as they
// arrive (Content-Length and chunked), flow control by the handler's future,
// the route's own bound instead of max_body_size, a handler that finishes
// early, and errors in the middle of a body.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "support/http_test_server.hpp"
#include "support/run_command.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define EDDY_TEST_SANITIZED 1
#endif
#endif

using eddy_test::Client;
using eddy_test::HTTPTestServer;

namespace {

// Counts what a streaming route received; written on the server's thread.
struct Tally {
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<int> calls{0};
  std::atomic<int> lasts{0};
  std::atomic<int> closed{0};
};

// A route that counts the body and answers "<bytes> <lasts>".
void counting_route(eddy::Application& app, Tally& t, eddy::StreamingOptions options = {}) {
  app.route_streaming(
      "/up",
      [&t](eddy::RequestHandler& h, std::string_view chunk, bool last) {
        t.bytes += chunk.size();
        ++t.calls;
        if (!last) return;
        ++t.lasts;
        h.write(std::to_string(t.bytes.load()) + " " + std::to_string(t.lasts.load()));
      },
      options);
}

std::string post(std::string_view body, std::string_view path = "/up") {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

TEST_CASE("a streaming route gets a Content-Length body in pieces, then one last call", "[web][streaming][server]") {
  Tally t;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) { counting_route(app, t); });
  Client c(server.port());
  std::string body(300000, 'x');
  c.send(post(body));
  eddy_test::Response r = c.response();
  CHECK(r.status == 200);
  CHECK(r.body == "300000 1");
  CHECK(t.calls >= 2);
  // The connection stays usable: a second request on it, without a body.
  c.send("GET /up HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(c.response().body == "300000 2");
}

TEST_CASE("a streaming route gets a chunked body's data as it is decoded", "[web][streaming][server]") {
  Tally t;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) { counting_route(app, t); });
  Client c(server.port());
  c.send("POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.send("6\r\n world\r\n0\r\n\r\n");
  eddy_test::Response r = c.response();
  CHECK(r.body == "11 1");
  CHECK(t.calls >= 3);
}

TEST_CASE("a streamed body is not bounded by max_body_size, only by the route's bound", "[web][streaming][server]") {
  Tally t, bounded;
  eddy::HTTPServerOptions options;
  options.max_body_size = 1024;
  HTTPTestServer server(
      [&](eddy::Application& app, eddy::IOLoop&) {
        counting_route(app, t);
        eddy::StreamingOptions o;
        o.max_body_size = 2000;
        app.route_streaming("/small", [&bounded](eddy::RequestHandler& h, std::string_view c, bool last) {
          bounded.bytes += c.size();
          if (last) h.write("ok");
        }, o);
        app.route("/plain", [](eddy::RequestHandler& h) { h.write("plain"); });
      },
      options);
  CHECK(eddy_test::fetch(server.port(), post(std::string(100000, 'a'))).body == "100000 1");
  CHECK(eddy_test::fetch(server.port(), post(std::string(2000, 'a'), "/small")).body == "ok");
  CHECK(eddy_test::fetch(server.port(), post(std::string(2001, 'a'), "/small")).status == 413);
  CHECK(eddy_test::fetch(server.port(), post(std::string(1025, 'a'), "/plain")).status == 413);
  std::string chunked = "POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "3e8\r\n" + std::string(1000, 'b') + "\r\n";
  chunked += "0\r\n\r\n";
  Client c(server.port());
  c.send(chunked);
  CHECK(c.response().status == 413);
  CHECK(c.closed_by_server());
}

TEST_CASE("a streaming handler's pending future stops the server reading the body", "[web][streaming][server]") {
  Tally t;
  std::shared_ptr<eddy::Future<void>> gate;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    gate = std::make_shared<eddy::Future<void>>();
    app.route_streaming("/up", [&t, gate](eddy::RequestHandler& h, std::string_view c, bool last) {
      t.bytes += c.size();
      if (last) h.write(std::to_string(t.bytes.load()));
      if (t.calls++ == 0) return *gate;  // the first piece waits for the test
      return eddy::make_ready_future();
    });
  });
  const std::size_t total = 64 * 1024 * 1024;
  Client c(server.port());
  c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
  ::fcntl(c.fd(), F_SETFL, ::fcntl(c.fd(), F_GETFL) | O_NONBLOCK);
  std::string block(256 * 1024, 'z');
  std::size_t sent = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  // Write until the kernel's buffers are full and stay full for 300 ms.
  while (sent < total && std::chrono::steady_clock::now() < until) {
    ssize_t n = ::send(c.fd(), block.data(), std::min(block.size(), total - sent), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    pollfd p{c.fd(), POLLOUT, 0};
    if (::poll(&p, 1, 300) == 0) break;
  }
  CHECK(sent < total);          // held back: the server stopped reading
  CHECK(t.calls == 1);          // and delivered nothing past the first piece
  CHECK(t.bytes < 1024 * 1024);
  server.on_loop([&](eddy::HTTPServer&, eddy::IOLoop&) {
    gate->set_result();
    return 0;
  });
  ::fcntl(c.fd(), F_SETFL, ::fcntl(c.fd(), F_GETFL) & ~O_NONBLOCK);
  while (sent < total) {
    std::size_t n = std::min(block.size(), total - sent);
    c.send(std::string_view(block.data(), n));
    sent += n;
  }
  CHECK(c.response().body == std::to_string(total));
}

TEST_CASE("a streaming handler that finishes early ends the connection after its response",
          "[web][streaming][server]") {
  Tally t;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route_streaming("/up", [&t](eddy::RequestHandler& h, std::string_view, bool) {
      ++t.calls;
      h.set_status(403);
      h.write("no");
      h.finish();
    });
  });
  Client c(server.port());
  c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n" + std::string(1000, 'q'));
  eddy_test::Response r = c.response();
  CHECK(r.status == 403);
  CHECK(r.headers.get("Connection") == "close");
  CHECK(c.closed_by_server());
  CHECK(t.calls == 1);
}

TEST_CASE("errors in the middle of a streamed body end the request", "[web][streaming][server]") {
  Tally t;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route_streaming("/up", [&t](eddy::RequestHandler& h, std::string_view c, bool) {
      h.on_connection_close([&t] { ++t.closed; });
      if (c.find('!') != std::string_view::npos) throw eddy::HTTPError(422, "a bang in the body");
    });
  });
  SECTION("a bad chunk: 400 and close") {
    Client c(server.port());
    c.send("POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n");
    CHECK(c.response().status == 400);
    CHECK(c.closed_by_server());
  }
  SECTION("the handler throws HTTPError: its status and close") {
    Client c(server.port());
    c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nab!");
    CHECK(c.response().status == 422);
    CHECK(c.closed_by_server());
  }
  SECTION("the client leaves: on_connection_close runs") {
    {
      Client c(server.port());
      c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (t.closed == 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(t.closed == 1);
  }
}

TEST_CASE("a 100 MiB upload with curl is streamed to a counter in bounded memory", "[web][streaming][server]") {
  Tally t;
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) { counting_route(app, t); });
  std::string file = "/tmp/eddy-stream-" + std::to_string(server.port()) + ".bin";
  std::string make = "truncate -s 100M " + file;
  REQUIRE(std::system(make.c_str()) == 0);
  long before = rss_kib();
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/up";
  for (const char* how : {"--data-binary @", "-T "}) {
    t.bytes = 0;
    std::string cmd = "curl -s -S --max-time 60 -H 'Expect:' -X POST " + std::string(how) + file + " " + url;
    std::string out = eddy_test::run_command(cmd).out;
    CHECK(out.substr(0, out.find(' ')) == std::to_string(100 * 1024 * 1024));
  }
  long growth = rss_kib() - before;
  std::remove(file.c_str());
  // curl --data-binary reads the file into its own memory, a child process:
  // only the server's growth counts, far below the 100 MiB a buffered body
  // costs. Not under the sanitizers: ASan's quarantine keeps freed blocks
  // resident (256 MiB by default) and TSan's shadow grows with use.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !defined(EDDY_TEST_SANITIZED)
  CHECK(growth < 32 * 1024);
#else
  (void)growth;
#endif
  CHECK(t.lasts == 2);
}

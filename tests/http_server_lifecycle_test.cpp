// HTTPServer's lifecycle: close_all_connections, stop(), the blocking
// detector naming a handler, add_socket and set_reuse_port.
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
  CHECK(file.find("http_server_lifecycle_test.cpp") != std::string::npos);
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

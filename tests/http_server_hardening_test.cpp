// HTTPServer against clients that misbehave on purpose (issue 20, defects 1,
// 2, 7, 10): a client that pipelines and never reads, one that resets
// mid-response, and a server closed or destroyed under bytes already read.
// Raw sockets from the test's thread against a server on a loop of its own,
// except where the test must destroy the server itself (then the loop runs
// here and the client on a thread). Send timeouts and a handler's own
// Content-Length: http_server_output_test.cpp.
#include <catch2/catch.hpp>

#include <sys/ioctl.h>
#include <sys/socket.h>
#if defined(__linux__)
#include <linux/sockios.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "support/exception_log.hpp"
#include "support/http_test_server.hpp"
#include "support/misbehaving_client.hpp"

using eddy_test::big_routes;
using eddy_test::big_size;
using eddy_test::Client;
using eddy_test::connections;
using eddy_test::expected_size;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;
using eddy_test::SmallWindowClient;
using eddy_test::wait_for;
using eddy_test::writes;
using namespace std::chrono_literals;

namespace {

// Runs `loop` (on this thread) for `d`.
void run_for(eddy::IOLoop& loop, std::chrono::milliseconds d) {
  loop.run_sync([d] { return eddy::sleep(d); });
}

}  // namespace

// ---- defect 1: the queued-response bound -------------------------------------

TEST_CASE("a client that pipelines and never reads gets no more answers once max_queued_response_bytes are queued",
          "[http][hardening][pipelining]") {
  constexpr int requests = 80;
  constexpr std::size_t body = 256 * 1024;
  std::atomic<int> runs{0};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/big", [&](eddy::RequestHandler& h) {
      ++runs;
      h.write(std::string(body, 'p'));
    });
  });
  CHECK(server.on_loop([](eddy::HTTPServer& s, eddy::IOLoop&) { return s.options().max_queued_response_bytes; }) ==
        64 * 1024);
  SmallWindowClient c(server.port());
  std::string batch;
  for (int i = 0; i < requests; ++i) batch += get_request("/big");
  c.send(batch);
  // Wait until the count stops moving: the server answers what the kernel
  // and the bound admit, then holds the rest back.
  int last = -1;
  for (int stable = 0; stable < 40; ++stable) {
    std::this_thread::sleep_for(10ms);
    if (runs != last) stable = 0;
    last = runs;
  }
  INFO("handler runs while the client did not read: " << runs);
  CHECK(runs >= 1);
  // Loopback's kernel buffers absorb about 3.5 MiB here (14 runs); without
  // the bound all 80 ran and 20 MiB waited in the server for one connection.
  CHECK(runs <= 40);
  // The held requests are answered, in order and whole, once the client reads.
  std::string data;
  std::size_t one = 0;
  while ((one = expected_size(data)) == 0) data += c.receive_some();
  data += c.receive(one * requests - data.size());
  CHECK(data.size() == one * requests);
  CHECK(runs == requests);
  CHECK(server.exceptions().empty());
}

namespace {

// Pipelines three requests for `size`-byte responses into a connection
// whose server holds dispatch past `bound` queued bytes, and returns how
// many writes the server made for them.
std::uint64_t writes_for_three(std::size_t bound, std::size_t& response) {
  eddy::HTTPServerOptions options;
  options.max_queued_response_bytes = bound;
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/s", [](eddy::RequestHandler& h) { h.write(std::string(100, 's')); });
  }, options);
  Client c(server.port());
  c.send(get_request("/s"));  // the connection is accepted and reading: the batch meets one read
  while ((response = expected_size(c.buffered())) == 0 || c.buffered().size() < response) REQUIRE(c.receive_some());
  c.buffered().clear();
  std::uint64_t before = writes(server);
  c.send(get_request("/s") + get_request("/s") + get_request("/s"));
  for (int i = 0; i < 3; ++i) CHECK(c.response().body == std::string(100, 's'));
  return writes(server) - before;
}

}  // namespace

// Responses of S bytes each; three pipelined requests in one read. The batch
// takes the next request while at most `bound` bytes are queued: with 2S
// queued after two answers, a bound of 2S - 1 holds the third back (two
// writes), 2S and 2S + 1 let it join the batch (one write).
TEST_CASE("the queued-response bound admits the next request at the limit and holds it back past it",
          "[http][hardening][pipelining][limits]") {
  std::size_t s = 0;
  writes_for_three(1 << 20, s);
  REQUIRE(s > 100);
  std::size_t size = 0;
  CHECK(writes_for_three(2 * s - 1, size) == 2);
  CHECK(size == s);
  CHECK(writes_for_three(2 * s, size) == 1);
  CHECK(writes_for_three(2 * s + 1, size) == 1);
  CHECK(writes_for_three(s - 1, size) == 3);  // each response over the bound alone
}

// ---- defect 2: nothing dispatched once the connection is closed -------------

TEST_CASE("a pipelined request behind a response whose connection close_all_connections closed never reaches a handler",
          "[http][hardening][close]") {
  std::atomic<int> after{0};
  std::atomic<eddy::HTTPServer*> served{nullptr};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/last", [&](eddy::RequestHandler& h) -> eddy::Future<void> {
      eddy::Future<void> nap = eddy::sleep(5ms);
      co_await nap;
      h.write("last");
      h.finish();
      served.load()->close_all_connections();  // the pipelined request waits for a later step
    });
    app.route("/after", [&](eddy::RequestHandler& h) {
      ++after;
      h.write("after");
    });
  });
  server.on_loop([&](eddy::HTTPServer& s, eddy::IOLoop&) {
    served = &s;
    return 0;
  });
  // The handler finishes from a timer, so the pipelined request waits for a
  // later loop step; close_all_connections() comes between.
  Client c(server.port());
  c.send(get_request("/last") + get_request("/after"));
  std::string data = c.read_until_close();
  std::this_thread::sleep_for(50ms);
  CHECK(data.find("last") != std::string::npos);
  CHECK(after == 0);
  CHECK(server.exceptions().empty());
}

TEST_CASE("a pipelined request behind one whose handler destroyed the server never reaches a handler",
          "[http][hardening][close]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy_test::ExceptionLog log(loop);
  eddy::Application app;
  std::optional<eddy::HTTPServer> server;
  int after = 0;
  app.route("/last", [&](eddy::RequestHandler& h) -> eddy::Future<void> {
    eddy::Future<void> nap = eddy::sleep(5ms);
    co_await nap;
    h.write("last");
    h.finish();
    server.reset();  // the response is out; the pipelined request waits for a later step
  });
  app.route("/after", [&](eddy::RequestHandler& h) {
    ++after;
    h.write("after");
  });
  server.emplace(app);
  std::uint16_t port = server->listen(0, "127.0.0.1");
  std::atomic<bool> done{false};
  std::string received;
  std::thread client([&] {
    Client c(port);
    c.send(get_request("/last") + get_request("/after"));
    received = c.read_until_close();
    done = true;
  });
  for (int i = 0; i < 2000 && !done; ++i) {
    run_for(loop, 5ms);
  }
  client.join();
  run_for(loop, 20ms);
  CHECK(after == 0);
  CHECK(received.find("last") != std::string::npos);
  CHECK(received.find("after") == std::string::npos);
  CHECK(log.messages.empty());
  eddy::IOLoop::clear_current();
}

#if defined(__linux__)
// The connection reads a full 64 KiB, answers the request in it, and reads
// the rest at once, inline: that read's outcome waits in a loop callback.
// The handler's callback, scheduled before it, destroys the server and the
// Application; the bytes already read must not reach them.
TEST_CASE("bytes read just before the server and its Application are destroyed never reach them",
          "[http][hardening][close]") {
  eddy::IOLoop loop;
  loop.make_current();
  eddy_test::ExceptionLog log(loop);
  auto app = std::make_unique<eddy::Application>();
  std::optional<eddy::HTTPServer> server;
  auto after = std::make_shared<int>(0);
  app->route("/destroy", [&](eddy::RequestHandler& h) {
    loop.add_callback([&] {
      server.reset();
      app.reset();
    });
    h.write("bye");
  });
  app->route("/after", [after](eddy::RequestHandler&) { ++*after; });
  server.emplace(*app);
  std::uint16_t port = server->listen(0, "127.0.0.1");
  Client c(port);
  std::string head = "POST /destroy HTTP/1.1\r\nHost: t\r\nContent-Length: ";
  std::size_t first_size = 64 * 1024 - 10;  // the first read holds it and 10 bytes of the next
  std::size_t body = first_size - head.size() - 9;  // 5 digits and two CRLFs
  std::string first = head + std::to_string(body) + "\r\n\r\n" + std::string(body, 'd');
  REQUIRE(first.size() == first_size);
  c.send(first + get_request("/after") + get_request("/after") + get_request("/after"));
  // Every byte waits in the server's socket before its loop first reads.
  REQUIRE(wait_for([&] {
    int unsent = -1;
    return ::ioctl(c.fd(), SIOCOUTQ, &unsent) == 0 && unsent == 0;
  }));
  run_for(loop, 100ms);
  CHECK_FALSE(server.has_value());
  CHECK(*after == 0);
  CHECK(log.messages.empty());
  eddy::IOLoop::clear_current();
}
#endif

// ---- defect 7: close_all_connections lets responses finish --------------------

TEST_CASE("close_all_connections sends a response still queued whole, then closes, then resolves",
          "[http][hardening][close]") {
  std::atomic<int> runs{0};
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) { big_routes(app, runs); });
  SmallWindowClient c(server.port());
  c.send(get_request("/big"));
  REQUIRE(wait_for([&] { return runs == 1; }));
  std::this_thread::sleep_for(50ms);
  std::atomic<bool> resolved{false};
  server.on_loop([&](eddy::HTTPServer& s, eddy::IOLoop&) {
    s.close_all_connections().add_done_callback([&](const eddy::Future<void>&) { resolved = true; });
    return 0;
  });
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(resolved);  // the client has not read: the response is still queued
  std::string data = c.receive_until_close();
  std::size_t size = expected_size(data);
  CHECK(size == data.size());
  CHECK(data.size() > big_size);
  CHECK(wait_for([&] { return resolved.load(); }));
  CHECK(server.exceptions().empty());
}

// ---- defect 10: a client leaving is nobody's error -----------------------------

TEST_CASE("a client that resets while a large response is queued reaches no exception handler",
          "[http][hardening][close]") {
  std::atomic<int> runs{0};
  std::string request;
  SECTION("keep-alive") { request = get_request("/big"); }
  SECTION("Connection: close") { request = get_request("/big", "Connection: close\r\n"); }
  SECTION("pipelined behind a small response") { request = get_request("/small") + get_request("/big"); }
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    big_routes(app, runs);
    app.route("/small", [](eddy::RequestHandler& h) { h.write("small"); });
  });
  SmallWindowClient c(server.port());
  c.send(request);
  REQUIRE(wait_for([&] { return runs == 1; }));
  std::this_thread::sleep_for(50ms);
  c.reset();
  CHECK(wait_for([&] { return connections(server) == 0; }));
  std::this_thread::sleep_for(50ms);
  CHECK(server.exceptions().empty());
}

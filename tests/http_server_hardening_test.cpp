// HTTPServer against clients that misbehave on purpose (issue 20, defects 1,
// 2, 5, 7, 8, 10): a client that pipelines and never reads, one that resets
// mid-response, a server closed or destroyed under bytes already read, and
// handlers whose own Content-Length disagrees with their body. Raw sockets
// from the test's thread against a server on a loop of its own, except where
// the test must destroy the server itself (then the loop runs here and the
// client on a thread).
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
#include <vector>

#include "support/exception_log.hpp"
#include "support/http_test_server.hpp"

using eddy_test::Client;
using eddy_test::fetch;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t big_size = 8 * 1024 * 1024;  // more than loopback's kernel buffers hold

// Waits (polling from the test's thread, never the server's) until
// condition() holds; false after `limit`.
template <class F>
bool wait_for(F condition, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Runs `loop` (on this thread) for `d`.
void run_for(eddy::IOLoop& loop, std::chrono::milliseconds d) {
  loop.run_sync([d] { return eddy::sleep(d); });
}

std::size_t connections(HTTPTestServer& server) {
  return server.on_loop([](eddy::HTTPServer& s, eddy::IOLoop&) { return s.connection_count(); });
}

std::uint64_t writes(HTTPTestServer& server) {
  return server.on_loop([](eddy::HTTPServer& s, eddy::IOLoop&) { return s.write_count(); });
}

// A blocking client socket whose receive buffer is set before connect(), so
// the window TCP offers the server stays small and the kernel absorbs little
// of a response nobody reads.
class SmallWindowClient {
 public:
  explicit SmallWindowClient(std::uint16_t port, int rcvbuf = 16 * 1024) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{};
    tv.tv_sec = 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  SmallWindowClient(const SmallWindowClient&) = delete;
  SmallWindowClient& operator=(const SmallWindowClient&) = delete;
  ~SmallWindowClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Reads until `total` bytes arrived or the server closed; returns them.
  std::string receive(std::size_t total, std::chrono::milliseconds pause = 0ms) {
    std::string out;
    char chunk[32768];
    while (out.size() < total) {
      ssize_t n = ::recv(fd_, chunk, std::min(sizeof chunk, total - out.size()), 0);
      if (n <= 0) break;
      out.append(chunk, static_cast<std::size_t>(n));
      if (pause > 0ms) std::this_thread::sleep_for(pause);
    }
    return out;
  }
  std::string receive_until_close() { return receive(SIZE_MAX); }
  // What one recv gives ("" once the server closed).
  std::string receive_some() {
    char chunk[32768];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    return n > 0 ? std::string(chunk, static_cast<std::size_t>(n)) : std::string();
  }
  // Closes with a reset (SO_LINGER 0) instead of a FIN.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The size of the whole response at the front of `data` (its head and its
// Content-Length body), once the head is complete; 0 before.
std::size_t expected_size(const std::string& data) {
  std::size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  std::size_t at = data.find("Content-Length: ");
  REQUIRE(at < end);
  return end + 4 + std::stoul(data.substr(at + 16));
}

void big_routes(eddy::Application& app, std::atomic<int>& runs) {
  app.route("/big", [&runs](eddy::RequestHandler& h) {
    ++runs;
    h.write(std::string(big_size, 'b'));
  });
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

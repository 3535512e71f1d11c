// AsyncHTTPClient and Future cancellation: a fetch whose only waiter gives up
// (with_timeout, a coroutine destroyed with its loop) is aborted with
// CancelledError, and its connection is closed, never pooled.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include <eddy/http.hpp>

#include "support/http_client_servers.hpp"

using namespace std::chrono_literals;
using eddy_test::ScriptConn;
using eddy_test::ScriptedServer;

namespace {

// A server that reads one request, never answers, and notes when the client
// closes the connection (or its 10 s receive timeout passes).
struct SilentServer {
  std::atomic<bool> got_request{false};
  std::atomic<bool> client_closed{false};
  ScriptedServer server{[this](ScriptConn& c) {
    c.read_request();
    got_request = true;
    c.wait_close();
    client_closed = true;
  }};

  // Waits (at most 5 s, well under the receive timeout) for `flag`.
  static bool wait_for(const std::atomic<bool>& flag) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!flag && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return flag;
  }
};

eddy::Future<void> await_response(eddy::Future<eddy::HTTPResponse> response) { co_await response; }

// Runs `loop` until the server has the request.
void run_until_requested(eddy::IOLoop& loop, SilentServer& s) {
  loop.run_sync([&]() -> eddy::Future<void> {
    while (!s.got_request) co_await eddy::sleep(5ms);
  }, 10s);
}

}  // namespace

TEST_CASE("a fetch cancelled by with_timeout fails with CancelledError and closes its connection",
          "[http][client][cancel]") {
  SilentServer s;
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  eddy::Future<eddy::HTTPResponse> fetch = client.fetch(s.server.url());
  CHECK_THROWS_AS(loop.run_sync([&] { return eddy::with_timeout(200ms, fetch); }, 10s), eddy::TimeoutError);
  REQUIRE(fetch.done());
  CHECK(fetch.cancelled());
  CHECK_THROWS_AS(fetch.result(), eddy::CancelledError);
  CHECK(client.active_fetches() == 0);
  CHECK(client.idle_connections() == 0);
  CHECK(SilentServer::wait_for(s.client_closed));
}

TEST_CASE("a fetch another waiter still awaits runs on after with_timeout gives up", "[http][client][cancel]") {
  ScriptedServer server([](ScriptConn& c) {
    c.read_request();
    std::this_thread::sleep_for(300ms);
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    c.wait_close();
  });
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  eddy::Future<eddy::HTTPResponse> fetch = client.fetch(server.url());
  bool seen = false;
  fetch.add_done_callback([&](eddy::Future<eddy::HTTPResponse> done) { seen = done.result().body == "ok"; });
  CHECK_THROWS_AS(loop.run_sync([&] { return eddy::with_timeout(50ms, fetch); }, 10s), eddy::TimeoutError);
  CHECK_FALSE(fetch.cancelled());
  loop.run_sync([&]() -> eddy::Future<void> {
    while (!seen) co_await eddy::sleep(5ms);
  }, 10s);
  CHECK(seen);
  CHECK(client.idle_connections() == 1);
}

TEST_CASE("a fetch whose awaiting coroutine is destroyed with its loop is cancelled and closes its connection",
          "[http][client][cancel][lifecycle]") {
  SilentServer s;
  eddy::Future<eddy::HTTPResponse> fetch;
  {
    eddy::IOLoop loop;
    auto client = std::make_unique<eddy::AsyncHTTPClient>(loop);
    fetch = client->fetch(s.server.url());
    await_response(fetch);
    run_until_requested(loop, s);
    client.reset();  // before its loop, as documented: the fetch in flight goes on
    CHECK_FALSE(fetch.done());
  }  // the loop destroys the suspended coroutine, the fetch's only waiter
  REQUIRE(fetch.done());
  CHECK(fetch.cancelled());
  CHECK_THROWS_AS(fetch.result(), eddy::CancelledError);
  CHECK(SilentServer::wait_for(s.client_closed));
}

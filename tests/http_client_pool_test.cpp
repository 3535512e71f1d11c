// AsyncHTTPClient's connection pool: keep-alive reuse, idle timeouts, stale
// connections, retries on a reused connection, max_clients queueing and
// close().
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <eddy/detail/http/url.hpp>
#include <eddy/http.hpp>

#include "support/http_client_helpers.hpp"
#include "support/http_client_servers.hpp"
#include "support/http_test_server.hpp"

using namespace std::chrono_literals;
using eddy_test::ScriptConn;
using eddy_test::ScriptedServer;
using eddy_test::answer_all;
using eddy_test::fetch_once;
using eddy_test::hello;
using eddy_test::what_of;

// ---- the pool -----------------------------------------------------------------------

TEST_CASE("keep-alive: sequential fetches share one connection", "[http][client][pool]") {
  ScriptedServer server(answer_all(hello));
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  for (int i = 0; i < 5; ++i) CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).body == "Hello, world!");
  CHECK(server.connections() == 1);
  CHECK(client.idle_connections() == 1);
}

TEST_CASE("idle_timeout closes pooled connections left unused; max_idle_per_host bounds the pool",
          "[http][client][pool]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/slow", [](eddy::RequestHandler& h) -> eddy::Future<void> {
      co_await eddy::sleep(50ms);
      h.write("ok");
    });
  });
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/slow";
  eddy::IOLoop loop;
  eddy::AsyncHTTPClientOptions options;
  options.idle_timeout = 200ms;
  options.max_idle_per_host = 2;
  eddy::AsyncHTTPClient client(loop, options);
  std::vector<eddy::Future<eddy::HTTPResponse>> three;
  for (int i = 0; i < 3; ++i) three.push_back(client.fetch(url));
  loop.run_sync([&] { return eddy::multi(three); }, 60s);
  CHECK(client.idle_connections() == 2);  // the third connection closed: past max_idle_per_host
  loop.run_sync([] { return eddy::sleep(600ms); });
  CHECK(client.idle_connections() == 0);  // swept after idle_timeout
  CHECK(loop.run_sync([&] { return client.fetch(url); }).body == "ok");
}

TEST_CASE("a pooled connection the server closed while idle is noticed and not used", "[http][client][pool]") {
  ScriptedServer server([](ScriptConn& c) {
    c.read_request();
    c.send(hello);  // keep-alive, then the server drops the connection
  });
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).code == 200);
  std::this_thread::sleep_for(200ms);  // the FIN arrives while the connection is pooled
  // POST is not retried: it succeeds only if the dead connection was skipped.
  eddy::HTTPRequest post(server.url(), "POST");
  CHECK(loop.run_sync([&] { return client.fetch(post); }).code == 200);
  CHECK(server.connections() == 2);
}

namespace {

// A server whose first connection answers one request, then reads the next
// and closes without a byte (the race where a server times a keep-alive
// connection out as the request arrives); later connections answer all.
// `n` counts connections and must outlive the server.
ScriptedServer::Script drops_its_first_connection_after_one_answer(std::atomic<int>& n) {
  return [&n](ScriptConn& c) {
    if (n++ == 0) {
      c.read_request();
      c.send(hello);
      c.read_request();
      ::shutdown(c.fd(), SHUT_RDWR);
      return;
    }
    while (!c.read_request().empty()) c.send(hello);
  };
}

}  // namespace

TEST_CASE("an idempotent request failing on a reused connection before any response byte is retried once",
          "[http][client][pool]") {
  std::atomic<int> n{0};
  ScriptedServer server(drops_its_first_connection_after_one_answer(n));
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).code == 200);
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).body == "Hello, world!");
  CHECK(server.connections() == 2);
}

TEST_CASE("a non-idempotent request failing on a reused connection is not retried", "[http][client][pool]") {
  std::atomic<int> n{0};
  ScriptedServer server(drops_its_first_connection_after_one_answer(n));
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).code == 200);
  eddy::HTTPRequest post(server.url(), "POST");
  post.body = "once";
  std::string what = what_of([&] { loop.run_sync([&] { return client.fetch(post); }); });
  CHECK_THAT(what, Catch::Contains("before any response"));
  CHECK(server.connections() == 1);
}

TEST_CASE("max_clients bounds the fetches in flight and queued fetches start in order", "[http][client][pool]") {
  std::mutex mutex;
  std::vector<std::string> order;
  int in_flight = 0, peak = 0;
  eddy_test::HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.route("/n/([0-9]+)", [&](eddy::RequestHandler& h) -> eddy::Future<void> {
      {
        std::lock_guard<std::mutex> lock(mutex);
        order.push_back(h.path_args()[0]);
        peak = std::max(peak, ++in_flight);
      }
      co_await eddy::sleep(50ms);
      {
        std::lock_guard<std::mutex> lock(mutex);
        --in_flight;
      }
      h.write("ok");
    });
  });
  eddy::IOLoop loop;
  eddy::AsyncHTTPClientOptions options;
  options.max_clients = 2;
  eddy::AsyncHTTPClient client(loop, options);
  std::vector<eddy::Future<eddy::HTTPResponse>> futures;
  for (int i = 0; i < 8; ++i) {
    futures.push_back(client.fetch("http://127.0.0.1:" + std::to_string(server.port()) + "/n/" + std::to_string(i)));
  }
  CHECK(client.active_fetches() == 2);
  CHECK(client.queued_fetches() == 6);
  std::vector<eddy::HTTPResponse> all = loop.run_sync([&] { return eddy::multi(futures); }, 60s);
  CHECK(all.size() == 8);
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(peak <= 2);
  REQUIRE(order.size() == 8);
  // The first two race each other; from then on each start follows an end,
  // oldest queued first.
  for (int i = 2; i < 8; ++i) CHECK(order[static_cast<std::size_t>(i)] == std::to_string(i));
  CHECK(client.idle_connections() == 2);
}

TEST_CASE("close() fails the fetches in flight and queued, and later fetches", "[http][client][pool]") {
  ScriptedServer server([](ScriptConn& c) {
    c.read_request();
    c.wait_close();
  });
  eddy::IOLoop loop;
  eddy::AsyncHTTPClientOptions options;
  options.max_clients = 1;
  eddy::AsyncHTTPClient client(loop, options);
  eddy::Future<eddy::HTTPResponse> a = client.fetch(server.url());
  eddy::Future<eddy::HTTPResponse> b = client.fetch(server.url());
  loop.run_sync([] { return eddy::sleep(100ms); });
  client.close();
  CHECK_THROWS_WITH(loop.run_sync([&] { return a; }), Catch::Contains("closed"));
  CHECK_THROWS_WITH(loop.run_sync([&] { return b; }), Catch::Contains("closed"));
  eddy::Future<eddy::HTTPResponse> c = client.fetch(server.url());
  REQUIRE(c.done());
  CHECK_THROWS_AS(c.result(), std::logic_error);
}

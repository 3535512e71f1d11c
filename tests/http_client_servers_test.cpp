// AsyncHTTPClient against real servers: eddy's own HTTPServer, nginx and
// Python's http.server.
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

// ---- eddy's own server, nginx, Python --------------------------------------------------

TEST_CASE("fetches from eddy's HTTPServer: GET, POST, 404, concurrency over the pool", "[http][client][servers]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/echo", [](eddy::RequestHandler& h) { h.write(h.request().method + ":" + h.request().body); });
  });
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  eddy::HTTPRequest post(base + "/echo", "POST");
  post.body = "payload";
  CHECK(loop.run_sync([&] { return client.fetch(post); }).body == "POST:payload");
  CHECK(loop.run_sync([&] { return client.fetch(base + "/missing", false); }).code == 404);
  std::vector<eddy::Future<eddy::HTTPResponse>> many;
  for (int i = 0; i < 50; ++i) many.push_back(client.fetch(base + "/echo"));
  for (const eddy::HTTPResponse& r : loop.run_sync([&] { return eddy::multi(many); }, 60s)) CHECK(r.body == "GET:");
  CHECK(client.idle_connections() <= 10);
}

TEST_CASE("set_form sends a form eddy's server reads as arguments", "[http][client][servers]") {
  eddy_test::HTTPTestServer server([](eddy::Application& app, eddy::IOLoop&) {
    app.route("/form", {"POST"}, [](eddy::RequestHandler& h) {
      h.write(h.get_argument("name") + "|" + h.get_argument("note") + "|" + h.request().headers.get("Content-Type"));
    });
  });
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  eddy::HTTPRequest post("http://127.0.0.1:" + std::to_string(server.port()) + "/form", "POST");
  post.set_form({{"name", "Ada L"}, {"note", "a&b=c/d%"}});
  CHECK(post.body == "name=Ada+L&note=a%26b%3Dc%2Fd%25");
  CHECK(loop.run_sync([&] { return client.fetch(post); }).body ==
        "Ada L|a&b=c/d%|application/x-www-form-urlencoded");
}

TEST_CASE("fetches from nginx: a small body over keep-alive, a 200 kB file, a redirect", "[http][client][servers]") {
  eddy_test::ExternalServer nginx = eddy_test::ExternalServer::nginx();
  if (!nginx.available()) {
    WARN("nginx is not installed or did not start: skipped");
    return;
  }
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  for (int i = 0; i < 100; ++i) {
    eddy::HTTPResponse r = loop.run_sync([&] { return client.fetch(nginx.url("/hello")); });
    REQUIRE(r.body == "Hello, world!");
  }
  CHECK(client.idle_connections() == 1);
  CHECK(loop.run_sync([&] { return client.fetch(nginx.url("/big.txt")); }).body == std::string(200000, 'x'));
  CHECK(loop.run_sync([&] { return client.fetch(nginx.url("/redirect")); }).effective_url == nginx.url("/hello"));
  CHECK(loop.run_sync([&] { return client.fetch(nginx.url("/nothing"), false); }).code == 404);
}

TEST_CASE("fetches from Python's http.server", "[http][client][servers]") {
  eddy_test::ExternalServer python = eddy_test::ExternalServer::python();
  if (!python.available()) {
    WARN("python3 http.server did not start: skipped");
    return;
  }
  eddy::HTTPClient client;
  CHECK(client.fetch(python.url("/hello.txt")).body == "Hello, world!");
  CHECK(client.fetch(python.url("/hello.txt")).body == "Hello, world!");
  CHECK_THROWS_WITH(client.fetch(python.url("/nope.txt")), Catch::StartsWith("HTTP 404"));
}

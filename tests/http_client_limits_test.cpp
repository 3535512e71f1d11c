// AsyncHTTPClient's timeouts (request, queue, connect) and size limits
// (max_header_size, max_body_size at the limit and one byte over), against
// scripted raw-socket servers.
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

// ---- timeouts -------------------------------------------------------------------

TEST_CASE("a stalled body fails with HTTPTimeoutError 599 after request_timeout", "[http][client][timeout]") {
  ScriptedServer server([](ScriptConn& c) {
    c.read_request();
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    c.wait_close();
  });
  eddy::HTTPRequest request(server.url());
  request.request_timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  try {
    fetch_once(request);
    FAIL("no exception");
  } catch (const eddy::HTTPTimeoutError& e) {
    CHECK(e.code() == 599);
    CHECK_THAT(e.what(), Catch::Contains("Timeout during request"));
    CHECK_THAT(e.what(), Catch::Contains(std::to_string(server.port())));
  }
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
}

TEST_CASE("request_timeout counts the wait in the queue", "[http][client][timeout]") {
  ScriptedServer server([](ScriptConn& c) {
    c.read_request();
    c.wait_close();  // never answers
  });
  eddy::IOLoop loop;
  eddy::AsyncHTTPClientOptions options;
  options.max_clients = 1;
  eddy::AsyncHTTPClient client(loop, options);
  eddy::HTTPRequest slow(server.url());
  slow.request_timeout = 2s;
  eddy::HTTPRequest queued(server.url());
  queued.request_timeout = 200ms;
  eddy::Future<eddy::HTTPResponse> first = client.fetch(slow);
  eddy::Future<eddy::HTTPResponse> second = client.fetch(queued);
  CHECK(client.queued_fetches() == 1);
  std::string what = what_of([&] { loop.run_sync([&] { return second; }, 10s); });
  CHECK_THAT(what, Catch::Contains("Timeout in request queue"));
  CHECK_THROWS_AS(loop.run_sync([&] { return first; }, 10s), eddy::HTTPTimeoutError);
}

TEST_CASE("connect_timeout fails a connect that hangs with HTTPTimeoutError", "[http][client][timeout]") {
  // A listener with a full backlog that never accepts: the SYN is dropped,
  // so the connect neither succeeds nor fails.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 0) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(c);
  }
  std::this_thread::sleep_for(100ms);
  eddy::HTTPRequest request("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/");
  request.connect_timeout = 300ms;
  std::string what = what_of([&] { fetch_once(request); });
  for (int c : fillers) ::close(c);
  ::close(fd);
  // Some kernels refuse instead of dropping; either way the fetch ends, and a
  // hang would be caught by run_sync's 60 s bound.
  if (what.find("Timeout") != std::string::npos) {
    CHECK_THAT(what, Catch::Contains("Timeout while connecting"));
  } else {
    WARN("this kernel did not leave the connect hanging: " << what);
  }
}

// ---- limits -------------------------------------------------------------------------

TEST_CASE("max_header_size: a head of the limit is read, one byte more fails", "[http][client][limits]") {
  const std::string start = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: ";
  const std::size_t limit = 1000;
  for (std::size_t size : {limit - 1, limit, limit + 1}) {
    INFO(size);
    std::string head = start + std::string(size - start.size() - 4, 'a') + "\r\n\r\n";
    REQUIRE(head.size() == size);
    ScriptedServer server(answer_all(head));
    eddy::AsyncHTTPClientOptions options;
    options.max_header_size = limit;
    std::string what = what_of([&] { fetch_once(eddy::HTTPRequest(server.url()), true, options); });
    if (size <= limit) CHECK(what == "(no exception)");
    else CHECK_THAT(what, Catch::Contains("max_header_size"));
  }
}

TEST_CASE("max_body_size: a body of the limit is read, one byte more fails, for every framing",
          "[http][client][limits]") {
  const std::size_t limit = 100;
  for (std::size_t size : {limit - 1, limit, limit + 1}) {
    std::string body(size, 'b');
    char hexlen[32];
    std::snprintf(hexlen, sizeof hexlen, "%zx", size);
    std::vector<std::string> responses = {
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" + body,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(hexlen) + "\r\n" + body + "\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body,
    };
    for (const std::string& response : responses) {
      INFO(size << " " << response.substr(0, 50));
      ScriptedServer server([response](ScriptConn& c) {
        c.read_request();
        c.send(response);
      });
      eddy::AsyncHTTPClientOptions options;
      options.max_body_size = limit;
      std::string what = what_of([&] { fetch_once(eddy::HTTPRequest(server.url()), true, options); });
      if (size <= limit) CHECK(what == "(no exception)");
      else CHECK_THAT(what, Catch::Contains("max_body_size"));
    }
  }
}

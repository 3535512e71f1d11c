// AsyncHTTPClient and HTTPClient (issue 13): URL parsing and resolution,
// outcomes and errors, the blocking HTTPClient on threads. Timeouts and
// limits, framing, the pool, redirects and real servers have suites of their
// own (http_client_*_test.cpp).
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

// ---- URLs -------------------------------------------------------------------

TEST_CASE("parse_url splits scheme, userinfo, host, port and target strictly", "[http][client][url]") {
  eddy::detail::Url u = eddy::detail::parse_url("HTTP://user:pw@Example.com:8080/a/b?x=1#frag");
  CHECK(u.scheme == "http");
  CHECK(u.userinfo == "user:pw");
  CHECK(u.host == "Example.com");
  CHECK(u.port == 8080);
  CHECK(u.target == "/a/b?x=1");
  CHECK(u.host_header() == "Example.com:8080");
  CHECK(eddy::detail::parse_url("http://h").target == "/");
  CHECK(eddy::detail::parse_url("http://h?q").target == "/?q");
  CHECK(eddy::detail::parse_url("http://h/").host_header() == "h");
  eddy::detail::Url v6 = eddy::detail::parse_url("http://[::1]:81/");
  CHECK(v6.host == "::1");
  CHECK(v6.host_header() == "[::1]:81");
  for (const char* bad : {"", "example.com", "ftp://h/", "http:/h", "http://", "http://h:0/", "http://h:65536/",
                          "http://h:x/", "http://h /", "http://h/a b", "http://h/\x01", "http://[::1/",
                          "http://h/%zz", "http://a@b@/", "http://h/\xc3\xa9"}) {
    INFO(bad);
    CHECK_THROWS_AS(eddy::detail::parse_url(bad), std::invalid_argument);
  }
}

TEST_CASE("resolve_url resolves relative references as RFC 3986 section 5.4 does", "[http][client][url]") {
  const std::string base = "http://a/b/c/d;p?q";
  CHECK(eddy::detail::resolve_url(base, "g") == "http://a/b/c/g");
  CHECK(eddy::detail::resolve_url(base, "./g") == "http://a/b/c/g");
  CHECK(eddy::detail::resolve_url(base, "g/") == "http://a/b/c/g/");
  CHECK(eddy::detail::resolve_url(base, "/g") == "http://a/g");
  CHECK(eddy::detail::resolve_url(base, "//g") == "http://g");
  CHECK(eddy::detail::resolve_url(base, "?y") == "http://a/b/c/d;p?y");
  CHECK(eddy::detail::resolve_url(base, "g?y") == "http://a/b/c/g?y");
  CHECK(eddy::detail::resolve_url(base, "#s") == "http://a/b/c/d;p?q");
  CHECK(eddy::detail::resolve_url(base, "..") == "http://a/b/");
  CHECK(eddy::detail::resolve_url(base, "../g") == "http://a/b/g");
  CHECK(eddy::detail::resolve_url(base, "../../g") == "http://a/g");
  CHECK(eddy::detail::resolve_url(base, "../../../g") == "http://a/g");
  CHECK(eddy::detail::resolve_url(base, "http://x:81/y") == "http://x:81/y");
}

// ---- outcomes and errors ------------------------------------------------------

TEST_CASE("fetch resolves with code, reason, headers, body and effective_url", "[http][client]") {
  ScriptedServer server(answer_all("HTTP/1.1 200 Fine\r\nContent-Length: 13\r\nX-A: 1\r\nX-A: 2\r\n\r\nHello, world!"));
  eddy::HTTPResponse r = fetch_once(server.url("/path?q=1"));
  CHECK(r.code == 200);
  CHECK(r.reason == "Fine");
  CHECK(r.body == "Hello, world!");
  CHECK(r.headers.get_list("X-A") == std::vector<std::string>{"1", "2"});
  CHECK(r.effective_url == server.url("/path?q=1"));
  CHECK(r.request_time > eddy::Clock::duration::zero());
}

TEST_CASE("a response outside 2xx fails with HTTPClientError carrying it; raise_error false returns it",
          "[http][client]") {
  ScriptedServer server(answer_all("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"));
  try {
    fetch_once(server.url());
    FAIL("no exception");
  } catch (const eddy::HTTPClientError& e) {
    CHECK(std::string(e.what()) == "HTTP 404: Not Found");
    CHECK(e.code() == 404);
    REQUIRE(e.response() != nullptr);
    CHECK(e.response()->body == "nope");
  }
  eddy::HTTPResponse r = fetch_once(server.url(), false);
  CHECK(r.code == 404);
  CHECK(r.body == "nope");
}

TEST_CASE("a refused connection fails naming host and port, whatever raise_error says", "[http][client]") {
  std::uint16_t port = eddy_test::free_port();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  for (bool raise : {true, false}) {
    try {
      fetch_once(url, raise);
      FAIL("no exception");
    } catch (const eddy::HTTPClientError& e) {
      CHECK(e.code() == 599);
      CHECK(e.response() == nullptr);
      CHECK_THAT(e.what(), Catch::Contains("127.0.0.1:" + std::to_string(port)));
      CHECK_THAT(e.what(), Catch::Contains("refused"));
    }
  }
}

TEST_CASE("a name that does not resolve fails naming the host", "[http][client]") {
  std::string what = what_of([] { fetch_once("http://no-such-host.invalid:8080/"); });
  CHECK_THAT(what, Catch::Contains("no-such-host.invalid"));
}

TEST_CASE("a malformed URL, https without <eddy/ssl.hpp>, a bad method or header fail at once", "[http][client]") {
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  eddy::Future<eddy::HTTPResponse> bad = client.fetch("not a url");
  REQUIRE(bad.done());
  CHECK_THROWS_AS(bad.result(), std::invalid_argument);
  eddy::Future<eddy::HTTPResponse> tls = client.fetch("https://example.com/");
  REQUIRE(tls.done());
  CHECK_THROWS_AS(tls.result(), eddy::HTTPClientError);  // this program does not include <eddy/ssl.hpp>
  CHECK_THROWS_WITH(tls.result(), Catch::Contains("include <eddy/ssl.hpp> and link eddy::ssl (OpenSSL)"));
  eddy::HTTPRequest method("http://127.0.0.1:1/", "GE T");
  eddy::Future<eddy::HTTPResponse> m = client.fetch(method);
  REQUIRE(m.done());
  CHECK_THROWS_AS(m.result(), std::invalid_argument);
  eddy::HTTPRequest header("http://127.0.0.1:1/");
  header.headers.add("X-Evil", "a\r\nInjected: 1");
  eddy::Future<eddy::HTTPResponse> h = client.fetch(header);
  REQUIRE(h.done());
  CHECK_THROWS_AS(h.result(), std::invalid_argument);
}

TEST_CASE("HTTPClient::fetch on a thread whose loop is running throws logic_error saying why", "[http][client]") {
  eddy::IOLoop loop;
  eddy::HTTPClient blocking;
  std::string what = what_of([&] {
    loop.run_sync([&] {
      try {
        blocking.fetch("http://127.0.0.1:1/");
      } catch (const std::logic_error& e) {
        throw std::runtime_error(std::string("logic_error: ") + e.what());
      }
    });
  });
  CHECK_THAT(what, Catch::StartsWith("logic_error: "));
  CHECK_THAT(what, Catch::Contains("would block"));
}

TEST_CASE("HTTPClient fetches from threads without a loop, each on its private loop", "[http][client][threads]") {
  ScriptedServer server(answer_all(hello));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      eddy::HTTPClient client;
      for (int i = 0; i < 3; ++i) {
        if (client.fetch(server.url()).body == "Hello, world!") ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(ok == 9);
  CHECK(eddy::IOLoop::current_or_null() == nullptr);  // the private loops never became current here
}

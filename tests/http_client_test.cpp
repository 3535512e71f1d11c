// AsyncHTTPClient and HTTPClient (issue 13): outcomes and errors, framing,
// limits, redirects, the pool, queueing, callbacks; against scripted
// raw-socket servers (the awkward cases), eddy's own HTTPServer, nginx and
// Python's http.server.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <eddy/detail/http/url.hpp>
#include <eddy/http.hpp>

#include "support/http_client_servers.hpp"
#include "support/http_test_server.hpp"

using namespace std::chrono_literals;
using eddy_test::ScriptConn;
using eddy_test::ScriptedServer;

namespace {

// Runs one fetch on a fresh loop and client; returns the response or throws.
eddy::HTTPResponse fetch_once(eddy::HTTPRequest request, bool raise_error = true,
                              eddy::AsyncHTTPClientOptions options = {}) {
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop, options);
  return loop.run_sync([&] { return client.fetch(std::move(request), raise_error); }, 60s);
}
eddy::HTTPResponse fetch_once(const std::string& url, bool raise_error = true) {
  return fetch_once(eddy::HTTPRequest(url), raise_error);
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

// A script answering every request on a connection with `response`.
ScriptedServer::Script answer_all(std::string response) {
  return [response](ScriptConn& c) {
    while (!c.read_request().empty()) c.send(response);
  };
}

const std::string hello = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world!";

}  // namespace

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

// ---- framing ----------------------------------------------------------------------

TEST_CASE("a close-delimited body ends when the server closes", "[http][client][framing]") {
  ScriptedServer server([](ScriptConn& c) {
    c.read_request();
    c.send("HTTP/1.1 200 OK\r\n\r\nuntil the end");
  });
  eddy::HTTPResponse r = fetch_once(server.url());
  CHECK(r.body == "until the end");
}

TEST_CASE("interim 1xx responses (100 Continue, 103) are skipped", "[http][client][framing]") {
  ScriptedServer server(answer_all("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + hello));
  std::vector<std::string> lines;
  eddy::HTTPRequest request(server.url());
  request.header_callback = [&](std::string_view line) { lines.emplace_back(line); };
  eddy::HTTPResponse r = fetch_once(request);
  CHECK(r.code == 200);
  CHECK(r.body == "Hello, world!");
  CHECK(lines == std::vector<std::string>{"HTTP/1.1 200 OK\r\n", "Content-Length: 13\r\n", "\r\n"});
}

TEST_CASE("a chunked body with extensions and trailers is decoded", "[http][client][framing]") {
  ScriptedServer server(answer_all(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nHello\r\n8\r\n, world!\r\n0\r\nX-T: v\r\n\r\n"));
  std::string streamed;
  eddy::HTTPRequest request(server.url());
  eddy::HTTPResponse r = fetch_once(request);
  CHECK(r.body == "Hello, world!");
  request.streaming_callback = [&](std::string_view piece) { streamed += piece; };
  eddy::HTTPResponse s = fetch_once(request);
  CHECK(streamed == "Hello, world!");
  CHECK(s.body.empty());
}

TEST_CASE("HEAD, 204 and 304 responses have no body and keep the connection", "[http][client][framing]") {
  ScriptedServer server([](ScriptConn& c) {
    c.read_request();
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n");  // HEAD: the length of the GET's body
    c.read_request();
    c.send("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
    c.read_request();
    c.send("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n");
    c.read_request();
    c.send(hello);
    c.wait_close();
  });
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  eddy::HTTPResponse head = loop.run_sync([&] { return client.fetch(eddy::HTTPRequest(server.url(), "HEAD")); });
  CHECK(head.code == 200);
  CHECK(head.body.empty());
  CHECK(head.headers.get("Content-Length") == "13");
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).code == 204);
  CHECK(loop.run_sync([&] { return client.fetch(server.url(), false); }).code == 304);
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).body == "Hello, world!");
  CHECK(server.connections() == 1);
}

TEST_CASE("a body cut short fails with an error naming host and port", "[http][client][framing]") {
  ScriptedServer server([](ScriptConn& c) {
    c.read_request();
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcde");
  });
  try {
    fetch_once(server.url());
    FAIL("no exception");
  } catch (const eddy::HTTPConnectionError& e) {
    CHECK_THAT(e.what(), Catch::Contains("127.0.0.1:" + std::to_string(server.port())));
    CHECK_THAT(e.what(), Catch::Contains("before the response body ended"));
  }
}

TEST_CASE("responses that try to smuggle or break framing are refused", "[http][client][framing]") {
  struct Case {
    const char* name;
    std::string response;
    const char* why;
  };
  std::vector<Case> cases = {
      {"conflicting Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello", "Content-Length"},
      {"negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"},
      {"Content-Length with a sign", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", "Content-Length"},
      {"bare LF in the head", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", "bare LF"},
      {"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", "obs-fold"},
      {"space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", "colon"},
      {"HTTP/2.0 status line", "HTTP/2.0 200 OK\r\n\r\n", "version"},
      {"chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", "chunked"},
      {"chunk without CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", "chunked"},
      {"101 unasked", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", "101"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    ScriptedServer server(answer_all(c.response));
    std::string what = what_of([&] { fetch_once(server.url()); });
    CHECK_THAT(what, Catch::Contains(c.why));
    CHECK_THAT(what, Catch::Contains(std::to_string(server.port())));
  }
}

TEST_CASE("Content-Length with Transfer-Encoding: the chunked body wins and the connection is not reused",
          "[http][client][framing]") {
  ScriptedServer server(answer_all(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).body == "hello");
  CHECK(client.idle_connections() == 0);
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).body == "hello");
  CHECK(server.connections() == 2);
}

TEST_CASE("bytes after a complete response make the connection unusable", "[http][client][framing]") {
  ScriptedServer server(answer_all(hello + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"));
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).body == "Hello, world!");
  CHECK(loop.run_sync([&] { return client.fetch(server.url()); }).body == "Hello, world!");
  CHECK(server.connections() == 2);
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

// ---- what is sent -------------------------------------------------------------------

TEST_CASE("requests send Host, User-Agent, Accept, Content-Length, Basic auth and the caller's fields",
          "[http][client]") {
  ScriptedServer* self = nullptr;
  ScriptedServer server([&self](ScriptConn& c) {
    while (true) {
      std::string r = c.read_request();
      if (r.empty()) return;
      self->note_request(r);
      c.send(hello);
    }
  });
  self = &server;
  eddy::HTTPRequest get(server.url("/a?b=c"));
  get.auth_username = "Aladdin";
  get.auth_password = "open sesame";
  get.headers.add("X-Mine", "yes");
  fetch_once(get);
  eddy::HTTPRequest post(server.url("/p"), "POST");
  post.body = "k=v";
  post.user_agent = "agent/1";
  fetch_once(post);
  fetch_once("http://user:p%40ss@127.0.0.1:" + std::to_string(server.port()) + "/u");
  std::vector<std::string> requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0] == "GET /a?b=c HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                           "\r\nUser-Agent: eddy/" EDDY_VERSION_STRING
                           "\r\nAccept: */*\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\nX-Mine: yes\r\n\r\n");
  CHECK_THAT(requests[1], Catch::StartsWith("POST /p HTTP/1.1\r\n"));
  CHECK_THAT(requests[1], Catch::Contains("\r\nUser-Agent: agent/1\r\n"));
  CHECK_THAT(requests[1], Catch::EndsWith("\r\nContent-Length: 3\r\n\r\nk=v"));
  CHECK_THAT(requests[2], Catch::Contains("\r\nAuthorization: Basic dXNlcjpwQHNz\r\n"));  // user:p@ss
}

TEST_CASE("TCP_NODELAY is on for the client's connections", "[http][client]") {
  // Nagle would hold the second small write of a request until the first is
  // acknowledged; checked on the socket itself through a streaming callback.
  ScriptedServer server(answer_all("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"));
  eddy::IOLoop loop;
  eddy::AsyncHTTPClient client(loop);
  int nodelay = -1;
  eddy::HTTPRequest request(server.url());
  request.streaming_callback = [&](std::string_view) {
    // The only TCP socket of this process with the client side's port.
    for (int fd = 3; fd < 1024; ++fd) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 && ntohs(peer.sin_port) == server.port()) {
        int v = 0;
        socklen_t vl = sizeof v;
        ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
        nodelay = v;
      }
    }
  };
  loop.run_sync([&] { return client.fetch(request); });
  CHECK(nodelay == 1);
}

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

// ---- redirects ----------------------------------------------------------------------

namespace {

// Answers per path: /from/<code> redirects to Location "/to", /to answers
// with the method and body it got.
ScriptedServer::Script redirector(ScriptedServer** self) {
  return [self](ScriptConn& c) {
    while (true) {
      std::string r = c.read_request();
      if (r.empty()) return;
      (*self)->note_request(r);
      std::string line = r.substr(0, r.find("\r\n"));
      std::string method = line.substr(0, line.find(' '));
      std::string target = line.substr(line.find(' ') + 1);
      target = target.substr(0, target.find(' '));
      std::string body = r.substr(r.find("\r\n\r\n") + 4);
      if (target.rfind("/from/", 0) == 0) {
        std::string code = target.substr(6, 3);
        std::string location = target.size() > 9 ? target.substr(10) : "/to";
        c.send("HTTP/1.1 " + code + " Moved\r\nLocation: " + location + "\r\nContent-Length: 5\r\n\r\nmoved");
      } else if (target.rfind("/loop", 0) == 0) {
        c.send("HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
      } else {
        std::string answer = method + " " + body;
        c.send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer.size()) + "\r\n\r\n" + answer);
      }
    }
  };
}

}  // namespace

TEST_CASE("redirects are followed; 303 and 301/302 after POST become a GET without a body, 307/308 keep both",
          "[http][client][redirect]") {
  ScriptedServer* self = nullptr;
  ScriptedServer server(redirector(&self));
  self = &server;
  for (auto [code, method, expect] : std::vector<std::tuple<int, std::string, std::string>>{
           {301, "GET", "GET "}, {302, "POST", "GET "}, {303, "POST", "GET "}, {303, "PUT", "GET "},
           {301, "POST", "GET "}, {307, "POST", "POST data"}, {308, "PUT", "PUT data"}}) {
    INFO(code << " " << method);
    eddy::HTTPRequest request(server.url("/from/" + std::to_string(code)), method);
    if (method != "GET") request.body = "data";
    eddy::HTTPResponse r = fetch_once(request);
    CHECK(r.code == 200);
    CHECK(r.body == expect);
    CHECK(r.effective_url == server.url("/to"));
  }
  // A relative Location resolves against the URL it answered.
  CHECK(fetch_once(server.url("/from/302/../to?x")).effective_url == server.url("/to?x"));
}

TEST_CASE("exceeding max_redirects fails with HTTPClientError carrying the last 3xx", "[http][client][redirect]") {
  ScriptedServer* self = nullptr;
  ScriptedServer server(redirector(&self));
  self = &server;
  eddy::HTTPRequest request(server.url("/loop"));
  request.max_redirects = 3;
  try {
    fetch_once(request);
    FAIL("no exception");
  } catch (const eddy::HTTPClientError& e) {
    CHECK(e.code() == 302);
    REQUIRE(e.response() != nullptr);
    CHECK(e.response()->headers.get("Location") == "/loop");
  }
  CHECK(server.requests().size() == 4);
  request.follow_redirects = false;
  CHECK(fetch_once(request, false).code == 302);
}

TEST_CASE("Authorization is dropped when a redirect leaves the origin, kept within it", "[http][client][redirect]") {
  ScriptedServer* other_self = nullptr;
  ScriptedServer other(redirector(&other_self));
  other_self = &other;
  ScriptedServer* self = nullptr;
  ScriptedServer server(redirector(&self));
  self = &server;
  eddy::HTTPRequest away(server.url("/from/302/" + other.url("/to")));
  away.headers.add("Authorization", "Bearer secret");
  CHECK(fetch_once(away).effective_url == other.url("/to"));
  REQUIRE(other.requests().size() == 1);
  CHECK_THAT(other.requests()[0], !Catch::Contains("Authorization"));
  CHECK_THAT(server.requests()[0], Catch::Contains("Authorization: Bearer secret"));
  eddy::HTTPRequest home(server.url("/from/302"));
  home.auth_username = "u";
  fetch_once(home);
  REQUIRE(server.requests().size() == 3);
  CHECK_THAT(server.requests()[2], Catch::Contains("Authorization: Basic"));
}

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

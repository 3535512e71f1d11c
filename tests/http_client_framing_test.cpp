// AsyncHTTPClient on the wire: how responses are framed (close-delimited,
// interim 1xx, chunked, bodiless, cut short, smuggling attempts) and what
// each request sends, against scripted raw-socket servers.
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

// ---- what is sent -------------------------------------------------------------------

TEST_CASE("requests send Host, User-Agent, Accept, Accept-Encoding, Content-Length, Basic auth and the caller's fields",
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
                           "\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
                           "X-Mine: yes\r\n\r\n");  // Accept-Encoding: decompress_response
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

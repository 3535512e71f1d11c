// Application::static_files: what a file's response carries (type, length,
// validators), conditional requests (304), ranges (206, 416), HEAD, and the
// header parsers behind them; with a raw client and with curl.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include <eddy/detail/http/mime_types.hpp>
#include <eddy/detail/http/static_request.hpp>
#include <eddy/web.hpp>

#include "support/http_test_server.hpp"
#include "support/static_files_helpers.hpp"

using namespace eddy_test;
using eddy::detail::RangeRequest;

namespace {

HTTPTestServer::Setup serve_root(const std::string& root) {
  return [root](eddy::Application& app, eddy::IOLoop&) {
    app.static_files("/static", root);
    app.route("/other", [](eddy::RequestHandler& h) { h.write("other"); });
  };
}

std::string header(const Response& r, const char* name) {
  const std::string* v = r.headers.find(name);
  return v != nullptr ? *v : std::string("(none)");
}

}  // namespace

TEST_CASE("static_files answers a file with its type, length, validators and Accept-Ranges", "[web][static]") {
  StaticRootFixture fx;
  HTTPTestServer server(serve_root(fx.root));
  Client c(server.port());
  c.send(get_request("/static/small.txt"));
  Response r = c.response();
  CHECK(r.status == 200);
  CHECK(r.body == "hello, static");
  CHECK(header(r, "Content-Type") == "text/plain; charset=utf-8");
  CHECK(header(r, "Content-Length") == "13");
  CHECK(header(r, "Accept-Ranges") == "bytes");
  CHECK(header(r, "ETag").front() == '"');
  struct stat st {};
  REQUIRE(::stat((fx.root + "/small.txt").c_str(), &st) == 0);
  CHECK(header(r, "Last-Modified") == eddy::format_http_date(static_cast<std::int64_t>(st.st_mtime)));
  // The same connection goes on: a large file (sent from the file), then others.
  c.send(get_request("/static/big.bin"));
  r = c.response();
  CHECK(r.status == 200);
  CHECK(header(r, "Content-Type") == "application/octet-stream");
  CHECK(r.body == fx.big);
  for (auto [path, type] : {std::pair{"/static/page.html", "text/html; charset=utf-8"},
                            std::pair{"/static/data.json", "application/json"},
                            std::pair{"/static/sub/inner.css", "text/css; charset=utf-8"},
                            std::pair{"/static/link.txt", "text/plain; charset=utf-8"},
                            std::pair{"/static/sub/../small.txt", "(refused)"}}) {
    c.send(get_request(path));
    r = c.response();
    INFO(path);
    if (std::string(type) == "(refused)") {
      CHECK(r.status == 403);
    } else {
      CHECK(r.status == 200);
      CHECK(header(r, "Content-Type") == type);
    }
  }
  c.send(get_request("/static/empty.txt"));
  r = c.response();
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  CHECK(header(r, "Content-Length") == "0");
  CHECK(server.exceptions().empty());
}

TEST_CASE("pipelined requests around a file body are answered in order", "[web][static]") {
  StaticRootFixture fx;
  HTTPTestServer server(serve_root(fx.root));
  Client c(server.port());
  c.send(get_request("/static/big.bin") + get_request("/other") + get_request("/static/small.txt") +
         get_request("/static/big.bin") + get_request("/static/nope"));
  CHECK(c.response().body == fx.big);
  CHECK(c.response().body == "other");
  CHECK(c.response().body == "hello, static");
  CHECK(c.response().body == fx.big);
  CHECK(c.response().status == 404);
}

TEST_CASE("HEAD of a static file gets GET's headers and no body", "[web][static]") {
  StaticRootFixture fx;
  HTTPTestServer server(serve_root(fx.root));
  Client c(server.port());
  c.send("HEAD /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
  Response r = c.response(true);
  CHECK(r.status == 200);
  CHECK(header(r, "Content-Length") == std::to_string(fx.big.size()));
  CHECK(r.body.empty());
  c.send("HEAD /static/small.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n\r\n");
  r = c.response(true);
  CHECK(r.status == 206);
  CHECK(header(r, "Content-Length") == "5");
  c.send(get_request("/static/small.txt"));  // nothing stray was sent after the heads
  CHECK(c.response().body == "hello, static");
}

TEST_CASE("a directory is 403, a missing file 404, a method other than GET or HEAD 405", "[web][static]") {
  StaticRootFixture fx;
  HTTPTestServer server(serve_root(fx.root));
  CHECK(fetch(server.port(), get_request("/static/sub")).status == 403);
  CHECK(fetch(server.port(), get_request("/static/sub/")).status == 403);
  CHECK(fetch(server.port(), get_request("/static/")).status == 403);
  CHECK(fetch(server.port(), get_request("/static/missing.txt")).status == 404);
  CHECK(fetch(server.port(), get_request("/static/small.txt/x")).status == 404);
  Response r = fetch(server.port(), "POST /static/small.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  CHECK(r.status == 405);
  CHECK(header(r, "Allow") == "GET, HEAD");
}

TEST_CASE("curl: If-None-Match and If-Modified-Since answer 304, ranges 206, 416 and whole", "[web][static][curl]") {
  if (!have_program("curl")) {
    WARN("curl is not installed: skipped");
    return;
  }
  StaticRootFixture fx;
  HTTPTestServer server(serve_root(fx.root));
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/static/";
  std::string code = " -o /dev/null -w '%{http_code}'";
  std::string etag = shell("curl -s -D - -o /dev/null " + url + "small.txt | sed -n 's/^ETag: //p' | tr -d '\\r\\n'");
  REQUIRE(etag.size() > 2);
  CHECK(shell("curl -s -H 'If-None-Match: " + etag + "'" + code + " " + url + "small.txt") == "304");
  CHECK(shell("curl -s -H 'If-None-Match: \"x\", W/" + etag + "'" + code + " " + url + "small.txt") == "304");
  CHECK(shell("curl -s -H 'If-None-Match: \"other\"'" + code + " " + url + "small.txt") == "200");
  // -z DATE sends If-Modified-Since: later than the file -> 304; long before -> 200.
  CHECK(shell("curl -s -z 'Tue, 01 Jan 2999 00:00:00 GMT'" + code + " " + url + "small.txt") == "304");
  CHECK(shell("curl -s -z 'Mon, 01 Jan 1990 00:00:00 GMT'" + code + " " + url + "small.txt") == "200");
  // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
  // (the header spelled out: with -z, curl also applies the condition itself)
  CHECK(shell("curl -s -H 'If-None-Match: \"other\"' -H 'If-Modified-Since: Tue, 01 Jan 2999 00:00:00 GMT'" + code +
              " " + url + "small.txt") == "200");
  CHECK(shell("curl -s -r 0-4 " + url + "small.txt") == "hello");
  CHECK(shell("curl -s -r 7- " + url + "small.txt") == "static");
  CHECK(shell("curl -s -r -6 " + url + "small.txt") == "static");
  CHECK(shell("curl -s -r 100000-100009 " + url + "big.bin") == fx.big.substr(100000, 10));
  CHECK(shell("curl -s -r 1000-1048582 " + url + "big.bin") == fx.big.substr(1000));  // from the file
  std::string head = shell("curl -s -D - -o /dev/null -r 2-3 " + url + "small.txt");
  CHECK(head.find("206 Partial Content") != std::string::npos);
  CHECK(head.find("Content-Range: bytes 2-3/13") != std::string::npos);
  head = shell("curl -s -D - -o /dev/null -r 13-20 " + url + "small.txt");
  CHECK(head.find("416 Range Not Satisfiable") != std::string::npos);
  CHECK(head.find("Content-Range: bytes */13") != std::string::npos);
  CHECK(shell("curl -s -r 0-1,4-5 " + url + "small.txt") == "hello, static");  // several: the whole file
  CHECK(shell("curl -s -H 'If-Range: \"stale\"' -r 0-4 " + url + "small.txt") == "hello, static");
  CHECK(shell("curl -s -H 'If-Range: " + etag + "' -r 0-4 " + url + "small.txt") == "hello");
  CHECK(shell("curl -s -I " + url + "big.bin | grep -c -i -e '^Content-Length: 1048583' -e '^Accept-Ranges: bytes'") ==
        "2\n");
}

TEST_CASE("Range headers parse as RFC 9110 says, and malformed ones are ignored", "[web][static][unit]") {
  using K = RangeRequest::Kind;
  struct Case {
    const char* header;
    std::uint64_t size;
    K kind;
    std::uint64_t first, last;
  };
  const Case cases[] = {
      {"bytes=0-4", 10, K::partial, 0, 4},     {"bytes=5-", 10, K::partial, 5, 9},
      {"bytes=-3", 10, K::partial, 7, 9},      {"bytes=-30", 10, K::partial, 0, 9},
      {"bytes=2-100", 10, K::partial, 2, 9},   {"bytes=9-9", 10, K::partial, 9, 9},
      {"bytes=10-", 10, K::unsatisfiable, 0, 0}, {"bytes=-0", 10, K::unsatisfiable, 0, 0},
      {"bytes=5-2", 10, K::whole, 0, 0},       {"bytes=0-1,3-4", 10, K::whole, 0, 0},
      {"items=0-4", 10, K::whole, 0, 0},       {"bytes=a-4", 10, K::whole, 0, 0},
      {"bytes=0-4", 0, K::whole, 0, 0},        {"bytes = 1 - 2", 10, K::partial, 1, 2},
      {"bytes=99999999999999999999-", 10, K::whole, 0, 0}, {"bytes=", 10, K::whole, 0, 0},
  };
  for (const Case& c : cases) {
    INFO(c.header << " of " << c.size);
    RangeRequest r = eddy::detail::parse_range(c.header, c.size);
    CHECK(r.kind == c.kind);
    if (c.kind == K::partial) {
      CHECK(r.first == c.first);
      CHECK(r.last == c.last);
    }
  }
}

TEST_CASE("HTTP dates parse back to what format_http_date wrote; other forms are ignored", "[web][static][unit]") {
  for (std::int64_t t : {0LL, 784111777LL, 951782400LL, 1700000000LL, 4102444799LL}) {
    CHECK(eddy::detail::parse_http_date(eddy::format_http_date(t)) == t);
  }
  CHECK_FALSE(eddy::detail::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
  CHECK_FALSE(eddy::detail::parse_http_date("Sun Nov  6 08:49:37 1994"));
  CHECK_FALSE(eddy::detail::parse_http_date("Sun, 06 Nox 1994 08:49:37 GMT"));
  CHECK_FALSE(eddy::detail::parse_http_date("Sun, 06 Nov 1994 28:49:37 GMT"));
}

TEST_CASE("If-None-Match lists compare weakly; types come from the extension", "[web][static][unit]") {
  auto etag_list_matches = &eddy::detail::if_none_match_matches;
  CHECK(etag_list_matches("\"a-1\"", "\"a-1\""));
  CHECK(etag_list_matches("W/\"a-1\"", "\"a-1\""));
  CHECK(etag_list_matches("\"x\", \"a-1\"", "\"a-1\""));
  CHECK(etag_list_matches("*", "\"a-1\""));
  CHECK_FALSE(etag_list_matches("\"a-2\"", "\"a-1\""));
  CHECK_FALSE(etag_list_matches("a-1", "\"a-1\""));
  using eddy::detail::mime_type_for;
  CHECK(mime_type_for("x/INDEX.HTML") == "text/html; charset=utf-8");
  CHECK(mime_type_for("app.wasm") == "application/wasm");
  CHECK(mime_type_for("font.woff2") == "font/woff2");
  CHECK(mime_type_for("a.tar.gz") == "application/gzip");
  CHECK(mime_type_for("README") == "application/octet-stream");
  CHECK(mime_type_for("dir.d/file") == "application/octet-stream");
  CHECK(mime_type_for("trailing.") == "application/octet-stream");
}

TEST_CASE("static files keep their own ETag under the etag setting and reach the access log", "[web][static]") {
  StaticRootFixture fx;
  auto lines = std::make_shared<std::vector<std::string>>();
  HTTPTestServer server([&](eddy::Application& app, eddy::IOLoop&) {
    app.settings().etag = true;
    app.settings().log_function = [lines](const eddy::RequestHandler& h, eddy::Clock::duration took) {
      lines->push_back(eddy::access_log_line(h, took));
    };
    app.static_files("/static", fx.root);
  });
  Client c(server.port());
  c.send(get_request("/static/small.txt"));
  Response small = c.response();
  c.send(get_request("/static/big.bin"));
  Response big = c.response();
  c.send(get_request("/static/missing"));
  CHECK(c.response().status == 404);
  CHECK(header(small, "ETag").find('-') != std::string::npos);  // "<size>-<mtime>", not a hash of the body
  CHECK(small.headers.get_list("ETag").size() == 1);
  CHECK(big.body == fx.big);
  std::vector<std::string> logged = server.on_loop([&](eddy::HTTPServer&, eddy::IOLoop&) { return *lines; });
  REQUIRE(logged.size() == 3);
  CHECK(logged[0].rfind("200 GET /static/small.txt (127.0.0.1) ", 0) == 0);
  CHECK(logged[1].rfind("200 GET /static/big.bin (127.0.0.1) ", 0) == 0);
  CHECK(logged[2].rfind("404 GET /static/missing (127.0.0.1) ", 0) == 0);
}

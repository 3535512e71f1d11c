// ETag (ApplicationSettings::etag, Tornado's compute_etag): finished 200
// responses to GET and HEAD carry one; a matching If-None-Match gets 304
// with no body; streamed responses, other methods and statuses, a handler's
// own ETag and etag = false are left alone. Checked with curl too.
#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "support/http_test_server.hpp"
#include "support/run_command.hpp"

using eddy_test::fetch;
using eddy_test::get_request;
using eddy_test::HTTPTestServer;

namespace {

void routes(eddy::Application& app, eddy::IOLoop&) {
  app.route("/text", [](eddy::RequestHandler& h) {
    h.set_header("Content-Type", "text/plain");
    h.write(h.get_argument("v", "Hello, World!"));
  });
  app.route("/streamed", [](eddy::RequestHandler& h) -> eddy::Future<void> {
    h.write("part one");
    eddy::Future<void> sent = h.flush();
    co_await sent;
    h.write("part two");
  });
  app.route("/own", [](eddy::RequestHandler& h) {
    h.set_header("ETag", "\"mine\"");
    h.write("own");
  });
  app.route("/created", [](eddy::RequestHandler& h) {
    h.set_status(201);
    h.write("new");
  });
}

std::string with(const std::string& header) { return get_request("/text", header + "\r\n"); }

}  // namespace

TEST_CASE("format_hex32 writes eight lowercase hex digits, most significant first", "[web][etag]") {
  char out[8];
  for (std::uint32_t v : {0x00000000u, 0x0123abcdu, 0x9a5f0e1du, 0xffffffffu, 0x10000000u, 0x0000000fu}) {
    eddy::detail::format_hex32(v, out);
    char expected[9];
    std::snprintf(expected, sizeof expected, "%08x", v);
    CHECK(std::string(out, 8) == expected);
  }
}

TEST_CASE("format_hex64 writes sixteen lowercase hex digits, most significant first", "[web][etag]") {
  char out[16];
  for (std::uint64_t v : {0x0ull, 0x0123456789abcdefull, 0xfedcba9876543210ull, 0xffffffffffffffffull,
                          0xa0b1c2d3e4f50617ull, 0x000000000000000full, 0x9000000000000000ull}) {
    eddy::detail::format_hex64(v, out);
    char expected[17];
    std::snprintf(expected, sizeof expected, "%016llx", static_cast<unsigned long long>(v));
    CHECK(std::string(out, 16) == expected);
  }
}

TEST_CASE("format_etag and if_none_match_matches follow the weak comparison", "[web][etag]") {
  char buffer[eddy::detail::etag_size];
  eddy::detail::format_etag("Hello, World!", buffer);
  std::string tag(buffer, sizeof buffer);
  CHECK(tag.front() == '"');
  CHECK(tag.back() == '"');
  CHECK(tag == "\"c49aacf8080fe47f\"");  // XXH64("Hello, World!")
  eddy::detail::format_etag("Hello, World?", buffer);
  CHECK(tag != std::string(buffer, sizeof buffer));
  using eddy::detail::if_none_match_matches;
  CHECK(if_none_match_matches(tag, tag));
  CHECK(if_none_match_matches("W/" + tag, tag));
  CHECK(if_none_match_matches("\"other\", " + tag, tag));
  CHECK(if_none_match_matches("\"other\",W/" + tag + " ,\"x\"", tag));
  CHECK(if_none_match_matches("*", tag));
  CHECK_FALSE(if_none_match_matches("\"other\"", tag));
  CHECK_FALSE(if_none_match_matches("", tag));
  CHECK_FALSE(if_none_match_matches(tag.substr(0, 12), tag));  // unterminated
  CHECK_FALSE(if_none_match_matches("garbage " + tag, tag));
}

TEST_CASE("a finished 200 response to GET or HEAD gets an ETag that follows its body", "[web][etag]") {
  HTTPTestServer server(routes);
  eddy_test::Response a = fetch(server.port(), get_request("/text"));
  std::string tag = a.headers.get("Etag");
  CHECK(tag.size() == 18);
  CHECK(fetch(server.port(), get_request("/text")).headers.get("ETag") == tag);
  CHECK(fetch(server.port(), "HEAD /text HTTP/1.1\r\nHost: t\r\n\r\n", true).headers.get("ETag") == tag);
  CHECK(fetch(server.port(), get_request("/text?v=other")).headers.get("ETag") != tag);
  CHECK_FALSE(fetch(server.port(), get_request("/streamed")).headers.contains("ETag"));
  CHECK_FALSE(fetch(server.port(), get_request("/created")).headers.contains("ETag"));
  CHECK_FALSE(fetch(server.port(), get_request("/missing")).headers.contains("ETag"));
  CHECK_FALSE(fetch(server.port(), "POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
                  .headers.contains("ETag"));
  CHECK(fetch(server.port(), get_request("/own")).headers.get_list("ETag") == std::vector<std::string>{"\"mine\""});
}

TEST_CASE("a matching If-None-Match gets 304 without a body; another gets 200", "[web][etag]") {
  HTTPTestServer server(routes);
  std::string tag = fetch(server.port(), get_request("/text")).headers.get("Etag");
  for (std::string header : {"If-None-Match: " + tag, "If-None-Match: W/" + tag, "If-None-Match: \"x\", " + tag,
                             std::string("If-None-Match: *")}) {
    INFO(header);
    eddy_test::Client c(server.port());
    c.send(with(header));
    eddy_test::Response r = c.response();
    CHECK(r.status == 304);
    CHECK(r.body.empty());
    CHECK(r.headers.get("ETag") == tag);
    CHECK_FALSE(r.headers.contains("Content-Type"));
    c.send(get_request("/text"));  // the connection is still in step
    CHECK(c.response().body == "Hello, World!");
  }
  eddy_test::Response miss = fetch(server.port(), with("If-None-Match: \"nope\""));
  CHECK(miss.status == 200);
  CHECK(miss.body == "Hello, World!");
  // A handler's own ETag is its business (Tornado compares only its own).
  CHECK(fetch(server.port(), get_request("/own", "If-None-Match: \"mine\"\r\n")).status == 200);
}

TEST_CASE("If-None-Match in any case and among pipelined requests gets its 304", "[web][etag][pipelining]") {
  HTTPTestServer server(routes);
  std::string tag = fetch(server.port(), get_request("/text")).headers.get("Etag");
  // One write: the handler that served the plain request before is reused
  // for the conditional one and the plain one after it.
  eddy_test::Client c(server.port());
  c.send(get_request("/text") + with("if-none-match: " + tag) + get_request("/text") +
         get_request("/text", "IF-NONE-MATCH: " + tag + "\r\n") + with("If-Match: *"));
  CHECK(c.response().status == 200);
  eddy_test::Response hit = c.response();
  CHECK(hit.status == 304);
  CHECK(hit.body.empty());
  eddy_test::Response plain = c.response();
  CHECK(plain.status == 200);
  CHECK(plain.body == "Hello, World!");
  CHECK(c.response().status == 304);
  CHECK(c.response().status == 200);  // If-Match is not If-None-Match
}

TEST_CASE("etag = false sends no ETag and ignores If-None-Match", "[web][etag]") {
  HTTPTestServer server([](eddy::Application& app, eddy::IOLoop& loop) {
    app.settings().etag = false;
    routes(app, loop);
  });
  eddy_test::Response r = fetch(server.port(), with("If-None-Match: *"));
  CHECK(r.status == 200);
  CHECK_FALSE(r.headers.contains("ETag"));
}

TEST_CASE("curl gets 304 when it sends the ETag back in If-None-Match", "[web][etag][curl]") {
  HTTPTestServer server(routes);
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/text";
  eddy_test::CommandRun head = eddy_test::run_command("curl -sS -D - -o /dev/null " + url + " 2>&1");
  REQUIRE(head.exit_code() == 0);
  std::size_t at = head.out.find("Etag: ");
  REQUIRE(at != std::string::npos);
  std::string tag = head.out.substr(at + 6, 18);
  eddy_test::CommandRun again =
      eddy_test::run_command("curl -sS -o /dev/null -w '%{http_code}' -H 'If-None-Match: " + tag + "' " + url + " 2>&1");
  CHECK(again.out == "304");
  eddy_test::CommandRun other = eddy_test::run_command(
      "curl -sS -o /dev/null -w '%{http_code}' -H 'If-None-Match: \"stale\"' " + url + " 2>&1");
  CHECK(other.out == "200");
}

TEST_CASE("h.etag() gives the ETag eddy sent, in a log_function too", "[web][etag]") {
  auto seen = std::make_shared<std::string>();
  auto mutex = std::make_shared<std::mutex>();
  HTTPTestServer server([seen, mutex](eddy::Application& app, eddy::IOLoop& loop) {
    app.settings().log_function = [seen, mutex](const eddy::RequestHandler& h, eddy::Clock::duration) {
      std::lock_guard<std::mutex> lock(*mutex);
      *seen = std::string(h.etag());
    };
    routes(app, loop);
  });
  std::string tag = fetch(server.port(), get_request("/text")).headers.get("Etag");
  {
    std::lock_guard<std::mutex> lock(*mutex);
    CHECK(*seen == tag);
  }
  fetch(server.port(), get_request("/created"));
  std::lock_guard<std::mutex> lock(*mutex);
  CHECK(seen->empty());
}

// The HTTP/1.x response head parser and response framing, as the client
// reads them: status lines, bodiless responses, chunked, until close.
#include <eddy/detail/http/http_framing.hpp>
#include <eddy/detail/http/http_parser.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "support/http_parse_helpers.hpp"

using namespace eddy::detail::http;
using namespace std::literals;
using eddy_test::framing_of;
using eddy_test::outcome;

TEST_CASE("a response head parses into version, status, reason and fields", "[http][parser][response]") {
  std::string_view res = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found";
  ResponseHead head;
  ParseResult r = parse_response_head(res, head);
  REQUIRE(r.complete());
  CHECK(res.substr(r.consumed) == "not found");
  CHECK(head.version_minor == 1);
  CHECK(head.status_code == 404);
  CHECK(head.reason == "Not Found");
  MessageInfo info = analyze_response(head, "GET");
  CHECK(info.body == BodyKind::content_length);
  CHECK(info.content_length == 9);
  CHECK(info.keep_alive);
}

TEST_CASE("a status line without a reason is accepted", "[http][parser][response]") {
  ResponseHead head;
  REQUIRE(parse_response_head("HTTP/1.1 200\r\n\r\n", head).complete());
  CHECK(head.status_code == 200);
  CHECK(head.reason.empty());
  REQUIRE(parse_response_head("HTTP/1.0 204 \r\n\r\n", head).complete());
  CHECK(head.reason.empty());
}

TEST_CASE("malformed status lines are errors", "[http][parser][response]") {
  ResponseHead head;
  CHECK(parse_response_head("HTTP/1.1 20 OK\r\n\r\n", head).error());
  CHECK(parse_response_head("HTTP/1.1 099 OK\r\n\r\n", head).error());
  CHECK(parse_response_head("HTTP/1.1 2000 OK\r\n\r\n", head).error());
  CHECK(parse_response_head("HTTP/1.1  200 OK\r\n\r\n", head).error());
  CHECK(parse_response_head("HTTP/1.1 200 O\rK\r\n\r\n", head).error());
  CHECK(parse_response_head("ICY 200 OK\r\n\r\n", head).error());
  CHECK(parse_response_head("HTTP/2.0 200 OK\r\n\r\n", head).error_status == 505);
  CHECK(parse_response_head("HTTP/1.1 200 OK\r\n", head).incomplete());
  CHECK(parse_response_head("HTTP/1.", head).incomplete());
  CHECK(parse_response_head("HTTX", head).error());
}

TEST_CASE("1xx, 204, 304 and responses to HEAD carry no body", "[http][framing][response]") {
  ResponseHead head;
  for (std::string_view res : {"HTTP/1.1 100 Continue\r\n\r\n"sv, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"sv,
                               "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"sv}) {
    REQUIRE(parse_response_head(res, head).complete());
    CHECK(analyze_response(head, "GET").body == BodyKind::none);
  }
  REQUIRE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", head).complete());
  CHECK(analyze_response(head, "HEAD").body == BodyKind::none);
  CHECK(analyze_response(head, "GET").body == BodyKind::content_length);
}

TEST_CASE("response framing: chunked, until close, bad length", "[http][framing][response]") {
  ResponseHead head;
  REQUIRE(parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", head).complete());
  CHECK(analyze_response(head, "GET").body == BodyKind::until_close);
  REQUIRE(parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head).complete());
  CHECK(analyze_response(head, "GET").body == BodyKind::chunked);
  CHECK(analyze_response(head, "GET").keep_alive);
  REQUIRE(parse_response_head("HTTP/1.1 200 OK\r\n\r\n", head).complete());
  MessageInfo info = analyze_response(head, "GET");
  CHECK(info.body == BodyKind::until_close);
  CHECK_FALSE(info.keep_alive);
  REQUIRE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", head).complete());
  CHECK(analyze_response(head, "GET").error_status == 502);
  REQUIRE(parse_response_head("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", head).complete());
  CHECK_FALSE(analyze_response(head, "GET").keep_alive);
}

// The HTTP/1.x request head parser, pinned by input bytes and expected
// outcome (after llhttp's test/request cases), with every split point of a
// request and every size limit at limit - 1, limit and limit + 1. Framing and
// responses are in http_framing_test.cpp and http_response_parser_test.cpp.
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

namespace {

// A string of a head with one padding field, exactly `size` bytes long.
std::string head_of_size(std::size_t size) {
  std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  std::string end = "\r\n\r\n";
  REQUIRE(size >= start.size() + end.size());
  return start + std::string(size - start.size() - end.size(), 'x') + end;
}

bool same(const RequestHead& a, const RequestHead& b) {
  if (a.method != b.method || a.target != b.target || a.version_minor != b.version_minor) return false;
  if (a.headers.size() != b.headers.size()) return false;
  for (std::size_t i = 0; i < a.headers.size(); ++i)
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) return false;
  return true;
}

}  // namespace

TEST_CASE("the byte scans find the first control byte at every offset and alignment", "[http][parser][scan]") {
  // Whichever loops are compiled in (SSE2, or the 64-bit word loops under
  // EDDY_HTTP_NO_SIMD): each control byte, DEL and SP at every position of
  // buffers up to 70 bytes, after obs-text and printable filler, against a
  // byte-at-a-time reference.
  std::size_t cases = 0;
  for (int filler : {0x61, 0x7E, 0x21, 0x80, 0xFF}) {  // a ~ ! and obs-text
    for (std::size_t size = 0; size <= 70; ++size) {
      for (std::size_t at = 0; at <= size; ++at) {
        for (int c : {0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x7F}) {
          std::string buf(size, static_cast<char>(filler));
          if (at < size) buf[at] = static_cast<char>(c);
          if (at + 1 < size) buf[at + 1] = '\0';  // a later hit must not win
          const char* b = buf.data();
          const char* e = b + buf.size();
          bool hit = at < size;
          const char* want_ctl = hit && c != 0x20 ? b + at : (at + 1 < size ? b + at + 1 : e);
          const char* want_space = hit ? b + at : e;
          ++cases;
          // And from inside the buffer, where the tail may be read with the
          // bytes before the start masked off.
          auto reference = [&](const char* from) {
            while (from < e && !is_ctl(static_cast<unsigned char>(*from))) ++from;
            return from;
          };
          for (const char* from : {b + at / 2, b + at, b + (at + 1 < size ? at + 1 : size)})
            if (find_ctl(from, e, b) != reference(from)) FAIL("from " << from - b << " size " << size << " at " << at);
          if (find_ctl(b, e) != want_ctl || find_ctl_or_space(b, e) != want_space) {
            FAIL("size " << size << " at " << at << " byte " << c << " filler " << int(filler));
          }
        }
      }
    }
  }
  CHECK(cases == 5u * 71u * 72u / 2u * 8u);
}

TEST_CASE("a simple GET parses into method, target, version and fields", "[http][parser]") {
  std::string_view req = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
  RequestHead head;
  ParseResult r = parse_request_head(req, head);
  REQUIRE(r.complete());
  CHECK(r.consumed == req.size());
  CHECK(head.method == "GET");
  CHECK(head.target == "/a/b?x=1");
  CHECK(head.version_minor == 1);
  REQUIRE(head.headers.size() == 2);
  CHECK(head.headers[0].name == "Host");
  CHECK(head.headers[0].value == "example.com");
  CHECK(head.headers[1].name == "Accept");
  CHECK(head.headers[1].value == "*/*");
}

TEST_CASE("consumed stops at the end of the head; the body and pipelined bytes stay", "[http][parser]") {
  std::string_view req = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n";
  RequestHead head;
  ParseResult r = parse_request_head(req, head);
  REQUIRE(r.complete());
  CHECK(req.substr(r.consumed) == "abcGET / HTTP/1.1\r\n");
}

TEST_CASE("field values lose surrounding spaces and tabs but keep inner ones and obs-text", "[http][parser]") {
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\nX: \t a \t b\t \r\nY:\r\nZ:\xC3\xA9t\xE9\r\n\r\n";
  RequestHead head;
  REQUIRE(parse_request_head(req, head).complete());
  REQUIRE(head.headers.size() == 4);
  CHECK(head.headers[1].value == "a \t b");
  CHECK(head.headers[2].value == "");
  CHECK(head.headers[3].value == "\xC3\xA9t\xE9");
}

TEST_CASE("HTTP/1.0 parses with version_minor 0", "[http][parser]") {
  RequestHead head;
  REQUIRE(parse_request_head("GET / HTTP/1.0\r\n\r\n", head).complete());
  CHECK(head.version_minor == 0);
  CHECK(head.headers.empty());
  CHECK(version_string(0) == "HTTP/1.0");
  CHECK(version_string(1) == "HTTP/1.1");
}

TEST_CASE("empty lines before the request line are skipped and counted", "[http][parser]") {
  std::string_view req = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestHead head;
  ParseResult r = parse_request_head(req, head);
  REQUIRE(r.complete());
  CHECK(r.consumed == req.size());
  CHECK(head.method == "GET");
}

TEST_CASE("methods are tokens: unknown ones parse, others are 400", "[http][parser]") {
  CHECK(outcome("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n") == 0);
  CHECK(outcome("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n") == 0);
  CHECK(outcome("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome(" GET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
}

TEST_CASE("garbage request lines are 400", "[http][parser]") {
  CHECK(outcome("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") == 400);  // a TLS ClientHello
  CHECK(outcome("hello\r\n\r\n") == 400);
  CHECK(outcome("GET /\r\n\r\n") == 400);                              // HTTP/0.9 simple request
  CHECK(outcome("GET / HTTP/1.1 \r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET  HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET /music/sweet/music ICE/1.0\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET /music/sweet/music IHTTP/1.0\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("PUT /music RTSP/1.0\r\nHost: a\r\n\r\n") == 400);
}

TEST_CASE("malformed HTTP versions are 400", "[http][parser]") {
  CHECK(outcome("GET / http/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.10\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/11\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/a.b\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1") == -1);
}

TEST_CASE("versions other than 1.0 and 1.1 are 505", "[http][parser]") {
  CHECK(outcome("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505);
  CHECK(outcome("GET / HTTP/0.9\r\nHost: a\r\n\r\n") == 505);
  CHECK(outcome("GET / HTTP/1.2\r\nHost: a\r\n\r\n") == 505);
  CHECK(outcome("GET / HTTP/5.6\r\n") == 505);
}

TEST_CASE("a bare CR anywhere in the head is 400", "[http][parser]") {
  CHECK(outcome("GET / HTTP/1.1\rHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nFoo: 1\rBar: 2\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nx:\rTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nConnection: close\r\nHost: a\r\n\rZGET /evil: HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n") == 400);
  CHECK(outcome("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
}

TEST_CASE("a bare LF is 400", "[http][parser]") {
  CHECK(outcome("GET / HTTP/1.1\nHost: a\n\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nDummy: x\nContent-Length: 23\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nx:\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\n\n") == 400);
  CHECK(outcome("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
}

TEST_CASE("NUL and other control characters in a field are 400", "[http][parser]") {
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"s) == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nFoo\0\test: Bar\r\n\r\n"s) == 400);
  CHECK(outcome("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"s) == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nConnection\r\x1b\x35\xd5" "eep-Alive\r\n\r\n") == 400);
}

TEST_CASE("whitespace before the colon is 400", "[http][parser]") {
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nX\t: 1\r\n\r\n") == 400);
}

TEST_CASE("obs-fold and whitespace before the first field are 400", "[http][parser]") {
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  continued\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\tcontinued\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\n Host: a\r\n\r\n") == 400);
  CHECK(outcome("POST /hello HTTP/1.1\r\nHost: localhost\r\nFoo: bar\r\n Content-Length: 38\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nname\r\n : value\r\n\r\n") == 400);
}

TEST_CASE("field names must be non-empty tokens", "[http][parser]") {
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nFo@: Failure\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\n: Bar\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\n\"X\": 1\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nX-Odd_Name.1!#$%&'*+^`|~: 1\r\n\r\n") == 0);
}

TEST_CASE("every prefix of a head is incomplete", "[http][parser]") {
  std::string_view req = "\r\nGET /x HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n";
  for (std::size_t k = 0; k < req.size(); ++k) {
    INFO("prefix " << k);
    CHECK(outcome(req.substr(0, k)) == -1);
  }
  CHECK(outcome(req) == 0);
}

TEST_CASE("every split point of a request gives the same result, with and without the scanned hint",
          "[http][parser]") {
  std::string_view req =
      "POST /upload?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: test\r\n"
      "Content-Type: text/plain\r\nContent-Length: 5\r\nX-Tab:\ta\tb\t\r\n\r\nhello";
  RequestHead whole;
  ParseResult expected = parse_request_head(req, whole);
  REQUIRE(expected.complete());
  for (std::size_t k = 0; k <= req.size(); ++k) {
    INFO("split at " << k);
    RequestHead head;
    ParseResult first = parse_request_head(req.substr(0, k), head);
    if (k < expected.consumed) {
      CHECK(first.incomplete());
    } else {
      CHECK(first.complete());
    }
    // A hint is the size at a call that returned incomplete: below consumed.
    for (std::size_t hint : {std::size_t(0), k < expected.consumed ? k : 0}) {
      RequestHead again;
      ParseResult r = parse_request_head(req, again, 64 * 1024, hint);
      CHECK(r.complete());
      CHECK(r.consumed == expected.consumed);
      CHECK(same(again, whole));
    }
  }
}

TEST_CASE("every split point of a bad request gives the same error", "[http][parser]") {
  for (std::string_view req : {"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"sv, "GET / HTTP/1.1\r\nHost : a\r\n\r\n"sv,
                               "GET / HTTP/2.0\r\nHost: a\r\n\r\n"sv, "GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n"sv}) {
    RequestHead head;
    ParseResult expected = parse_request_head(req, head);
    REQUIRE(expected.error());
    for (std::size_t k = 0; k <= req.size(); ++k) {
      INFO("split at " << k);
      ParseResult first = parse_request_head(req.substr(0, k), head);
      CHECK((first.incomplete() || first.error_status == expected.error_status));
      ParseResult r = parse_request_head(req, head, 64 * 1024, k);
      CHECK(r.error());
      CHECK(r.error_status == expected.error_status);
    }
  }
}

TEST_CASE("the scanned hint looks only at new bytes until the head ends", "[http][parser]") {
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n";
  RequestHead head;
  CHECK(parse_request_head(req, head, 1024, 10).incomplete());
  req += "\r\n";
  CHECK(parse_request_head(req, head, 1024, req.size() - 2).complete());
  // A bare LF in the new bytes is reported at once, not at the limit.
  CHECK(parse_request_head("GET / HTTP/1.1\nHost: a\n", head, 1024, 5).error_status == 400);
}

TEST_CASE("max_header_size counts the whole head: limit - 1 and limit pass, limit + 1 is 431", "[http][parser]") {
  const std::size_t limit = 200;
  CHECK(outcome(head_of_size(limit - 1), limit) == 0);
  CHECK(outcome(head_of_size(limit), limit) == 0);
  CHECK(outcome(head_of_size(limit + 1), limit) == 431);
  // With the body behind it, the head alone still decides.
  CHECK(outcome(head_of_size(limit) + "body", limit) == 0);
  // limit bytes buffered without an end: 431 at once, not a wait.
  std::string big = head_of_size(limit + 1);
  CHECK(outcome(std::string_view(big).substr(0, limit - 1), limit) == -1);
  CHECK(outcome(std::string_view(big).substr(0, limit), limit) == 431);
  RequestHead head;
  CHECK(parse_request_head(std::string_view(big).substr(0, limit), head, limit, limit - 1).error_status == 431);
  // The empty lines skipped before a request count too.
  CHECK(outcome("\r\n" + head_of_size(limit - 2), limit) == 0);
  CHECK(outcome("\r\n" + head_of_size(limit - 1), limit) == 431);
}

TEST_CASE("a head's views point into the caller's buffer", "[http][parser]") {
  std::string req = "GET /p HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestHead head;
  REQUIRE(parse_request_head(req, head).complete());
  CHECK(head.target.data() == req.data() + 4);
  CHECK(head.headers[0].value.data() == req.data() + 23);
}

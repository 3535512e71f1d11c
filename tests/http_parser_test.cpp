// The HTTP/1.x head parser and the framing rules, pinned by input bytes and
// expected outcome (after llhttp's test/request cases), with every split
// point of a request and every size limit at limit - 1, limit and limit + 1.
#include <eddy/detail/http/http_framing.hpp>
#include <eddy/detail/http/http_parser.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using namespace eddy::detail::http;
using namespace std::literals;

namespace {

// The outcome of one request as the server sees it: 0 when acceptable, -1
// when incomplete, else the status of the error (head or framing).
int outcome(std::string_view bytes, std::size_t max_header_size = 64 * 1024) {
  RequestHead head;
  ParseResult r = parse_request_head(bytes, head, max_header_size);
  if (r.incomplete()) return -1;
  if (r.error()) {
    REQUIRE(r.error_status >= 400);
    REQUIRE_FALSE(r.reason.empty());
    return r.error_status;
  }
  MessageInfo info = analyze_request(head);
  return info.ok() ? 0 : info.error_status;
}

MessageInfo framing_of(std::string_view bytes) {
  RequestHead head;
  ParseResult r = parse_request_head(bytes, head);
  REQUIRE(r.complete());
  return analyze_request(head);
}

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

// ---- framing -------------------------------------------------------------

TEST_CASE("no Content-Length and no Transfer-Encoding: no body", "[http][framing]") {
  MessageInfo info = framing_of("POST / HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(info.ok());
  CHECK(info.body == BodyKind::none);
  CHECK(info.host == "a");
}

TEST_CASE("Content-Length frames the body; identical duplicates are one", "[http][framing]") {
  MessageInfo info = framing_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n");
  CHECK(info.body == BodyKind::content_length);
  CHECK(info.content_length == 42);
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").body == BodyKind::none);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n") == 0);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n") == 0);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n") == 0);
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 18446744073709551615\r\n\r\n").content_length ==
        18446744073709551615ull);
}

TEST_CASE("differing duplicate Content-Length is 400, as lists too", "[http][framing]") {
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == 400);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n") == 400);
}

TEST_CASE("Content-Length that is not 1*DIGIT or overflows is 400", "[http][framing]") {
  for (std::string_view bad : {"-1", "+5", "5a", "0x10", "1 2", "", " ", "1.0", "18446744073709551616",
                               "99999999999999999999999", ",", "5,", "\xd9\xa5"}) {
    INFO("Content-Length: " << bad);
    CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "s + std::string(bad) + "\r\n\r\n") == 400);
  }
}

TEST_CASE("Transfer-Encoding: chunked frames the body, in any case and with OWS", "[http][framing]") {
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n").body == BodyKind::chunked);
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  CHUNKED \r\n\r\n").body == BodyKind::chunked);
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: , chunked\r\n\r\n").body == BodyKind::chunked);
}

TEST_CASE("both Content-Length and Transfer-Encoding is 400", "[http][framing]") {
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n") == 400);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\nContent-Length: 5\r\n\r\n") == 400);
}

TEST_CASE("Transfer-Encoding whose last coding is not chunked is 400", "[http][framing]") {
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n") == 400);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") == 400);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: deflate\r\n\r\n") ==
        400);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n") == 400);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedchunked\r\n\r\n") == 501);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n") == 400);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;a=b\r\n\r\n") == 400);
}

TEST_CASE("an unknown or undecodable transfer coding is 501", "[http][framing]") {
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n") == 501);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n") == 501);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
  CHECK(outcome("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n") == 501);
}

TEST_CASE("Transfer-Encoding in an HTTP/1.0 request is 400", "[http][framing]") {
  CHECK(outcome("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
}

TEST_CASE("HTTP/1.1 without Host or with two Host headers is 400", "[http][framing]") {
  CHECK(outcome("GET / HTTP/1.1\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.0\r\n\r\n") == 0);
  CHECK(outcome("GET / HTTP/1.1\r\nHost:\r\n\r\n") == 0);  // empty Host is allowed (RFC 9110 §7.2)
  CHECK(outcome("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n") == 0);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: xn--bcher-kva.example:80\r\n\r\n") == 0);
}

TEST_CASE("keep-alive: HTTP/1.1 by default, HTTP/1.0 with keep-alive, close honoured", "[http][framing]") {
  CHECK(framing_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keep_alive);
  CHECK_FALSE(framing_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
  CHECK_FALSE(framing_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n").keep_alive);
  CHECK_FALSE(framing_of("GET / HTTP/1.0\r\n\r\n").keep_alive);
  CHECK(framing_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  CHECK(framing_of("GET / HTTP/1.0\r\nConnection: foo,  Keep-Alive \r\n\r\n").keep_alive);
  CHECK_FALSE(framing_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n").keep_alive);
  CHECK(framing_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n").upgrade);
}

TEST_CASE("a framing error never keeps the connection", "[http][framing]") {
  MessageInfo info = framing_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n");
  CHECK(info.error_status == 400);
  CHECK_FALSE(info.keep_alive);
  CHECK_FALSE(info.reason.empty());
}

TEST_CASE("Expect: 100-continue is reported", "[http][framing]") {
  CHECK(framing_of("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
            .expect_continue);
  CHECK_FALSE(framing_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n").expect_continue);
}

// ---- responses --------------------------------------------------------------

namespace {

bool same_info(const MessageInfo& a, const MessageInfo& b) {
  return a.body == b.body && a.content_length == b.content_length && a.keep_alive == b.keep_alive &&
         a.expect_continue == b.expect_continue && a.upgrade == b.upgrade && a.host == b.host &&
         a.error_status == b.error_status && a.reason == b.reason;
}

// The framing of `bytes` as analyze_request gives it from the parser's
// marks, and as it gives it reading every field (marks dropped).
void check_marked_as_unmarked(const std::string& bytes) {
  RequestHead head;
  REQUIRE(parse_request_head(bytes, head).complete());
  REQUIRE(head.marks.fields == head.headers.size());
  MessageInfo marked = analyze_request(head);
  head.marks = FieldMarks{};
  CHECK(same_info(marked, analyze_request(head)));
}

}  // namespace

TEST_CASE("the parser marks the fields framing reads: c, e, h, t names, in either case", "[http][framing]") {
  RequestHead head;
  REQUIRE(parse_request_head("GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\ncookie: x\r\nTE: trailers\r\n"
                             "User-Agent: u\r\nexpect: y\r\n\r\n"sv, head)
              .complete());
  CHECK(head.marks.fields == 6);
  CHECK(head.marks.framing == 0b101101u);
}

TEST_CASE("marked and unmarked analysis agree on every framing rule", "[http][framing]") {
  for (std::string fields : {"Host: a\r\n", "Host: a\r\nHost: a\r\n", "", "Host: a\r\nContent-Length: 5\r\n",
                             "hOST: a\r\ncontent-length: 5\r\nCONTENT-LENGTH: 6\r\n",
                             "Host: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
                             "Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n",
                             "Host: a\r\nConnection: close\r\nExpect: 100-continue\r\n",
                             "Host: a b\r\nConnection: Upgrade, keep-alive\r\n", "Host: a\r\nTE: chunked\r\n"}) {
    INFO(fields);
    check_marked_as_unmarked("GET / HTTP/1.1\r\n" + fields + "\r\n");
    check_marked_as_unmarked("POST / HTTP/1.0\r\n" + fields + "\r\n");
  }
}

TEST_CASE("fields past the 64th are read by the framing analysis too", "[http][framing]") {
  std::string filler;
  for (int i = 0; i < 70; ++i) filler += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(framing_of("GET / HTTP/1.1\r\n" + filler + "Host: a\r\nContent-Length: 7\r\n\r\n").content_length == 7);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\n" + filler + "Host: b\r\n\r\n") == 400);
  CHECK(outcome("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n" + filler + "Content-Length: 2\r\n\r\n") ==
        400);
  std::string cs;
  for (int i = 0; i < 70; ++i) cs += "C-" + std::to_string(i) + ": v\r\n";  // every one marked
  CHECK(framing_of("GET / HTTP/1.1\r\n" + cs + "Host: a\r\nConnection: close\r\n\r\n").keep_alive == false);
  check_marked_as_unmarked("GET / HTTP/1.1\r\n" + cs + "Host: a\r\nContent-Length: 3\r\n\r\n");
  check_marked_as_unmarked("GET / HTTP/1.1\r\nHost: a\r\n" + filler + "Transfer-Encoding: chunked\r\n\r\n");
}

TEST_CASE("a head filled or changed by hand is analysed from every field", "[http][framing]") {
  RequestHead head;
  head.method = "GET";
  head.target = "/";
  head.headers.push_back({"Host", "a"});
  head.headers.push_back({"Content-Length", "4"});
  CHECK(analyze_request(head).content_length == 4);
  REQUIRE(parse_request_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n"sv, head).complete());
  head.headers.push_back({"Content-Length", "9"});
  CHECK(analyze_request(head).content_length == 9);
}

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

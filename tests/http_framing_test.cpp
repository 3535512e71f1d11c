// The framing rules a request head implies (Content-Length, Transfer-Encoding,
// Host, keep-alive, Expect), pinned by input bytes and expected outcome, and
// the parser's field marks that let the analysis skip most fields.
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

namespace {

bool same_info(const MessageInfo& a, const MessageInfo& b) {
  return a.body == b.body && a.content_length == b.content_length && a.keep_alive == b.keep_alive &&
         a.expect_continue == b.expect_continue && a.upgrade == b.upgrade && a.host == b.host &&
         a.conditional == b.conditional && a.error_status == b.error_status && a.reason == b.reason;
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

TEST_CASE("the analysis notes whether a field is named If-* (If-None-Match and its kin)", "[http][framing]") {
  RequestHead head;
  std::string bytes;  // the head's views point into it
  auto conditional = [&](const std::string& fields) {
    bytes = "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n";
    REQUIRE(parse_request_head(bytes, head).complete());
    bool marked = analyze_request(head).conditional;
    head.marks = FieldMarks{};  // every field read: the same answer
    CHECK(analyze_request(head).conditional == marked);
    return marked;
  };
  CHECK_FALSE(conditional(""));
  CHECK_FALSE(conditional("Accept: */*\r\nIgnored: x\r\nif: y\r\nIf_x: z\r\n"));
  CHECK(conditional("if-none-match: \"x\"\r\n"));
  CHECK(conditional("IF-MODIFIED-SINCE: x\r\nAccept: */*\r\n"));
  CHECK(conditional("If-Match: *\r\n"));
  std::string many;
  for (int i = 0; i < 70; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK_FALSE(conditional(many));
  CHECK(conditional(many + "If-None-Match: *\r\n"));  // past the 64th field too
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

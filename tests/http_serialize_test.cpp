// The response-head serializer and the Date cache: exact bytes, appending
// for pipelined responses, no allocation with capacity, and a round trip
// through the response parser.
#include <eddy/detail/http/http_framing.hpp>
#include <eddy/detail/http/http_parser.hpp>
#include <eddy/detail/http/http_serialize.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace eddy::detail::http;

TEST_CASE("serializer: status line, fields, Content-Length and Date in order", "[http][serialize]") {
  eddy::HTTPHeaders headers{{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}};
  ResponseLine line;
  line.content_length = 13;
  line.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  std::string out;
  append_response_head(out, line, headers);
  CHECK(out ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
        "Content-Length: 13\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
}

TEST_CASE("serializer: reason, HTTP/1.0, chunked and Connection fields", "[http][serialize]") {
  std::string out;
  ResponseLine line;
  line.status_code = 404;
  line.version_minor = 0;
  line.keep_alive = true;
  line.content_length = 0;
  append_response_head(out, line, eddy::HTTPHeaders{});
  CHECK(out == "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
  out.clear();
  ResponseLine streamed;
  streamed.status_code = 299;
  streamed.reason = "Custom";
  streamed.chunked = true;
  streamed.close = true;
  append_response_head(out, streamed, eddy::HTTPHeaders{});
  CHECK(out == "HTTP/1.1 299 Custom\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
}

TEST_CASE("serializer: appends, so pipelined responses share one buffer", "[http][serialize]") {
  std::string out = "previous";
  ResponseLine line;
  line.status_code = 204;
  append_response_head(out, line, eddy::HTTPHeaders{});
  CHECK(out == "previousHTTP/1.1 204 No Content\r\n\r\n");
}

TEST_CASE("serializer: no allocation when the buffer has capacity", "[http][serialize]") {
  eddy::HTTPHeaders headers{{"Content-Type", "text/plain; charset=UTF-8"}, {"Server", "eddy"}};
  std::string out;
  out.reserve(1024);
  const char* storage = out.data();
  ResponseLine line;
  line.content_length = 1234567890123;
  line.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  for (int i = 0; i < 5; ++i) append_response_head(out, line, headers);
  CHECK(out.data() == storage);  // never reallocated
}

TEST_CASE("serializer: the parser reads back what it wrote", "[http][serialize]") {
  eddy::HTTPHeaders headers{{"X-A", "1"}, {"X-B", "two words"}};
  ResponseLine line;
  line.status_code = 201;
  line.content_length = 5;
  std::string out;
  append_response_head(out, line, headers);
  out += "hello";
  ResponseHead head;
  ParseResult r = parse_response_head(out, head);
  REQUIRE(r.complete());
  CHECK(head.status_code == 201);
  CHECK(head.reason == "Created");
  REQUIRE(head.headers.size() == 3);
  CHECK(head.headers[1].value == "two words");
  MessageInfo info = analyze_response(head, "POST");
  CHECK(info.body == BodyKind::content_length);
  CHECK(out.substr(r.consumed) == "hello");
}

TEST_CASE("serializer: parsed fields serialize as they came", "[http][serialize]") {
  std::vector<HeaderField> fields{{"A", "1"}, {"B", ""}};
  std::string out;
  append_response_head(out, ResponseLine{}, fields);
  CHECK(out == "HTTP/1.1 200 OK\r\nA: 1\r\nB: \r\n\r\n");
}

TEST_CASE("chunk sizes are written in hex", "[http][serialize]") {
  std::string out;
  append_chunk_size(out, 0x1a2b);
  append_chunk_size(out, 0);
  CHECK(out == "1a2b\r\n0\r\n");
}

TEST_CASE("the Date cache formats once per second", "[http][serialize]") {
  DateCache cache;
  std::string_view first = cache.get(784111777);
  CHECK(first == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(cache.get(784111777).data() == first.data());
  CHECK(cache.get(784111778) == "Sun, 06 Nov 1994 08:49:38 GMT");
}

// The server's response head writer (detail/http/http_response.hpp,
// append_head): exact bytes for the plaintext case with its ETag line,
// every Content-Length width, field pieces of every length the writer
// copies in its own way (1 to 3, 4 to 7, 8 to 16 and longer), and the
// fields the server writes itself whatever case the handler used.
#include <eddy/detail/http/http_response.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace {

using eddy::detail::append_head;
using eddy::detail::BodyFraming;
using eddy::detail::HeadSpec;

// The head without its Date line (which changes every second).
std::string without_date(std::string head) {
  std::size_t at = head.find("Date: ");
  REQUIRE(at != std::string::npos);
  return head.erase(at, head.find("\r\n", at) + 2 - at);
}

std::string head_of(const eddy::HTTPHeaders& headers, std::uint64_t body_size, int status = 200) {
  HeadSpec spec;
  spec.status = status;
  spec.headers = &headers;
  spec.body_size = body_size;
  std::string out;
  append_head(out, spec);
  return without_date(out);
}

}  // namespace

TEST_CASE("the head of a finished 200 carries the fields, the ETag line and the body as given", "[http][serialize]") {
  eddy::HTTPHeaders headers{{"Content-Type", "text/plain"}};
  const char etag[] = "Etag: \"c49aacf8080fe47f\"\r\n";
  static_assert(sizeof etag - 1 == eddy::detail::etag_line_size);
  HeadSpec spec;
  spec.headers = &headers;
  spec.etag_line = etag;
  spec.body = "Hello, World!";
  spec.body_size = spec.body.size();
  std::string out = "before|";
  CHECK(append_head(out, spec) == BodyFraming::length);
  CHECK(spec.body_taken);
  CHECK(without_date(out) ==
        "before|HTTP/1.1 200 OK\r\nServer: eddy\r\nContent-Type: text/plain\r\nEtag: \"c49aacf8080fe47f\"\r\n"
        "Content-Length: 13\r\n\r\nHello, World!");
}

TEST_CASE("Content-Length is written right at every width", "[http][serialize]") {
  eddy::HTTPHeaders none;
  for (std::uint64_t n : std::initializer_list<std::uint64_t>{0, 1, 9, 10, 13, 99, 100, 101, 999, 1000, 65535,
                                                              1234567890, 9999999999999999999u,
                                                              10000000000000000000u, UINT64_MAX}) {
    INFO(n);
    std::string head = head_of(none, n);
    CHECK(head.find("\r\nContent-Length: " + std::to_string(n) + "\r\n") != std::string::npos);
  }
}

TEST_CASE("field names and values of every length are copied whole", "[http][serialize]") {
  for (std::size_t n = 1; n <= 40; ++n) {
    INFO(n);
    std::string name(n, 'n'), value(n, 'v');
    name.back() = 'N';  // the last byte is where a short copy would go wrong
    value.front() = 'w';
    value.back() = 'V';
    eddy::HTTPHeaders headers{{name, value}};
    CHECK(head_of(headers, 0).find("\r\n" + name + ": " + value + "\r\n") != std::string::npos);
  }
  eddy::HTTPHeaders empty_value{{"X-Empty", ""}};
  CHECK(head_of(empty_value, 0).find("\r\nX-Empty: \r\n") != std::string::npos);
}

TEST_CASE("the handler's Content-Type is kept and its framing fields are the server's, in any case",
          "[http][serialize]") {
  eddy::HTTPHeaders headers{{"content-TYPE", "a/b"}, {"TRANSFER-encoding", "gzip"}, {"connection", "x"}};
  std::string head = head_of(headers, 3);
  CHECK(head == "HTTP/1.1 200 OK\r\nServer: eddy\r\ncontent-TYPE: a/b\r\nContent-Length: 3\r\n\r\n");
  eddy::HTTPHeaders length{{"CONTENT-length", "3"}};
  CHECK(head_of(length, 3) ==
        "HTTP/1.1 200 OK\r\nServer: eddy\r\nCONTENT-length: 3\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n");
  CHECK(head_of(length, 0, 304) == "HTTP/1.1 304 Not Modified\r\nServer: eddy\r\n\r\n");
}

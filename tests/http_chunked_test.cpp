// The chunked transfer-coding decoder: framing, extensions, trailers,
// errors, limits at limit - 1, limit and limit + 1, and every split point.
#include <eddy/detail/http/http_chunked.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using namespace eddy::detail::http;
using namespace std::literals;

namespace {

struct Decoded {
  std::string body;
  ChunkStatus status = ChunkStatus::incomplete;
  int error_status = 0;
  std::size_t consumed = 0;  // bytes of input taken in all
};

// Feeds `input` in pieces of at most `piece` bytes, as a server would: the
// unconsumed bytes stay in front of the next piece.
Decoded decode(std::string_view input, ChunkedLimits limits = {}, std::size_t piece = SIZE_MAX) {
  ChunkedDecoder decoder(limits);
  Decoded out;
  std::string buffered;
  std::size_t fed = 0;
  while (true) {
    std::size_t n = std::min(piece, input.size() - fed);
    buffered.append(input.substr(fed, n));
    fed += n;
    while (true) {
      ChunkResult r = decoder.decode(buffered);
      REQUIRE(r.consumed <= buffered.size());
      if (r.status == ChunkStatus::data) {
        REQUIRE_FALSE(r.data.empty());
        out.body.append(r.data);
      }
      buffered.erase(0, r.consumed);
      out.consumed += r.consumed;
      out.status = r.status;
      out.error_status = r.error_status;
      if (r.status == ChunkStatus::done || r.status == ChunkStatus::error) return out;
      if (r.status == ChunkStatus::incomplete) break;
    }
    if (fed == input.size()) return out;
  }
}

ChunkStatus status_of(std::string_view input, ChunkedLimits limits = {}) { return decode(input, limits).status; }
int error_of(std::string_view input, ChunkedLimits limits = {}) { return decode(input, limits).error_status; }

}  // namespace

TEST_CASE("chunked: chunks concatenate and the last chunk ends the body", "[http][chunked]") {
  std::string_view input = "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
  Decoded d = decode(input);
  CHECK(d.status == ChunkStatus::done);
  CHECK(d.body == "hello, world");
  CHECK(input.substr(d.consumed) == "GET / HTTP/1.1\r\n");
}

TEST_CASE("chunked: hex sizes in either case, leading zeros", "[http][chunked]") {
  CHECK(decode("a\r\n0123456789\r\n0\r\n\r\n").body == "0123456789");
  CHECK(decode("A\r\n0123456789\r\n000\r\n\r\n").body == "0123456789");
  CHECK(decode("0000000000000000000001\r\nx\r\n0\r\n\r\n").body == "x");
}

TEST_CASE("chunked: extensions are ignored", "[http][chunked]") {
  Decoded d = decode("1;abc\r\nA\r\n1 ;def=ghi\r\nB\r\n1;jkl=\"mno\"\r\nC\r\n0;last\r\n\r\n");
  CHECK(d.status == ChunkStatus::done);
  CHECK(d.body == "ABC");
}

TEST_CASE("chunked: trailers are read and dropped", "[http][chunked]") {
  Decoded d = decode("3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:  1\t2 \r\n\r\nNEXT");
  CHECK(d.status == ChunkStatus::done);
  CHECK(d.body == "abc");
  CHECK(d.consumed == std::string_view("3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:  1\t2 \r\n\r\n").size());
}

TEST_CASE("chunked: a bad chunk size is 400", "[http][chunked]") {
  for (std::string_view bad : {"\r\nabc\r\n0\r\n\r\n"sv, "x\r\n"sv, "-1\r\n"sv, "0x5\r\nhello\r\n"sv, " 5\r\nhello\r\n"sv,
                               "5 \r\nhello\r\n"sv, "5\t\r\nhello\r\n"sv, "5 x\r\nhello\r\n"sv, "+5\r\nhello\r\n"sv}) {
    INFO(bad);
    CHECK(error_of(bad) == 400);
  }
}

TEST_CASE("chunked: an overflowing chunk size is 400", "[http][chunked]") {
  CHECK(error_of("10000000000000000\r\n") == 400);
  CHECK(error_of("ffffffffffffffffff\r\n") == 400);
  // The largest 64-bit size is well formed; only the body limit refuses it.
  CHECK(error_of("ffffffffffffffff\r\n") == 0);
  CHECK(status_of("ffffffffffffffff\r\n") == ChunkStatus::incomplete);
}

TEST_CASE("chunked: bare CR, bare LF and a missing CRLF after data are 400", "[http][chunked]") {
  CHECK(error_of("5\nhello\r\n0\r\n\r\n") == 400);
  CHECK(error_of("5\r;x\r\nhello\r\n0\r\n\r\n") == 400);
  CHECK(error_of("5\r\nhelloX\r\n0\r\n\r\n") == 400);
  CHECK(error_of("5\r\nhello\n0\r\n\r\n") == 400);
  CHECK(error_of("5\r\nhello\r\n0\r\n\n") == 400);
  CHECK(error_of("5;a\0b\r\nhello\r\n0\r\n\r\n"s) == 400);
}

TEST_CASE("chunked: malformed trailers are 400", "[http][chunked]") {
  CHECK(error_of("0\r\nNoColon\r\n\r\n") == 400);
  CHECK(error_of("0\r\n folded: x\r\n\r\n") == 400);
  CHECK(error_of("0\r\nX : 1\r\n\r\n") == 400);
  CHECK(error_of("0\r\nX: a\0b\r\n\r\n"s) == 400);
}

TEST_CASE("chunked: max_body_size at limit - 1, limit and limit + 1", "[http][chunked]") {
  ChunkedLimits limits;
  limits.max_body_size = 10;
  CHECK(decode("9\r\n123456789\r\n0\r\n\r\n", limits).status == ChunkStatus::done);
  CHECK(decode("5\r\n12345\r\n5\r\n12345\r\n0\r\n\r\n", limits).status == ChunkStatus::done);
  Decoded over = decode("5\r\n12345\r\n6\r\n123456\r\n0\r\n\r\n", limits);
  CHECK(over.error_status == 413);
  CHECK(over.body == "12345");  // refused from the size line, before its data
  CHECK(error_of("ffffffffffffffff\r\n", limits) == 413);
}

TEST_CASE("chunked: max_line_size at limit - 1, limit and limit + 1", "[http][chunked]") {
  ChunkedLimits limits;
  limits.max_line_size = 16;  // the line with its CRLF
  auto with_line = [](std::size_t size) { return "1;" + std::string(size - 4, 'e') + "\r\nx\r\n0\r\n\r\n"; };
  CHECK(status_of(with_line(15), limits) == ChunkStatus::done);
  CHECK(status_of(with_line(16), limits) == ChunkStatus::done);
  CHECK(error_of(with_line(17), limits) == 400);
  // Without its end, a line over the limit fails as soon as it is buffered.
  CHECK(error_of("1;" + std::string(14, 'e'), limits) == 400);
  CHECK(status_of("1;" + std::string(13, 'e'), limits) == ChunkStatus::incomplete);
}

TEST_CASE("chunked: max_trailer_size at limit - 1, limit and limit + 1", "[http][chunked]") {
  ChunkedLimits limits;
  limits.max_trailer_size = 20;  // every trailer line and the final CRLF
  auto with_trailers = [](std::size_t size) { return "0\r\nX: " + std::string(size - 7, 't') + "\r\n\r\n"; };
  CHECK(status_of(with_trailers(19), limits) == ChunkStatus::done);
  CHECK(status_of(with_trailers(20), limits) == ChunkStatus::done);
  CHECK(error_of(with_trailers(21), limits) == 431);
}

TEST_CASE("chunked: every split point and byte-at-a-time give the same body", "[http][chunked]") {
  std::string_view input = "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\nrest";
  Decoded whole = decode(input);
  REQUIRE(whole.status == ChunkStatus::done);
  CHECK(whole.body == "Wikipedia in\r\n\r\nchunks.");
  for (std::size_t piece = 1; piece <= input.size(); ++piece) {
    INFO("pieces of " << piece);
    Decoded d = decode(input, {}, piece);
    CHECK(d.status == ChunkStatus::done);
    CHECK(d.body == whole.body);
    CHECK(d.consumed == whole.consumed);
  }
}

TEST_CASE("chunked: after done or an error, the decoder stays there", "[http][chunked]") {
  ChunkedDecoder decoder;
  ChunkResult r = decoder.decode("0\r\n\r\n");
  CHECK(r.status == ChunkStatus::done);
  CHECK(decoder.done());
  r = decoder.decode("5\r\nhello");
  CHECK(r.status == ChunkStatus::done);
  CHECK(r.consumed == 0);
  ChunkedDecoder bad;
  CHECK(bad.decode("zz\r\n").error_status == 400);
  CHECK(bad.decode("5\r\nhello").error_status == 400);
  CHECK(bad.failed());
  bad.reset();
  CHECK(bad.decode("0\r\n\r\n").status == ChunkStatus::done);
}

TEST_CASE("chunked: body_size counts the payload returned", "[http][chunked]") {
  ChunkedDecoder decoder;
  std::string buffered = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  while (true) {
    ChunkResult r = decoder.decode(buffered);
    buffered.erase(0, r.consumed);
    if (r.status != ChunkStatus::data) break;
  }
  CHECK(decoder.body_size() == 5);
}

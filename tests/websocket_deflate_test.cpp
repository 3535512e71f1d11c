// permessage-deflate's codec: compressing and inflating messages in pieces,
// context takeover or not, and the bound on what a message may inflate to
// (a zip bomb costs max_message_size, not its inflated size). Runs in
// eddy_websocket_tests (zlib found at run time) and in
// eddy_websocket_deflate_tests (linked with eddy::deflate).
#include <eddy/websocket.hpp>

#include <string>

#include <catch2/catch.hpp>

namespace {

namespace ws = eddy::detail::ws;

#if defined(EDDY_WEBSOCKET_ZLIB)
constexpr const char* how = "zlib linked (eddy::deflate)";
#else
constexpr const char* how = "zlib found at run time";
#endif

std::string sample(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "the quick brown fox jumps over the lazy dog " + std::to_string(s.size() % 97) + "; ";
  s.resize(n);
  return s;
}

}  // namespace

TEST_CASE("zlib is available to the WebSocket codec", "[websocket][deflate]") {
  INFO(how);
  REQUIRE(ws::zlib_api() != nullptr);
  REQUIRE_NOTHROW(ws::require_zlib());
}

TEST_CASE("a compressed message inflates back whole, fed in pieces at every split point", "[websocket][deflate]") {
  std::string message = sample(300);
  ws::Deflater d(15);
  std::string packed;
  d.compress(message, packed, true);
  REQUIRE(packed.size() < message.size());
  // The trailing 00 00 FF FF of the sync flush is not sent.
  REQUIRE(packed.substr(packed.size() - 4) != std::string("\x00\x00\xff\xff", 4));
  for (std::size_t cut = 0; cut <= packed.size(); ++cut) {
    ws::Inflater i(15);
    std::string out;
    REQUIRE(i.feed(std::string_view(packed).substr(0, cut), out, 1 << 20) == ws::InflateStatus::ok);
    REQUIRE(i.feed(std::string_view(packed).substr(cut), out, 1 << 20) == ws::InflateStatus::ok);
    REQUIRE(i.finish(out, 1 << 20, true) == ws::InflateStatus::ok);
    REQUIRE(out == message);
  }
}

TEST_CASE("with context takeover, later messages refer to earlier ones and still inflate", "[websocket][deflate]") {
  ws::Deflater d(15);
  ws::Inflater i(15);
  std::string message = sample(200);
  std::size_t first_size = 0;
  for (int round = 0; round < 3; ++round) {
    std::string packed;
    d.compress(message, packed, false);
    if (round == 0) first_size = packed.size();
    if (round > 0) REQUIRE(packed.size() < first_size);  // the window holds the first copy
    std::string out;
    REQUIRE(i.feed(packed, out, 1 << 20) == ws::InflateStatus::ok);
    REQUIRE(i.finish(out, 1 << 20, false) == ws::InflateStatus::ok);
    REQUIRE(out == message);
  }
}

TEST_CASE("a small window compresses what a 15-bit inflater reads", "[websocket][deflate]") {
  for (int bits = 9; bits <= 15; ++bits) {
    ws::Deflater d(bits);
    std::string message = sample(5000);
    std::string packed;
    d.compress(message, packed, true);
    ws::Inflater i(15);
    std::string out;
    REQUIRE(i.feed(packed, out, 1 << 20) == ws::InflateStatus::ok);
    REQUIRE(i.finish(out, 1 << 20, true) == ws::InflateStatus::ok);
    REQUIRE(out == message);
  }
}

TEST_CASE("a message may inflate to max_message_size, not a byte more (limit - 1, limit, limit + 1)",
          "[websocket][deflate]") {
  const std::size_t limit = 100000;
  for (std::size_t size : {limit - 1, limit, limit + 1}) {
    std::string message(size, 'z');  // compresses a thousandfold: a small zip bomb
    ws::Deflater d(15);
    std::string packed;
    d.compress(message, packed, true);
    ws::Inflater i(15);
    std::string out;
    ws::InflateStatus s = i.feed(packed, out, limit);
    if (s == ws::InflateStatus::ok) s = i.finish(out, limit, true);
    INFO(size);
    REQUIRE(s == (size <= limit ? ws::InflateStatus::ok : ws::InflateStatus::too_big));
    REQUIRE(out.size() <= limit + 1);  // never more than the limit and the byte that proves it
  }
}

TEST_CASE("a zip bomb stops at the limit without inflating the rest", "[websocket][deflate]") {
  std::string bomb(64 * 1024 * 1024, '\0');  // 64 MiB of zeros: about 64 KiB compressed
  ws::Deflater d(15);
  std::string packed;
  d.compress(bomb, packed, true);
  bomb = std::string();
  REQUIRE(packed.size() < 128 * 1024);
  ws::Inflater i(15);
  std::string out;
  REQUIRE(i.feed(packed, out, 1024 * 1024) == ws::InflateStatus::too_big);
  REQUIRE(out.size() <= 1024 * 1024 + 1);
}

TEST_CASE("corrupt compressed data is an error, not a crash", "[websocket][deflate]") {
  ws::Inflater i(15);
  std::string out;
  ws::InflateStatus s = i.feed(std::string("\xff\xff\xff\xff\xff\xff", 6), out, 1 << 20);
  if (s == ws::InflateStatus::ok) s = i.finish(out, 1 << 20, true);
  REQUIRE(s == ws::InflateStatus::error);
  // The inflater is usable again after a reset.
  ws::Deflater d(15);
  std::string packed;
  d.compress("hello", packed, true);
  out.clear();
  REQUIRE(i.feed(packed, out, 100) == ws::InflateStatus::ok);
  REQUIRE(i.finish(out, 100, true) == ws::InflateStatus::ok);
  REQUIRE(out == "hello");
}

TEST_CASE("an empty message compresses and inflates to nothing", "[websocket][deflate]") {
  ws::Deflater d(15);
  std::string packed;
  d.compress("", packed, true);
  ws::Inflater i(15);
  std::string out;
  REQUIRE(i.feed(packed, out, 10) == ws::InflateStatus::ok);
  REQUIRE(i.finish(out, 10, true) == ws::InflateStatus::ok);
  REQUIRE(out.empty());
}

// The WebSocket frame codec and its helpers as pure functions: SHA-1,
// base64, the accept key, UTF-8 validation, frame parsing at every split
// point and every rule at its limit, masking, close payloads.
#include <eddy/websocket.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

namespace ws = eddy::detail::ws;

std::string hex(const eddy::detail::Sha1::Digest& d) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : d) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

// A frame as a peer sends it: client frames masked with a fixed key.
std::string frame(int first_byte, std::string_view payload, bool masked, int length_form = 0) {
  std::string out;
  out += static_cast<char>(first_byte);
  unsigned char mask_bit = masked ? 0x80 : 0;
  std::size_t n = payload.size();
  if ((n < 126 && length_form == 0) || length_form == 7) {
    out += static_cast<char>(mask_bit | n);
  } else if ((n <= 0xFFFF && length_form == 0) || length_form == 16) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  std::string body(payload);
  if (masked) {
    out.append(reinterpret_cast<const char*>(key), 4);
    ws::apply_mask(body.data(), body.size(), key);
  }
  return out + body;
}

ws::FrameRules server_rules() { return ws::FrameRules{}; }
ws::FrameRules client_rules() {
  ws::FrameRules r;
  r.from_client = false;
  return r;
}

ws::FrameParse parse(std::string_view b, ws::FrameRules r = server_rules()) { return ws::parse_frame(b, r); }

void require_error(std::string_view b, std::uint16_t code, ws::FrameRules r = server_rules()) {
  ws::FrameParse f = parse(b, r);
  INFO(f.reason);
  REQUIRE(f.status == ws::FrameStatus::error);
  REQUIRE(f.close_code == code);
}

}  // namespace

TEST_CASE("SHA-1 matches the FIPS 180 test vectors, fed at every split point", "[websocket][codec]") {
  REQUIRE(hex(eddy::detail::sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  REQUIRE(hex(eddy::detail::sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  REQUIRE(hex(eddy::detail::sha1(two_blocks)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  REQUIRE(hex(eddy::detail::sha1(std::string(1000000, 'a'))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  for (std::size_t cut = 0; cut <= two_blocks.size(); ++cut) {
    eddy::detail::Sha1 s;
    s.update(std::string_view(two_blocks).substr(0, cut));
    s.update(std::string_view(two_blocks).substr(cut));
    REQUIRE(hex(s.finish()) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  }
}

TEST_CASE("base64 matches RFC 4648 and decodes only canonical text", "[websocket][codec]") {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    REQUIRE(eddy::detail::base64_encode(plain[i]) == coded[i]);
    REQUIRE(eddy::detail::base64_decode(coded[i]) == std::optional<std::string>(plain[i]));
  }
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "Zg==Zg==", "=Zg=", "Zm-v"}) {
    INFO(bad);
    REQUIRE_FALSE(eddy::detail::base64_decode(bad).has_value());
  }
}

TEST_CASE("the accept key of RFC 6455's example is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "[websocket][codec]") {
  REQUIRE(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("UTF-8 validation accepts every valid form and refuses the invalid ones", "[websocket][codec]") {
  for (const std::string& good : {std::string(""), std::string("hello"), std::string("\xC2\x80"),
                                   std::string("\xDF\xBF"), std::string("\xE0\xA0\x80"), std::string("\xED\x9F\xBF"),
                                   std::string("\xEE\x80\x80"), std::string("\xEF\xBF\xBF"),
                                   std::string("\xF0\x90\x80\x80"), std::string("\xF4\x8F\xBF\xBF"),
                                   std::string("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"),
                                   std::string(1000, 'a') + "\xE2\x82\xAC"}) {
    INFO(good);
    REQUIRE(ws::is_valid_utf8(good));
  }
  for (const std::string& bad :
       {std::string("\x80"), std::string("\xBF"), std::string("\xC0\x80"), std::string("\xC1\xBF"),
        std::string("\xE0\x80\x80"), std::string("\xE0\x9F\xBF"), std::string("\xED\xA0\x80"),
        std::string("\xED\xBF\xBF"), std::string("\xF0\x80\x80\x80"), std::string("\xF0\x8F\xBF\xBF"),
        std::string("\xF4\x90\x80\x80"), std::string("\xF5\x80\x80\x80"), std::string("\xFF"),
        std::string("\xC2"), std::string("\xE2\x82"), std::string("\xF0\x90\x80"), std::string("a\xC2z")}) {
    INFO(bad.size());
    REQUIRE_FALSE(ws::is_valid_utf8(bad));
  }
}

TEST_CASE("UTF-8 validation fails on the first impossible byte, across pieces", "[websocket][codec]") {
  // "κόσμε" then an invalid E0 80: the text fails at the 80, wherever it is cut.
  std::string text = "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xE0\x80\x80";
  std::size_t bad_at = 12;  // the first 0x80
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    ws::Utf8Validator v;
    bool first = v.feed(std::string_view(text).substr(0, cut));
    REQUIRE(first == (cut <= bad_at));
    REQUIRE_FALSE(v.feed(std::string_view(text).substr(cut)));
  }
  // A valid text cut anywhere: every piece passes, and the end is a boundary.
  std::string good = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";
  for (std::size_t cut = 0; cut <= good.size(); ++cut) {
    ws::Utf8Validator v;
    REQUIRE(v.feed(std::string_view(good).substr(0, cut)));
    REQUIRE(v.feed(std::string_view(good).substr(cut)));
    REQUIRE(v.complete());
  }
}

TEST_CASE("UTF-8 validation finds a bad byte anywhere in long ASCII runs", "[websocket][codec]") {
  for (std::size_t at = 0; at < 300; ++at) {
    std::string text(300, 'x');
    text[at] = '\xFF';
    INFO(at);
    REQUIRE_FALSE(ws::is_valid_utf8(text));
    text[at] = '\xC3';  // a lead byte whose continuation is missing: an ASCII byte follows, or the end
    REQUIRE_FALSE(ws::is_valid_utf8(text));
    text.insert(at + 1, 1, '\xA9');
    REQUIRE(ws::is_valid_utf8(text));
  }
}

TEST_CASE("masking long payloads at every offset matches byte-wise XOR", "[websocket][codec]") {
  const unsigned char key[4] = {0xa1, 0xb2, 0xc3, 0xd4};
  std::string data;
  for (int i = 0; i < 300; ++i) data += static_cast<char>(i * 13 + 7);
  for (std::size_t offset = 0; offset < 4; ++offset) {
    for (std::size_t n : {0, 1, 7, 8, 31, 32, 63, 64, 65, 127, 128, 200, 300}) {
      std::string masked = data.substr(0, n);
      ws::apply_mask(masked.data(), masked.size(), key, offset);
      for (std::size_t i = 0; i < n; ++i) {
        REQUIRE(static_cast<unsigned char>(masked[i]) ==
                (static_cast<unsigned char>(data[i]) ^ key[(offset + i) & 3]));
      }
    }
  }
}

TEST_CASE("a frame is incomplete at every prefix and complete at its end", "[websocket][codec]") {
  for (std::size_t n : {0, 1, 125, 126, 127, 65535, 65536}) {
    std::string payload(n, 'x');
    for (bool masked : {true, false}) {
      std::string f = frame(0x82, payload, masked);
      ws::FrameRules r = masked ? server_rules() : client_rules();
      // Every prefix up to the header's end, and a sample beyond it.
      for (std::size_t cut = 0; cut < f.size(); cut += cut < 32 ? 1 : 997) {
        ws::FrameParse p = parse(std::string_view(f).substr(0, cut), r);
        REQUIRE(p.status == ws::FrameStatus::incomplete);
        if (p.header_complete) REQUIRE(p.payload.size() == cut - p.header.header_size);
      }
      std::string with_more = f + "trailing";
      ws::FrameParse p = parse(with_more, r);
      REQUIRE(p.status == ws::FrameStatus::complete);
      REQUIRE(p.header.payload_size == n);
      REQUIRE(p.header.header_size + n == f.size());
      REQUIRE(p.header.opcode == ws::Opcode::binary);
      std::string got(p.payload);
      if (masked) ws::apply_mask(got.data(), got.size(), p.header.mask);
      REQUIRE(got == payload);
    }
  }
}

TEST_CASE("reserved bits, unknown opcodes and misplaced frames are protocol errors", "[websocket][codec]") {
  require_error(frame(0xC1, "a", true), 1002);  // RSV1 without an extension
  require_error(frame(0xA1, "a", true), 1002);  // RSV2
  require_error(frame(0x91, "a", true), 1002);  // RSV3
  for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) require_error(std::string(1, static_cast<char>(0x80 | op)), 1002);
  require_error(std::string(1, '\x80'), 1002);  // a continuation with no message open
  require_error(std::string(1, '\x09'), 1002);  // a fragmented ping
  ws::FrameRules open = server_rules();
  open.in_message = true;
  require_error(std::string(1, '\x81'), 1002, open);  // a new text frame inside a message
  require_error(std::string(1, '\x02'), 1002, open);
  REQUIRE(parse(frame(0x80, "a", true), open).status == ws::FrameStatus::complete);
  REQUIRE(parse(frame(0x89, "a", true), open).status == ws::FrameStatus::complete);  // a ping between fragments
  // With permessage-deflate, RSV1 may start a data message, and only that.
  ws::FrameRules deflate = server_rules();
  deflate.rsv1_allowed = true;
  REQUIRE(parse(frame(0xC1, "a", true), deflate).status == ws::FrameStatus::complete);
  require_error(frame(0xC9, "a", true), 1002, deflate);  // a compressed ping
  deflate.in_message = true;
  require_error(frame(0xC0, "a", true), 1002, deflate);  // RSV1 on a continuation
}

TEST_CASE("a control frame carries at most 125 bytes", "[websocket][codec]") {
  REQUIRE(parse(frame(0x89, std::string(124, 'p'), true)).status == ws::FrameStatus::complete);
  REQUIRE(parse(frame(0x89, std::string(125, 'p'), true)).status == ws::FrameStatus::complete);
  require_error(frame(0x89, std::string(126, 'p'), true), 1002);
  require_error(frame(0x88, std::string(126, 'p'), true).substr(0, 2), 1002);  // known from two bytes
}

TEST_CASE("client frames must be masked and server frames must not be", "[websocket][codec]") {
  require_error(frame(0x81, "a", false), 1002, server_rules());
  require_error(frame(0x81, "a", true), 1002, client_rules());
  REQUIRE(parse(frame(0x81, "a", false), client_rules()).status == ws::FrameStatus::complete);
}

TEST_CASE("a payload length must use its shortest form and fit 63 bits", "[websocket][codec]") {
  require_error(frame(0x82, std::string(125, 'x'), true, 16), 1002);
  REQUIRE(parse(frame(0x82, std::string(126, 'x'), true, 16)).status == ws::FrameStatus::complete);
  require_error(frame(0x82, std::string(65535, 'x'), true, 64), 1002);
  REQUIRE(parse(frame(0x82, std::string(65536, 'x'), true, 64)).status == ws::FrameStatus::complete);
  std::string top = bytes({0x82, 0xFF, 0x80});
  require_error(top, 1002);  // known at the third byte
}

TEST_CASE("a data frame larger than the message's room is 1009, at limit - 1, limit and limit + 1",
          "[websocket][codec]") {
  ws::FrameRules r = server_rules();
  r.max_payload = 1000;
  REQUIRE(parse(frame(0x82, std::string(999, 'x'), true), r).status == ws::FrameStatus::complete);
  REQUIRE(parse(frame(0x82, std::string(1000, 'x'), true), r).status == ws::FrameStatus::complete);
  require_error(frame(0x82, std::string(1001, 'x'), true).substr(0, 4), 1009, r);  // before the payload
  r.max_payload = 10;  // control frames are not data: their own limit applies
  REQUIRE(parse(frame(0x89, std::string(100, 'p'), true), r).status == ws::FrameStatus::complete);
}

TEST_CASE("frame headers are written in their shortest form and read back", "[websocket][codec]") {
  const unsigned char key[4] = {1, 2, 3, 4};
  for (std::uint64_t n : {0ull, 125ull, 126ull, 65535ull, 65536ull, 1ull << 40}) {
    for (const unsigned char* mask : {static_cast<const unsigned char*>(nullptr), key}) {
      char out[ws::max_header_size];
      std::size_t size = ws::write_frame_header(out, true, false, ws::Opcode::text, n, mask);
      REQUIRE(size == ws::frame_header_size(n, mask != nullptr));
      ws::FrameRules r = mask != nullptr ? server_rules() : client_rules();
      ws::FrameParse p = parse(std::string_view(out, size), r);
      REQUIRE(p.header_complete);
      REQUIRE(p.header.payload_size == n);
      REQUIRE(p.header.fin);
      REQUIRE(p.header.masked == (mask != nullptr));
    }
  }
}

TEST_CASE("masking in pieces at any offset equals masking at once", "[websocket][codec]") {
  const unsigned char key[4] = {0xde, 0xad, 0xbe, 0xef};
  std::string data;
  for (int i = 0; i < 100; ++i) data += static_cast<char>(i * 7);
  std::string whole = data;
  ws::apply_mask(whole.data(), whole.size(), key);
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    std::string pieces = data;
    ws::apply_mask(pieces.data(), cut, key, 0);
    ws::apply_mask(pieces.data() + cut, pieces.size() - cut, key, cut);
    REQUIRE(pieces == whole);
  }
}

TEST_CASE("close payloads: codes are validated and reasons must be UTF-8", "[websocket][codec]") {
  REQUIRE_FALSE(ws::parse_close_payload("").has_code);
  REQUIRE(ws::parse_close_payload("").error == 0);
  REQUIRE(ws::parse_close_payload("\x03").error == 1002);  // one byte
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
    std::string payload = ws::close_payload(static_cast<std::uint16_t>(code), "ok");
    ws::CloseInfo c = ws::parse_close_payload(payload);  // views into payload
    INFO(code);
    REQUIRE(c.error == 0);
    REQUIRE(c.code == code);
    REQUIRE(c.reason == "ok");
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    INFO(code);
    REQUIRE(ws::parse_close_payload(ws::close_payload(static_cast<std::uint16_t>(code), "")).error == 1002);
  }
  REQUIRE(ws::parse_close_payload(ws::close_payload(1000, "\xCE\xBA\xE1\xBD\xB9")).error == 0);
  REQUIRE(ws::parse_close_payload(ws::close_payload(1000, "\xCE\xBA\xE1\xBD")).error == 1007);
  REQUIRE(ws::parse_close_payload(ws::close_payload(1000, std::string(123, 'r'))).error == 0);
}

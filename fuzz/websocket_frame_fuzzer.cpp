// libFuzzer harness for the WebSocket frame codec: the frame parser, the
// mask, close payloads, the incremental UTF-8 validator and the inflater,
// driven as a connection drives them over a stream of frames. Each input is
// checked against invariants that hold for any bytes:
// - nothing crashes, leaks or is undefined (the sanitizers watch);
// - a complete frame lies inside the input, its header is 2-14 bytes, a
//   control frame is final and at most 125 bytes; an error names 1002 or 1009;
// - one byte fewer of a complete frame is incomplete, never an error, and
//   an error stays the same error with more bytes after it;
// - unmasking a payload in two pieces equals unmasking it at once;
// - a close payload that passes has a valid code and a UTF-8 reason;
// - validating a text message in two pieces agrees with validating it whole;
// - inflating stops at its limit (64 KiB here), whatever the input.
// The first input byte picks the rules: bit 0 server/client side, bit 1
// permessage-deflate negotiated, bits 4-7 the message size limit.
//
// Built by scripts/fuzz websocket_frame (clang++ -fsanitize=fuzzer,...);
// replayed over fuzz/corpus/websocket_frame/ in every build (ctest).
#include <eddy/detail/websocket/deflate.hpp>
#include <eddy/detail/websocket/frame.hpp>
#include <eddy/detail/websocket/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

using namespace eddy::detail::ws;

namespace {

constexpr std::size_t inflate_limit = 64 * 1024;

void check_frame(std::string_view bytes, const FrameRules& rules, const FrameParse& f) {
  if (f.status == FrameStatus::error) {
    EDDY_FUZZ_CHECK(f.close_code == close_code::protocol_error || f.close_code == close_code::message_too_big);
    std::string longer(bytes);
    longer += "\x81\x80";
    FrameParse again = parse_frame(longer, rules);
    EDDY_FUZZ_CHECK(again.status == FrameStatus::error && again.close_code == f.close_code);
    return;
  }
  if (f.status != FrameStatus::complete) return;
  const FrameHeader& h = f.header;
  EDDY_FUZZ_CHECK(f.header_complete);
  EDDY_FUZZ_CHECK(h.header_size >= 2 && h.header_size <= max_header_size);
  EDDY_FUZZ_CHECK(f.payload.data() == bytes.data() + h.header_size && f.payload.size() == h.payload_size);
  EDDY_FUZZ_CHECK(h.header_size + h.payload_size <= bytes.size());
  EDDY_FUZZ_CHECK(h.masked == rules.from_client);
  if (is_control(h.opcode)) EDDY_FUZZ_CHECK(h.fin && h.payload_size <= 125 && !h.rsv1);
  if (!is_control(h.opcode)) EDDY_FUZZ_CHECK(h.payload_size <= rules.max_payload);
  std::size_t whole = h.header_size + static_cast<std::size_t>(h.payload_size);
  FrameParse shorter = parse_frame(bytes.substr(0, whole - 1), rules);
  EDDY_FUZZ_CHECK(shorter.status == FrameStatus::incomplete);
}

std::string unmask(const FrameParse& f) {
  std::string payload(f.payload);
  if (!f.header.masked) return payload;
  std::string pieces = payload;
  std::size_t cut = payload.size() / 3;
  apply_mask(payload.data(), payload.size(), f.header.mask);
  apply_mask(pieces.data(), cut, f.header.mask, 0);
  apply_mask(pieces.data() + cut, pieces.size() - cut, f.header.mask, cut);
  EDDY_FUZZ_CHECK(pieces == payload);
  return payload;
}

struct Message {
  bool open = false;
  bool text = false;
  bool compressed = false;
  std::string data;
  Utf8Validator utf8;
  std::unique_ptr<Inflater> inflater;
};

// One data frame's payload into the message; false when the connection fails.
bool add(Message& m, const std::string& payload, bool fin) {
  std::string chunk = payload;
  if (m.compressed) {
    if (!m.inflater) return false;
    std::size_t before = m.data.size();
    InflateStatus s = m.inflater->feed(payload, m.data, inflate_limit);
    if (s == InflateStatus::ok && fin) s = m.inflater->finish(m.data, inflate_limit, true);
    EDDY_FUZZ_CHECK(m.data.size() <= inflate_limit + 1);
    if (s != InflateStatus::ok) return false;
    chunk = m.data.substr(before);
  } else {
    m.data += payload;
  }
  if (m.text && !m.utf8.feed(chunk)) {
    EDDY_FUZZ_CHECK(!is_valid_utf8(m.data));
    return false;
  }
  if (fin && m.text) {
    EDDY_FUZZ_CHECK(m.utf8.complete() == is_valid_utf8(m.data));
    if (!m.utf8.complete()) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::uint8_t control = data[0];
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  FrameRules rules;
  rules.from_client = (control & 1) == 0;
  rules.rsv1_allowed = (control & 2) != 0;
  std::uint64_t limit = std::uint64_t{1} << (6 + (control >> 4));
  Message m;
  while (!stream.empty()) {
    rules.in_message = m.open;
    rules.max_payload = m.open ? (m.data.size() >= limit ? 0 : limit - m.data.size()) : limit;
    FrameParse f = parse_frame(stream, rules);
    check_frame(stream, rules, f);
    if (f.status != FrameStatus::complete) break;
    std::string payload = unmask(f);
    const FrameHeader& h = f.header;
    stream.remove_prefix(h.header_size + static_cast<std::size_t>(h.payload_size));
    if (h.opcode == Opcode::close) {
      CloseInfo c = parse_close_payload(payload);
      if (c.error == 0 && c.has_code) EDDY_FUZZ_CHECK(valid_close_code(c.code) && is_valid_utf8(c.reason));
      break;
    }
    if (is_control(h.opcode)) continue;
    if (h.opcode != Opcode::continuation) {
      m = Message();
      m.open = true;
      m.text = h.opcode == Opcode::text;
      m.compressed = h.rsv1;
      if (m.compressed && zlib_api() != nullptr) m.inflater = std::make_unique<Inflater>(15);
    }
    if (!add(m, payload, h.fin)) break;
    if (h.fin) m.open = false;
  }
  return 0;
}

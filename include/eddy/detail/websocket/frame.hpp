// The WebSocket frame codec (RFC 6455 §5), as pure functions over a byte
// range: no loop, no stream, no allocation, so every rule can be tested at
// every split point and the parser fuzzed (fuzz/websocket_frame_fuzzer.cpp).
//
//   FrameParse f = parse_frame(bytes, rules);
//   incomplete   not enough bytes yet (f.header_complete: the header is
//                known and f.payload holds the part of the payload present)
//   error        the bytes break a rule: close with f.close_code
//   complete     f.header, and f.payload (still masked) within `bytes`
//
// The rules, each with the close code RFC 6455 gives it: reserved bits
// without a negotiated extension, unknown opcodes, fragmented control
// frames, control payloads over 125 bytes, a continuation without a start,
// a new message inside a fragmented one, a client frame without a mask or a
// server frame with one, a length not in its shortest form or with the top
// bit set: 1002. A payload larger than the room left for its message
// (rules.max_payload): 1009. Each is detected on the first byte that shows
// it, so a bad header fails before the rest of it arrives.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "utf8.hpp"  // and EDDY_WEBSOCKET_SSE2

namespace eddy::detail::ws {

enum class Opcode : std::uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

constexpr bool is_control(Opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

// Close codes (RFC 6455 §7.4.1), the ones the library itself sends or reports.
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t no_status = 1005;   // never sent: "the close frame had no code"
constexpr std::uint16_t abnormal = 1006;    // never sent: "closed without a close frame"
constexpr std::uint16_t invalid_data = 1007;
constexpr std::uint16_t policy_violation = 1008;
constexpr std::uint16_t message_too_big = 1009;
constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// A code a close frame may carry (RFC 6455 §7.4, IANA's registry): 1000-1003,
// 1007-1014 and the private-use 3000-4999. 1004-1006 and 1015 are reserved
// (1005, 1006 and 1015 stand for conditions, never sent), 1016-2999 are
// reserved for future RFCs, below 1000 and from 5000 are not codes at all.
constexpr bool valid_close_code(int code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

struct FrameHeader {
  std::uint64_t payload_size = 0;
  unsigned char mask[4] = {0, 0, 0, 0};  // the masking key, as sent
  Opcode opcode = Opcode::continuation;
  bool fin = false;
  bool rsv1 = false;     // permessage-deflate: the message is compressed
  bool masked = false;
  std::uint8_t header_size = 0;  // 2 to 14 bytes
};

// What the reader expects of the next frame.
struct FrameRules {
  bool from_client = true;     // a server reads: frames must be masked; a client reads: they must not be
  bool rsv1_allowed = false;   // permessage-deflate negotiated: RSV1 may start a data message
  bool in_message = false;     // a fragmented message is open: data frames must continue it
  std::uint64_t max_payload = ~std::uint64_t{0};  // a data frame's payload may not exceed this (1009)
};

enum class FrameStatus : std::uint8_t { incomplete, error, complete };

struct FrameParse {
  FrameStatus status = FrameStatus::incomplete;
  std::uint16_t close_code = 0;  // error: the code to close with
  const char* reason = "";       // error: a short, static description
  bool header_complete = false;  // the header is known (always for complete)
  FrameHeader header;
  std::string_view payload;      // the payload (or, incomplete, the part present), still masked
};

namespace frame_detail {

constexpr FrameParse fail(std::uint16_t code, const char* reason) noexcept {
  FrameParse f;
  f.status = FrameStatus::error;
  f.close_code = code;
  f.reason = reason;
  return f;
}

// The checks the first byte allows; nullptr when it passes.
constexpr const char* check_first_byte(std::uint8_t b, const FrameRules& rules) noexcept {
  auto op = static_cast<std::uint8_t>(b & 0x0F);
  bool fin = (b & 0x80) != 0;
  if ((b & 0x30) != 0) return "reserved bit RSV2 or RSV3 set";
  bool known = op <= 0x2 || (op >= 0x8 && op <= 0xA);
  if (!known) return "unknown opcode";
  bool control = (op & 0x8) != 0;
  if ((b & 0x40) != 0 && (!rules.rsv1_allowed || control || op == 0x0)) {
    return control || op == 0x0 ? "RSV1 set on a control or continuation frame" : "RSV1 set without an extension";
  }
  if (control && !fin) return "fragmented control frame";
  if (op == 0x0 && !rules.in_message) return "continuation frame without a message to continue";
  if ((op == 0x1 || op == 0x2) && rules.in_message) return "new data frame inside a fragmented message";
  return nullptr;
}

}  // namespace frame_detail

// Parses one frame at the start of `bytes` (see the file comment).
inline FrameParse parse_frame(std::string_view bytes, const FrameRules& rules) noexcept {
  using frame_detail::fail;
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  std::size_t n = bytes.size();
  FrameParse f;
  if (n == 0) return f;
  if (const char* why = frame_detail::check_first_byte(p[0], rules)) return fail(close_code::protocol_error, why);
  if (n < 2) return f;
  FrameHeader& h = f.header;
  h.fin = (p[0] & 0x80) != 0;
  h.rsv1 = (p[0] & 0x40) != 0;
  h.opcode = static_cast<Opcode>(p[0] & 0x0F);
  h.masked = (p[1] & 0x80) != 0;
  if (h.masked != rules.from_client) {
    return fail(close_code::protocol_error, rules.from_client ? "client frame not masked" : "server frame masked");
  }
  std::uint64_t len = p[1] & 0x7F;
  bool control = is_control(h.opcode);
  if (control && len > 125) return fail(close_code::protocol_error, "control frame payload over 125 bytes");
  std::size_t size = 2;
  if (len == 126) {
    if (n < 4) return f;
    len = static_cast<std::uint64_t>(p[2]) << 8 | p[3];
    if (len < 126) return fail(close_code::protocol_error, "payload length not in its shortest form");
    size = 4;
  } else if (len == 127) {
    if (n >= 3 && (p[2] & 0x80) != 0) return fail(close_code::protocol_error, "payload length with the top bit set");
    if (n < 10) return f;
    len = 0;
    for (int i = 2; i < 10; ++i) len = len << 8 | p[i];
    if (len < 65536) return fail(close_code::protocol_error, "payload length not in its shortest form");
    size = 10;
  }
  if (!control && len > rules.max_payload) return fail(close_code::message_too_big, "message larger than max_message_size");
  if (h.masked) {
    if (n < size + 4) return f;
    std::memcpy(h.mask, p + size, 4);
    size += 4;
  }
  h.payload_size = len;
  h.header_size = static_cast<std::uint8_t>(size);
  f.header_complete = true;
  std::size_t present = n - size;
  if (present >= len) {
    f.status = FrameStatus::complete;
    f.payload = bytes.substr(size, static_cast<std::size_t>(len));
  } else {
    f.payload = bytes.substr(size);
  }
  return f;
}

// XORs `n` bytes at `data` with the masking key, starting `offset` bytes
// into the key's cycle (a payload unmasked in pieces). Masking and
// unmasking are the same operation. 64 bytes at a time with SSE2 (every
// x86-64), else 32 with 64-bit words (EDDY_WEBSOCKET_NO_SIMD forces that).
inline void apply_mask(char* data, std::size_t n, const unsigned char key[4], std::size_t offset = 0) noexcept {
  unsigned char k[8];
  for (std::size_t i = 0; i < 8; ++i) k[i] = key[(offset + i) & 3];
  std::size_t i = 0;
#if defined(EDDY_WEBSOCKET_SSE2)
  std::uint32_t k32;
  std::memcpy(&k32, k, 4);
  const __m128i wide = _mm_set1_epi32(static_cast<int>(k32));
  for (; i + 64 <= n; i += 64) {
    auto* p = reinterpret_cast<__m128i*>(data + i);
    __m128i a = _mm_loadu_si128(p), b = _mm_loadu_si128(p + 1), c = _mm_loadu_si128(p + 2), d = _mm_loadu_si128(p + 3);
    _mm_storeu_si128(p, _mm_xor_si128(a, wide));
    _mm_storeu_si128(p + 1, _mm_xor_si128(b, wide));
    _mm_storeu_si128(p + 2, _mm_xor_si128(c, wide));
    _mm_storeu_si128(p + 3, _mm_xor_si128(d, wide));
  }
#endif
  std::uint64_t word;
  std::memcpy(&word, k, 8);
  for (; i + 32 <= n; i += 32) {
    std::uint64_t v[4];
    std::memcpy(v, data + i, 32);
    v[0] ^= word;
    v[1] ^= word;
    v[2] ^= word;
    v[3] ^= word;
    std::memcpy(data + i, v, 32);
  }
  for (; i < n; ++i) data[i] = static_cast<char>(static_cast<unsigned char>(data[i]) ^ k[i & 7]);
}

// The largest header: 2 + 8 (64-bit length) + 4 (mask).
constexpr std::size_t max_header_size = 14;

// The size of the header write_frame_header() produces.
constexpr std::size_t frame_header_size(std::uint64_t payload_size, bool masked) noexcept {
  return (payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10) + (masked ? 4 : 0);
}

// Writes a frame header (at most max_header_size bytes) to `out` and
// returns its size. `mask`: the key for a client frame, or nullptr.
inline std::size_t write_frame_header(char* out, bool fin, bool rsv1, Opcode op, std::uint64_t payload_size,
                                      const unsigned char* mask) noexcept {
  auto* p = reinterpret_cast<unsigned char*>(out);
  p[0] = static_cast<unsigned char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<unsigned char>(op));
  unsigned char mask_bit = mask != nullptr ? 0x80 : 0;
  std::size_t size;
  if (payload_size < 126) {
    p[1] = static_cast<unsigned char>(mask_bit | payload_size);
    size = 2;
  } else if (payload_size <= 0xFFFF) {
    p[1] = static_cast<unsigned char>(mask_bit | 126);
    p[2] = static_cast<unsigned char>(payload_size >> 8);
    p[3] = static_cast<unsigned char>(payload_size);
    size = 4;
  } else {
    p[1] = static_cast<unsigned char>(mask_bit | 127);
    for (int i = 0; i < 8; ++i) p[2 + i] = static_cast<unsigned char>(payload_size >> (56 - 8 * i));
    size = 10;
  }
  if (mask != nullptr) {
    std::memcpy(p + size, mask, 4);
    size += 4;
  }
  return size;
}

// A close frame's payload, read (RFC 6455 §5.5.1, §7.1.5-6).
struct CloseInfo {
  std::uint16_t error = 0;   // non-zero: the payload breaks a rule, close with this
  const char* why = "";      // error: a short, static description
  bool has_code = false;     // an empty payload carries no code (reported as 1005)
  std::uint16_t code = 0;
  std::string_view reason;   // UTF-8, up to 123 bytes
};

inline CloseInfo parse_close_payload(std::string_view payload) noexcept {
  CloseInfo c;
  if (payload.empty()) return c;
  if (payload.size() == 1) {
    c.error = close_code::protocol_error;
    c.why = "close payload of one byte";
    return c;
  }
  auto hi = static_cast<unsigned char>(payload[0]), lo = static_cast<unsigned char>(payload[1]);
  int code = hi << 8 | lo;
  if (!valid_close_code(code)) {
    c.error = close_code::protocol_error;
    c.why = "invalid close code";
    return c;
  }
  c.has_code = true;
  c.code = static_cast<std::uint16_t>(code);
  c.reason = payload.substr(2);
  if (!is_valid_utf8(c.reason)) {
    c.error = close_code::invalid_data;
    c.why = "close reason is not UTF-8";
  }
  return c;
}

// The payload of a close frame carrying `code` and `reason` (the caller
// checked both: a valid code, at most 123 bytes of UTF-8).
inline std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string out;
  out.reserve(2 + reason.size());
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out.append(reason.data(), reason.size());
  return out;
}

}  // namespace eddy::detail::ws

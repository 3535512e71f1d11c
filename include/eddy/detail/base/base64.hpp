// Base64 (RFC 4648 §4, the standard alphabet with '=' padding): the
// WebSocket handshake's Sec-WebSocket-Key and -Accept, HTTP Basic
// credentials, and whatever else needs it.
//
//   std::string text = eddy::detail::base64_encode("hello");   // "aGVsbG8="
//   std::optional<std::string> raw = eddy::detail::base64_decode(text);
//
// Decoding is strict, as a header value checker wants: the length is a
// multiple of 4, padding only at the end, no whitespace, and the unused bits
// of the last character are zero (so every byte string has exactly one
// accepted encoding). Anything else is std::nullopt.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy::detail {

inline std::string base64_encode(std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = static_cast<std::uint32_t>(p[i]) << 16 | static_cast<std::uint32_t>(p[i + 1]) << 8 | p[i + 2];
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest != 0) {
    std::uint32_t v = static_cast<std::uint32_t>(p[i]) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(p[i + 1]) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace base64_detail {

// The value of an alphabet character, or -1.
constexpr int value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace base64_detail

inline std::optional<std::string> base64_decode(std::string_view in) {
  using base64_detail::value;
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    int pads = 0;
    if (last && in[i + 3] == '=') pads = in[i + 2] == '=' ? 2 : 1;
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4 - static_cast<std::size_t>(pads); ++j) {
      int d = value(in[i + j]);
      if (d < 0) return std::nullopt;
      v |= static_cast<std::uint32_t>(d) << (18 - 6 * j);
    }
    // The bits a padded group leaves unused must be zero (canonical form).
    if ((pads == 1 && (v & 0xFF) != 0) || (pads == 2 && (v & 0xFFFF) != 0)) return std::nullopt;
    out += static_cast<char>(v >> 16);
    if (pads < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pads < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

}  // namespace eddy::detail

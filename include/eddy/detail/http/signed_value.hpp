// Signed values for secure cookies, in Tornado's version 2 format, so that
// a cookie eddy signs reads in Tornado with the same secret and the other
// way round:
//
//   2|1:0|10:1700000000|4:name|8:dmFsdWU=|<64 hex digits>
//
// that is the version, then length-prefixed fields (the key version, always
// 0 here; the Unix time of signing in seconds; the cookie's name; the value
// in base64), each followed by '|', then the HMAC-SHA256 of everything
// before it under the secret, in lowercase hex. The name is signed so that a
// value signed for one cookie cannot be replayed as another; the timestamp
// so that an old value expires however long the browser keeps it.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../base/base64.hpp"
#include "../base/sha256.hpp"

namespace eddy::detail {

inline void append_signed_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out.append(field.data(), field.size());
  out += '|';
}

// `value` signed for the cookie `name` at `unix_seconds` under `secret`.
inline std::string create_signed_value(std::string_view secret, std::string_view name, std::string_view value,
                                       std::int64_t unix_seconds) {
  std::string out = "2|";
  append_signed_field(out, "0");
  append_signed_field(out, std::to_string(unix_seconds));
  append_signed_field(out, name);
  append_signed_field(out, base64_encode(value));
  out += to_hex(hmac_sha256(secret, out));
  return out;
}

// Takes one "<length>:<bytes>|" field off the front of `rest` into `field`;
// false when it is malformed (the length is 1 to 9 digits, no sign).
inline bool take_signed_field(std::string_view& rest, std::string_view& field) {
  std::size_t colon = rest.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 9) return false;
  std::size_t n = 0;
  for (std::size_t i = 0; i < colon; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
    n = n * 10 + static_cast<std::size_t>(rest[i] - '0');
  }
  rest.remove_prefix(colon + 1);
  if (rest.size() <= n || rest[n] != '|') return false;
  field = rest.substr(0, n);
  rest.remove_prefix(n + 1);
  return true;
}

// A decimal Unix time of at most 18 digits, or nullopt.
inline std::optional<std::int64_t> parse_signed_time(std::string_view digits) {
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  std::int64_t t = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    t = t * 10 + (c - '0');
  }
  return t;
}

// The value inside `signed_value` if it is a well-formed version 2 value
// whose signature under `secret` matches (compared in constant time), signed
// for `name`, no earlier than `now_seconds - max_age_seconds`; else nullopt.
inline std::optional<std::string> decode_signed_value(std::string_view secret, std::string_view name,
                                                      std::string_view signed_value, std::int64_t now_seconds,
                                                      std::int64_t max_age_seconds) {
  if (signed_value.substr(0, 2) != "2|") return std::nullopt;
  std::string_view rest = signed_value.substr(2);
  std::string_view key_version, timestamp, name_field, value_field;
  if (!take_signed_field(rest, key_version) || !take_signed_field(rest, timestamp) ||
      !take_signed_field(rest, name_field) || !take_signed_field(rest, value_field)) {
    return std::nullopt;
  }
  std::string_view signed_part = signed_value.substr(0, signed_value.size() - rest.size());
  std::string expected = to_hex(hmac_sha256(secret, signed_part));
  if (!constant_time_equal(rest, expected)) return std::nullopt;
  if (key_version != "0" || name_field != name) return std::nullopt;
  std::optional<std::int64_t> signed_at = parse_signed_time(timestamp);
  if (!signed_at || *signed_at < now_seconds - max_age_seconds) return std::nullopt;
  return base64_decode(value_field);
}

}  // namespace eddy::detail

// RESP's building block: one header (a type byte and its line) and, for
// blob types, the payload after it. Shared by the reply parser (which builds
// Reply values) and the framing scan (which only finds where a reply ends),
// so both accept and refuse exactly the same bytes.
//
// Grammar (RESP2 and RESP3; every line ends in CRLF):
//   + simple string   - simple error   : integer ([+-]DIGITS, 64-bit)
//   $ bulk string     ! bulk error     = verbatim ("fmt:" + text)   blob: LENGTH CRLF BYTES CRLF
//   * array   % map   ~ set   > push   | attribute                  aggregate: COUNT CRLF elements
//   _ null   , double ([+-]number, inf, -inf, nan)   # boolean (t|f)   ( big number ([-]DIGITS)
// "$-1" and "*-1" are RESP2's nulls. Streamed strings and aggregates ("$?",
// "*?"), which Redis never sends, are refused, as is any other type byte.
// A simple line may hold no CR or LF; a CR must be followed by LF.
//
// Thread contract: pure functions; any thread. Nothing is allocated.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>

namespace eddy::detail::redis {

/// Bounds on what one reply may make the client hold: a hostile or broken
/// server cannot make it allocate past them or recurse (nothing recurses).
struct RespLimits {
  std::size_t max_depth = 64;                   ///< nested aggregates (attributes count), at most max_depth_cap
  std::size_t max_bulk_length = 512u << 20;     ///< bytes of one string (bulk, verbatim, simple line, big number)
  std::size_t max_elements = std::size_t(1) << 24;  ///< elements in one reply, all levels (a map entry counts 2)
  std::size_t max_reply_size = std::size_t(1) << 30;  ///< bytes of one reply on the wire
};
inline constexpr std::size_t max_depth_cap = 128;

enum class RespStatus : std::uint8_t { complete, incomplete, error };

/// The outcome of parsing or scanning one reply.
struct RespResult {
  RespStatus status = RespStatus::incomplete;
  std::size_t consumed = 0;  ///< complete: the reply's bytes (attributes before it included)
  std::size_t needed = 0;    ///< incomplete: a lower bound on the reply's size, > the bytes given
  const char* reason = "";   ///< error: a short static text
  bool complete() const noexcept { return status == RespStatus::complete; }
  bool incomplete() const noexcept { return status == RespStatus::incomplete; }
  bool error() const noexcept { return status == RespStatus::error; }
};

/// One header, with a blob's payload. `next` is the offset after it all.
struct RespHeader {
  RespStatus status = RespStatus::complete;
  char type = 0;
  const char* reason = "";
  std::size_t next = 0;       ///< complete: offset after the line (and payload); incomplete: bytes needed
  std::string_view text;      ///< the line (simple types) or the payload (blobs, verbatim with its "fmt:")
  std::int64_t count = 0;     ///< integer value, blob length or aggregate count; -1 for RESP2 nulls
  double number = 0;          ///< a double's value
  bool flag = false;          ///< a boolean's value
};

namespace resp {

inline bool is_aggregate(char type) noexcept {
  return type == '*' || type == '%' || type == '~' || type == '>' || type == '|';
}
inline bool is_blob(char type) noexcept { return type == '$' || type == '!' || type == '='; }

// [+-]?DIGITS into a 64-bit integer (the '+' only where RESP3 allows it).
inline bool parse_int(std::string_view s, std::int64_t& out, bool allow_plus) noexcept {
  bool negative = false;
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '-' || (allow_plus && s[0] == '+'))) negative = s[i++] == '-';
  if (i == s.size()) return false;
  std::uint64_t magnitude = 0;
  const std::uint64_t limit = negative ? (std::uint64_t(1) << 63) : (std::uint64_t(1) << 63) - 1;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    auto d = static_cast<std::uint64_t>(s[i] - '0');
    if (magnitude > (limit - d) / 10) return false;
    magnitude = magnitude * 10 + d;
  }
  out = negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

// A RESP3 double: what from_chars reads (inf and nan included) with an
// optional leading '+', and nothing else on the line.
inline bool parse_double(std::string_view s, double& out) noexcept {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+' || s[0] == ' ') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

inline bool is_big_number(std::string_view s) noexcept {
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// The header's outcome, set in place (one RespHeader per call, never copied).
inline void fail(RespHeader& h, const char* reason) noexcept {
  h.status = RespStatus::error;
  h.reason = reason;
}
inline void need(RespHeader& h, std::size_t bytes) noexcept {
  h.status = RespStatus::incomplete;
  h.next = bytes;
}

// A short simple line ("+OK", "-ERR ..."), in one pass: bytes without CR or
// LF, then CRLF. False for anything else, which read_line then reads.
inline bool read_simple_fast(std::string_view in, std::size_t pos, RespHeader& h) noexcept {
  const char* begin = in.data() + pos + 1;
  const char* end = in.data() + in.size();
  const char* limit = end - begin > 64 ? begin + 64 : end;
  const char* p = begin;
  while (p < limit && *p != '\r' && *p != '\n') ++p;
  if (p + 1 >= end || p[0] != '\r' || p[1] != '\n') return false;
  h.text = std::string_view(begin, static_cast<std::size_t>(p - begin));
  h.next = static_cast<std::size_t>(p + 2 - in.data());
  return true;
}

// The common case of a length, count or integer line, in one pass: digits
// (an optional '-'; '+' too for an integer) and CRLF. False for anything
// else (a malformed line, a null, an empty one): then the general path reads
// it and names the error, so both paths accept and refuse the same bytes.
// At most 18 digits: no overflow is possible.
inline bool read_number_fast(std::string_view in, std::size_t pos, RespHeader& h) noexcept {
  const char* p = in.data() + pos + 1;
  const char* end = in.data() + in.size();
  bool negative = p < end && *p == '-';
  if (negative || (p < end && *p == '+' && in[pos] == ':')) ++p;
  const char* digits = p;
  std::uint64_t value = 0;
  while (p < end && *p >= '0' && *p <= '9' && p - digits < 18) value = value * 10 + static_cast<std::uint64_t>(*p++ - '0');
  if (p == digits || p + 1 >= end || p[0] != '\r' || p[1] != '\n') return false;
  h.text = std::string_view(in.data() + pos + 1, static_cast<std::size_t>(p - in.data()) - pos - 1);
  h.count = negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
  h.next = static_cast<std::size_t>(p + 2 - in.data());
  return true;
}

// The line after the type byte at `pos`: at most max_len bytes before its CRLF.
inline void read_line(std::string_view in, std::size_t pos, std::size_t max_len, RespHeader& h) noexcept {
  const char* begin = in.data() + pos + 1;
  std::size_t available = in.size() - pos - 1;
  std::size_t window = available < max_len + 1 ? available : max_len + 1;
  const void* cr = std::memchr(begin, '\r', window);
  std::size_t len = cr != nullptr ? static_cast<std::size_t>(static_cast<const char*>(cr) - begin) : window;
  // A line not yet ended needs one more byte, and at least the 3 of the
  // shortest value from its start (so the bound never falls as bytes come).
  std::size_t more = in.size() + 1 > pos + 3 ? in.size() + 1 : pos + 3;
  if (std::memchr(begin, '\n', len) != nullptr) return fail(h, "LF without CR in a line");
  if (cr == nullptr) return available > max_len ? fail(h, "line too long") : need(h, more);
  if (len + 1 == available) return need(h, more);
  if (begin[len + 1] != '\n') return fail(h, "CR without LF in a line");
  h.text = std::string_view(begin, len);
  h.next = pos + 1 + len + 2;
}

// The payload of a blob whose header line ended at h.next.
inline void read_blob(std::string_view in, RespHeader& h, const RespLimits& limits) noexcept {
  if (h.count == -1 && h.type == '$') return;  // RESP2 null bulk string
  if (h.count < 0) return fail(h, "negative length");
  if (static_cast<std::uint64_t>(h.count) > limits.max_bulk_length) return fail(h, "string longer than max_bulk_length");
  std::size_t end = h.next + static_cast<std::size_t>(h.count);
  if (end + 2 > limits.max_reply_size) return fail(h, "reply larger than max_reply_size");
  if (in.size() < end + 2) return need(h, end + 2);
  if (in[end] != '\r' || in[end + 1] != '\n') return fail(h, "string not followed by CRLF");
  if (h.type == '=' && (h.count < 4 || in[h.next + 3] != ':')) return fail(h, "verbatim string without its format");
  h.text = in.substr(h.next, static_cast<std::size_t>(h.count));
  h.next = end + 2;
}

// After the fast number path: what the count means for the type.
inline void finish_number(std::string_view in, RespHeader& h, const RespLimits& limits) noexcept {
  if (is_blob(h.type)) return read_blob(in, h, limits);
  if (h.count == -1 && h.type == '*') return;  // RESP2 null array
  if (h.count < 0 && h.type != ':') fail(h, "negative count");
}

// Checks and reads the line of a scalar or a header; blobs go on to their payload.
inline void interpret(std::string_view in, RespHeader& h, const RespLimits& limits) noexcept {
  switch (h.type) {
    case '+': case '-': return;
    case ':': return parse_int(h.text, h.count, true) ? void() : fail(h, "malformed integer");
    case '_': return h.text.empty() ? void() : fail(h, "malformed null");
    case ',': return parse_double(h.text, h.number) ? void() : fail(h, "malformed double");
    case '(': return is_big_number(h.text) ? void() : fail(h, "malformed big number");
    case '#':
      if (h.text != "t" && h.text != "f") return fail(h, "malformed boolean");
      h.flag = h.text == "t";
      return;
    default: break;
  }
  if (h.text == "?") return fail(h, "streamed strings and aggregates are not supported");
  if (!parse_int(h.text, h.count, false)) return fail(h, "malformed length");
  finish_number(in, h, limits);
}

// The longest line a type may have before its CRLF; 0 for an unknown type.
inline std::size_t max_line(char type, const RespLimits& limits) noexcept {
  switch (type) {
    case '+': case '-': case '(': return limits.max_bulk_length;
    case ':': case '$': case '!': case '=': case '*': case '%': case '~': case '>': case '|': case '_': case '#':
      return 20;  // "-9223372036854775808"
    case ',': return 400;  // a double written with every digit
    default: return 0;
  }
}

}  // namespace resp

/// Reads the header at `pos` (there must be at least one byte there or the
/// result is incomplete) and, for a blob, its payload.
inline RespHeader read_header(std::string_view in, std::size_t pos, const RespLimits& limits) noexcept {
  RespHeader h;
  if (pos >= in.size()) {
    resp::need(h, pos + 3);  // the shortest value is "_\r\n"
    return h;
  }
  h.type = in[pos];
  std::size_t max_len = resp::max_line(h.type, limits);
  if (max_len == 0) {
    resp::fail(h, "unknown type byte");
    return h;
  }
  if ((h.type == '+' || h.type == '-') && max_len >= 64 && resp::read_simple_fast(in, pos, h)) {
    // A short simple string or error: nothing more to check.
  } else if (max_len == 20 && h.type != '_' && h.type != '#' && resp::read_number_fast(in, pos, h)) {
    resp::finish_number(in, h, limits);
  } else {
    resp::read_line(in, pos, max_len, h);
    if (h.status == RespStatus::complete) resp::interpret(in, h, limits);
  }
  if (h.status != RespStatus::error && h.next > limits.max_reply_size) resp::fail(h, "reply larger than max_reply_size");
  return h;
}

}  // namespace eddy::detail::redis

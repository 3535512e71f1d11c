// How a parsed HTTP/1.x message is framed and whether its connection stays
// open: RFC 9112 §6 (message body length), §9.3 (persistence) and RFC 9110
// §7.2 (Host), one pass over the fields.
//
//   auto info = eddy::detail::http::analyze_request(head);
//   if (!info.ok()) { answer info.error_status, close }
//   switch (info.body) { case BodyKind::none: ... case BodyKind::content_length: read
//                        info.content_length bytes ... case BodyKind::chunked: ChunkedDecoder ... }
//
// Request rules (each violation -> error_status 400 unless noted):
// - Content-Length: a list ("5, 5" allowed) whose every element is 1*DIGIT
//   and fits in 64 bits; all elements and all field lines equal.
// - Transfer-Encoding: codings from every field line, in order. The last
//   must be "chunked" (case-insensitive), "chunked" at most once. A coding
//   other than the registered ones (chunked, gzip, x-gzip, deflate, compress,
//   x-compress) -> 501; a registered one before chunked -> 501 too, since
//   eddy decodes none of them. So "foo" -> 501, "gzip" -> 400, "chunked,
//   gzip" -> 400, "gzip, chunked" -> 501, "chunked, chunked" -> 400.
// When several rules are broken, any 400 wins over a 501: a message whose
// framing is wrong is refused as malformed before it is refused as unsupported.
// - Both Content-Length and Transfer-Encoding -> 400 (the smuggling shape).
// - Transfer-Encoding in an HTTP/1.0 request -> 400 (RFC 9112 §6.1: faulty
//   framing).
// - Host: HTTP/1.1 without one, or more than one field line (any version),
//   or a list, or a byte outside uri-host[:port] characters -> 400.
// - Neither length nor chunked: no body.
// Keep-alive: a "close" token in Connection ends it; otherwise HTTP/1.1
// keeps the connection open, HTTP/1.0 only with a "keep-alive" token. A
// chunked request that also names a coding is never reached (501). An error
// result always has keep_alive false.
//
// Response rules (the client side): no body for 1xx, 204, 304, a response to
// HEAD, or a 2xx to CONNECT; Transfer-Encoding with chunked last -> chunked
// (Content-Length ignored, connection closed after, RFC 9112 §6.3); other
// Transfer-Encoding -> read until close; else Content-Length as for requests
// (a bad one is an error, status 502 to report upstream); else until close.
//
// Thread contract: pure functions; any thread. Views in the result point
// into the head's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include "../../httputil.hpp"
#include "../base/config.hpp"
#include "http_parser.hpp"
#include "http_scan.hpp"

namespace eddy::detail::http {

enum class BodyKind : unsigned char { none, content_length, chunked, until_close };

struct MessageInfo {
  BodyKind body = BodyKind::none;
  std::uint64_t content_length = 0;  // body == content_length
  bool keep_alive = false;
  bool expect_continue = false;      // request: "Expect: 100-continue"
  bool upgrade = false;              // a "upgrade" token in Connection
  bool conditional = false;          // a field named If-*: If-None-Match may be among them
  std::string_view host;             // request: the Host value ("" when absent)
  int error_status = 0;              // 0 when the message is acceptable
  std::string_view reason;           // static text when error_status != 0

  bool ok() const noexcept { return error_status == 0; }
};

namespace framing_detail {

// What the field lines that decide framing say, gathered in one pass.
struct Gathered {
  bool has_length = false, has_te = false, close = false, keep_alive = false, upgrade = false;
  bool expect_continue = false, chunked_last = false, bad_length = false, conditional = false;
  int hosts = 0;
  std::uint64_t length = 0;
  std::string_view host;
  int error_status = 0;
  std::string_view reason;

  void fail(int status, std::string_view why) noexcept {
    if (error_status == 0 || (error_status == 501 && status == 400)) {
      error_status = status;
      reason = why;
    }
  }
};

constexpr bool registered_coding(std::string_view coding) noexcept {
  for (std::string_view known : {"gzip", "x-gzip", "deflate", "compress", "x-compress"})
    if (iequals(coding, known)) return true;
  return false;
}

// Adds one Transfer-Encoding field line. Errors of every line are recorded
// as they come; `chunked_last` follows the last coding seen so far.
constexpr void gather_te(Gathered& g, std::string_view value, bool& saw_chunked, bool& other_coding) {
  bool any = false;
  for_each_list_element(value, [&](std::string_view element) {
    any = true;
    // A coding may carry parameters ("gzip;q=1" is not valid here, but
    // "foo;a=b" is a transfer-extension): the name is what counts.
    std::string_view coding = trim_ows(element.substr(0, element.find(';')));
    bool chunked = iequals(coding, "chunked");
    if (chunked) {
      if (saw_chunked) g.fail(400, "chunked applied twice");
      if (coding.size() != element.size()) g.fail(400, "parameters on chunked");
      saw_chunked = true;
    } else if (!is_token(coding)) {
      g.fail(400, "malformed transfer coding");
    } else if (!registered_coding(coding)) {
      g.fail(501, "unknown transfer coding");
    } else {
      other_coding = true;
    }
    g.chunked_last = chunked;
    return true;
  });
  if (!any) g.fail(400, "empty Transfer-Encoding");
}

constexpr void gather_length(Gathered& g, std::string_view value) {
  // Stricter than a list: "5, 5" is one length sent twice, but an empty
  // element ("5,", ",5") is a malformed number, not a list artefact.
  while (true) {
    std::size_t comma = value.find(',');
    std::uint64_t n = 0;
    if (!parse_decimal(trim_ows(value.substr(0, comma)), n)) {
      g.bad_length = true;
      g.fail(400, "malformed Content-Length");
      return;
    }
    if (g.has_length && n != g.length) {
      g.bad_length = true;
      g.fail(400, "conflicting Content-Length values");
      return;
    }
    g.has_length = true;
    g.length = n;
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

// True when `name` (a token or a parsed field value) equals `lower` (lowercase letters and '-')
// but for ASCII case. Setting bit 5 lowercases a letter and leaves '-'; the only
// other byte that becomes a letter or '-' that way is CR, which neither a
// token nor a parsed value holds, so one OR per byte is exact.
// Words of 8 (or 4) bytes, the last one overlapping the one before, so a
// name of 4 to 16 bytes costs two compares and never a byte loop.
inline bool name_is(std::string_view name, std::string_view lower) noexcept {
  const std::size_t n = name.size();
  if (n != lower.size()) return false;
  const char* a = name.data();
  const char* b = lower.data();
  if (n >= 8) {
    auto word = [](const char* p) {
      std::uint64_t w = 0;
      std::memcpy(&w, p, 8);
      return w;
    };
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if ((word(a + i) | 0x2020202020202020ull) != word(b + i)) return false;
    return (word(a + n - 8) | 0x2020202020202020ull) == word(b + n - 8);
  }
  if (n >= 4) {
    auto word = [](const char* p) {
      std::uint32_t w = 0;
      std::memcpy(&w, p, 4);
      return w;
    };
    return (word(a) | 0x20202020u) == word(b) && (word(a + n - 4) | 0x20202020u) == word(b + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (static_cast<char>(a[i] | 0x20) != b[i]) return false;
  return true;
}

inline void gather_connection(Gathered& g, std::string_view value) {
  // Nearly every client sends exactly one of these two.
  if (name_is(value, "keep-alive")) {
    g.keep_alive = true;
    return;
  }
  if (name_is(value, "close")) {
    g.close = true;
    return;
  }
  for_each_list_element(value, [&](std::string_view token) {
    if (name_is(token, "close")) g.close = true;
    else if (name_is(token, "keep-alive")) g.keep_alive = true;
    else if (name_is(token, "upgrade")) g.upgrade = true;
    return true;
  });
}

// uri-host [ ":" port ] characters: unreserved, pct-encoded, sub-delims but
// ',' (a list), ':' and the brackets of an IP literal.
struct HostTable {
  bool is[256] = {};
  constexpr HostTable() {
    for (int c = '0'; c <= '9'; ++c) is[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) is[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) is[c] = true;
    for (char c : std::string_view("-._~%!$&'()*+;=:[]")) is[static_cast<unsigned char>(c)] = true;
  }
};
inline constexpr HostTable host_table{};

// True when every byte of `host` may stand in a Host value.
constexpr bool valid_host(std::string_view host) noexcept { return all_bytes_in(host_table.is, host); }

// Reads one field if it is one the framing depends on.
EDDY_ALWAYS_INLINE inline void gather_field(Gathered& g, const HeaderField& field, bool& saw_chunked, bool& other_coding) {
  std::string_view name = field.name;
  // The first letter rules out most fields with one compare; a branch
  // per case predicts better than a jump table over the lengths.
  char first = static_cast<char>(name[0] | 0x20);
  if (first == 'h') {
    if (name_is(name, "host")) {
      ++g.hosts;
      g.host = field.value;
      if (!valid_host(field.value)) g.fail(400, "invalid Host");
    }
  } else if (first == 'c') {
    if (name_is(name, "connection")) {
      gather_connection(g, field.value);
    } else if (name_is(name, "content-length")) {
      gather_length(g, field.value);
    }
  } else if (first == 't') {
    if (name_is(name, "transfer-encoding")) {
      g.has_te = true;
      gather_te(g, field.value, saw_chunked, other_coding);
    }
  } else if (first == 'e') {
    if (name_is(name, "expect") && iequals(field.value, "100-continue")) g.expect_continue = true;
  } else if (first == 'i') {
    // If-None-Match, If-Modified-Since, ...: noted, so that a server looks
    // for them only in the few requests that have one.
    if (name.size() > 3 && (name[1] | 0x20) == 'f' && name[2] == '-') g.conditional = true;
  }
}

// The rare case out of line: a head with more than 64 fields (the first 64
// as marked, then every one), or one the parser did not mark.
EDDY_NOINLINE inline void gather_unmarked(Gathered& g, const std::vector<HeaderField>& headers,
                                          const FieldMarks& marks, bool& saw_chunked, bool& other_coding) {
  std::size_t i = 0;
  if (marks.fields == headers.size()) {
    for (std::uint64_t bits = marks.framing; bits != 0; bits &= bits - 1)
      gather_field(g, headers[static_cast<std::size_t>(__builtin_ctzll(bits))], saw_chunked, other_coding);
    i = 64;
  }
  for (; i < headers.size(); ++i) gather_field(g, headers[i], saw_chunked, other_coding);
}

// Reads the fields that decide framing, in arrival order: those the parser
// marked (FieldMarks) and every field past the 64th, or every field when
// the marks do not describe `headers`.
inline Gathered gather(const std::vector<HeaderField>& headers, const FieldMarks& marks, bool& saw_chunked,
                       bool& other_coding) {
  Gathered g;
  if (EDDY_LIKELY(marks.fields == headers.size() && headers.size() <= 64)) {
    for (std::uint64_t bits = marks.framing; bits != 0; bits &= bits - 1)
      gather_field(g, headers[static_cast<std::size_t>(__builtin_ctzll(bits))], saw_chunked, other_coding);
  } else {
    gather_unmarked(g, headers, marks, saw_chunked, other_coding);
  }
  return g;
}

constexpr bool persistent(const Gathered& g, int version_minor) noexcept {
  if (g.close) return false;
  return version_minor >= 1 || g.keep_alive;
}

}  // namespace framing_detail

// Frames a parsed request and decides keep-alive (rules at the top).
inline MessageInfo analyze_request(const RequestHead& head) {
  using namespace framing_detail;
  bool saw_chunked = false, other_coding = false;
  Gathered g = gather(head.headers, head.marks, saw_chunked, other_coding);
  if (g.has_te) {
    if (g.error_status == 0 && !g.chunked_last) g.fail(400, "last transfer coding is not chunked");
    if (other_coding) g.fail(501, "transfer coding not implemented");
    if (g.has_length) g.fail(400, "both Content-Length and Transfer-Encoding");
    if (head.version_minor == 0) g.fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  if (g.hosts > 1) g.fail(400, "more than one Host");
  if (g.hosts == 0 && head.version_minor >= 1) g.fail(400, "missing Host");
  MessageInfo info;
  info.host = g.host;
  info.expect_continue = g.expect_continue;
  info.upgrade = g.upgrade;
  info.conditional = g.conditional;
  if (g.error_status != 0) {
    info.error_status = g.error_status;
    info.reason = g.reason;
    return info;
  }
  info.keep_alive = persistent(g, head.version_minor);
  if (g.has_te) {
    info.body = BodyKind::chunked;
  } else if (g.has_length && g.length > 0) {
    info.body = BodyKind::content_length;
    info.content_length = g.length;
  }
  return info;
}

// Frames a parsed response to a request made with `request_method`.
inline MessageInfo analyze_response(const ResponseHead& head, std::string_view request_method) {
  using namespace framing_detail;
  bool saw_chunked = false, other_coding = false;
  Gathered g = gather(head.headers, head.marks, saw_chunked, other_coding);
  MessageInfo info;
  info.upgrade = g.upgrade;
  info.keep_alive = persistent(g, head.version_minor);
  int code = head.status_code;
  if ((code >= 100 && code < 200) || code == 204 || code == 304 || request_method == "HEAD" ||
      (request_method == "CONNECT" && code >= 200 && code < 300)) {
    return info;  // no body, whatever the fields say
  }
  if (g.has_te) {
    // Transfer-Encoding overrides Content-Length; the message is suspect,
    // so the connection is not reused.
    info.body = g.chunked_last && !other_coding ? BodyKind::chunked : BodyKind::until_close;
    if (g.has_length || info.body == BodyKind::until_close) info.keep_alive = false;
    return info;
  }
  if (g.bad_length) {
    info.error_status = 502;
    info.reason = g.reason;
    info.keep_alive = false;
    return info;
  }
  if (g.has_length) {
    info.body = g.length > 0 ? BodyKind::content_length : BodyKind::none;
    info.content_length = g.length;
  } else {
    info.body = BodyKind::until_close;
    info.keep_alive = false;
  }
  return info;
}

}  // namespace eddy::detail::http

// The HTTP/1.x message-head parser: pure functions over a byte range, after
// picohttpparser's shape, made strict by RFC 9112.
//
//   eddy::detail::http::RequestHead head;            // reuse it: its vector keeps capacity
//   auto r = eddy::detail::http::parse_request_head(buffer, head, 64 * 1024);
//   if (r.status == ParseStatus::complete) { ... buffer.substr(r.consumed) is the body ... }
//   if (r.status == ParseStatus::error) { send r.error_status, close }
//
// What is returned (ParseResult):
// - complete: the head is valid; `consumed` is its size in bytes, counting
//   the empty lines skipped before the start line, the start line, every
//   field line and the final CRLF. `head` holds views into `buffer`, valid
//   while the caller keeps those bytes where they are.
// - incomplete: no error so far, the head has not ended; call again with the
//   same bytes and more after them. `head` is unspecified.
// - error: `error_status` is the status to answer with (400, 431 or 505) and
//   `reason` a short static text ("bare CR in field"); close afterwards.
//
// Rules (RFC 9112 §2-§5, RFC 9110 §5): lines end in CRLF; a bare CR, a bare
// LF, NUL or any other control character but HTAB in a value -> 400. Empty
// lines (CRLF) before the request line are skipped (RFC 9112 §2.2). Request
// line: method (a token) SP request-target SP HTTP-version, one SP each, the
// target free of controls and spaces (bytes >= 0x80 are let through, as
// nginx and picohttpparser do) -> else 400. HTTP-version is "HTTP/" DIGIT
// "." DIGIT, case-sensitive -> else 400; one that is well formed but not
// 1.0 or 1.1 -> 505. Field line: a token name, ':' right after it
// (whitespace before the colon -> 400), OWS, value, OWS; a line starting
// with SP or HTAB (obs-fold, or whitespace before the first field) -> 400.
// The size limit counts the whole head: a head of max_header_size bytes is
// accepted, one byte more -> 431 (as soon as max_header_size bytes are
// buffered without an end, even if the client never sends the rest).
//
// Re-parsing as bytes arrive: pass `scanned` = the buffer size at the
// previous call that returned incomplete. The new bytes are first searched
// for the end of the head and the full parse runs only when it is there, so
// a head that trickles in a byte at a time costs O(size), not O(size^2).
// With a hint, an error in an unfinished head is reported once the head ends
// or reaches the limit (or at once for a bare LF), instead of at once.
//
// Thread contract: pure functions; any thread. No allocation but the growth
// of `head.headers` beyond its capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "http_scan.hpp"

namespace eddy::detail::http {

// One field line as received: views into the caller's buffer; name as sent
// (compare with iequals), value without the surrounding OWS.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// Which fields the framing analysis needs to read, found while the parser
// scans the names anyway: bit i is set when field i (i < 64) begins with a
// letter of a framing field name (see field_start_table). Fields past the
// 64th are not marked; the analysis reads every one of them. `fields` is
// the size of `headers` the marks were made for: when the two differ (a
// head filled by hand, or changed after parsing), the analysis ignores the
// marks and reads every field.
struct FieldMarks {
  static constexpr std::size_t unmarked = ~std::size_t{0};
  std::uint64_t framing = 0;
  std::size_t fields = unmarked;
};

enum class ParseStatus : unsigned char { complete, incomplete, error };

struct ParseResult {
  ParseStatus status = ParseStatus::incomplete;
  std::size_t consumed = 0;   // complete: bytes of the head
  int error_status = 0;       // error: 400, 431 or 505 (and 501, 413 from the body codecs)
  std::string_view reason;    // error: a short, static description

  bool complete() const noexcept { return status == ParseStatus::complete; }
  bool incomplete() const noexcept { return status == ParseStatus::incomplete; }
  bool error() const noexcept { return status == ParseStatus::error; }
};

struct RequestHead {
  std::string_view method;    // "GET"
  std::string_view target;    // "/a/b?x=1", as sent
  int version_minor = 1;      // HTTP/1.<version_minor>: 0 or 1
  std::vector<HeaderField> headers;
  FieldMarks marks;           // set by the parser, read by analyze_request
};

struct ResponseHead {
  int version_minor = 1;      // 0 or 1
  int status_code = 0;        // 100-999
  std::string_view reason;    // may be empty
  std::vector<HeaderField> headers;
  FieldMarks marks;           // set by the parser, read by analyze_response
};

// "HTTP/1.0" or "HTTP/1.1".
constexpr std::string_view version_string(int minor) noexcept { return minor == 0 ? "HTTP/1.0" : "HTTP/1.1"; }

namespace parser_detail {

constexpr ParseResult fail(int status, std::string_view reason) noexcept {
  return ParseResult{ParseStatus::error, 0, status, reason};
}
constexpr ParseResult need_more() noexcept { return ParseResult{}; }

// Parses "HTTP/1.x" at p (8 bytes available). Returns 0 on success (minor
// set), else the status of the error: 400 malformed, 505 unsupported.
constexpr int parse_version(const char* p, int& minor) noexcept {
  if (std::string_view(p, 5) != "HTTP/") return 400;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(p[5]) || p[6] != '.' || !digit(p[7])) return 400;
  if (p[5] != '1' || (p[7] != '0' && p[7] != '1')) return 505;
  minor = p[7] - '0';
  return 0;
}

// Parses the field lines at p up to and including the empty line that ends
// them. On success returns complete with `consumed` = bytes from p, and
// `marks` describes `out`.
inline ParseResult parse_fields(const char* p, const char* end, std::vector<HeaderField>& out, FieldMarks& marks) {
  const char* const start = p;
  out.clear();
  marks.fields = FieldMarks::unmarked;  // until the head is complete
  std::uint64_t framing = 0;
  while (true) {
    if (p == end) return need_more();
    // A line that does not start with a tchar is the end of the head or an
    // error; one table lookup sends every field line past these tests and
    // says whether the framing analysis will want to read this field.
    const unsigned char kind = field_start_table.kind[static_cast<unsigned char>(*p)];
    if (kind == field_start_invalid) {
      if (*p == '\r') {
        if (p + 1 == end) return need_more();
        if (p[1] != '\n') return fail(400, "bare CR");
        marks.framing = framing;
        marks.fields = out.size();
        return ParseResult{ParseStatus::complete, static_cast<std::size_t>(p + 2 - start), 0, {}};
      }
      if (*p == '\n') return fail(400, "bare LF");
      if (*p == ' ' || *p == '\t') return fail(400, "obs-fold or whitespace before a field line");
      return fail(400, *p == ':' ? "empty field name" : "invalid character in field name");
    }
    // Where the line ends does not depend on where its name ends: the
    // search for the CR starts at the line's second byte, since a name holds
    // no control character, nor do ':' and SP, and an HTAB of the OWS is
    // stepped over like one in the value. So the next line's parse waits on
    // this search alone, and the name scan runs beside it in the processor
    // instead of before it (a dependency chain of ~14 per request).
    const char* q = find_ctl(p + 1, end, start);
    const char* name_end = skip_token(p + 1, end);
    if (name_end == end) return need_more();
    if (*name_end != ':') {
      if (*name_end == ' ' || *name_end == '\t') return fail(400, "whitespace before the colon");
      return fail(400, "invalid character in field name");
    }
    if (kind == field_start_framing) {
      std::size_t index = out.size();
      if (index < 64) framing |= std::uint64_t{1} << index;
    }
    std::string_view name(p, static_cast<std::size_t>(name_end - p));
    p = name_end + 1;
    // OWS: one space, nearly always. A byte above SP starts the value; at
    // or below it only SP, HTAB and the controls find_ctl stops at remain.
    if (p != end && *p == ' ') ++p;
    if (p != end && static_cast<unsigned char>(*p) <= ' ')
      while (p != end && (*p == ' ' || *p == '\t')) ++p;
    const char* value = p;
    // The common case first: the control character found is the CRLF.
    if (end - q < 2 || q[0] != '\r' || q[1] != '\n') {
      while (q < end && *q == '\t') q = find_ctl(q + 1, end);
      if (q == end) return need_more();
      if (*q != '\r') return fail(400, *q == '\n' ? "bare LF" : "control character in field value");
      if (q + 1 == end) return need_more();
      if (q[1] != '\n') return fail(400, "bare CR");
    }
    // Trailing OWS: the only bytes at or below SP left in [value, q) are SP
    // and HTAB, since find_ctl stopped at every other control.
    const char* value_end = q;
    while (value_end > value && static_cast<unsigned char>(value_end[-1]) <= ' ') --value_end;
    out.push_back(HeaderField{name, std::string_view(value, static_cast<std::size_t>(value_end - value))});
    p = q + 2;
  }
}

// Skips the empty lines allowed before a request line. Returns nullptr for
// a bare CR or LF, `end` when more bytes are needed.
inline const char* skip_empty_lines(const char* p, const char* end) noexcept {
  while (p < end && (*p == '\r' || *p == '\n')) {
    if (*p == '\n' || (p + 1 < end && p[1] != '\n')) return nullptr;
    if (p + 1 == end) return end;
    p += 2;
  }
  return p;
}

// Applies the size limit and the scanned hint; returns the end of the bytes
// to parse, or sets `early` to the result to return without parsing.
inline const char* bound(std::string_view buf, std::size_t max_header_size, std::size_t scanned,
                         ParseResult& early, bool& stop) noexcept {
  const char* begin = buf.data();
  const char* end = begin + (buf.size() < max_header_size ? buf.size() : max_header_size);
  stop = false;
  if (scanned == 0 || scanned >= buf.size() || buf.size() >= max_header_size) return end;
  // Only new bytes can end the head: look there before parsing everything
  // again. A LF without its CR is an error the full parse will name.
  const char* from = begin + (scanned >= 3 ? scanned - 3 : 0);
  for (const char* p = from; p < end;) {
    const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (hit == nullptr) break;
    const char* lf = static_cast<const char*>(hit);
    if (lf == begin || lf[-1] != '\r') return end;
    if (lf - begin >= 3 && lf[-2] == '\n' && lf[-3] == '\r') return end;
    p = lf + 1;
  }
  early = need_more();
  stop = true;
  return end;
}

// The result of a parse that ran out of bytes at the limit.
inline ParseResult finish(ParseResult r, std::string_view buf, std::size_t max_header_size) noexcept {
  if (r.incomplete() && buf.size() >= max_header_size) return fail(431, "header block too large");
  return r;
}

inline ParseResult parse_request_line(const char* begin, const char* end, RequestHead& head, const char*& next) {
  const char* p = skip_empty_lines(begin, end);
  if (p == nullptr) return fail(400, "bare CR or LF before the request line");
  if (p == end) return need_more();
  const char* method_end = skip_token(p, end);
  if (method_end == end) return need_more();
  if (*method_end != ' ' || method_end == p) return fail(400, "malformed method");
  head.method = std::string_view(p, static_cast<std::size_t>(method_end - p));
  p = method_end + 1;
  const char* target_end = find_ctl_or_space(p, end);
  if (target_end == end) return need_more();
  if (*target_end != ' ') return fail(400, "malformed request-target or missing HTTP version");
  if (target_end == p) return fail(400, "empty request-target");
  head.target = std::string_view(p, static_cast<std::size_t>(target_end - p));
  p = target_end + 1;
  if (end - p < 10) {
    // Not enough for "HTTP/1.1\r\n": still say 400 at once for bytes that
    // cannot begin a version, so garbage does not wait for a timeout.
    std::string_view have(p, static_cast<std::size_t>(end - p));
    std::string_view want("HTTP/");
    if (have.substr(0, want.size()) != want.substr(0, have.size())) return fail(400, "malformed HTTP version");
    return need_more();
  }
  int status = parse_version(p, head.version_minor);
  if (status != 0) return fail(status, status == 505 ? "HTTP version not supported" : "malformed HTTP version");
  if (p[8] != '\r') return fail(400, p[8] == '\n' ? "bare LF" : "malformed request line");
  if (p[9] != '\n') return fail(400, "bare CR");
  next = p + 10;
  return ParseResult{ParseStatus::complete, 0, 0, {}};
}

}  // namespace parser_detail

// Parses a request head at the start of `buf` (see the top of the file for
// what is returned and the rules).
inline ParseResult parse_request_head(std::string_view buf, RequestHead& head,
                                      std::size_t max_header_size = 64 * 1024, std::size_t scanned = 0) {
  using namespace parser_detail;
  ParseResult early;
  bool stop = false;
  const char* end = bound(buf, max_header_size, scanned, early, stop);
  if (stop) return early;
  const char* fields = nullptr;
  ParseResult r = parse_request_line(buf.data(), end, head, fields);
  if (!r.complete()) return finish(r, buf, max_header_size);
  r = parse_fields(fields, end, head.headers, head.marks);
  if (r.complete()) r.consumed += static_cast<std::size_t>(fields - buf.data());
  return finish(r, buf, max_header_size);
}

// Parses a response head (status line and fields) at the start of `buf`.
// Same results as parse_request_head; the status line is HTTP-version SP
// 3DIGIT SP reason-phrase, where a missing " reason" is accepted (servers
// that send "HTTP/1.1 200\r\n" exist and the reason means nothing). A
// version other than 1.0/1.1 is an error with error_status 505. A 1xx head
// is returned like any other: the caller reads the next head after it.
inline ParseResult parse_response_head(std::string_view buf, ResponseHead& head,
                                       std::size_t max_header_size = 64 * 1024, std::size_t scanned = 0) {
  using namespace parser_detail;
  ParseResult early;
  bool stop = false;
  const char* end = bound(buf, max_header_size, scanned, early, stop);
  if (stop) return early;
  const char* p = buf.data();
  if (end - p < 12) {
    std::string_view have(p, static_cast<std::size_t>(end - p));
    std::string_view want("HTTP/");
    if (have.substr(0, want.size()) != want.substr(0, have.size())) return fail(400, "malformed status line");
    return finish(need_more(), buf, max_header_size);
  }
  int status = parse_version(p, head.version_minor);
  if (status != 0) return fail(status, status == 505 ? "HTTP version not supported" : "malformed HTTP version");
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (p[8] != ' ' || !digit(p[9]) || !digit(p[10]) || !digit(p[11]) || p[9] == '0')
    return fail(400, "malformed status code");
  head.status_code = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  p += 12;
  if (p < end && *p == ' ') ++p;
  else if (p < end && *p != '\r') return fail(400, "malformed status line");
  const char* reason = p;
  const char* q = find_ctl(p, end);
  while (q < end && *q == '\t') q = find_ctl(q + 1, end);
  if (q == end || q + 1 == end) return finish(need_more(), buf, max_header_size);
  if (*q != '\r') return fail(400, *q == '\n' ? "bare LF" : "control character in reason phrase");
  if (q[1] != '\n') return fail(400, "bare CR");
  head.reason = std::string_view(reason, static_cast<std::size_t>(q - reason));
  const char* fields = q + 2;
  ParseResult r = parse_fields(fields, end, head.headers, head.marks);
  if (r.complete()) r.consumed += static_cast<std::size_t>(fields - buf.data());
  return finish(r, buf, max_header_size);
}

}  // namespace eddy::detail::http

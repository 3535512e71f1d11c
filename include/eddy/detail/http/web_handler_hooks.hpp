// What RequestHandler does around finishing a response, per the
// Application's settings: the error page (write_error or eddy's own), the
// ETag and its 304 (Tornado's compute_etag and check_etag_header), and the
// access log (log_function; access_log_line formats Tornado's line).
// Included at the end of web_handler.hpp.
//
// Thread contract: the loop thread of the handler's server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "../../ioloop.hpp"
#include "../base/xxhash64.hpp"
#include "http_response.hpp"
#include "http_scan.hpp"
#include "web_handler.hpp"

namespace eddy {

/// Tornado's access log line for a finished request: status, method, URI
/// (with its query), the client's address and the time taken, as
/// "200 GET /path?x=1 (127.0.0.1) 1.23ms". What a log_function usually
/// writes; the loop thread, while the handler is alive (inside log_function).
inline std::string access_log_line(const RequestHandler& handler, Clock::duration took) {
  const HTTPServerRequest& r = handler.request();
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.2fms", std::chrono::duration<double, std::milli>(took).count());
  std::string line = std::to_string(handler.get_status());
  line.append(" ").append(r.method).append(" ").append(r.uri).append(" (").append(r.remote_ip).append(") ");
  return line.append(ms);
}

namespace detail {

// The 8 lowercase hex digits of `v`, most significant first, into out[0, 8).
// Branch-free and table-free (it runs for every response by default): the
// nibbles are spread one per byte (the first digit in the highest byte),
// each byte gets '0' or, from 10 up, 'a' - 10 added, and the word is stored
// most significant byte first.
inline void format_hex32(std::uint32_t v, char* out) noexcept {
  std::uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFull;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0Full;
  std::uint64_t letters = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;  // 1 where >= 10
  x += 0x3030303030303030ull + letters * ('a' - '0' - 10);
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  x = __builtin_bswap64(x);
#endif
  std::memcpy(out, &x, 8);
}

// The 16 lowercase hex digits of `v`, most significant first, into
// out[0, 16). With SSE2 all 16 at once (a dozen instructions): the bytes in
// big-endian order, each split into its two nibbles side by side, '0' added
// and, where a nibble is 10 or more, 'a' - '0' - 10 more. Else two
// format_hex32.
inline void format_hex64(std::uint64_t v, char* out) noexcept {
#if EDDY_HTTP_SSE2 && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const __m128i bytes = _mm_cvtsi64_si128(static_cast<long long>(__builtin_bswap64(v)));
  const __m128i low_nibble = _mm_set1_epi8(0x0f);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibble);
  const __m128i low = _mm_and_si128(bytes, low_nibble);
  const __m128i nibbles = _mm_unpacklo_epi8(high, low);  // the high nibble of each byte first
  const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
  const __m128i digits = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letters);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), digits);
#else
  format_hex32(static_cast<std::uint32_t>(v >> 32), out);
  format_hex32(static_cast<std::uint32_t>(v), out + 8);
#endif
}

// The ETag of a body: its XXH64 in 16 hex digits, quoted, into out[0, 18)
// (no allocation).
inline constexpr std::size_t etag_size = 18;
inline void format_etag(std::string_view body, char* out) noexcept {
  out[0] = '"';
  format_hex64(xxhash64(body), out + 1);
  out[17] = '"';
}

// GET or HEAD, the methods whose responses get an ETag.
inline bool get_or_head(const std::string& m) noexcept {
  return (m.size() == 3 && m[0] == 'G' && m[1] == 'E' && m[2] == 'T') ||
         (m.size() == 4 && m[0] == 'H' && m[1] == 'E' && m[2] == 'A' && m[3] == 'D');
}

// True when If-None-Match (`header`) names `etag` by the weak comparison
// (RFC 9110 §13.1.2: "W/" ignored on both sides) or is "*". Elements are
// entity-tags separated by commas and blanks; anything else ends the scan.
inline bool if_none_match_matches(std::string_view header, std::string_view etag) noexcept {
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  while (true) {
    while (!header.empty() && (header.front() == ' ' || header.front() == '\t' || header.front() == ','))
      header.remove_prefix(1);
    if (header.empty()) return false;
    if (header.front() == '*') return true;
    if (header.substr(0, 2) == "W/") header.remove_prefix(2);
    if (header.empty() || header.front() != '"') return false;
    std::size_t close = header.find('"', 1);
    if (close == std::string_view::npos) return false;
    if (header.substr(0, close + 1) == etag) return true;
    header.remove_prefix(close + 1);
  }
}

}  // namespace detail

// Only GET and HEAD, only when the handler set no ETag of its own (as
// Tornado), and not after the client left (nothing would be sent). It runs
// for every finished 200 by default, so it costs about 60 instructions on
// a short body: the hash inlined, the digits formatted 16 at once, the
// handler's fields scanned by length first, and If-None-Match looked up
// only when the request has a field named If-* (maybe_conditional_).
EDDY_NOINLINE inline void RequestHandler::apply_etag() {
  if (channel_ == nullptr || !detail::get_or_head(request_.method)) return;
  for (const auto& field : headers_)
    if (field.first.size() == 4 && detail::iequals(field.first, "Etag")) return;
  // The field goes into the head as one preformatted line (HeadSpec's
  // etag_line), not through headers_: cheaper on every response.
  static_assert(sizeof etag_line_ == detail::etag_line_size && detail::etag_line_size == 6 + detail::etag_size + 2);
  std::memcpy(etag_line_, "Etag: ", 6);
  detail::format_etag(body_, etag_line_ + 6);
  std::memcpy(etag_line_ + 6 + detail::etag_size, "\r\n", 2);
  has_etag_ = true;
  if (!maybe_conditional_) return;
  const std::string* wanted = request_.headers.find("If-None-Match");
  if (wanted == nullptr || !detail::if_none_match_matches(*wanted, etag())) return;
  // 304: the body and the headers that describe it go (RFC 9110 §15.4.5).
  status_ = 304;
  body_.clear();
  body_written_ = 0;
  headers_.remove("Content-Type");
  headers_.remove("Content-Encoding");
  headers_.remove("Content-Language");
}

EDDY_NOINLINE inline void RequestHandler::log_request() noexcept {
  Clock::duration took = start_ == Clock::time_point() ? Clock::duration::zero() : Clock::now() - start_;
  try {
    settings_->log_function(*this, took);
  } catch (...) {
    IOLoop::current().handle_exception(std::current_exception(), "the access log function");
  }
}

inline void RequestHandler::send_error_page(int code, std::exception_ptr error, std::string_view allow) {
  if (finished_) return;
  if (headers_sent_) {
    // Too late for a page: the client sees the connection close instead.
    finished_ = true;
    body_.clear();
    if (channel_ != nullptr) channel_->abort_response();
    if (settings_ != nullptr && settings_->log_function) log_request();
    return;
  }
  if (code < 100 || code > 599) code = 500;
  headers_.clear();
  content_length_ = no_length;
  body_.clear();
  body_written_ = 0;
  status_ = code;
  if (!allow.empty()) headers_.set("Allow", allow);
  if (settings_ == nullptr || !settings_->write_error) {
    default_error_page(code);
    return finish();
  }
  try {
    settings_->write_error(*this, code, error);
  } catch (...) {
    // A broken error page is logged; the client still gets eddy's own.
    IOLoop::current().handle_exception(std::current_exception(), "write_error");
    if (finished_) return;
    if (headers_sent_) return send_error_page(code, nullptr, allow);
    headers_.clear();
    content_length_ = no_length;
    status_ = code;
    if (!allow.empty()) headers_.set("Allow", allow);
    default_error_page(code);
  }
  if (!finished_) finish();
}

}  // namespace eddy

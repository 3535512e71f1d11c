// Response framing for the HTTP/1.1 server: the head assembled into one
// buffer together with the body, so a response (or a pipelined batch of
// them) reaches the kernel in one write (h2o's and nginx's way), and the
// Date header formatted once per second per thread.
//
// Rules (RFC 9110/9112, Tornado 4.5's defaults):
// - The status line says HTTP/1.1 whatever the request's version (RFC 9110
//   §2.5: a server sends its own version).
// - Content-Type defaults to "text/html; charset=UTF-8" (Tornado's), except
//   for 1xx, 204 and 304, which also never carry a body or a length.
// - A response finished in one go gets Content-Length. One whose head went
//   out with flush() before its end is chunked to HTTP/1.1 clients and, to
//   HTTP/1.0 clients, delimited by closing the connection. A Content-Length
//   the handler set itself is kept and nothing is chunked.
// - "Connection: close" when the connection ends after the response;
//   "Connection: keep-alive" to an HTTP/1.0 client whose connection stays.
// - HEAD: the head as for GET (Content-Length the body's size), no body.
//
// Thread contract: the loop thread; the date cache is per thread.
#pragma once

#include <time.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../../httputil.hpp"

namespace eddy::detail {

// The current time as an IMF-fixdate, formatted at most once per second.
inline std::string_view http_date_now() noexcept {
  struct Cache {
    std::int64_t second = -1;
    char text[http_date_size] = {};
  };
  static thread_local Cache cache;
  std::int64_t now;
#if defined(CLOCK_REALTIME_COARSE)
  // The coarse clock (a few ms of resolution) is a plain memory read: the
  // Date header needs only the second.
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  now = static_cast<std::int64_t>(ts.tv_sec);
#else
  now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
#endif
  if (now != cache.second) {
    cache.second = now;
    format_http_date(now, cache.text);
  }
  return std::string_view(cache.text, http_date_size);
}

inline void append_decimal(std::string& out, std::uint64_t n) {
  char digits[20];
  std::size_t i = sizeof digits;
  do {
    digits[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(digits + i, sizeof digits - i);
}

inline void append_hex(std::string& out, std::uint64_t n) {
  static constexpr char hex[] = "0123456789abcdef";
  char digits[16];
  std::size_t i = sizeof digits;
  do {
    digits[--i] = hex[n & 15];
    n >>= 4;
  } while (n != 0);
  out.append(digits + i, sizeof digits - i);
}

// A status whose response never has a body (RFC 9110 §6.4.1).
constexpr bool status_without_body(int status) noexcept { return status < 200 || status == 204 || status == 304; }

// How the body of a response is delimited, decided when its head is built.
enum class BodyFraming : unsigned char { none, length, chunked, close };

struct HeadSpec {
  int status = 200;
  const HTTPHeaders* headers = nullptr;
  bool finished = true;       // the whole body is known (finish() before any flush)
  std::size_t body_size = 0;  // when finished
  bool request_http10 = false;
  bool keep_alive = true;     // in: wanted; out: what the response allows
  // Header lines already formatted, each ending in CRLF, written after the
  // handler's fields as they are (the ETag eddy computes: no HTTPHeaders
  // entry to build and scan for a field every response may carry).
  std::string_view extra_fields;
};

// Appends the head to `out` and returns how the body is framed; may clear
// spec.keep_alive (an HTTP/1.0 streamed response ends by closing).
inline BodyFraming append_head(std::string& out, HeadSpec& spec) {
  using namespace std::string_view_literals;
  auto put = [&out](std::string_view piece) { out.append(piece.data(), piece.size()); };
  const bool bodiless = status_without_body(spec.status);
  if (out.capacity() - out.size() < 256) out.reserve(out.size() + 512);  // one allocation, not a doubling chain
  if (spec.status == 200) {
    put("HTTP/1.1 200 OK\r\nServer: eddy\r\n"sv);
  } else {
    put("HTTP/1.1 "sv);
    append_decimal(out, static_cast<std::uint64_t>(spec.status));
    out += ' ';
    put(http_reason(spec.status));
    put("\r\nServer: eddy\r\n"sv);
  }
  bool has_type = false, has_length = false;
  for (const auto& [name, value] : *spec.headers) {
    if (iequals(name, "Content-Type")) has_type = true;
    if (iequals(name, "Content-Length")) {
      has_length = true;
      if (bodiless) continue;
    }
    if (iequals(name, "Transfer-Encoding") || iequals(name, "Connection")) continue;  // ours to decide
    put(name);
    put(": "sv);
    put(value);
    put("\r\n"sv);
  }
  put(spec.extra_fields);
  if (!has_type && !bodiless) put("Content-Type: text/html; charset=UTF-8\r\n"sv);
  put("Date: "sv);
  put(http_date_now());
  put("\r\n"sv);
  BodyFraming framing = BodyFraming::none;
  if (bodiless) {
    framing = BodyFraming::none;
  } else if (has_length) {
    framing = BodyFraming::length;
  } else if (spec.finished) {
    put("Content-Length: "sv);
    append_decimal(out, spec.body_size);
    put("\r\n"sv);
    framing = BodyFraming::length;
  } else if (!spec.request_http10) {
    put("Transfer-Encoding: chunked\r\n"sv);
    framing = BodyFraming::chunked;
  } else {
    framing = BodyFraming::close;
    spec.keep_alive = false;
  }
  if (!spec.keep_alive) {
    put("Connection: close\r\n"sv);
  } else if (spec.request_http10) {
    put("Connection: keep-alive\r\n"sv);
  }
  put("\r\n"sv);
  return framing;
}

// Appends one piece of body in `framing`; `last` ends a chunked body.
inline void append_body(std::string& out, BodyFraming framing, std::string_view data, bool last) {
  if (framing == BodyFraming::none) return;
  if (framing != BodyFraming::chunked) {
    out.append(data.data(), data.size());
    return;
  }
  if (!data.empty()) {
    append_hex(out, data.size());
    out += "\r\n";
    out.append(data.data(), data.size());
    out += "\r\n";
  }
  if (last) out += "0\r\n\r\n";
}

// The whole response for a request refused before any handler saw it (400,
// 413, 431, 501, 505, 408): an error page, then the connection closes.
inline void append_refusal(std::string& out, int status) {
  std::string page = std::to_string(status) + ": " + std::string(http_reason(status));
  std::string body = "<html><title>" + page + "</title><body>" + page + "</body></html>";
  HTTPHeaders none;
  HeadSpec spec;
  spec.status = status;
  spec.headers = &none;
  spec.body_size = body.size();
  spec.keep_alive = false;
  append_head(out, spec);
  out += body;
}

}  // namespace eddy::detail

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
#include <cstring>
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

// "00" to "99": decimals are written two digits a step.
struct DigitPairs {
  char text[200] = {};
  constexpr DigitPairs() {
    for (int i = 0; i < 100; ++i) {
      text[2 * i] = static_cast<char>('0' + i / 10);
      text[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
  }
};
inline constexpr DigitPairs digit_pairs{};

// Writes the decimal digits of `n` so that they end right before `end`,
// two a step from the table, last first; returns where they start.
inline char* write_decimal_before(char* end, std::uint64_t n) noexcept {
  char* p = end;
  for (; n >= 100; n /= 100) {
    p -= 2;
    std::memcpy(p, digit_pairs.text + 2 * (n % 100), 2);
  }
  if (n >= 10) {
    p -= 2;
    std::memcpy(p, digit_pairs.text + 2 * n, 2);
  } else {
    *--p = static_cast<char>('0' + n);
  }
  return p;
}

// The decimal digits of `n`, written at the end of `digits` (20 holds any
// 64-bit value); returns them.
inline std::string_view format_decimal(char (&digits)[20], std::uint64_t n) noexcept {
  char* end = digits + sizeof digits;
  char* start = write_decimal_before(end, n);
  return std::string_view(start, static_cast<std::size_t>(end - start));
}

inline void append_decimal(std::string& out, std::uint64_t n) {
  char digits[20];
  std::string_view text = format_decimal(digits, n);
  out.append(text.data(), text.size());
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
  // The ETag line eddy computed ("Etag: \"<16 hex digits>\"\r\n",
  // etag_line_size bytes) or null, written after the handler's fields as it
  // is: no HTTPHeaders entry to build and scan for a field every response
  // may carry, and a copy of a known size (a few moves, no memcpy call).
  const char* etag_line = nullptr;
  // A finished response's body, copied right after the head when the
  // framing sends it as is (Content-Length or close) and both fit the
  // head's stack buffer: one append for the whole response. body_taken
  // says whether it was.
  std::string_view body;
  bool body_taken = false;
};

// The size of HeadSpec::etag_line.
inline constexpr std::size_t etag_line_size = 26;

// Copies the pieces of a head into room checked once for the whole head:
// std::string::append checks capacity and calls memcpy out of line for each
// of a head's dozen pieces, which cost more than the bytes (issue 22).
class HeadWriter {
 public:
  explicit HeadWriter(char* at) noexcept : at_(at) {}
  // A literal's size is known here, so its copy is a few inlined moves.
  template <std::size_t N>
  void put(const char (&literal)[N]) noexcept {
    std::memcpy(at_, literal, N - 1);
    at_ += N - 1;
  }
  // N bytes, N known here (the Date value).
  template <std::size_t N>
  void put_n(const char* bytes) noexcept {
    std::memcpy(at_, bytes, N);
    at_ += N;
  }
  // A field's name or value: most are 4 to 16 bytes, copied as two
  // overlapping words inline (a memcpy call costs more than such a copy).
  void put(std::string_view piece) noexcept {
    const char* p = piece.data();
    const std::size_t n = piece.size();
    if (n >= 8 && n <= 16) {
      std::memcpy(at_, p, 8);
      std::memcpy(at_ + n - 8, p + n - 8, 8);
    } else if (n >= 4 && n < 8) {
      std::memcpy(at_, p, 4);
      std::memcpy(at_ + n - 4, p + n - 4, 4);
    } else if (n != 0) {  // an empty view may be null: no memcpy from it
      std::memcpy(at_, p, n);
    }
    at_ += n;
  }
  // Written in place, two digits a step from a table, last first, once
  // their count is known (comparisons, no division): a Content-Length of
  // 2 or 3 digits costs a dozen instructions and no memcpy call.
  void put_decimal(std::uint64_t n) noexcept {
    std::size_t len = 1;
    for (std::uint64_t power = 10; len < 20 && n >= power; power *= 10) ++len;
    at_ += len;
    write_decimal_before(at_, n);
  }
  char* end() const noexcept { return at_; }

 private:
  char* at_;
};

// Bytes a head may need besides its reason phrase and fields (status digits
// and every line append_head may add), with room to spare.
inline constexpr std::size_t head_fixed_bound = 256;

// Writes the status line and the fields from `at` on; returns where they
// end, and how the body is framed in `framing`. The writer is a local, so
// its position stays in a register across the copies.
inline char* write_head(char* at, HeadSpec& spec, bool bodiless, BodyFraming& framing) {
  HeadWriter w(at);
  if (spec.status == 200) {
    w.put("HTTP/1.1 200 OK\r\nServer: eddy\r\n");
  } else {
    w.put("HTTP/1.1 ");
    w.put_decimal(static_cast<std::uint64_t>(spec.status));
    w.put(" ");
    w.put(http_reason(spec.status));
    w.put("\r\nServer: eddy\r\n");
  }
  bool has_type = false, has_length = false;
  for (const auto& [name, value] : *spec.headers) {
    // The lengths first, inline: most fields are none of these four.
    const std::size_t n = name.size();
    if (n == 12 && iequals_literal(name, "Content-Type")) has_type = true;
    if (n == 14 && iequals_literal(name, "Content-Length")) {
      has_length = true;
      if (bodiless) continue;
    }
    if ((n == 17 && iequals_literal(name, "Transfer-Encoding")) || (n == 10 && iequals_literal(name, "Connection")))
      continue;  // ours
    w.put(name);
    w.put(": ");
    w.put(value);
    w.put("\r\n");
  }
  if (spec.etag_line != nullptr) w.put_n<etag_line_size>(spec.etag_line);
  if (!has_type && !bodiless) w.put("Content-Type: text/html; charset=UTF-8\r\n");
  w.put("Date: ");
  w.put_n<http_date_size>(http_date_now().data());
  w.put("\r\n");
  if (bodiless) {
    framing = BodyFraming::none;
  } else if (has_length) {
    framing = BodyFraming::length;
  } else if (spec.finished) {
    w.put("Content-Length: ");
    w.put_decimal(spec.body_size);
    w.put("\r\n");
    framing = BodyFraming::length;
  } else if (!spec.request_http10) {
    w.put("Transfer-Encoding: chunked\r\n");
    framing = BodyFraming::chunked;
  } else {
    framing = BodyFraming::close;
    spec.keep_alive = false;
  }
  if (!spec.keep_alive) {
    w.put("Connection: close\r\n");
  } else if (spec.request_http10) {
    w.put("Connection: keep-alive\r\n");
  }
  w.put("\r\n");
  return w.end();
}

// Appends the head to `out` and returns how the body is framed; may clear
// spec.keep_alive (an HTTP/1.0 streamed response ends by closing). The head
// is written on the stack when it fits (the common case: one append into
// `out`), else in a buffer of its size.
inline BodyFraming append_head(std::string& out, HeadSpec& spec) {
  const bool bodiless = status_without_body(spec.status);
  std::size_t bound = head_fixed_bound + (spec.status == 200 ? 0 : http_reason(spec.status).size());
  for (const auto& [name, value] : *spec.headers) bound += name.size() + value.size() + 4;
  if (spec.etag_line != nullptr) bound += etag_line_size;
  char stack[1024];
  const bool with_body = !spec.body.empty() && bound + spec.body.size() <= sizeof stack;
  if (with_body) bound += spec.body.size();
  std::string heap;
  char* start = stack;
  if (bound > sizeof stack) {
    heap.resize(bound);
    start = heap.data();
  }
  BodyFraming framing = BodyFraming::none;
  char* end = write_head(start, spec, bodiless, framing);
  if (with_body && (framing == BodyFraming::length || framing == BodyFraming::close)) {
    std::memcpy(end, spec.body.data(), spec.body.size());
    end += spec.body.size();
    spec.body_taken = true;
  }
  const auto size = static_cast<std::size_t>(end - start);
  // One allocation, not a doubling chain, when a batch outgrows the buffer.
  if (out.capacity() - out.size() < size) out.reserve(out.size() + size + 512);
  out.append(start, size);
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

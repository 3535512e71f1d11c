// Serializing an HTTP/1.x response head into one caller-provided buffer,
// after h2o and nginx: status line, fields, the framing fields and Date in
// one std::string, so head and body leave in one write. Plus a Date cache
// that formats the date once per second, as nginx and h2o do.
//
//   std::string& out = connection_write_buffer;       // reused; keeps its capacity
//   ResponseLine line{.version_minor = 1, .status_code = 200};
//   line.content_length = body.size();
//   line.date = date_cache.get(now_seconds);
//   append_response_head(out, line, handler_headers);  // then out += body
//
// What append_response_head writes, in this order:
//   "HTTP/1.<v> <code> <reason>\r\n"    reason = http_reason(code) when empty
//   "<name>: <value>\r\n"               each pair of `headers`, as given
//   "Content-Length: <n>\r\n"           when content_length >= 0
//   "Transfer-Encoding: chunked\r\n"    when chunked
//   "Connection: close\r\n"             when close
//   "Connection: keep-alive\r\n"        when keep_alive (for HTTP/1.0 peers)
//   "Date: <date>\r\n"                  when date is not empty
//   "\r\n"
// It appends to `out` (never clears it, so pipelined responses go into one
// buffer) and allocates only when `out` must grow. It does not validate:
// the values must already have passed check_header_value (set_header does),
// and the caller must not pass framing fields both in `headers` and here.
//
// Thread contract: pure functions; DateCache is one object per thread.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../../httputil.hpp"

namespace eddy::detail::http {

struct ResponseLine {
  int version_minor = 1;            // HTTP/1.0 or HTTP/1.1
  int status_code = 200;            // 100-999
  std::string_view reason;          // empty: http_reason(status_code)
  std::int64_t content_length = -1; // >= 0: a Content-Length field
  bool chunked = false;             // Transfer-Encoding: chunked
  bool close = false;               // Connection: close
  bool keep_alive = false;          // Connection: keep-alive
  std::string_view date;            // non-empty: a Date field (IMF-fixdate)
};

// Appends one "name: value\r\n" line.
inline void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ", 2);
  out.append(value);
  out.append("\r\n", 2);
}

// Appends `value` in decimal.
inline void append_decimal(std::string& out, std::uint64_t value) {
  char digits[20];
  auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, static_cast<std::size_t>(result.ptr - digits));
}

// Appends the status line, `headers` and the fields `line` asks for (see
// the top of the file), then the empty line that ends the head.
template <class Headers = HTTPHeaders>
void append_response_head(std::string& out, const ResponseLine& line, const Headers& headers) {
  out.append(line.version_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ", 9);
  int code = line.status_code;
  char status[4] = {static_cast<char>('0' + code / 100 % 10), static_cast<char>('0' + code / 10 % 10),
                    static_cast<char>('0' + code % 10), ' '};
  out.append(status, 4);
  out.append(line.reason.empty() ? http_reason(code) : line.reason);
  out.append("\r\n", 2);
  for (const auto& [name, value] : headers) append_field(out, name, value);
  if (line.content_length >= 0) {
    out.append("Content-Length: ", 16);
    append_decimal(out, static_cast<std::uint64_t>(line.content_length));
    out.append("\r\n", 2);
  }
  if (line.chunked) out.append("Transfer-Encoding: chunked\r\n", 28);
  if (line.close) out.append("Connection: close\r\n", 19);
  if (line.keep_alive) out.append("Connection: keep-alive\r\n", 24);
  if (!line.date.empty()) append_field(out, "Date", line.date);
  out.append("\r\n", 2);
}

// The head of one chunk of a chunked body: "<size in hex>\r\n" (the caller
// appends the data and "\r\n"); size 0 is the last chunk, which the caller
// follows with "\r\n" (no trailers).
inline void append_chunk_size(std::string& out, std::uint64_t size) {
  char digits[16];
  auto result = std::to_chars(digits, digits + sizeof digits, size, 16);
  out.append(digits, static_cast<std::size_t>(result.ptr - digits));
  out.append("\r\n", 2);
}

// The Date value for the current second, formatted only when the second
// changes. get() returns a view of the cache's own storage, valid until the
// next get() with another second.
class DateCache {
 public:
  std::string_view get(std::int64_t unix_seconds) {
    if (unix_seconds != second_) {
      format_http_date(unix_seconds, text_);
      second_ = unix_seconds;
    }
    return std::string_view(text_, http_date_size);
  }

 private:
  std::int64_t second_ = INT64_MIN;
  char text_[http_date_size] = {};
};

}  // namespace eddy::detail::http

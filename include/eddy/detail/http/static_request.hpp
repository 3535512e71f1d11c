// The request side of static files, as pure functions over header values
// (so tests and fuzzers call them without a server): the validators of a
// file (ETag, Last-Modified), the conditional headers that compare against
// them (If-Modified-Since, If-Range; RFC 9110 §13), and a
// Range header (RFC 9110 §14).
//
// Choices where the RFC leaves room (docs/web.md, "Static files"):
// - The ETag is strong, "<size hex>-<mtime ns hex>" (nginx's shape, with the
//   modification time to the nanosecond where the system keeps it): it
//   changes whenever the file's size or mtime does. If-None-Match compares
//   weakly (a W/ tag from a cache matches), as §13.1.2 requires
//   (if_none_match_matches, web_handler_hooks.hpp).
// - Dates: IMF-fixdate only (what every client sends); an obsolete or
//   malformed date is ignored, as §13.1.3 allows.
// - Range: one "bytes=" range is served (206); several are answered with
//   the whole file (200), as Tornado does; a malformed one is ignored (200);
//   one that starts past the end is unsatisfiable (416). An empty file has
//   no satisfiable range: its Range is ignored (200, empty body).
//
// Thread contract: pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../../httputil.hpp"
#include "http_response.hpp"
#include "http_scan.hpp"

namespace eddy::detail {

// "<size hex>-<mtime ns hex>" in quotes: a strong validator.
inline std::string make_file_etag(std::uint64_t size, std::uint64_t mtime_ns) {
  std::string out;
  out.reserve(36);
  out += '"';
  append_hex(out, size);
  out += '-';
  append_hex(out, mtime_ns);
  out += '"';
  return out;
}

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") as seconds since the
// epoch; std::nullopt for anything else.
inline std::optional<std::int64_t> parse_http_date(std::string_view s) noexcept {
  static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (s.size() != http_date_size || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  auto number = [&s](std::size_t at, std::size_t digits, std::int64_t& out) {
    out = 0;
    for (std::size_t k = at; k < at + digits; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      out = out * 10 + (s[k] - '0');
    }
    return true;
  };
  std::int64_t day, year, hour, minute, second;
  if (!number(5, 2, day) || !number(12, 4, year) || !number(17, 2, hour) || !number(20, 2, minute) ||
      !number(23, 2, second)) {
    return std::nullopt;
  }
  std::size_t m = months.find(s.substr(8, 3));
  if (m == std::string_view::npos || m % 3 != 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::int64_t month = static_cast<std::int64_t>(m / 3) + 1;
  // Days from the civil date (the inverse of format_http_date's conversion).
  std::int64_t y = month <= 2 ? year - 1 : year;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

// What a Range header asks of a file of `size` bytes.
struct RangeRequest {
  enum class Kind : unsigned char { whole, partial, unsatisfiable };
  Kind kind = Kind::whole;
  std::uint64_t first = 0;  // partial: the bytes [first, last]
  std::uint64_t last = 0;
};

// A decimal number of at most 19 digits (no overflow); false for anything else.
inline bool parse_range_number(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

// Range (§14.1.2): "bytes=first-last", "bytes=first-" or "bytes=-suffix".
inline RangeRequest parse_range(std::string_view header, std::uint64_t size) noexcept {
  RangeRequest out;
  std::size_t eq = header.find('=');
  if (eq == std::string_view::npos || !iequals(http::trim_ows(header.substr(0, eq)), "bytes")) return out;
  std::string_view spec = http::trim_ows(header.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos || size == 0) return out;  // several ranges, or nothing to range
  std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return out;
  std::string_view a = http::trim_ows(spec.substr(0, dash)), b = http::trim_ows(spec.substr(dash + 1));
  std::uint64_t first = 0, last = 0;
  if (a.empty()) {  // a suffix: the last `b` bytes
    if (!parse_range_number(b, last)) return out;
    if (last == 0) return RangeRequest{RangeRequest::Kind::unsatisfiable, 0, 0};
    out.first = last >= size ? 0 : size - last;
    out.last = size - 1;
    out.kind = RangeRequest::Kind::partial;
    return out;
  }
  if (!parse_range_number(a, first)) return out;
  if (b.empty()) {
    last = size - 1;
  } else if (!parse_range_number(b, last) || last < first) {
    return out;  // malformed: ignored
  }
  if (first >= size) return RangeRequest{RangeRequest::Kind::unsatisfiable, 0, 0};
  out.kind = RangeRequest::Kind::partial;
  out.first = first;
  out.last = last >= size ? size - 1 : last;
  return out;
}

// If-Range (§13.1.5): the range applies only while the file is the one the
// client saw: a strong ETag equal to `etag`, or a date equal to its mtime.
inline bool if_range_holds(std::string_view header, std::string_view etag, std::int64_t mtime) noexcept {
  header = http::trim_ows(header);
  if (!header.empty() && header.front() == '"') return header == etag;
  if (header.size() >= 2 && header.substr(0, 2) == "W/") return false;  // weak tags never hold
  std::optional<std::int64_t> date = parse_http_date(header);
  return date && *date == mtime;
}

}  // namespace eddy::detail

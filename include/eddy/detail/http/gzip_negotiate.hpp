// When a response is gzipped (Tornado's GZipContentEncoding rules, with
// Accept-Encoding read per RFC 9110 §12.5.3): what the request accepts and
// which media types are worth compressing.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "../../httputil.hpp"

namespace eddy::detail {

// Responses smaller than this are sent as they are (Tornado's MIN_LENGTH).
inline constexpr std::size_t gzip_min_length = 1024;

// A q-value ("0", "0.5", "1.000"): true when it is above zero; a malformed
// one counts as zero (the coding is not taken).
constexpr bool qvalue_positive(std::string_view q) noexcept {
  if (q.empty() || q.size() > 5 || (q[0] != '0' && q[0] != '1')) return false;
  if (q.size() > 1 && q[1] != '.') return false;
  bool nonzero = q[0] == '1';
  for (std::size_t i = 2; i < q.size(); ++i) {
    if (q[i] < '0' || q[i] > '9') return false;
    if (q[i] != '0') nonzero = true;
  }
  return nonzero;
}

// True when Accept-Encoding `header` takes gzip: "gzip" (or "x-gzip") with
// a q above 0, or, gzip unnamed, "*" with a q above 0.
constexpr bool accepts_gzip(std::string_view header) noexcept {
  int gzip = -1, star = -1;  // -1: not named; else 0/1
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    bool ok = true;
    std::string_view params = semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
    while (!params.empty()) {
      std::size_t next = params.find(';');
      std::string_view p = params.substr(0, next);
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      while (!p.empty() && (p.front() == ' ' || p.front() == '\t')) p.remove_prefix(1);
      while (!p.empty() && (p.back() == ' ' || p.back() == '\t')) p.remove_suffix(1);
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') ok = qvalue_positive(p.substr(2));
    }
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip = gzip == 1 ? 1 : ok;
    else if (coding == "*") star = ok;
  }
  return gzip >= 0 ? gzip == 1 : star == 1;
}

// Text, JSON, JavaScript, XML and SVG (Tornado's CONTENT_TYPES, with the
// +json and +xml suffixes): what compresses well. Parameters are ignored.
constexpr bool compressible_type(std::string_view content_type) noexcept {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (t.size() > 5 && iequals(t.substr(0, 5), "text/")) return true;
  auto ends = [&](std::string_view s) { return t.size() > s.size() && iequals(t.substr(t.size() - s.size()), s); };
  return iequals(t, "application/json") || iequals(t, "application/javascript") ||
         iequals(t, "application/x-javascript") || iequals(t, "application/xml") || iequals(t, "image/svg+xml") ||
         iequals(t, "application/ecmascript") || ends("+json") || ends("+xml");
}

}  // namespace eddy::detail

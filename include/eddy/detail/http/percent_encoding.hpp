// Percent-encoding (RFC 3986 §2.1) and application/x-www-form-urlencoded
// (WHATWG): url_unescape_to, url_unescape, url_escape and form_urlencode,
// part of the public httputil.hpp API, kept in their own file. Pure functions:
// no loop, no global state, no locale.
//
// Thread contract: callable from any thread. Errors: std::invalid_argument
// for a bad percent-escape.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy {

namespace detail {

/// The value of one hex digit, or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace detail

// ---- percent-decoding and encoding (RFC 3986 §2.1, WHATWG urlencoded) ------

/// Appends the percent-decoding of `in` to `out`. Strict: a '%' not followed
/// by two hex digits makes it return false (out then holds a partial result);
/// everything else is copied as is. With plus_as_space, '+' decodes to a space
/// (application/x-www-form-urlencoded bodies and query strings).
inline bool url_unescape_to(std::string_view in, std::string& out, bool plus_as_space = false) {
  out.reserve(out.size() + in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = detail::hex_value(in[i + 1]);
      int lo = detail::hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

/// The percent-decoding of `in` (Tornado's url_unescape): with plus, the
/// default, '+' decodes to a space (a query string or a form body); with
/// plus = false it stays '+' (a path segment). Strict where Tornado is
/// lenient: a '%' not followed by two hex digits ("%", "%4", "%zz") throws
/// std::invalid_argument instead of being kept as is, so that a mangled URL
/// is an error the caller sees, never a different string.
inline std::string url_unescape(std::string_view in, bool plus = true) {
  std::string out;
  if (!url_unescape_to(in, out, plus))
    throw std::invalid_argument("eddy: bad percent-escape in \"" + std::string(in) + "\"");
  return out;
}

/// The percent-encoding of `in` (Tornado's url_escape): letters, digits and
/// "-._~" stay, every other byte becomes %XX, except that with plus, the
/// default (Python's quote_plus: a query string or a form body), a space
/// becomes '+', and with plus = false (Python's quote: a URL path) a space
/// is "%20" and '/' stays.
inline std::string url_escape(std::string_view in, bool plus = true) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '.' || c == '_' || c == '~' || (c == '/' && !plus);
    if (keep) {
      out += c;
    } else if (c == ' ' && plus) {
      out += '+';
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  }
  return out;
}

/// "name=value&name=value", each part url_escape()d: an
/// application/x-www-form-urlencoded body or a query string (Python's
/// urlencode). HTTPRequest::set_form() sends one with its Content-Type.
inline std::string form_urlencode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += url_escape(name);
    out += '=';
    out += url_escape(value);
  }
  return out;
}

}  // namespace eddy

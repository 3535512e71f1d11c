// Cookies (RFC 6265): CookieOptions, part of the public web.hpp API; reading
// one cookie out of a request's Cookie header; formatting a Set-Cookie value
// after checking that the name, value and attributes can be carried.
//
// Reading is tolerant the way browsers are not consistent: pieces are split
// on ';', blanks around names and values are dropped, a piece without '=' or
// with an empty name is skipped (so one bad piece never hides the others),
// and a value in double quotes is unquoted as Python's http.cookies writes
// it (\" and \\ escapes, \ooo octal). When a name appears twice the first
// wins: browsers send the cookie with the longest path first (RFC 6265
// §5.4). Writing is strict: what a browser would drop or split is an
// std::invalid_argument here, not a cookie that silently never comes back.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "../../httputil.hpp"
#include "../../loop_types.hpp"

namespace eddy {

/// Attributes of a cookie set by RequestHandler::set_cookie (RFC 6265 §4.1).
struct CookieOptions {
  /// Domain=; empty: the cookie goes back to this host only.
  std::string domain;
  /// Path=; "/" by default: every path of the site.
  std::string path = "/";
  /// Max-Age= (whole seconds) and Expires= (now plus max_age, for old
  /// browsers); unset: a session cookie, gone when the browser closes.
  std::optional<Clock::duration> max_age;
  /// Secure: sent over https only.
  bool secure = false;
  /// HttpOnly: hidden from the page's JavaScript (on by default).
  bool http_only = true;
  /// SameSite=: "Lax" (default), "Strict", "None" (browsers require
  /// secure with it) or "" for no attribute.
  std::string same_site = "Lax";
};

namespace detail {

// cookie-octet (RFC 6265 §4.1.1): visible ASCII but DQUOTE, comma,
// semicolon and backslash.
constexpr bool is_cookie_octet(char c) noexcept {
  auto b = static_cast<unsigned char>(c);
  return b >= 0x21 && b <= 0x7E && b != '"' && b != ',' && b != ';' && b != '\\';
}

// cookie-value: *cookie-octet, or the same in double quotes.
constexpr bool is_cookie_value(std::string_view v) noexcept {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  for (char c : v)
    if (!is_cookie_octet(c)) return false;
  return true;
}

// An attribute value (Domain, Path): visible ASCII or space, but ';'.
constexpr bool is_cookie_attribute_value(std::string_view v) noexcept {
  for (char c : v) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b > 0x7E || c == ';') return false;
  }
  return true;
}

inline std::string_view trim_cookie_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A quoted value as Python's http.cookies writes it, without its quotes.
inline std::string unquote_cookie_value(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  v = v.substr(1, v.size() - 2);
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\' || i + 1 == v.size()) {
      out += v[i];
    } else if (i + 3 < v.size() && v[i + 1] >= '0' && v[i + 1] <= '3' && v[i + 2] >= '0' && v[i + 2] <= '7' &&
               v[i + 3] >= '0' && v[i + 3] <= '7') {
      out += static_cast<char>((v[i + 1] - '0') * 64 + (v[i + 2] - '0') * 8 + (v[i + 3] - '0'));
      i += 3;
    } else {
      out += v[++i];
    }
  }
  return out;
}

// The value of the first cookie called `name` in a Cookie header's value.
inline std::optional<std::string> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    std::size_t semi = header.find(';');
    std::string_view piece = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim_cookie_blanks(piece.substr(0, eq)) != name || name.empty()) continue;
    return unquote_cookie_value(trim_cookie_blanks(piece.substr(eq + 1)));
  }
  return std::nullopt;
}

[[noreturn]] inline void bad_cookie(std::string_view what, std::string_view text) {
  throw std::invalid_argument("eddy: set_cookie: " + std::string(what) + " \"" + std::string(text) + "\"");
}

inline void check_cookie(std::string_view name, std::string_view value, const CookieOptions& o) {
  if (!is_token(name)) bad_cookie("a cookie name must be a token, not", name);
  if (!is_cookie_value(value)) bad_cookie("a cookie value holds only cookie-octets (url_escape it), not", value);
  if (!is_cookie_attribute_value(o.domain) || o.domain.find(' ') != std::string::npos) bad_cookie("bad Domain", o.domain);
  if (!is_cookie_attribute_value(o.path)) bad_cookie("bad Path", o.path);
  if (!o.same_site.empty() && o.same_site != "Lax" && o.same_site != "Strict" && o.same_site != "None") {
    bad_cookie("SameSite is \"Lax\", \"Strict\", \"None\" or \"\", not", o.same_site);
  }
}

// The Set-Cookie value for a cookie with these options, `now` being the
// time Expires counts from. std::invalid_argument when the name, value or an
// attribute cannot be carried.
inline std::string format_set_cookie(std::string_view name, std::string_view value, const CookieOptions& o,
                                     std::chrono::system_clock::time_point now) {
  check_cookie(name, value, o);
  std::string out;
  out.append(name).append("=").append(value);
  if (!o.path.empty()) out.append("; Path=").append(o.path);
  if (!o.domain.empty()) out.append("; Domain=").append(o.domain);
  if (o.max_age) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*o.max_age).count();
    if (seconds < 0) seconds = 0;
    out.append("; Max-Age=").append(std::to_string(seconds));
    out.append("; Expires=").append(format_http_date(now + std::chrono::seconds(seconds)));
  }
  if (o.secure) out.append("; Secure");
  if (o.http_only) out.append("; HttpOnly");
  if (!o.same_site.empty()) out.append("; SameSite=").append(o.same_site);
  return out;
}

// Name, Domain and Path of a Set-Cookie value: a second cookie with the same
// three replaces the first in a browser, so a response carries one.
inline bool same_cookie(std::string_view a, std::string_view b) noexcept {
  auto key = [](std::string_view line, std::string_view attr) {
    if (attr.empty()) return line.substr(0, line.find('='));
    std::size_t at = line.find(attr);
    if (at == std::string_view::npos) return std::string_view();
    std::string_view rest = line.substr(at + attr.size());
    return rest.substr(0, rest.find(';'));
  };
  return key(a, "") == key(b, "") && key(a, "; Path=") == key(b, "; Path=") &&
         key(a, "; Domain=") == key(b, "; Domain=");
}

}  // namespace detail
}  // namespace eddy

// The parameters of the header fields multipart/form-data is built from
// (RFC 2046 §5.1.1, RFC 7578 §4.2, RFC 6266, RFC 8187): "type/sub; a=b;
// c="quoted"", the boundary's own alphabet, and filename*=UTF-8''%e2%82%ac.
//
// Strict: a parameter is token=token or token=quoted-string (backslash
// escapes undone); anything else (a stray ';' excepted) is malformed and
// throws std::invalid_argument, which the web layer answers with 400.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../httputil.hpp"

namespace eddy::detail::multipart {

[[noreturn]] inline void malformed(const std::string& what) {
  throw std::invalid_argument("eddy: multipart/form-data: " + what);
}

inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A quoted-string at the start of `s` (which begins with '"'): its value,
// escapes undone; `s` is left after the closing quote.
inline std::string take_quoted(std::string_view& s) {
  std::string out;
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      s.remove_prefix(i + 1);
      return out;
    }
    if (c == '\\') {
      if (++i == s.size()) break;
      c = s[i];
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') malformed("control character in a quoted parameter");
    out += c;
  }
  malformed("unterminated quoted parameter");
}

// A field value "value; name=v; ...": the value (trimmed) and its
// parameters, names lowercased, in order.
struct ParamField {
  std::string_view value;
  std::vector<std::pair<std::string, std::string>> params;

  const std::string* find(std::string_view name) const noexcept {
    for (const auto& [n, v] : params) {
      if (n == name) return &v;
    }
    return nullptr;
  }
};

inline ParamField parse_param_field(std::string_view field) {
  ParamField out;
  std::size_t semi = field.find(';');
  out.value = trim_ows(field.substr(0, semi));
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : field.substr(semi + 1);
  while (!(rest = trim_ows(rest)).empty()) {
    if (rest.front() == ';') {
      rest.remove_prefix(1);
      continue;
    }
    std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) malformed("a parameter without '='");
    std::string_view name = trim_ows(rest.substr(0, eq));
    if (!is_token(name)) malformed("a parameter name that is not a token");
    rest = trim_ows(rest.substr(eq + 1));
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      value = take_quoted(rest);
    } else {
      std::size_t end = rest.find(';');
      std::string_view raw = trim_ows(rest.substr(0, end));
      if (!is_token(raw)) malformed("a parameter value that is neither a token nor quoted");
      value.assign(raw);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
    rest = trim_ows(rest);
    if (!rest.empty() && rest.front() != ';') malformed("junk after a parameter");
    std::string lower(name);
    for (char& c : lower) c = ascii_lower(c);
    if (out.find(lower) != nullptr) malformed("parameter \"" + lower + "\" given twice");
    out.params.emplace_back(std::move(lower), std::move(value));
  }
  return out;
}

// RFC 2046 §5.1.1: 1 to 70 of bchars, not ending in a space.
inline bool valid_boundary(std::string_view b) noexcept {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// The boundary of a "multipart/form-data; boundary=..." Content-Type;
// nullopt when the type is not multipart/form-data.
inline std::optional<std::string> form_data_boundary(std::string_view content_type) {
  ParamField f = parse_param_field(content_type);
  if (!iequals(f.value, "multipart/form-data")) return std::nullopt;
  const std::string* b = f.find("boundary");
  if (b == nullptr) malformed("no boundary parameter");
  if (!valid_boundary(*b)) malformed("the boundary must be 1-70 characters of RFC 2046's set");
  return *b;
}

// RFC 8187's ext-value "UTF-8'lang'%xx..." decoded; only UTF-8 is taken.
inline std::string decode_ext_value(std::string_view v) {
  std::size_t q1 = v.find('\'');
  std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) malformed("filename* is not charset'language'value");
  if (!iequals(v.substr(0, q1), "UTF-8")) malformed("filename* in a charset other than UTF-8");
  std::string out;
  if (!url_unescape_to(v.substr(q2 + 1), out, false)) malformed("bad percent-escape in filename*");
  return out;
}

}  // namespace eddy::detail::multipart

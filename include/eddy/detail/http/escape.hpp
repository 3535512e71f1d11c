// Tornado's escape module, the parts that are not percent-encoding
// (percent_encoding.hpp has url_escape and url_unescape): xhtml_escape for
// HTML text and attribute values, json_escape for a JSON string literal.
// Part of the public httputil.hpp API, kept in its own file.
//
// Pure functions: no loop, no global state, no locale. Thread contract:
// callable from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace eddy {

/// `in` made safe inside HTML or XML text and quoted attribute values
/// (Tornado's xhtml_escape): & < > " ' become &amp; &lt; &gt; &quot; &#39;;
/// every other byte is copied as is.
inline std::string xhtml_escape(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 8);
  for (char c : in) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace detail {

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC
// 3629 §4: no overlong forms, no surrogates, nothing past U+10FFFF), or 0.
inline std::size_t utf8_sequence_length(std::string_view s) noexcept {
  auto at = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  auto tail = [&](std::size_t i) { return (at(i) & 0xC0u) == 0x80u; };
  unsigned b0 = at(0), b1 = at(1);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return tail(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    bool ok = (b0 == 0xE0 ? b1 >= 0xA0 : b0 == 0xED ? b1 < 0xA0 : true) && tail(1) && tail(2);
    return ok ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    bool ok = (b0 == 0xF0 ? b1 >= 0x90 : b0 == 0xF4 ? b1 < 0x90 : true) && tail(1) && tail(2) && tail(3);
    return ok ? 4 : 0;
  }
  return 0;
}

}  // namespace detail

/// `in` as a JSON string literal, quotes included (Tornado's json_encode of
/// a str, but with UTF-8 kept as UTF-8, as json.dumps(s, ensure_ascii=False)):
/// '"' and '\' are backslash-escaped, \b \f \n \r \t take their short forms,
/// other control characters become \u00XX, and "</" becomes "<\/" so the
/// literal can sit inside an HTML <script>. Input that is not valid UTF-8
/// (a stray byte, an overlong form, a surrogate) throws std::invalid_argument:
/// a JSON text must be Unicode, and guessing an encoding would change data.
inline std::string json_escape(std::string_view in) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(in.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c >= 0x80) {
      std::size_t n = detail::utf8_sequence_length(in.substr(i));
      if (n == 0) throw std::invalid_argument("eddy: json_escape: invalid UTF-8 at byte " + std::to_string(i));
      out.append(in.data() + i, n);
      i += n;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '/': out += (i > 0 && in[i - 1] == '<') ? "\\/" : "/"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

}  // namespace eddy

// URLs for the HTTP client: parsing "http://user:pass@host:port/path?query"
// strictly, and resolving a redirect's Location against the URL it came
// from (RFC 3986 §5.2).
//
//   eddy::detail::Url url = eddy::detail::parse_url("http://example.com/a?b");
//   url.host == "example.com", url.port == 80, url.target == "/a?b"
//   std::string next = eddy::detail::resolve_url("http://h/a/b", "../c");   // "http://h/c"
//
// Rules: the scheme is "http" or "https" (any case, stored lowercase); the
// authority is [userinfo "@"] host [":" port], the host a reg-name of
// unreserved / pct-encoded / sub-delim characters or an IP literal in
// brackets, the port 1*5DIGIT in 1-65535 (empty means the default). No
// byte of the URL may be a control, a space or above 0x7e (send such
// characters percent-encoded). The fragment is dropped (it is never sent).
// A path that is empty becomes "/". Anything else throws
// std::invalid_argument naming the URL and what is wrong with it.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace eddy::detail {

struct Url {
  std::string scheme;     // "http" or "https"
  std::string userinfo;   // "user:pass" as written (percent-encoded), or ""
  std::string host;       // without the brackets of an IPv6 literal
  std::uint16_t port = 0; // the default port of the scheme when none is written
  bool ipv6 = false;      // host was a bracketed literal
  std::string target;     // path and query: "/a/b?x=1"

  // "host" or "host:port" (the port only when it is not the default), as the
  // Host header wants it.
  std::string host_header() const {
    std::string out = ipv6 ? "[" + host + "]" : host;
    if (port != default_port()) out += ":" + std::to_string(port);
    return out;
  }
  // "scheme://host:port": two URLs with the same origin may share credentials.
  std::string origin() const { return scheme + "://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port); }
  std::uint16_t default_port() const noexcept { return scheme == "https" ? 443 : 80; }
};

namespace url_detail {

constexpr bool alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool hex(char c) noexcept { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
constexpr bool unreserved(char c) noexcept {
  return alpha(c) || digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
constexpr bool sub_delim(char c) noexcept {
  switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

[[noreturn]] inline void bad(std::string_view url, std::string_view why) {
  throw std::invalid_argument("eddy: malformed URL \"" + std::string(url) + "\": " + std::string(why));
}

// reg-name or userinfo characters; pct-encoded triplets must be complete.
inline bool valid_component(std::string_view s, bool allow_colon) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2])) return false;
      i += 2;
    } else if (!(unreserved(c) || sub_delim(c) || (allow_colon && c == ':'))) {
      return false;
    }
  }
  return true;
}

inline bool valid_ipv6(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!(hex(c) || c == ':' || c == '.')) return false;
  return s.find(':') != std::string_view::npos;
}

}  // namespace url_detail

// Parses an absolute http(s) URL (rules at the top of the file).
inline Url parse_url(std::string_view url) {
  using namespace url_detail;
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) bad(url, "control character, space or non-ASCII byte (percent-encode it)");
  }
  Url out;
  std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) bad(url, "no scheme");
  for (std::size_t i = 0; i < colon; ++i) {
    char c = url[i];
    if (!(alpha(c) || (i > 0 && (digit(c) || c == '+' || c == '-' || c == '.')))) bad(url, "bad scheme");
    out.scheme += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  if (out.scheme != "http" && out.scheme != "https") bad(url, "unsupported scheme \"" + out.scheme + "\" (http or https)");
  std::string_view rest = url.substr(colon + 1);
  if (rest.substr(0, 2) != "//") bad(url, "no \"//\" after the scheme");
  rest.remove_prefix(2);
  std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    if (!valid_component(userinfo, true)) bad(url, "bad character in the userinfo");
    out.userinfo = std::string(userinfo);
    authority.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) bad(url, "unterminated IPv6 literal");
    std::string_view literal = authority.substr(1, close - 1);
    if (!valid_ipv6(literal)) bad(url, "bad IPv6 literal");
    out.host = std::string(literal);
    out.ipv6 = true;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') bad(url, "junk after the IPv6 literal");
      port = after.substr(1);
    }
  } else {
    std::size_t port_colon = authority.rfind(':');
    std::string_view host = authority.substr(0, port_colon);
    if (port_colon != std::string_view::npos) port = authority.substr(port_colon + 1);
    if (!valid_component(host, false)) bad(url, "bad character in the host");
    out.host = std::string(host);
  }
  if (out.host.empty()) bad(url, "empty host");
  if (!port.empty()) {
    if (port.size() > 5) bad(url, "port out of range");
    std::uint32_t n = 0;
    for (char c : port) {
      if (!digit(c)) bad(url, "port is not a number");
      n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (n == 0 || n > 65535) bad(url, "port out of range");
    out.port = static_cast<std::uint16_t>(n);
  } else {
    out.port = out.default_port();
  }
  std::size_t hash = tail.find('#');
  if (hash != std::string_view::npos) tail = tail.substr(0, hash);
  for (std::size_t i = 0; i < tail.size(); ++i) {
    char c = tail[i];
    if (c == '%' && (i + 2 >= tail.size() || !hex(tail[i + 1]) || !hex(tail[i + 2]))) bad(url, "bad percent-escape");
    if (c == '[' || c == ']' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' ||
        c == '|' || c == '}') {
      bad(url, "character that must be percent-encoded in the path or query");
    }
  }
  if (tail.empty() || tail[0] == '?') out.target = "/";
  out.target += tail;
  return out;
}

namespace url_detail {

// RFC 3986 §5.2.4.
inline std::string remove_dot_segments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./") {
      in.remove_prefix(2);
    } else if (in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../" || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      std::size_t slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      std::size_t next = in.find('/', 1);
      out += in.substr(0, next);
      in = next == std::string_view::npos ? std::string_view() : in.substr(next);
    }
  }
  return out;
}

}  // namespace url_detail

// Resolves `reference` (a Location value: absolute, "//host/...",
// "/path", "path", "?query") against the absolute URL `base`. The result
// is parsed again by the caller, so a bad reference fails there.
inline std::string resolve_url(std::string_view base_url, std::string_view reference) {
  using namespace url_detail;
  std::size_t hash = reference.find('#');
  if (hash != std::string_view::npos) reference = reference.substr(0, hash);
  // A scheme: letters first, then a colon before any '/', '?'.
  std::size_t colon = reference.find(':');
  if (colon != std::string_view::npos && colon > 0 && alpha(reference[0]) &&
      reference.find_first_of("/?") > colon) {
    return std::string(reference);
  }
  Url base = parse_url(base_url);
  std::string authority = base.scheme + "://";
  {
    std::string_view rest = base_url.substr(base_url.find("//") + 2);
    authority += rest.substr(0, rest.find_first_of("/?#"));
  }
  if (reference.substr(0, 2) == "//") return base.scheme + ":" + std::string(reference);
  std::string_view base_path = std::string_view(base.target).substr(0, base.target.find('?'));
  if (reference.empty()) return authority + base.target;
  if (reference[0] == '?') return authority + std::string(base_path) + std::string(reference);
  std::size_t query = reference.find('?');
  std::string_view ref_path = reference.substr(0, query);
  std::string_view ref_query = query == std::string_view::npos ? std::string_view() : reference.substr(query);
  std::string merged;
  if (!ref_path.empty() && ref_path[0] == '/') {
    merged = std::string(ref_path);
  } else {
    merged = std::string(base_path.substr(0, base_path.rfind('/') + 1));
    merged += ref_path;
  }
  std::string path = remove_dot_segments(merged);
  if (path.empty() || path[0] != '/') path.insert(0, "/");
  return authority + path + std::string(ref_query);
}

}  // namespace eddy::detail

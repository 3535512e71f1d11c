// Redis URLs: where to connect and what to do once connected.
//
//   redis://[[user]:password@]host[:port][/db][?query]    TCP (port 6379 by default)
//   rediss://...                                         TLS (port 6379 by default too)
//   unix://[[user]:password@]/path/to/socket[?query]     a Unix-domain socket
//
// host is a name, an IPv4 address or a bracketed IPv6 literal; db a decimal
// database index (0 by default). The query takes `protocol=2|3` (RESP3 after
// HELLO 3), `db=N` (the only way to pick a database over a Unix socket) and
// `name=...` (CLIENT SETNAME); rediss:// also takes redis-py's
// `ssl_cert_reqs=none|required` (none: the certificate is not verified) and
// `ssl_ca_certs=/path/ca.pem` (trust these CAs instead of the system's).
// user, password, path and query values are
// percent-decoded. Anything else (an unknown scheme or query key, a port
// outside 1-65535, a userinfo without ':', a control character, a bad
// percent escape) throws eddy::redis::Error of kind usage naming the URL,
// with the password masked.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "reply.hpp"
#include "resp_header.hpp"

namespace eddy::detail::redis {

struct Endpoint {
  enum class Kind : std::uint8_t { tcp, tls, unix_socket };
  Kind kind = Kind::tcp;
  std::string host;          // tcp, tls: without an IPv6 literal's brackets
  std::uint16_t port = 6379;
  std::string path;          // unix_socket
  std::string username;      // "" for the default user
  std::string password;
  bool has_password = false;
  std::int64_t db = 0;
  int protocol = 0;          // 0: not given in the URL (RESP2 unless the options say otherwise)
  std::string client_name;
  bool validate_cert = true;  // tls: ssl_cert_reqs
  std::string ca_certs;       // tls: ssl_ca_certs
  std::string display;       // the URL with the password masked, for messages
};

namespace url {

[[noreturn]] inline void bad(const std::string& display, const std::string& why) {
  throw eddy::redis::Error("eddy: redis: bad URL \"" + display + "\": " + why, eddy::redis::Error::Kind::usage);
}

inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline std::string decode(std::string_view s, const std::string& display) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
    if (lo < 0) bad(display, "bad percent escape");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

inline std::int64_t parse_db(std::string_view s, const std::string& display) {
  std::int64_t db = 0;
  if (s.empty() || s[0] == '-' || s[0] == '+' || !resp::parse_int(s, db, false) || db > 0x7fffffff) {
    bad(display, "database \"" + std::string(s) + "\" is not a number");
  }
  return db;
}

// The URL with what follows the ':' of the userinfo replaced by "***".
inline std::string mask_password(std::string_view u) {
  std::size_t scheme_end = u.find("://");
  if (scheme_end == std::string_view::npos) return std::string(u);
  std::size_t start = scheme_end + 3;
  std::size_t authority_end = u.find_first_of("/?#", start);
  if (u.substr(0, scheme_end) == "unix") authority_end = u.find('/', start);
  std::string_view authority = u.substr(start, authority_end == std::string_view::npos ? u.npos : authority_end - start);
  std::size_t at = authority.rfind('@');
  std::size_t colon = authority.find(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) return std::string(u);
  return std::string(u.substr(0, start + colon + 1)) + "***" + std::string(u.substr(start + at));
}

inline void apply_query(std::string_view query, Endpoint& e, bool db_in_path) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string value = eq == std::string_view::npos ? std::string() : decode(item.substr(eq + 1), e.display);
    if (key == "protocol") {
      if (value != "2" && value != "3") bad(e.display, "protocol must be 2 or 3");
      e.protocol = value[0] - '0';
    } else if (key == "db") {
      if (db_in_path) bad(e.display, "the database is given twice");
      e.db = parse_db(value, e.display);
    } else if (key == "name") {
      e.client_name = value;
    } else if ((key == "ssl_cert_reqs" || key == "ssl_ca_certs") && e.kind != Endpoint::Kind::tls) {
      bad(e.display, std::string(key) + " is for rediss:// only");
    } else if (key == "ssl_cert_reqs") {
      if (value != "none" && value != "required") bad(e.display, "ssl_cert_reqs must be none or required");
      e.validate_cert = value == "required";
    } else if (key == "ssl_ca_certs") {
      e.ca_certs = value;
    } else {
      bad(e.display, "unknown query parameter \"" + std::string(key) + "\" (protocol, db, name, ssl_cert_reqs, ssl_ca_certs)");
    }
  }
}

inline void parse_userinfo(std::string_view userinfo, Endpoint& e) {
  std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) bad(e.display, "a userinfo needs ':' (user:password or :password)");
  e.username = decode(userinfo.substr(0, colon), e.display);
  e.password = decode(userinfo.substr(colon + 1), e.display);
  e.has_password = true;
}

inline void parse_port(std::string_view port, Endpoint& e) {
  std::int64_t n = 0;
  if (port.empty() || port[0] == '-' || port[0] == '+' || !resp::parse_int(port, n, false) || n < 1 || n > 65535) {
    bad(e.display, "port \"" + std::string(port) + "\" is not in 1-65535");
  }
  e.port = static_cast<std::uint16_t>(n);
}

inline void parse_host_port(std::string_view hostport, Endpoint& e) {
  std::string_view host = hostport;
  if (!hostport.empty() && hostport[0] == '[') {
    std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) bad(e.display, "unclosed '[' in the host");
    host = hostport.substr(1, close - 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && after[0] != ':') bad(e.display, "junk after the IPv6 address");
    if (!after.empty()) parse_port(after.substr(1), e);
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      bad(e.display, "bad IPv6 address");
    }
  } else {
    std::size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      parse_port(hostport.substr(colon + 1), e);
      host = hostport.substr(0, colon);
    }
    if (host.find_first_of(":[]%") != std::string_view::npos) bad(e.display, "bad character in the host");
  }
  if (host.empty()) bad(e.display, "no host");
  e.host = std::string(host);
}

}  // namespace url

/// Parses a redis://, rediss:// or unix:// URL (see the file comment).
inline Endpoint parse_redis_url(std::string_view u) {
  Endpoint e;
  e.display = url::mask_password(u);
  for (char c : u) {
    auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7f) url::bad(e.display, "control character or space (percent-encode it)");
  }
  std::size_t scheme_end = u.find("://");
  if (scheme_end == std::string_view::npos) url::bad(e.display, "no scheme (redis://, rediss:// or unix://)");
  std::string_view scheme = u.substr(0, scheme_end);
  std::string_view rest = u.substr(scheme_end + 3);
  if (std::size_t hash = rest.find('#'); hash != std::string_view::npos) url::bad(e.display, "a fragment ('#') has no meaning here");
  std::size_t q = rest.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  rest = rest.substr(0, q);
  if (scheme == "unix") {
    e.kind = Endpoint::Kind::unix_socket;
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) url::bad(e.display, "no socket path (unix:///path/to/socket)");
    std::string_view authority = rest.substr(0, slash);
    if (!authority.empty()) {
      if (authority.back() != '@') url::bad(e.display, "a unix:// URL has no host (unix:///path or unix://:password@/path)");
      url::parse_userinfo(authority.substr(0, authority.size() - 1), e);
    }
    e.path = url::decode(rest.substr(slash), e.display);
    if (e.path.size() < 2) url::bad(e.display, "no socket path");
    url::apply_query(query, e, false);
    return e;
  }
  if (scheme != "redis" && scheme != "rediss") url::bad(e.display, "unknown scheme \"" + std::string(scheme) + "\" (redis, rediss or unix)");
  if (scheme == "rediss") e.kind = Endpoint::Kind::tls;
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    url::parse_userinfo(authority.substr(0, at), e);
    authority.remove_prefix(at + 1);
  }
  url::parse_host_port(authority, e);
  if (!path.empty()) e.db = url::parse_db(path, e.display);
  url::apply_query(query, e, !path.empty());
  return e;
}

}  // namespace eddy::detail::redis

/// @file
/// HTTP utilities shared by the server and the client, after Tornado's
/// httputil.py: HTTPHeaders, percent-decoding, query and form-urlencoded
/// arguments, the HTTP date, reason phrases and the check for header values.
///
/// Everything here is a plain value type or a pure function: no loop, no
/// global state, no locale. Thread contract: an object may be used by one
/// thread at a time; the free functions may be called from any thread.
/// Errors are exceptions: std::invalid_argument for malformed input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <chrono>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy {

namespace detail {

/// ASCII-only, locale-free case folding: HTTP names are ASCII.
constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// The value of one hex digit, or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace detail

/// A set of HTTP header fields: case-insensitive names, several values per
/// name, arrival order kept (Tornado's HTTPHeaders). Names keep the spelling
/// they were added with; every lookup ignores ASCII case. Iteration yields
/// one (name, value) pair per value, in the order they were added:
///
///   for (auto& [name, value] : headers) ...
///
/// Values are stored as given: this is a container, not a validator. The
/// parser hands it only checked fields; code that takes names or values from
/// users checks them first (check_header_value, is_token).
/// Lookups are linear scans, which beat any map for the few dozen fields a
/// message carries.
class HTTPHeaders {
 public:
  /// One (name, value) pair.
  using value_type = std::pair<std::string, std::string>;
  /// Iterates the pairs in the order they were added.
  using const_iterator = std::vector<value_type>::const_iterator;
  /// The same as const_iterator: pairs change only through the members.
  using iterator = const_iterator;

  /// No field.
  HTTPHeaders() = default;
  /// add() for each pair, in order: `HTTPHeaders h{{"Accept", "*/*"}}`.
  HTTPHeaders(std::initializer_list<value_type> fields) {
    for (auto& field : fields) add(field.first, field.second);
  }

  /// Appends one more value for `name` (after any it already has).
  void add(std::string_view name, std::string_view value) {
    fields_.emplace_back(std::string(name), std::string(value));
  }

  /// Replaces every value of `name` by `value`. The field keeps the position
  /// of its first value; a new name goes at the end.
  void set(std::string_view name, std::string_view value) {
    std::size_t out = 0;
    bool placed = false;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (detail::iequals(fields_[i].first, name)) {
        if (placed) continue;
        fields_[i].second.assign(value.data(), value.size());
        placed = true;
      }
      if (out != i) fields_[out] = std::move(fields_[i]);
      ++out;
    }
    fields_.resize(out);
    if (!placed) add(name, value);
  }

  /// Every value of `name` joined by "," (as Tornado and RFC 9110 §5.3
  /// combine field lines), or `default_value` when there is none.
  std::string get(std::string_view name, std::string_view default_value = "") const {
    const value_type* first = nullptr;
    std::string joined;
    for (auto& field : fields_) {
      if (!detail::iequals(field.first, name)) continue;
      if (first == nullptr) {
        first = &field;
        joined = field.second;
      } else {
        joined += ',';
        joined += field.second;
      }
    }
    if (first == nullptr) return std::string(default_value);
    return joined;
  }

  /// Every value of `name`, in arrival order; empty when there is none.
  std::vector<std::string> get_list(std::string_view name) const {
    std::vector<std::string> values;
    for (auto& field : fields_)
      if (detail::iequals(field.first, name)) values.push_back(field.second);
    return values;
  }

  /// The first value of `name`, or nullptr. The pointer lives until the next
  /// change to the headers. No copy: what the server's hot path uses.
  const std::string* find(std::string_view name) const noexcept {
    for (auto& field : fields_)
      if (detail::iequals(field.first, name)) return &field.second;
    return nullptr;
  }

  /// How many values `name` has.
  std::size_t count(std::string_view name) const noexcept {
    std::size_t n = 0;
    for (auto& field : fields_)
      if (detail::iequals(field.first, name)) ++n;
    return n;
  }

  /// True when `name` has at least one value.
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

  /// Removes every value of `name`; nothing happens when there is none.
  void remove(std::string_view name) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (detail::iequals(fields_[i].first, name)) continue;
      if (out != i) fields_[out] = std::move(fields_[i]);
      ++out;
    }
    fields_.resize(out);
  }

  /// Removes everything; keeps the storage for reuse.
  void clear() noexcept { fields_.clear(); }
  /// Makes room for `n` pairs without reallocating.
  void reserve(std::size_t n) { fields_.reserve(n); }

  /// The number of (name, value) pairs, counting each value.
  std::size_t size() const noexcept { return fields_.size(); }
  /// True when there is no field.
  bool empty() const noexcept { return fields_.empty(); }

  /// The first (name, value) pair, in arrival order.
  const_iterator begin() const noexcept { return fields_.begin(); }
  /// Past the last pair.
  const_iterator end() const noexcept { return fields_.end(); }

  /// Equal when they hold the same pairs in the same order (names compared
  /// case-insensitively, values exactly).
  friend bool operator==(const HTTPHeaders& a, const HTTPHeaders& b) noexcept {
    if (a.fields_.size() != b.fields_.size()) return false;
    for (std::size_t i = 0; i < a.fields_.size(); ++i) {
      if (!detail::iequals(a.fields_[i].first, b.fields_[i].first)) return false;
      if (a.fields_[i].second != b.fields_[i].second) return false;
    }
    return true;
  }
  /// Not operator==.
  friend bool operator!=(const HTTPHeaders& a, const HTTPHeaders& b) noexcept { return !(a == b); }

 private:
  std::vector<value_type> fields_;
};

// ---- tokens and field values (RFC 9110 §5.6.2, §5.5) ---------------------

/// True for a tchar: the characters of a token (method, header name, coding).
constexpr bool is_tchar(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

/// True when `s` is a non-empty token (a valid header name or method).
constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  return true;
}

/// True when `value` may be sent as a header value: no CR, LF or NUL (the
/// bytes that would end or split the field on the wire).
constexpr bool is_valid_header_value(std::string_view value) noexcept {
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

/// Throws std::invalid_argument naming the field when `value` holds CR, LF or
/// NUL. What RequestHandler::set_header and the client call before sending.
inline void check_header_value(std::string_view name, std::string_view value) {
  if (!is_valid_header_value(value))
    throw std::invalid_argument("eddy: header value for \"" + std::string(name) +
                                "\" contains CR, LF or NUL");
}

/// Throws std::invalid_argument when `name` is not a token.
inline void check_header_name(std::string_view name) {
  if (!is_token(name))
    throw std::invalid_argument("eddy: header name \"" + std::string(name) + "\" is not a token");
}

// ---- percent-decoding and query strings (RFC 3986 §2.1, WHATWG urlencoded) -

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

/// The percent-decoding of `in`; std::invalid_argument for a bad escape
/// ("%", "%4", "%zz"). Tornado's url_unescape, made strict.
inline std::string url_unescape(std::string_view in, bool plus_as_space = false) {
  std::string out;
  if (!url_unescape_to(in, out, plus_as_space))
    throw std::invalid_argument("eddy: bad percent-escape in \"" + std::string(in) + "\"");
  return out;
}

/// The percent-encoding of `in` for a query string or a form body (Tornado's
/// url_escape, Python's quote_plus): letters, digits and "-._~" stay, a space
/// becomes '+' (with plus, the default; else "%20"), every other byte %XX.
inline std::string url_escape(std::string_view in, bool plus = true) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '.' || c == '_' || c == '~';
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

/// Arguments from a query string or a form-urlencoded body: names in the
/// order they first appeared, each with all its values in order (Tornado's
/// request.arguments, a dict of lists). Names are case-sensitive.
class HTTPArguments {
 public:
  /// One name with every value it was given, in order.
  using value_type = std::pair<std::string, std::vector<std::string>>;
  /// Iterates the names in the order they first appeared.
  using const_iterator = std::vector<value_type>::const_iterator;

  /// Appends `value` to the values of `name` (a new name goes at the end).
  void add(std::string name, std::string value) {
    for (auto& entry : entries_) {
      if (entry.first == name) {
        entry.second.push_back(std::move(value));
        return;
      }
    }
    entries_.emplace_back(std::move(name), std::vector<std::string>{std::move(value)});
  }

  /// Every value of `name`, or nullptr when it is absent.
  const std::vector<std::string>* find(std::string_view name) const noexcept {
    for (auto& entry : entries_)
      if (entry.first == name) return &entry.second;
    return nullptr;
  }

  /// A copy of every value of `name`; empty when it is absent.
  std::vector<std::string> get_list(std::string_view name) const {
    auto* values = find(name);
    return values ? *values : std::vector<std::string>{};
  }

  /// True when `name` has at least one value.
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  /// The number of distinct names.
  std::size_t size() const noexcept { return entries_.size(); }
  /// True when there is no name.
  bool empty() const noexcept { return entries_.empty(); }
  /// Removes every name.
  void clear() noexcept { entries_.clear(); }
  /// The first (name, values) entry, in first-appearance order.
  const_iterator begin() const noexcept { return entries_.begin(); }
  /// Past the last entry.
  const_iterator end() const noexcept { return entries_.end(); }

 private:
  std::vector<value_type> entries_;
};

/// Parses "a=1&b=2&a=3" (a query string without '?', or a form-urlencoded
/// body) into `out`, appending to what it holds, as Python's parse_qs with
/// keep_blank_values: '+' is a space, names and values are percent-decoded,
/// "a" and "a=" give a = "", empty pieces ("a=1&&b=2") are skipped, and only
/// '&' separates (as Python since 3.10 and WHATWG). A bad percent-escape
/// throws std::invalid_argument (the server answers 400).
inline void parse_query(std::string_view query, HTTPArguments& out) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    std::size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    out.add(url_unescape(name, true), url_unescape(value, true));
  }
}

/// parse_query into a new HTTPArguments.
inline HTTPArguments parse_query(std::string_view query) {
  HTTPArguments out;
  parse_query(query, out);
  return out;
}

// ---- the HTTP date (RFC 9110 §5.6.7, IMF-fixdate) ---------------------------

/// The length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t http_date_size = 29;

/// Writes the IMF-fixdate of `t` (seconds since the epoch, UTC) into out[0,
/// 29); no terminating NUL. No locale, no allocation, no gmtime: the civil
/// date comes from the day count (proleptic Gregorian). std::out_of_range
/// for a year outside 0..9999, which the format cannot carry.
inline void format_http_date(std::int64_t t, char* out) {
  static constexpr char days[] = "ThuFriSatSunMonTueWed";  // 1970-01-01 was a Thursday
  static constexpr char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - day * 86400;
  /// Days since 1970-01-01 to year/month/day, shifting the year to start in
  /// March so the leap day falls at its end; eras are 400-year cycles.
  std::int64_t z = day + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  std::int64_t mday = doy - (153 * mp + 2) / 5 + 1;
  std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) throw std::out_of_range("eddy: year outside 0..9999 in format_http_date");
  std::int64_t wday = ((day % 7) + 7) % 7;
  auto two = [](char* p, std::int64_t v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  out[0] = days[wday * 3];
  out[1] = days[wday * 3 + 1];
  out[2] = days[wday * 3 + 2];
  out[3] = ',';
  out[4] = ' ';
  two(out + 5, mday);
  out[7] = ' ';
  out[8] = months[(month - 1) * 3];
  out[9] = months[(month - 1) * 3 + 1];
  out[10] = months[(month - 1) * 3 + 2];
  out[11] = ' ';
  two(out + 12, year / 100);
  two(out + 14, year % 100);
  out[16] = ' ';
  two(out + 17, secs / 3600);
  out[19] = ':';
  two(out + 20, secs / 60 % 60);
  out[22] = ':';
  two(out + 23, secs % 60);
  out[25] = ' ';
  out[26] = 'G';
  out[27] = 'M';
  out[28] = 'T';
}

/// The IMF-fixdate of `t` (seconds since the epoch), e.g.
/// "Sun, 06 Nov 1994 08:49:37 GMT"; std::out_of_range as above.
inline std::string format_http_date(std::int64_t t) {
  std::string out(http_date_size, '\0');
  format_http_date(t, out.data());
  return out;
}

/// The IMF-fixdate of `when`, truncated to the second.
inline std::string format_http_date(std::chrono::system_clock::time_point when) {
  auto secs = std::chrono::floor<std::chrono::seconds>(when.time_since_epoch());
  return format_http_date(static_cast<std::int64_t>(secs.count()));
}

// ---- reason phrases (RFC 9110 §15, plus the common extensions) ---------------

/// The reason phrase of `code` ("Not Found"), or "Unknown" for a code without
/// one (Tornado's httputil.responses). The view is of static storage.
constexpr std::string_view http_reason(int code) noexcept {
  switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
  }
}

}  // namespace eddy

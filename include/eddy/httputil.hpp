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
#include <cstring>
#include <chrono>
#include <type_traits>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "detail/http/ascii_words.hpp"
#include "detail/http/escape.hpp"
#include "detail/http/http_date.hpp"
#include "detail/http/http_headers.hpp"
#include "detail/http/http_reason.hpp"
#include "detail/http/name_index.hpp"
#include "detail/http/percent_encoding.hpp"

namespace eddy {

// ---- tokens and field values (RFC 9110 §5.6.2, §5.5) ---------------------


/// True for a tchar: the characters of a token (method, header name, coding).
constexpr bool is_tchar(unsigned char c) noexcept { return detail::tchar_table.yes[c]; }

/// True when `s` is a non-empty token (a valid header name or method).
constexpr bool is_token(std::string_view s) noexcept {
  return !s.empty() && detail::all_bytes_in(detail::tchar_table.yes, s);
}

/// True when `value` may be sent as a header value: no CR, LF or NUL (the
/// bytes that would end or split the field on the wire).
constexpr bool is_valid_header_value(std::string_view value) noexcept {
  // CR, LF and NUL are below 0x0E: eight bytes a step find none in a
  // valid value, and only a value with such a byte is looked at closely.
  if (!std::is_constant_evaluated() && value.size() >= 8) {
    bool suspect = false;
    for (std::size_t i = 0; i + 8 <= value.size() && !suspect; i += 8) suspect = detail::any_byte_below_0e(value.data() + i);
    if (!suspect && !detail::any_byte_below_0e(value.data() + value.size() - 8)) return true;
  }
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

/// Arguments from a query string or a form-urlencoded body: names in the
/// order they first appeared, each with all its values in order (Tornado's
/// request.arguments, a dict of lists). Names are case-sensitive. add and
/// find take O(1) on average whatever the number of names (a hash index,
/// keyed per process against chosen collisions, beside the ordered entries;
/// see detail/http/name_index.hpp), so parsing a body is linear in its size.
class HTTPArguments {
 public:
  /// One name with every value it was given, in order.
  using value_type = std::pair<std::string, std::vector<std::string>>;
  /// Iterates the names in the order they first appeared.
  using const_iterator = std::vector<value_type>::const_iterator;

  /// Appends `value` to the values of `name` (a new name goes at the end).
  void add(std::string name, std::string value) {
    std::size_t at = locate(name);
    if (at != detail::NameIndex::npos) {
      entries_[at].second.push_back(std::move(value));
      return;
    }
    entries_.emplace_back(std::move(name), std::vector<std::string>{std::move(value)});
    try {
      index_last();
    } catch (...) {
      entries_.pop_back();
      throw;
    }
  }

  /// Every value of `name`, or nullptr when it is absent.
  const std::vector<std::string>* find(std::string_view name) const noexcept {
    std::size_t at = locate(name);
    return at == detail::NameIndex::npos ? nullptr : &entries_[at].second;
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
  /// Removes every name. Keeps the storage for reuse unless it grew past a
  /// few dozen names (a pooled request must not hold a huge form's memory).
  void clear() noexcept {
    if (entries_.capacity() > 64) {
      std::vector<value_type>().swap(entries_);
    } else {
      entries_.clear();
    }
    index_.clear();
  }
  /// The first (name, values) entry, in first-appearance order.
  const_iterator begin() const noexcept { return entries_.begin(); }
  /// Past the last entry.
  const_iterator end() const noexcept { return entries_.end(); }

 private:
  // Up to this many names a scan beats hashing, and no index is allocated.
  static constexpr std::size_t scan_limit = 8;

  std::size_t locate(std::string_view name) const noexcept {
    if (entries_.size() > scan_limit) {
      return index_.find(name, [this](std::size_t i) -> std::string_view { return entries_[i].first; });
    }
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].first == name) return i;
    return detail::NameIndex::npos;
  }
  // Indexes the entry just appended (and, when the scan limit is passed,
  // the ones before it).
  void index_last() {
    std::size_t n = entries_.size();
    if (n <= scan_limit) return;
    std::size_t from = n - 1;
    if (n == scan_limit + 1) {
      from = 0;
      index_.clear();
    }
    for (std::size_t i = from; i < n; ++i) index_.insert(entries_[i].first, i, i + 1);
  }

  std::vector<value_type> entries_;
  detail::NameIndex index_;
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

}  // namespace eddy

// RequestHandler's cookies: get_cookie, set_cookie, clear_cookie and the
// signed pair get_secure_cookie / set_secure_cookie (Tornado's names and
// version 2 signed format). The parsing and formatting rules are in
// cookies.hpp, the signature in signed_value.hpp; this file ties them to a
// request and a response. Included at the end of web_handler.hpp.
//
// Thread contract: the loop thread of the handler's server.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cookies.hpp"
#include "signed_value.hpp"
#include "web_handler.hpp"

namespace eddy {

namespace detail {

inline std::int64_t unix_seconds_now() noexcept {
  auto since = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(since).count();
}

inline const std::string& cookie_secret(const ApplicationSettings& settings, const char* what) {
  if (settings.cookie_secret.empty()) {
    throw std::logic_error(std::string("eddy: RequestHandler::") + what +
                           " needs ApplicationSettings::cookie_secret");
  }
  return settings.cookie_secret;
}

}  // namespace detail

inline std::optional<std::string> RequestHandler::get_cookie(std::string_view name) const {
  // A client may split its cookies over several Cookie fields (HTTP/2
  // proxies do); each is searched in order.
  for (const auto& [field, value] : request_.headers) {
    if (!detail::iequals(field, "Cookie")) continue;
    if (std::optional<std::string> found = detail::find_cookie(value, name)) return found;
  }
  return std::nullopt;
}

inline void RequestHandler::add_set_cookie(std::string line) {
  check_head_open("set_cookie");
  std::vector<std::string> lines = headers_.get_list("Set-Cookie");
  bool replaced = false;
  for (std::string& earlier : lines) {
    if (!detail::same_cookie(earlier, line)) continue;
    earlier = line;
    replaced = true;
  }
  if (!replaced) {
    headers_.add("Set-Cookie", line);
    return;
  }
  headers_.remove("Set-Cookie");
  for (std::string& l : lines) headers_.add("Set-Cookie", l);
}

inline void RequestHandler::set_cookie(std::string_view name, std::string_view value, CookieOptions options) {
  add_set_cookie(detail::format_set_cookie(name, value, options, std::chrono::system_clock::now()));
}

inline void RequestHandler::clear_cookie(std::string_view name, CookieOptions options) {
  options.max_age = Clock::duration::zero();
  add_set_cookie(detail::format_set_cookie(name, "", options, std::chrono::system_clock::time_point()));
}

inline std::optional<std::string> RequestHandler::get_secure_cookie(std::string_view name,
                                                                    Clock::duration max_age) const {
  const std::string& secret = detail::cookie_secret(settings(), "get_secure_cookie");
  std::optional<std::string> raw = get_cookie(name);
  if (!raw) return std::nullopt;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(max_age).count();
  return detail::decode_signed_value(secret, name, *raw, detail::unix_seconds_now(), seconds);
}

inline void RequestHandler::set_secure_cookie(std::string_view name, std::string_view value, CookieOptions options) {
  const std::string& secret = detail::cookie_secret(settings(), "set_secure_cookie");
  if (!options.max_age) options.max_age = std::chrono::hours(24 * 30);
  set_cookie(name, detail::create_signed_value(secret, name, value, detail::unix_seconds_now()), std::move(options));
}

}  // namespace eddy

// What the client writes: the request head (and body) for an HTTPRequest,
// assembled into one buffer for one write, and the redirect rules that turn
// one request into the next.
//
// Head: "METHOD target HTTP/1.1", then Host, User-Agent ("eddy/<version>"
// unless set), Accept ("*/*"), Accept-Encoding ("gzip", with
// decompress_response and zlib), Authorization (Basic, from auth_username /
// auth_password or the URL's userinfo), the caller's fields in their order
// (a Host, User-Agent, Accept or Authorization there replaces eddy's), and
// Content-Length when there is a body or the method is POST, PUT or PATCH.
// Content-Length and Transfer-Encoding in the caller's fields are refused:
// eddy frames the body itself.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "../../httputil.hpp"
#include "../../version.hpp"
#include "../base/base64.hpp"
#include "gzip.hpp"
#include "http_client_proxy.hpp"
#include "http_client_types.hpp"
#include "url.hpp"

namespace eddy::detail {

// Throws std::invalid_argument for what cannot be sent: a method that is
// not a token, a field that is not a token name with a clean value, or a
// Content-Length / Transfer-Encoding of the caller's.
inline void check_request(const HTTPRequest& request) {
  if (!is_token(request.method)) throw std::invalid_argument("eddy: HTTPRequest: bad method \"" + request.method + "\"");
  for (const auto& [name, value] : request.headers) {
    check_header_name(name);
    check_header_value(name, value);
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) {
      throw std::invalid_argument("eddy: HTTPRequest: " + name + " is set by the client from the body");
    }
  }
  for (std::string_view v : {std::string_view(request.user_agent), std::string_view(request.auth_username),
                             std::string_view(request.auth_password), std::string_view(request.proxy_username),
                             std::string_view(request.proxy_password)}) {
    if (!is_valid_header_value(v)) throw std::invalid_argument("eddy: HTTPRequest: control character in a field");
  }
}

constexpr bool method_sends_length(std::string_view method) noexcept {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

// RFC 9110 §9.2.2: a request that may be sent twice.
constexpr bool idempotent(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS" ||
         method == "TRACE";
}

// Writes the request into `out` (cleared first; its capacity is kept).
inline void build_request(const HTTPRequest& request, const Url& url, std::string& out) {
  out.clear();
  out += request.method;
  out += ' ';
  if (absolute_form(request, url)) {
    out += "http://";
    out += url.host_header();
  }
  out += url.target;
  out += " HTTP/1.1\r\n";
  bool host = false, agent = false, accept = false, auth = false, encoding = false;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Accept-Encoding")) encoding = true;
    if (iequals(name, "Host")) host = true;
    else if (iequals(name, "User-Agent")) agent = true;
    else if (iequals(name, "Accept")) accept = true;
    else if (iequals(name, "Authorization")) auth = true;
  }
  if (!host) {
    out += "Host: ";
    out += url.host_header();
    out += "\r\n";
  }
  if (!agent) {
    out += "User-Agent: ";
    if (request.user_agent.empty()) out += "eddy/" EDDY_VERSION_STRING;
    else out += request.user_agent;
    out += "\r\n";
  }
  if (!accept) out += "Accept: */*\r\n";
  if (request.decompress_response && !encoding && gzip_available()) out += "Accept-Encoding: gzip\r\n";
  if (!auth) {
    std::string credentials;
    if (!request.auth_username.empty()) {
      credentials = request.auth_username + ":" + request.auth_password;
    } else if (!url.userinfo.empty()) {
      std::string_view info = url.userinfo;
      std::size_t colon = info.find(':');
      credentials = url_unescape(info.substr(0, colon), false);
      credentials += ':';
      if (colon != std::string_view::npos) credentials += url_unescape(info.substr(colon + 1), false);
    }
    if (!credentials.empty()) {
      out += "Authorization: Basic ";
      out += base64_encode(credentials);
      out += "\r\n";
    }
  }
  if (absolute_form(request, url)) out += proxy_authorization(request);
  for (const auto& [name, value] : request.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!request.body.empty() || method_sends_length(request.method)) {
    out += "Content-Length: ";
    out += std::to_string(request.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += request.body;
}

constexpr bool redirect_status(int code) noexcept {
  return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

// Turns `request` into the request that follows a `code` redirect to
// `location` (already resolved to an absolute URL): 303, and 301/302 after
// a POST, become a GET without a body (Tornado, and what browsers do); the
// credentials and Authorization go when the origin changes (RFC 9110
// §15.4: a redirect must not leak them to another host).
inline void redirect_request(HTTPRequest& request, int code, std::string location, const Url& from, const Url& to) {
  if (code == 303 || ((code == 301 || code == 302) && request.method == "POST")) {
    if (request.method != "HEAD") request.method = "GET";
    request.body.clear();
    for (std::string_view name : {"Content-Type", "Content-Encoding", "Content-Language", "Content-Location"}) {
      request.headers.remove(name);
    }
  }
  if (from.origin() != to.origin()) {
    request.headers.remove("Authorization");
    request.headers.remove("Cookie");
    request.auth_username.clear();
    request.auth_password.clear();
  }
  // The Host follows the URL unless the caller pinned it for the original.
  request.headers.remove("Host");
  request.url = std::move(location);
  --request.max_redirects;
}

}  // namespace eddy::detail

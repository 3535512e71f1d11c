// HTTPRequest::proxy_host / proxy_port: fetching through an HTTP proxy.
//
// - http:// goes to the proxy as an ordinary request whose target is the
//   absolute URL (RFC 9112 §3.2.2), Host as usual, and
//   Proxy-Authorization: Basic from proxy_username / proxy_password.
// - https:// first opens a tunnel: "CONNECT host:port HTTP/1.1" (with Host
//   and Proxy-Authorization); any 2xx answer makes the connection a byte
//   pipe to the origin, and TLS to the origin runs over it (the
//   certificate is checked against the origin's name, as without a
//   proxy). Any other answer fails the fetch with HTTPConnectionError
//   naming the proxy and its status.
// - Pooled connections are keyed by origin and proxy both, so a tunnel or
//   a proxy connection is reused only for the same pair.
//
// Thread contract: the client's loop thread.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../iostream.hpp"
#include "../base/base64.hpp"
#include "../ssl/context.hpp"
#include "http_client_connect.hpp"
#include "http_client_types.hpp"
#include "http_parser.hpp"
#include "url.hpp"

namespace eddy::detail {

inline std::uint16_t proxy_port_of(const HTTPRequest& r) noexcept { return r.proxy_port != 0 ? r.proxy_port : 80; }

// The Proxy-Authorization field line, or "" without proxy credentials.
inline std::string proxy_authorization(const HTTPRequest& r) {
  if (r.proxy_username.empty()) return std::string();
  return "Proxy-Authorization: Basic " + base64_encode(r.proxy_username + ":" + r.proxy_password) + "\r\n";
}

// True when `url` is fetched with an absolute-form target through a proxy.
inline bool absolute_form(const HTTPRequest& r, const Url& url) noexcept {
  return !r.proxy_host.empty() && url.scheme == "http";
}

inline std::string connect_request(const HTTPRequest& r, const Url& url) {
  std::string authority = (url.ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
  return "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n" + proxy_authorization(r) + "\r\n";
}

// Throws HTTPConnectionError unless `raw` (a response head) is a 2xx.
inline void check_connect_answer(const std::string& raw, const HTTPRequest& r, const Url& url) {
  http::ResponseHead head;
  http::ParseResult parsed = http::parse_response_head(raw, head);
  std::string proxy = format_host_port(r.proxy_host, proxy_port_of(r));
  if (!parsed.complete()) {
    throw HTTPConnectionError("eddy: proxy " + proxy + " sent a malformed answer to CONNECT");
  }
  if (head.status_code < 200 || head.status_code > 299) {
    throw HTTPConnectionError("eddy: proxy " + proxy + " refused CONNECT " + format_host_port(url.host, url.port) +
                              ": " + std::to_string(head.status_code) + " " + std::string(head.reason));
  }
}

// Connects to the proxy; for https://, opens the tunnel and runs TLS over
// it. A template for the reason run_fetch is (detail/base/deferred.hpp).
template <class D = void>
Future<IOStream> connect_through_proxy(IOLoop& loop, HTTPRequest request, Url url, std::optional<SSLContext> tls,
                                       std::size_t max_header_size) {
  Future<IOStream> connecting = connect_on(loop, request.proxy_host, proxy_port_of(request), nullptr);
  IOStream stream = co_await connecting;
  if (url.scheme != "https") co_return stream;
  std::exception_ptr error;
  try {
    if (ssl_hooks.start_tls == nullptr || !tls) throw std::invalid_argument(std::string("https:// needs TLS: ") + ssl_missing);
    std::string ask = connect_request(request, url);
    Future<void> sent = stream.write(ask);
    co_await sent;
    Future<std::string> answer = stream.read_until("\r\n\r\n", max_header_size);
    std::string raw = co_await answer;
    check_connect_answer(raw, request, url);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    stream.close();
    std::rethrow_exception(error);
  }
  Future<IOStream> secured = ssl_hooks.start_tls(stream, url.host, *tls);
  IOStream out = co_await secured;
  co_return out;
}

}  // namespace eddy::detail

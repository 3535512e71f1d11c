// The HTTP client's public data types (in namespace eddy, documented in
// httpclient.hpp): HTTPRequest, HTTPResponse, the errors and the options.
// Kept apart so the internals in detail/http_client_*.hpp can use them.
//
// Thread contract: plain values; any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../httputil.hpp"
#include "../../loop_types.hpp"

namespace eddy {

/// One request for AsyncHTTPClient::fetch. Only `url` is required; the rest
/// has Tornado's defaults. A plain value: any thread; the callbacks run on
/// the client's loop thread.
struct HTTPRequest {
  /// A request for `url_` ("http://host[:port]/path?query") with `method_`.
  explicit HTTPRequest(std::string url_, std::string method_ = "GET")
      : url(std::move(url_)), method(std::move(method_)) {}

  std::string url;       ///< "http://host[:port]/path?query" or "https://..." (https needs <eddy/ssl.hpp>)
  std::string method;    ///< a token: "GET", "POST", ...
  HTTPHeaders headers;   ///< sent as given, after Host, User-Agent and Accept (a Host, User-Agent or Accept here replaces eddy's)
  std::string body;      ///< sent with Content-Length; POST, PUT and PATCH always send Content-Length
  Clock::duration connect_timeout = std::chrono::seconds(20);   ///< to connect (HTTPTimeoutError)
  Clock::duration request_timeout = std::chrono::seconds(20);   ///< the whole fetch, queue wait included (Tornado)
  bool follow_redirects = true;                                  ///< follow 301/302/303/307/308
  int max_redirects = 5;                                         ///< past this many the 3xx is the final response
  std::string user_agent;                                        ///< "" sends "eddy/<version>"
  std::string auth_username;                                     ///< Basic authentication, with auth_password
  std::string auth_password;                                     ///< Basic authentication, with auth_username
  std::function<void(std::string_view)> streaming_callback;      ///< body chunks as they arrive; body stays empty
  std::function<void(std::string_view)> header_callback;         ///< each header line, the start line first
  /// Sends "Accept-Encoding: gzip" (unless headers set Accept-Encoding) and
  /// inflates a gzip body (Tornado's default): the body (or the chunks a
  /// streaming_callback gets) is the decoded one, bounded by max_body_size;
  /// Content-Encoding is renamed X-Consumed-Content-Encoding and, without a
  /// streaming_callback, Content-Length becomes the decoded size. A corrupt
  /// or truncated gzip body, or one inflating past max_body_size, fails the
  /// fetch (HTTPConnectionError naming it). Without zlib in the process,
  /// gzip is not offered. false: the body and headers as sent.
  bool decompress_response = true;
  /// An HTTP proxy to go through ("" = none; Tornado's names). http://
  /// requests go to it with the absolute URL as the target; https:// ones
  /// open a tunnel with CONNECT host:port, then TLS to the origin through
  /// it. proxy_port 0 means 80.
  std::string proxy_host;
  std::uint16_t proxy_port = 0;     ///< the proxy's port (0 = 80)
  std::string proxy_username;       ///< Basic Proxy-Authorization, with proxy_password
  std::string proxy_password;       ///< Basic Proxy-Authorization, with proxy_username
  // https:// (Tornado's names). The pool never reuses a connection made with
  // other values of these for another fetch.
  bool validate_cert = true;  ///< verify the server's certificate and host name (false: accept any)
  std::string ca_certs;       ///< a PEM file of the CAs to trust instead of the system store ("" = the system's)
  std::string client_cert;    ///< a PEM client certificate (chain) to present ("" = none)
  std::string client_key;     ///< its private key ("" = in client_cert)

  /// Sends `fields` as an HTML form: the body form_urlencode()d and
  /// "Content-Type: application/x-www-form-urlencoded" (a server, eddy's
  /// included, reads a form only with that type). The method stays as set.
  void set_form(const std::vector<std::pair<std::string, std::string>>& fields) {
    body = form_urlencode(fields);
    headers.set("Content-Type", "application/x-www-form-urlencoded");
  }
};

/// The final response of a fetch. A plain value: any thread.
struct HTTPResponse {
  int code = 0;                           ///< the status code, 100-999
  std::string reason;                     ///< the reason phrase as sent (may be empty)
  HTTPHeaders headers;                    ///< the response's fields, in arrival order
  std::string body;                       ///< the decoded body (empty with a streaming_callback)
  std::string effective_url;              ///< after redirects
  Clock::duration request_time{};         ///< from fetch() to the end of the response
};

/// A response outside 2xx ("HTTP 404: Not Found", response() set), or a
/// failure with no response: code() 599 for timeouts and network errors,
/// as Tornado 5's HTTPError(599).
class HTTPClientError : public std::runtime_error {
 public:
  /// An error with `code` and `message`, carrying `response` if any.
  HTTPClientError(int code, const std::string& message, std::shared_ptr<const HTTPResponse> response = nullptr)
      : std::runtime_error(message), code_(code), response_(std::move(response)) {}
  /// "HTTP <code>: <reason>", carrying the response.
  explicit HTTPClientError(HTTPResponse response)
      : HTTPClientError(response.code, describe(response), std::make_shared<const HTTPResponse>(std::move(response))) {}

  /// The response's status code, or 599 when there is no response.
  int code() const noexcept { return code_; }
  /// The response that was not 2xx, or nullptr; lives as long as the error.
  const HTTPResponse* response() const noexcept { return response_.get(); }

 private:
  static std::string describe(const HTTPResponse& r) {
    std::string reason = r.reason.empty() ? std::string(http_reason(r.code)) : r.reason;
    return "HTTP " + std::to_string(r.code) + ": " + reason;
  }

  int code_;
  std::shared_ptr<const HTTPResponse> response_;
};

/// connect_timeout or request_timeout ran out: code() == 599, as Tornado's.
class HTTPTimeoutError : public HTTPClientError {
 public:
  /// Code 599 with `message`.
  explicit HTTPTimeoutError(const std::string& message) : HTTPClientError(599, message) {}
};

/// The connection failed (refused, reset, DNS, closed before the response
/// ended, a response that breaks HTTP/1.1): code() == 599, no response.
/// what() names the host and port.
class HTTPConnectionError : public HTTPClientError {
 public:
  /// Code 599 with `message`.
  explicit HTTPConnectionError(const std::string& message) : HTTPClientError(599, message) {}
};

/// The limits of an AsyncHTTPClient (or HTTPClient). A plain value.
struct AsyncHTTPClientOptions {
  std::size_t max_clients = 10;           ///< fetches in flight; the rest wait in FIFO order
  /// Idle keep-alive connections kept per (host, port); 0 means max_clients.
  std::size_t max_idle_per_host = 0;
  /// A pooled connection unused this long is closed (nginx closes its side
  /// after 75 s by default; servers that close sooner are noticed at reuse).
  Clock::duration idle_timeout = std::chrono::seconds(60);
  /// The status line and header fields of one response, in bytes (-> an
  /// HTTPConnectionError "header block too large").
  std::size_t max_header_size = 64 * 1024;
  /// The body of one response (Tornado's max_body_size = max_buffer_size:
  /// 100 MiB), streamed or not.
  std::uint64_t max_body_size = 100 * 1024 * 1024;
};

}  // namespace eddy

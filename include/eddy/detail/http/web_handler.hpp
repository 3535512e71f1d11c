/// @file
/// RequestHandler: one per request, the thin object a route's handler writes
/// its response through (Tornado's web.RequestHandler: set_status,
/// set_header, write, flush, finish, redirect, send_error).
///
/// The response is buffered in the handler until flush() or finish() hands it
/// to the connection (a ResponseChannel), which frames it: the head once, then
/// the body with Content-Length, or chunked once flush() sent the head
/// without knowing the length. After the client left, the handler is detached
/// from its channel: writes, flushes and finish still keep their rules but
/// send nothing, and flush() resolves at once.
///
/// Lifetime: made (or reused) by the server for each request; alive until the
/// response is finished and the route's handler has returned (a Future<void>
/// handler: until its future resolved). Never hold one past that.
///
/// Thread contract: the loop thread of the server that made it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../httputil.hpp"
#include "../base/config.hpp"
#include "../base/function.hpp"
#include "../stream/file_range.hpp"
#include "cookies.hpp"
#include "http_server_request.hpp"
#include "multipart.hpp"
#include "web_errors.hpp"
#include "web_settings.hpp"

namespace eddy {

class IOStream;
class RequestHandler;

namespace detail {

/// What a RequestHandler needs of the connection carrying its response.
class ResponseChannel {
 public:
  /// Sends the handler's response so far: its head if not yet sent, then its
  /// buffered body (which it empties); `last` ends the response. Resolves
  /// when the kernel has the bytes.
  virtual Future<void> send_response(RequestHandler& handler, bool last) = 0;
  /// send_response(handler, true) for finish(), which wants no future.
  virtual void end_response(RequestHandler& handler) { (void)send_response(handler, true); }
  /// The response cannot be completed (an error after the head was sent):
  /// closes the connection.
  virtual void abort_response() noexcept = 0;
  /// Hands the connection to another protocol after `handler`'s request
  /// (RFC 9110 §7.8; a WebSocket): writes `head` (a whole 101 response
  /// head) after any response before it, stops serving HTTP on the
  /// connection, and gives the caller the stream and the bytes received
  /// past the request. Only from the route's handler, before it returns;
  /// false (nothing done) when the connection cannot be handed over.
  /// (IOStream may be incomplete here: the parameters stay unnamed and unused.)
  virtual bool upgrade(RequestHandler& /*handler*/, std::string_view /*head*/, std::optional<IOStream>& /*stream*/,
                       std::string& /*unread*/) {
    return false;
  }
  /// Ends `handler`'s response with its head (status and headers as set,
  /// Content-Length among them) and the bytes of `file` as its body, sent
  /// from the file (static_files; http1_connection_file.hpp). The handler
  /// is marked finished by the caller. False, with `file` left to the
  /// caller, when the channel cannot send files.
  virtual bool send_file(RequestHandler& /*handler*/, FileRange& /*file*/) { return false; }

 protected:
  ResponseChannel() = default;
  ResponseChannel(const ResponseChannel&) = default;
  ResponseChannel& operator=(const ResponseChannel&) = default;
  ~ResponseChannel() = default;
};

struct HandlerAccess;

}  // namespace detail

/// One per request (Tornado's RequestHandler): the request to read and the
/// response to build, alive until the response is finished. The loop thread
/// only; after the client left, writes are harmless no-ops.
class RequestHandler {
 public:
  RequestHandler() = default;
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;
  ~RequestHandler() = default;

  /// What arrived; valid while the handler runs.
  const HTTPServerRequest& request() const noexcept { return request_; }
  /// The route's capture groups, percent-decoded (not '+'), in order.
  const std::vector<std::string>& path_args() const noexcept { return path_args_; }
  /// The settings of the Application serving the request (defaults when
  /// none, as before dispatch); valid while the handler runs.
  const ApplicationSettings& settings() const noexcept {
    if (settings_ != nullptr) return *settings_;
    static const ApplicationSettings defaults;
    return defaults;
  }

  /// The last value of `name` among the query's arguments and, for a
  /// form-urlencoded or multipart/form-data body, the body's (Tornado's
  /// get_argument, whitespace stripped; a multipart file is not one).
  /// HTTPError(400) if it is absent or the arguments are malformed.
  std::string get_argument(std::string_view name) const {
    const std::vector<std::string>* values = arguments().find(name);
    if (values == nullptr || values->empty()) throw MissingArgumentError(name);
    return strip(values->back());
  }
  /// get_argument(name), but `default_value` when it is absent.
  std::string get_argument(std::string_view name, std::string_view default_value) const {
    const std::vector<std::string>* values = arguments().find(name);
    if (values == nullptr || values->empty()) return std::string(default_value);
    return strip(values->back());
  }
  /// Every value of `name`, in order (query first, then body), stripped.
  std::vector<std::string> get_arguments(std::string_view name) const {
    std::vector<std::string> out;
    if (const std::vector<std::string>* values = arguments().find(name)) {
      for (const std::string& v : *values) out.push_back(strip(v));
    }
    return out;
  }

  /// The files uploaded under `field` in a multipart/form-data body, in
  /// order; an empty vector when there are none. HTTPError(400) if the body
  /// is malformed (detail/http/multipart.hpp says what that means). Valid
  /// while the handler runs.
  const std::vector<HTTPFile>& files(std::string_view field) const;
  // ---- cookies (web_handler_cookies.hpp) ----
  /// The value of the request's cookie `name` (the first, if sent twice;
  /// unquoted), or std::nullopt. Tolerant of what browsers send: see
  /// detail/http/cookies.hpp.
  std::optional<std::string> get_cookie(std::string_view name) const;
  /// Adds a Set-Cookie header (replacing one set earlier in this response
  /// for the same name, domain and path). std::invalid_argument if the name
  /// is not a token, the value holds a byte outside RFC 6265's cookie-octets
  /// (space, '"', ',', ';', '\\', controls, non-ASCII: url_escape it) or an
  /// option cannot be carried; std::logic_error once the head was sent.
  void set_cookie(std::string_view name, std::string_view value, CookieOptions options = {});
  /// Tells the browser to drop the cookie: an empty value, Max-Age=0 and an
  /// Expires in 1970. Give the domain and path it was set with.
  void clear_cookie(std::string_view name, CookieOptions options = {});
  /// The value of a cookie set by set_secure_cookie, if its signature under
  /// settings().cookie_secret holds, it was signed for `name` and at most
  /// `max_age` ago; std::nullopt otherwise (absent, tampered, expired, another
  /// cookie's value). std::logic_error when the Application has no cookie_secret.
  std::optional<std::string> get_secure_cookie(std::string_view name,
                                               Clock::duration max_age = std::chrono::hours(24 * 31)) const;
  /// set_cookie with `value` signed and timestamped (Tornado's version 2
  /// format, HMAC-SHA256; any bytes). Without options.max_age the cookie
  /// lasts 30 days (Tornado's expires_days). std::logic_error when the
  /// Application has no cookie_secret.
  void set_secure_cookie(std::string_view name, std::string_view value, CookieOptions options = {});

  /// The status line's code, 100..599 (std::invalid_argument otherwise).
  /// std::logic_error once the head was sent.
  void set_status(int code) {
    if (code < 100 || code > 599) throw std::invalid_argument("eddy: HTTP status out of range: " + std::to_string(code));
    check_head_open("set_status");
    status_ = code;
  }
  /// The status the response will have (200 unless set).
  int get_status() const noexcept { return status_; }

  /// Response headers. The name must be a token and the value hold no CR, LF
  /// or NUL (std::invalid_argument); std::logic_error once the head was sent.
  /// Content-Length must be 1 to 19 decimal digits (std::invalid_argument
  /// otherwise); the body written must then match it (HTTPOutputError), except
  /// for HEAD and bodiless statuses (1xx, 204, 304), where it is not sent.
  void set_header(std::string_view name, std::string_view value) {
    check_field(name, value);
    if (name.size() == 14) note_length_header(name, value, false);  // Content-Length?
    headers_.set(name, value);
  }
  /// Adds one more value for `name`; checks as set_header. A second
  /// Content-Length is refused (std::invalid_argument): set_header replaces.
  void add_header(std::string_view name, std::string_view value) {
    check_field(name, value);
    if (name.size() == 14) note_length_header(name, value, true);
    headers_.add(name, value);
  }
  /// Removes every value of `name`; std::logic_error once the head was sent.
  void clear_header(std::string_view name) {
    check_head_open("clear_header");
    headers_.remove(name);
    if (detail::iequals(name, "Content-Length")) content_length_ = no_length;
  }
  /// The response headers set so far.
  const HTTPHeaders& response_headers() const noexcept { return headers_; }

  /// Buffers a piece of the body until flush() or finish().
  /// std::logic_error after finish(); HTTPOutputError (nothing buffered, the
  /// connection closed) if the body would pass the Content-Length set.
  void write(std::string_view chunk) {
    if (finished_) throw std::logic_error("eddy: RequestHandler::write after finish()");
    if (content_length_ != no_length) check_length(body_written_ + chunk.size(), false);
    body_written_ += chunk.size();
    if (channel_ != nullptr) body_.append(chunk.data(), chunk.size());
  }

  /// Sends the head (the first time) and the body buffered so far; resolves
  /// when the kernel has them (at once when the client has left).
  /// std::logic_error after finish(); HTTPOutputError if more was written
  /// than the Content-Length set since.
  Future<void> flush() {
    if (finished_) throw std::logic_error("eddy: RequestHandler::flush after finish()");
    if (content_length_ != no_length) check_length(body_written_, false);
    if (channel_ == nullptr) return make_ready_future();
    return channel_->send_response(*this, false);
  }

  /// Ends the response, at most once (std::logic_error the second time). A
  /// 204 or 304 must have no body buffered (std::logic_error). A body that
  /// does not match the Content-Length set: HTTPOutputError, the connection
  /// closed.
  void finish() {
    if (finished_) throw std::logic_error("eddy: RequestHandler::finish called twice");
    if ((status_ == 204 || status_ == 304 || status_ < 200) && !body_.empty()) body_not_allowed();
    if (settings_ != nullptr && settings_->etag && status_ == 200 && !headers_sent_) apply_etag();
    if (settings_ != nullptr && settings_->compress_response && !headers_sent_) apply_gzip();
    if (content_length_ != no_length) check_length(body_written_, true);
    finished_ = true;
    if (settings_ != nullptr && settings_->log_function) log_request();
    if (channel_ != nullptr) channel_->end_response(*this);
    body_.clear();
  }

  /// 302 (301 when permanent) to `url`, then finish(). std::logic_error once
  /// the head was sent.
  void redirect(std::string_view url, bool permanent = false) {
    check_head_open("redirect");
    set_status(permanent ? 301 : 302);
    set_header("Location", url);
    body_.clear();
    body_written_ = 0;
    finish();
  }

  /// Replaces the response by an error page with `code` and finishes it
  /// (Tornado's send_error): settings().write_error's page (called with no
  /// exception), or eddy's small HTML one. Once the head was sent that is
  /// impossible: the connection is closed instead. A no-op once finished.
  void send_error(int code = 500) { send_error_page(code, nullptr, {}); }

 private:
  // send_error's work (web_handler_hooks.hpp); `error` goes to write_error,
  // `allow` (for a 405) becomes the Allow header.
  void send_error_page(int code, std::exception_ptr error, std::string_view allow);
  // The default page of `code`, when there is no write_error.
  void default_error_page(int code) {
    body_.clear();
    if (code != 204 && code != 304 && code >= 200) {
      std::string page = std::to_string(code) + ": " + std::string(http_reason(code));
      body_ = "<html><title>" + page + "</title><body>" + page + "</body></html>";
    }
    body_written_ = body_.size();
  }

 public:

  /// True once finish() (or send_error, redirect) ended the response.
  bool finished() const noexcept { return finished_; }
  /// The ETag eddy gave the response (settings().etag; set by finish()),
  /// quoted; empty when it gave none. It is not among response_headers().
  std::string_view etag() const noexcept {
    return has_etag_ ? std::string_view(etag_line_ + 6, 18) : std::string_view();
  }

  /// callback() runs once, on the loop, if the client leaves before the
  /// response is finished (Tornado's on_connection_close). Replaces an
  /// earlier one. Registered after the client left, it is scheduled at once.
  template <class F>
  void on_connection_close(F&& callback) {
    on_close_ = detail::Function<void()>(std::forward<F>(callback));
    if (client_gone_ && !finished_) IOLoop::current().add_callback(std::move(on_close_));
  }

 private:
  friend struct detail::HandlerAccess;

  // Tornado's compute_etag (web_handler_hooks.hpp): ETag from the body, and
  // 304 without it when If-None-Match matches.
  void apply_etag();
  // Gzips the finished body when ApplicationSettings::compress_response and
  // the request allow it (web_handler_gzip.hpp).
  void apply_gzip();
  // Calls settings().log_function, once per request; what it throws goes to
  // the loop's exception handler.
  void log_request() noexcept;
  void add_set_cookie(std::string line);

  const HTTPArguments& arguments() const;
  static std::string strip(const std::string& value) {
    std::size_t begin = value.find_first_not_of(" \t\r\n\f\v");
    if (begin == std::string::npos) return std::string();
    std::size_t end = value.find_last_not_of(" \t\r\n\f\v");
    return value.substr(begin, end - begin + 1);
  }
  void check_head_open(const char* what) const {
    if (headers_sent_) throw std::logic_error(std::string("eddy: RequestHandler::") + what + " after the head was sent");
  }
  void check_field(std::string_view name, std::string_view value) const {
    check_header_name(name);
    check_header_value(name, value);
    check_head_open("set_header");
  }

  // ---- the handler's own Content-Length (Tornado's HTTPOutputError rules) ----
  static constexpr std::uint64_t no_length = UINT64_MAX;
  // Records a Content-Length being set (`add`: added) after checking its
  // value; other names of 14 characters pass. Out of line, as every rare path
  // here, so that set_header and write stay small enough to be inlined into a
  // route's handler.
  EDDY_NOINLINE void note_length_header(std::string_view name, std::string_view value, bool add) {
    if (!detail::iequals(name, "Content-Length")) return;
    std::uint64_t n = parse_content_length(value);
    if (add && content_length_ != no_length) throw std::invalid_argument("eddy: a response has one Content-Length");
    content_length_ = n;
  }
  // 1*DIGIT, at most 19 digits (so it fits, and never reads as no_length).
  static std::uint64_t parse_content_length(std::string_view value) {
    if (value.empty() || value.size() > 19) bad_content_length(value);
    std::uint64_t n = 0;
    for (char c : value) {
      if (c < '0' || c > '9') bad_content_length(value);
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
  }
  [[noreturn]] static void bad_content_length(std::string_view value) {
    std::string what = "eddy: Content-Length must be a decimal number: \"";
    what.append(value.data(), value.size()).append("\"");
    throw std::invalid_argument(what);
  }
  [[noreturn]] EDDY_NOINLINE void body_not_allowed() const {
    throw std::logic_error("eddy: a " + std::to_string(status_) + " response cannot carry a body");
  }
  // A Content-Length is set: the body (`written` bytes so far; all of it
  // when `last`) must not pass it, and must reach it at the end. HEAD and
  // bodiless statuses send no body, so nothing is checked for them.
  EDDY_NOINLINE void check_length(std::uint64_t written, bool last) {
    if (head_only_ || status_ < 200 || status_ == 204 || status_ == 304) return;
    if (written > content_length_ || (last && written < content_length_)) fail_length(written);
  }
  // The body (`written` bytes so far) and the Content-Length disagree: the
  // response is over and its connection closed, so nothing mis-framed
  // reaches the client.
  [[noreturn]] void fail_length(std::uint64_t written) {
    std::string what = "eddy: the response's Content-Length is " + std::to_string(content_length_) +
                       " but the handler wrote " + std::to_string(written) + " bytes";
    finished_ = true;
    body_.clear();
    if (channel_ != nullptr) channel_->abort_response();
    if (settings_ != nullptr && settings_->log_function) log_request();
    throw HTTPOutputError(what);
  }

  HTTPServerRequest request_;
  std::vector<std::string> path_args_;
  const ApplicationSettings* settings_ = nullptr;  // the dispatching Application's
  Clock::time_point start_{};                      // the head arrived (set with a log_function)
  bool has_etag_ = false;                          // etag_line_ holds the computed ETag
  bool maybe_conditional_ = true;                  // the request may have If-None-Match (HandlerAccess)
  char etag_line_[26];                             // "Etag: \"<16 hex digits>\"\r\n"
  mutable HTTPArguments arguments_;
  mutable bool arguments_parsed_ = false;
  mutable detail::MultipartFiles files_;
  int status_ = 200;
  bool headers_sent_ = false;
  bool finished_ = false;
  bool client_gone_ = false;
  bool head_only_ = false;  // a HEAD request: the body is counted, never sent
  std::uint8_t holds_ = 0;  // see HandlerAccess
  std::uint64_t content_length_ = no_length;  // the Content-Length header set, as a number
  std::uint64_t body_written_ = 0;            // bytes given to write() (or the error page)
  HTTPHeaders headers_;
  std::string body_;
  detail::ResponseChannel* channel_ = nullptr;
  detail::Function<void()> on_close_;
};

}  // namespace eddy

// Arguments and uploads; cookies; the error page, ETag and access log hooks.
#include "web_handler_arguments.hpp"
#include "web_handler_cookies.hpp"
#include "web_handler_gzip.hpp"
#include "web_handler_hooks.hpp"

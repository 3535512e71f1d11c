// The exceptions of the web layer, part of the public web.hpp API: HTTPError
// (and MissingArgumentError) that a handler throws to answer with an error
// status, HTTPOutputError that a handler's own Content-Length raises.
//
// Thread contract: plain exception types; any thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace eddy {

/// Thrown from a handler: the response becomes an error page with that status
/// (Tornado's tornado.web.HTTPError), shaped by ApplicationSettings::write_error
/// if set. `message` is what() and goes to the log (the loop's exception
/// handler; stderr by default), never to the client; without one nothing is
/// logged (Tornado's log_message).
class HTTPError : public std::runtime_error {
 public:
  /// An error answered with status `code`; `message` (default "HTTP <code>")
  /// is what() and is logged when given.
  explicit HTTPError(int code, std::string message = "") : HTTPError(code, !message.empty(), std::move(message)) {}
  /// The status the response gets.
  int code() const noexcept { return code_; }
  /// True when a message was given: the error goes to the log.
  bool has_message() const noexcept { return logged_; }

 private:
  // `message` by reference: the flag is computed before anything moves it.
  HTTPError(int code, bool logged, std::string&& message)
      : std::runtime_error(logged ? std::move(message) : "HTTP " + std::to_string(code)), code_(code), logged_(logged) {}

  int code_;
  bool logged_;
};

/// HTTPError(400) from get_argument for an argument the request lacks
/// (Tornado's MissingArgumentError): arg_name() names it, so that a
/// write_error can tell the client which.
class MissingArgumentError : public HTTPError {
 public:
  /// A 400 naming the missing argument `name` in its message.
  explicit MissingArgumentError(std::string_view name)
      : HTTPError(400, "eddy: missing argument " + std::string(name)), arg_name_(name) {}
  /// The argument that was missing.
  const std::string& arg_name() const noexcept { return arg_name_; }

 private:
  std::string arg_name_;
};

/// A response's own Content-Length disagrees with the body the handler wrote
/// (Tornado's httputil.HTTPOutputError): raised by the write() that would pass
/// it (or a flush() after a Content-Length set below what was written), and
/// by finish() when the body is short. The connection is closed instead of
/// being mis-framed and the response counts as finished; uncaught, it goes to
/// the loop's exception handler like any handler error.
class HTTPOutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace eddy

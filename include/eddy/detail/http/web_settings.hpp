// ApplicationSettings: what an Application is configured with beyond its
// routes (Tornado's Application(**settings)): the cookie secret, response
// compression, ETags, the access log and custom error pages. Part of the
// public web.hpp API, kept in its own file so that every feature reads one
// small struct.
//
// Lifetime: the Application owns its settings; a RequestHandler sees them
// (RequestHandler::settings()) while its request is dispatched.
// Thread contract: set before serving, read on the loop thread only.
#pragma once

#include <exception>
#include <functional>
#include <string>

#include "../../loop_types.hpp"

namespace eddy {

class RequestHandler;

/// An Application's settings (Tornado's settings dictionary, typed). Every
/// field has a default: set the ones you need, then
/// `Application app(std::move(settings))`.
struct ApplicationSettings {
  /// The key that signs secure cookies (set_secure_cookie and
  /// get_secure_cookie throw std::logic_error while it is empty). Keep it
  /// secret and long: 32 random bytes or more.
  std::string cookie_secret;
  /// gzip a response when the client accepts it and its type is
  /// compressible (text, JSON, JavaScript, XML, SVG), from 1,024 bytes up.
  bool compress_response = false;
  /// Tornado's compute_etag: a finished 200 response that the handler did
  /// not stream (no flush() before finish()) gets an ETag, and a request
  /// whose If-None-Match matches it gets 304 with no body.
  bool etag = true;
  /// Called once per finished request with the handler and how long the
  /// request took (access_log_line formats Tornado's line). Empty: nothing
  /// is logged.
  std::function<void(const RequestHandler&, Clock::duration)> log_function;
  /// Custom error pages: called with the status already set and the
  /// exception behind it (nullptr for a plain 404 or 405); what it writes
  /// is the page, and if it does not finish the response eddy does.
  std::function<void(RequestHandler&, int code, std::exception_ptr)> write_error;
};

}  // namespace eddy

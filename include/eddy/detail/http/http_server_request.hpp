/// @file
/// HTTPServerRequest: what arrived, as the server hands it to a handler
/// (Tornado's httputil.HTTPServerRequest, without the methods that belong to
/// RequestHandler).
///
/// Lifetime: owned by the RequestHandler that serves it; valid while that
/// handler runs (for a Future<void> handler, until its future resolves). The
/// server reuses the object for later requests, so copy what must outlive it.
///
/// Thread contract: the loop thread of the server.
#pragma once

#include <string>

#include "../../httputil.hpp"

namespace eddy {

/// What arrived: the request line, the fields and the decoded body, as the
/// server hands them to a RequestHandler; see the file comment for lifetime
/// (valid while its handler runs) and the thread contract.
struct HTTPServerRequest {
  std::string method;   ///< "GET"
  std::string uri;      ///< "/a/b?x=1", as sent
  std::string path;     ///< "/a/b", still percent-encoded (routes match it raw)
  std::string query;    ///< "x=1", without the '?'
  std::string version;  ///< "HTTP/1.1" or "HTTP/1.0"
  HTTPHeaders headers;  ///< in arrival order
  std::string body;     ///< decoded from Content-Length or chunked framing
  std::string remote_ip;  ///< "127.0.0.1" (with xheaders, X-Real-Ip / X-Forwarded-For)
  std::string protocol;   ///< "http" (with xheaders, X-Forwarded-Proto / X-Scheme)
  std::string host;       ///< the Host header ("" for an HTTP/1.0 request without one)

  /// Empties every field but keeps the strings' storage, so a reused request
  /// allocates nothing for requests no larger than the ones before.
  void clear() noexcept {
    method.clear();
    uri.clear();
    path.clear();
    query.clear();
    version.clear();
    headers.clear();
    body.clear();
    remote_ip.clear();
    protocol.clear();
    host.clear();
  }
};

}  // namespace eddy

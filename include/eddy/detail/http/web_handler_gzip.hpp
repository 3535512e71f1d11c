// Response compression (ApplicationSettings::compress_response; Tornado's
// GZipContentEncoding), applied by finish() to a response finished whole:
// - the type must be compressible (gzip_negotiate.hpp: text, JSON,
//   JavaScript, XML, SVG); such a response gets "Vary: Accept-Encoding"
//   whether it is compressed or not, so caches keep the two apart;
// - it is compressed when the request's Accept-Encoding takes gzip, the
//   body is at least 1,024 bytes, the status is 200-599 but not 204, 206
//   or 304, the method is not HEAD, and the handler set no Content-Encoding,
//   Content-Range or Content-Length of its own; then Content-Encoding: gzip,
//   and the Content-Length sent is the compressed body's;
// - a response whose head went out with flush() is never compressed;
// - the ETag (when on) is the uncompressed body's, as Tornado's.
//
// Thread contract: the loop thread (a handler's).
#pragma once

#include <string>

#include "gzip.hpp"
#include "gzip_negotiate.hpp"
#include "web_handler.hpp"

namespace eddy {

EDDY_NOINLINE inline void RequestHandler::apply_gzip() {
  if (channel_ == nullptr || status_ < 200 || status_ == 204 || status_ == 304) return;
  const std::string* type = headers_.find("Content-Type");
  if (!detail::compressible_type(type != nullptr ? std::string_view(*type) : "text/html")) return;
  const std::string* vary = headers_.find("Vary");
  if (vary == nullptr) {
    headers_.add("Vary", "Accept-Encoding");
  } else if (vary->find("Accept-Encoding") == std::string::npos && *vary != "*") {
    headers_.set("Vary", *vary + ", Accept-Encoding");
  }
  if (head_only_ || status_ == 206 || body_.size() < detail::gzip_min_length) return;
  if (content_length_ != no_length || headers_.contains("Content-Encoding") || headers_.contains("Content-Range")) {
    return;
  }
  const std::string* accept = request_.headers.find("Accept-Encoding");
  if (accept == nullptr || !detail::accepts_gzip(*accept) || !detail::gzip_available()) return;
  std::string packed;
  detail::gzip_compress(body_, packed);
  body_.swap(packed);
  body_written_ = body_.size();
  headers_.add("Content-Encoding", "gzip");
}

}  // namespace eddy

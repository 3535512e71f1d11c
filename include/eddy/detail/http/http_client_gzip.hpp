// HTTPRequest::decompress_response: a fetch's gzip-encoded body inflated as
// it arrives (Tornado's _GzipMessageDelegate). The response head's
// Content-Encoding: gzip becomes X-Consumed-Content-Encoding (what is
// delivered is decoded); the inflater is made with the body's first byte
// (a HEAD or 304 response has none) and bounded by max_body_size; at the
// end a gzip stream that did not end is an error, and (without a
// streaming_callback) Content-Length becomes the decoded body's size.
//
// Thread contract: the client's loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gzip.hpp"
#include "http_client_types.hpp"

namespace eddy::detail {

class GzipResponse {
 public:
  bool active() const noexcept { return active_; }

  // The final head arrived (`following`: a redirect's, whose body is dropped).
  void begin(const HTTPRequest& request, HTTPResponse& response, bool following) {
    inflater_.reset();
    active_ = false;
    const std::string* coding = response.headers.find("Content-Encoding");
    if (following || !request.decompress_response || coding == nullptr || !iequals(*coding, "gzip") ||
        !gzip_available()) {
      return;
    }
    active_ = true;
    response.headers.add("X-Consumed-Content-Encoding", *coding);
    response.headers.remove("Content-Encoding");
  }

  void feed(std::string_view data, const HTTPRequest& request, HTTPResponse& response, std::uint64_t limit) {
    if (!inflater_) inflater_ = std::make_unique<GzipInflater>(limit);
    if (!request.streaming_callback) return inflater_->feed(data, response.body);
    piece_.clear();
    inflater_->feed(data, piece_);
    if (!piece_.empty()) request.streaming_callback(piece_);
  }

  void end(const HTTPRequest& request, HTTPResponse& response) {
    if (!inflater_) return;
    std::unique_ptr<GzipInflater> done = std::move(inflater_);
    done->finish();
    if (!request.streaming_callback && response.headers.contains("Content-Length")) {
      response.headers.set("Content-Length", std::to_string(response.body.size()));
    }
  }

 private:
  bool active_ = false;
  std::unique_ptr<GzipInflater> inflater_;
  std::string piece_;  // a streamed piece, inflated
};

}  // namespace eddy::detail

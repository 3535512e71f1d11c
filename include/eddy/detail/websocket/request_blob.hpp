// The upgrade request, kept for WebSocket::request() at the cost of its
// bytes. An idle WebSocket connection's budget is ~600 bytes in all, and an
// HTTPServerRequest is over 300 bytes before its strings' heap, so the
// connection keeps a compact copy in its own allocation (see
// Connection::make): the URI, the remote IP, the protocol and the header
// fields as "name\0value\n" lines. The HTTPServerRequest is rebuilt from it
// the first time a handler asks after the handshake, and kept from then on;
// while the handshake runs (check_origin, open(), a handler function's
// first step) request() is the HTTP request itself.
//
// Not kept: the fields the handshake consumed (Upgrade, Connection,
// Sec-WebSocket-Key, -Version and -Extensions) and the body (an upgrade
// has none); method and version are always GET and HTTP/1.1.
//
// Thread contract: pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "../../httputil.hpp"
#include "../http/http_server_request.hpp"

namespace eddy::detail::ws {

namespace blob_detail {

inline bool consumed_by_handshake(std::string_view name) noexcept {
  return iequals(name, "Upgrade") || iequals(name, "Connection") || iequals(name, "Sec-WebSocket-Key") ||
         iequals(name, "Sec-WebSocket-Version") || iequals(name, "Sec-WebSocket-Extensions");
}

// Calls put(piece) for each piece of the blob, in order.
template <class Put>
void pieces(const HTTPServerRequest& req, Put&& put) {
  put(req.uri), put("\n");
  put(req.remote_ip), put("\n");
  put(req.protocol), put("\n");
  for (const auto& [name, value] : req.headers) {
    if (consumed_by_handshake(name)) continue;
    put(name), put(std::string_view("\0", 1)), put(value), put("\n");
  }
}

}  // namespace blob_detail

// The bytes write_request_blob() writes.
inline std::size_t request_blob_size(const HTTPServerRequest& req) noexcept {
  std::size_t size = 0;
  blob_detail::pieces(req, [&size](std::string_view piece) { size += piece.size(); });
  return size;
}

inline void write_request_blob(const HTTPServerRequest& req, char* out) noexcept {
  blob_detail::pieces(req, [&out](std::string_view piece) {
    std::memcpy(out, piece.data(), piece.size());
    out += piece.size();
  });
}

// The request the blob describes.
inline std::unique_ptr<HTTPServerRequest> rebuild_request(std::string_view blob) {
  auto req = std::make_unique<HTTPServerRequest>();
  auto next_line = [&blob] {
    std::size_t end = blob.find('\n');
    std::string_view line = blob.substr(0, end);
    blob.remove_prefix(end == std::string_view::npos ? blob.size() : end + 1);
    return line;
  };
  req->method = "GET";
  req->version = "HTTP/1.1";
  req->uri = std::string(next_line());
  std::size_t q = req->uri.find('?');
  req->path = req->uri.substr(0, q);
  if (q != std::string::npos) req->query = req->uri.substr(q + 1);
  req->remote_ip = std::string(next_line());
  req->protocol = std::string(next_line());
  while (!blob.empty()) {
    std::string_view line = next_line();
    std::size_t zero = line.find('\0');
    req->headers.add(line.substr(0, zero), line.substr(zero + 1));
  }
  req->host = req->headers.get("Host");
  return req;
}

}  // namespace eddy::detail::ws

// The upgrade request, kept for WebSocket::request() at the cost of its
// bytes. An idle WebSocket connection's budget is ~600 bytes in all, and an
// HTTPServerRequest is over 300 bytes before its strings' heap, so the
// connection keeps one compact block instead: the URI, the remote IP, the
// protocol and the header fields as "name\0value\n" lines, in one
// allocation sized to them. The HTTPServerRequest is rebuilt from it the
// first time a handler asks, and kept from then on.
//
// Not kept: the fields the handshake consumed (Upgrade, Connection,
// Sec-WebSocket-Key, -Version and -Extensions) and the body (an upgrade
// has none); method and version are always GET and HTTP/1.1.
//
// Thread contract: the connection's (the loop thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>

#include "../../httputil.hpp"
#include "../http_server_request.hpp"

namespace eddy::detail::ws {

class RequestStore {
 public:
  RequestStore(const RequestStore&) = delete;
  RequestStore& operator=(const RequestStore&) = delete;

  static RequestStore* make(const HTTPServerRequest& req) {
    std::string blob;
    blob.reserve(req.uri.size() + req.remote_ip.size() + 64);
    append_line(blob, req.uri);
    append_line(blob, req.remote_ip);
    append_line(blob, req.protocol);
    for (const auto& [name, value] : req.headers) {
      if (consumed_by_handshake(name)) continue;
      blob += name;
      blob += '\0';
      append_line(blob, value);
    }
    void* raw = ::operator new(sizeof(RequestStore) + blob.size());
    auto* store = new (raw) RequestStore(static_cast<std::uint32_t>(blob.size()));
    std::memcpy(store->bytes(), blob.data(), blob.size());
    return store;
  }
  static void destroy(RequestStore* store) noexcept {
    if (store == nullptr) return;
    store->~RequestStore();
    ::operator delete(store);
  }

  // The request, rebuilt on first use.
  const HTTPServerRequest& request() {
    if (!full_) full_ = rebuild();
    return *full_;
  }

 private:
  explicit RequestStore(std::uint32_t size) noexcept : size_(size) {}
  ~RequestStore() = default;

  static void append_line(std::string& blob, std::string_view s) {
    blob.append(s.data(), s.size());
    blob += '\n';
  }
  static bool consumed_by_handshake(std::string_view name) noexcept {
    return iequals(name, "Upgrade") || iequals(name, "Connection") || iequals(name, "Sec-WebSocket-Key") ||
           iequals(name, "Sec-WebSocket-Version") || iequals(name, "Sec-WebSocket-Extensions");
  }
  char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }

  std::unique_ptr<HTTPServerRequest> rebuild() {
    auto req = std::make_unique<HTTPServerRequest>();
    std::string_view blob(bytes(), size_);
    auto next_line = [&blob] {
      std::size_t end = blob.find('\n');
      std::string_view line = blob.substr(0, end);
      blob.remove_prefix(end + 1);
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

  std::unique_ptr<HTTPServerRequest> full_;
  std::uint32_t size_;
};

}  // namespace eddy::detail::ws

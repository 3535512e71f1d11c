// websocket_connect: the client side of the opening handshake (RFC 6455
// §4.1): the URL, a TCP connection (names resolved off the loop, as
// TCPClient does), the upgrade request with a fresh random key, and the
// checks of the answer, all bounded by connect_timeout.
//
// Outcomes (the HTTP client's exceptions, as Tornado's websocket_connect
// raises its HTTP client's):
// - a malformed URL, a scheme other than ws/wss, a fragment, a bad extra
//   header: std::invalid_argument;
// - compression asked for without zlib: std::runtime_error (zlib_api.hpp);
// - wss:// without TLS: HTTPClientError 599 saying what to include and link
//   (client_tls.hpp); a certificate that does not verify, a wrong host
//   name, a failed TLS handshake, a ca_certs or client_cert that cannot be
//   loaded: HTTPConnectionError (599) carrying the SSLError's text;
// - refused, reset, DNS, closed during the handshake, an answer that breaks
//   HTTP/1.1 or RFC 6455 (bad Sec-WebSocket-Accept, an extension or
//   subprotocol not offered): HTTPConnectionError (599);
// - an answer other than 101: HTTPClientError with its status;
// - connect_timeout: HTTPTimeoutError (599); the connection, if any, closes.
//
// Thread contract: the loop thread (IOLoop::current()).
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../../tcpclient.hpp"
#include "../base/base64.hpp"
#include "../base/os_random.hpp"
#include "../http/http_client_types.hpp"
#include "../http/http_parser.hpp"
#include "../http/url.hpp"
#include "client_tls.hpp"
#include "connection.hpp"
#include "handshake.hpp"

namespace eddy::detail::ws {

struct ClientTarget {
  bool secure = false;
  Url url;
  ClientTLSSettings tls{true, {}, {}, {}, {"http/1.1"}};  // wss:// only
};

// "ws://host:port/path?query" (or wss://), with url.hpp's rules for the rest.
inline ClientTarget parse_ws_url(std::string_view url) {
  auto bad = [url](std::string_view why) {
    return std::invalid_argument("eddy: websocket_connect: bad URL \"" + std::string(url) + "\": " + std::string(why));
  };
  std::size_t colon = url.find("://");
  std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  for (char& c : scheme) c = ascii_lower(c);
  ClientTarget t;
  if (scheme == "wss") {
    t.secure = true;
  } else if (scheme != "ws") {
    throw bad("the scheme must be ws or wss");
  }
  if (url.find('#') != std::string_view::npos) throw bad("a WebSocket URL has no fragment");
  try {
    t.url = parse_url((t.secure ? "https" : "http") + std::string(url.substr(colon)));
  } catch (const std::invalid_argument& e) {
    std::string_view what = e.what();
    std::size_t why = what.find("\": ");
    throw bad(why == std::string_view::npos ? what : what.substr(why + 3));
  }
  return t;
}

// websocket_connect(HTTPRequest): the URL, and what else of the request a
// WebSocket client uses: its headers (sent before options.headers) and its
// TLS fields. A method other than GET or a body: std::invalid_argument.
inline ClientTarget parse_ws_request(const HTTPRequest& request, WebSocketOptions& options) {
  if (request.method != "GET" || !request.body.empty()) {
    throw std::invalid_argument("eddy: websocket_connect: the upgrade is a GET without a body (" + request.url + ")");
  }
  ClientTarget t = parse_ws_url(request.url);
  t.tls = tls_settings(request);
  HTTPHeaders headers = request.headers;
  for (const auto& [name, value] : options.headers) headers.add(name, value);
  options.headers = std::move(headers);
  return t;
}

class ClientHandshake : public std::enable_shared_from_this<ClientHandshake> {
 public:
  ClientHandshake(ClientTarget target, WebSocketOptions options)
      : target_(std::move(target)), settings_(Settings::make(std::move(options))) {}
  ClientHandshake(const ClientHandshake&) = delete;
  ClientHandshake& operator=(const ClientHandshake&) = delete;
  ~ClientHandshake() { settings_->release(); }

  Future<WebSocket> start();

 private:
  void fail(std::exception_ptr error);
  void on_connected(const Future<IOStream>& connected);
  void on_head(const Future<std::string>& head);
  void succeed(const http::ResponseHead& head);
  std::string where() const { return target_.url.host + ":" + std::to_string(target_.url.port); }

  ClientTarget target_;
  Settings* settings_;
  Future<WebSocket> result_;
  std::string key_;
  std::optional<IOStream> stream_;
  Timeout timer_;
  std::shared_ptr<const LoopAnchor> anchor_;
  bool done_ = false;
};

inline Future<WebSocket> ClientHandshake::start() {
  const WebSocketOptions& o = settings_->options;
  for (const auto& [name, value] : o.headers) {
    check_header_name(name);
    check_header_value(name, value);
  }
  if (o.compression) require_zlib();
  unsigned char raw[16];
  os_random(raw, sizeof raw);
  key_ = base64_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
  IOLoop& loop = IOLoop::current();
  anchor_ = loop.anchor();
  double seconds = std::chrono::duration<double>(o.connect_timeout).count();
  timer_ = loop.call_later(o.connect_timeout, [weak = weak_from_this(), seconds] {
    if (auto self = weak.lock()) {
      self->timer_ = Timeout();
      self->fail(std::make_exception_ptr(HTTPTimeoutError(
          "eddy: websocket_connect to " + self->where() + ": timed out after " + std::to_string(seconds) + " s")));
    }
  });
  Future<IOStream> connected =
      target_.secure ? connect_tls(target_.url, target_.tls) : TCPClient().connect(target_.url.host, target_.url.port);
  connected.add_done_callback([self = shared_from_this()](const Future<IOStream>& c) { self->on_connected(c); });
  return result_;
}

inline void ClientHandshake::fail(std::exception_ptr error) {
  if (done_) return;
  done_ = true;
  if (timer_ && anchor_->loop != nullptr) anchor_->loop->remove_timeout(timer_);
  if (stream_) stream_->close();
  result_.set_exception(std::move(error));
}

inline void ClientHandshake::on_connected(const Future<IOStream>& connected) {
  if (std::exception_ptr error = connected.exception()) {
    if (done_) return;
    try {
      std::rethrow_exception(error);
    } catch (const HTTPClientError&) {
      return fail(error);
    } catch (const std::exception& e) {
      return fail(std::make_exception_ptr(HTTPConnectionError(e.what())));
    }
  }
  IOStream stream = connected.result();
  if (done_) return stream.close();  // timed out meanwhile
  stream.set_nodelay(true);
  stream_.emplace(stream);
  const WebSocketOptions& o = settings_->options;
  std::string request = client_request(target_.url.host_header(), target_.url.target, key_, o.subprotocols,
                                       o.compression, o.headers);
  Future<void> written = stream.write(request);
  read_detail::observe(written);  // a failed write shows in the read below
  Future<std::string> head = stream.read_until("\r\n\r\n", 64 * 1024);
  head.add_done_callback([self = shared_from_this()](const Future<std::string>& h) { self->on_head(h); });
}

inline void ClientHandshake::on_head(const Future<std::string>& head) {
  if (std::exception_ptr error = head.exception()) {
    if (done_) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return fail(std::make_exception_ptr(
          HTTPConnectionError("eddy: websocket_connect to " + where() + ": no answer to the upgrade: " + e.what())));
    }
  }
  if (done_) return;
  std::string bytes = head.result();
  http::ResponseHead parsed;
  http::ParseResult r = http::parse_response_head(bytes, parsed);
  if (!r.complete()) {
    return fail(std::make_exception_ptr(HTTPConnectionError("eddy: websocket_connect to " + where() +
                                                            ": malformed answer: " + std::string(r.reason))));
  }
  if (parsed.status_code != 101) {
    std::string reason = parsed.reason.empty() ? std::string(http_reason(parsed.status_code)) : std::string(parsed.reason);
    return fail(std::make_exception_ptr(
        HTTPClientError(parsed.status_code, "HTTP " + std::to_string(parsed.status_code) + ": " + reason)));
  }
  succeed(parsed);
}

inline void ClientHandshake::succeed(const http::ResponseHead& head) {
  HTTPHeaders fields;
  for (const http::HeaderField& f : head.headers) fields.add(f.name, f.value);
  const WebSocketOptions& o = settings_->options;
  int subprotocol = -1;
  const char* wrong = check_switching_protocols(fields, key_, o.subprotocols, subprotocol);
  ClientExtensions ext = accept_extensions(fields.get("Sec-WebSocket-Extensions"), o.compression);
  if (wrong == nullptr) wrong = ext.error;
  if (wrong != nullptr) {
    return fail(std::make_exception_ptr(HTTPConnectionError("eddy: websocket_connect to " + where() + ": " + wrong)));
  }
  auto* raw = Connection::make<Connection>(nullptr, Connection::Role::client, settings_);
  Ref conn(raw);
  raw->release();
  raw->set_subprotocol(subprotocol);
  if (ext.deflate) raw->set_deflate(*ext.deflate);
  raw->attach(std::move(*stream_), std::string());
  stream_.reset();
  done_ = true;
  if (timer_ && anchor_->loop != nullptr) anchor_->loop->remove_timeout(timer_);
  result_.set_result(Access::make(raw));
  raw->begin_reading();
}

}  // namespace eddy::detail::ws

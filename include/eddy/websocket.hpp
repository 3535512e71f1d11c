/// @file
/// WebSocket (RFC 6455, permessage-deflate RFC 7692), after Tornado's
/// websocket module: server routes on an Application, a client, flow
/// control and liveness. C++20; includes what it needs of <eddy/http.hpp>.
///
///   app.websocket("/echo", [](eddy::WebSocket ws) -> eddy::Future<void> {
///     for (;;) {
///       std::optional<eddy::WebSocketMessage> m = co_await ws.read_message();
///       if (!m) break;                                 // closed
///       co_await ws.write_message(m->data, m->binary);
///     }
///   });
///   eddy::WebSocket ws = co_await eddy::websocket_connect("ws://127.0.0.1:8888/echo");
///
/// - A handler function reads with read_message(); while it does not, the
///   socket is not read past the next message's first bytes (control frames
///   are still answered). A WebSocketHandler gets every message in
///   on_message as it arrives.
/// - write_message's future resolves when the kernel has the frame: await it
///   for back-pressure. More than max_write_buffer_size (1 MiB by default)
///   of earlier messages still queued: the write fails and the connection
///   closes.
/// - Strict RFC 6455: every rule is enforced with its close code (1002,
///   1007, 1009); see docs/websocket.md for the rules, the closing
///   handshake, liveness (ping_interval, ping_timeout) and compression.
/// - Compression (WebSocketOptions::compression) needs zlib at run time:
///   link -lz or the CMake target eddy::deflate; a program that never turns
///   it on needs neither.
/// - Broadcast: a PreparedWebSocketMessage is framed (and compressed) once
///   and written to any number of connections (websocket_broadcast).
///
/// Lifetime: WebSocket is a copyable handle to a connection, which lives
/// while a handle or its own pending I/O needs it. A WebSocketHandler lives
/// inside its connection. The Application must outlive its WebSocket
/// connections, as it must outlive the server's HTTP connections.
///
/// Thread contract: the loop thread of the server (or of the loop current at
/// websocket_connect), for every object here.
#pragma once

#if __cplusplus < 202002L
#error "eddy's WebSocket layer needs C++20"
#endif

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/websocket/connection.hpp"
#include "detail/websocket/handshake.hpp"
#include "detail/websocket/options.hpp"
#include "detail/websocket/prepared.hpp"
#include "future.hpp"
// What it needs of <eddy/http.hpp> (an umbrella, which no header includes):
// the server, the web layer, and the client's errors that websocket_connect
// reports.
#include "httpclient.hpp"
#include "httpserver.hpp"
#include "httputil.hpp"
#include "ioloop.hpp"
#include "web.hpp"

namespace eddy {

namespace detail::ws {
struct Access;
}

class PreparedWebSocketMessage;

/// One WebSocket connection, either side: a copyable handle (copies share
/// the connection). Default-constructed, it names none: its reads and
/// writes fail with std::logic_error. The loop thread only.
class WebSocket {
 public:
  /// A handle to no connection.
  WebSocket() noexcept = default;
  WebSocket(const WebSocket& other) noexcept : bits_(owning(other.get())) {}
  WebSocket(WebSocket&& other) noexcept
      : bits_(other.owns() ? std::exchange(other.bits_, 0) : owning(other.get())) {}
  WebSocket& operator=(WebSocket other) noexcept {
    std::swap(bits_, other.bits_);
    return *this;
  }
  ~WebSocket() {
    if (owns()) get()->release();
  }

  /// The next message, whole; std::nullopt once the connection is closed
  /// (by either side, a protocol error, a ping timeout or a network drop).
  /// Never fails for a close. One read at a time (std::logic_error).
  Future<std::optional<WebSocketMessage>> read_message() {
    if (get() == nullptr) return make_failed_future<std::optional<WebSocketMessage>>(empty());
    return get()->read_message();
  }
  /// Sends one message (text must be UTF-8: else std::invalid_argument).
  /// Resolves when the kernel has it; fails with StreamClosedError once the
  /// connection is closed (or past max_write_buffer_size).
  Future<void> write_message(std::string_view data, bool binary = false) {
    if (get() == nullptr) return make_failed_future<void>(empty());
    return get()->write_message(data, binary);
  }
  /// Sends a message prepared once for many connections.
  Future<void> write_message(const PreparedWebSocketMessage& message);
  /// Sends a ping (at most 125 bytes: else std::invalid_argument); resolves
  /// when a pong with the same payload arrives (a pong also answers every
  /// earlier ping); fails with StreamClosedError if the connection closes first.
  Future<void> ping(std::string_view data = {}) {
    if (get() == nullptr) return make_failed_future<void>(empty());
    return get()->ping(data);
  }
  /// Starts the closing handshake (a no-op once closing). code: 1000-1003,
  /// 1007-1014 or 3000-4999; reason: at most 123 bytes of UTF-8 (else
  /// std::invalid_argument). read_message gives nullopt from now on.
  void close(int code = 1000, std::string_view reason = {}) {
    if (get() != nullptr) get()->close(code, reason);
  }
  /// The code of the peer's close frame, once it arrived (nullopt: none yet,
  /// an empty close frame, or a connection that ended without one).
  std::optional<int> close_code() const { return get() != nullptr ? get()->close_code() : std::nullopt; }
  /// The reason of the peer's close frame ("" if none).
  std::string close_reason() const { return get() != nullptr ? get()->close_reason() : std::string(); }
  /// The subprotocol agreed in the handshake, or "".
  std::string selected_subprotocol() const {
    return get() != nullptr ? get()->selected_subprotocol() : std::string();
  }
  /// Server side: the upgrade request (its handshake fields left out, see
  /// docs/websocket.md); client side: nullptr.
  const HTTPServerRequest* request() const { return get() != nullptr ? get()->request() : nullptr; }
  /// True once the connection ended for its handler (read_message would give nullopt).
  bool closed() const noexcept { return get() == nullptr || get()->finished(); }

  /// True when both handles name the same connection.
  friend bool operator==(const WebSocket& a, const WebSocket& b) noexcept { return a.get() == b.get(); }

 private:
  friend struct detail::ws::Access;
  explicit WebSocket(std::uintptr_t bits) noexcept : bits_(bits) {}
  // The connection, and in the low bit: this handle holds no count (a
  // WebSocketHandler's own handle: the handler lives inside the connection).
  detail::ws::Connection* get() const noexcept { return reinterpret_cast<detail::ws::Connection*>(bits_ & ~std::uintptr_t{1}); }
  bool owns() const noexcept { return bits_ != 0 && (bits_ & 1) == 0; }
  static std::uintptr_t owning(detail::ws::Connection* c) noexcept {
    if (c != nullptr) c->add_ref();
    return reinterpret_cast<std::uintptr_t>(c);
  }
  static std::exception_ptr empty() {
    return std::make_exception_ptr(std::logic_error("eddy: WebSocket: an empty handle names no connection"));
  }

  std::uintptr_t bits_ = 0;
};

/// A message framed once, to write to many connections without encoding or
/// compressing it again for each (see detail/websocket/prepared.hpp). A
/// copyable handle; the loop thread only.
class PreparedWebSocketMessage {
 public:
  /// Text must be UTF-8 (std::invalid_argument).
  explicit PreparedWebSocketMessage(std::string_view data, bool binary = false)
      : frames_(std::make_shared<detail::ws::PreparedFrames>(data, binary)) {}
  /// The payload.
  std::string_view data() const noexcept { return frames_->payload(); }
  /// True for a binary message.
  bool binary() const noexcept { return frames_->binary(); }

 private:
  friend class WebSocket;
  std::shared_ptr<detail::ws::PreparedFrames> frames_;
};

inline Future<void> WebSocket::write_message(const PreparedWebSocketMessage& message) {
  if (get() == nullptr) return make_failed_future<void>(empty());
  try {
    return message.frames_->write_to(*get());
  } catch (...) {
    return make_failed_future<void>(std::current_exception());
  }
}

/// Tornado's WebSocketHandler, for those who prefer callbacks: derive, add
/// the route with Application::websocket<H>(pattern, options). One H per
/// connection, default-constructed; it lives as long as its connection.
/// Callbacks run on the loop thread; an exception from one goes to the
/// loop's exception handler and closes the connection with 1011.
class WebSocketHandler {
 public:
  WebSocketHandler() = default;
  WebSocketHandler(const WebSocketHandler&) = delete;
  WebSocketHandler& operator=(const WebSocketHandler&) = delete;
  virtual ~WebSocketHandler() = default;

  /// After the handshake, before any message.
  virtual void open() {}
  /// Each message, whole, as it arrives (the message is valid during the call).
  virtual void on_message(const WebSocketMessage& message) = 0;
  /// Once, when the connection has ended (either side closed, a protocol
  /// error, a ping timeout, the network). Not when the loop is destroyed.
  virtual void on_close() {}
  /// Whether a browser page from `origin` may connect; only asked when the
  /// request has an Origin. Default: the Origin's host equals the request's
  /// Host (Tornado's rule). false: 403.
  virtual bool check_origin(std::string_view origin) {
    const HTTPServerRequest* r = connection_.request();
    return r != nullptr && detail::ws::same_origin(origin, r->host);
  }

  /// connection().write_message(data, binary).
  Future<void> write_message(std::string_view data, bool binary = false) {
    return connection_.write_message(data, binary);
  }
  /// connection().write_message(message).
  Future<void> write_message(const PreparedWebSocketMessage& message) { return connection_.write_message(message); }
  /// connection().close(code, reason).
  void close(int code = 1000, std::string_view reason = {}) { connection_.close(code, reason); }
  /// This handler's connection (copy it to keep the connection alive).
  WebSocket& connection() noexcept { return connection_; }

 private:
  friend struct detail::ws::Access;
  WebSocket connection_;
};

/// Writes `message` to every open connection of `sockets` (a range of
/// WebSocket, or of pointers to WebSocketHandler); returns how many. A write
/// that fails closes only its own connection and is nobody's error.
template <class Range>
std::size_t websocket_broadcast(Range&& sockets, const PreparedWebSocketMessage& message) {
  std::size_t sent = 0;
  for (auto&& item : sockets) {
    WebSocket* socket = nullptr;
    if constexpr (std::is_pointer_v<std::remove_cvref_t<decltype(item)>>) {
      socket = &item->connection();
    } else {
      socket = &item;
    }
    if (socket->closed()) continue;
    Future<void> written = socket->write_message(message);
    detail::ws::read_detail::observe(written);
    ++sent;
  }
  return sent;
}

namespace detail::ws {

// What the library does with handles that users may not.
struct Access {
  static WebSocket make(Connection* c) noexcept { return WebSocket(WebSocket::owning(c)); }
  static Connection* get(const WebSocket& w) noexcept { return w.get(); }
  static void bind(WebSocketHandler& h, Connection* c) noexcept {
    h.connection_ = WebSocket(reinterpret_cast<std::uintptr_t>(c) | 1);
  }
};

inline void bind_handler(WebSocketHandler& h, Connection* c) noexcept { Access::bind(h, c); }

// The class handler's callbacks: an exception goes to the loop's handler
// and closes the connection with 1011.
inline void Connection::notify_open() {
  if (!has_handler_) return;
  try {
    handler_->open();
  } catch (...) {
    stream().loop()->handle_exception(std::current_exception(), "WebSocketHandler::open");
    if (!close_sent_ && !finished_) close(close_code::internal_error, {});
  }
}

inline void Connection::notify_message(const WebSocketMessage& message) {
  KnownText known(message);  // an echo of it needs no second UTF-8 check
  try {
    handler_->on_message(message);
  } catch (...) {
    stream().loop()->handle_exception(std::current_exception(), "WebSocketHandler::on_message");
    if (!close_sent_ && !finished_) close(close_code::internal_error, {});
  }
}

inline void Connection::notify_close() {
  if (!has_handler_) return;
  try {
    handler_->on_close();
  } catch (...) {
    if (IOLoop* loop = stream().loop()) loop->handle_exception(std::current_exception(), "WebSocketHandler::on_close");
  }
}

}  // namespace detail::ws

}  // namespace eddy

#include "detail/websocket/client.hpp"
#include "detail/websocket/server.hpp"

namespace eddy {

/// Opens a client connection to a ws:// or wss:// URL: TCP, TLS for wss://
/// (with <eddy/ssl.hpp> included and eddy::ssl linked; the server's
/// certificate verified against the system's CA store and the host name),
/// the upgrade, the checks of the answer, all within
/// options.connect_timeout. Failures: see detail/websocket/client.hpp.
inline Future<WebSocket> websocket_connect(std::string url, WebSocketOptions options = {}) {
  try {
    detail::ws::ClientTarget target = detail::ws::parse_ws_url(url);
    auto handshake = std::make_shared<detail::ws::ClientHandshake>(std::move(target), std::move(options));
    return handshake->start();
  } catch (...) {
    return make_failed_future<WebSocket>(std::current_exception());
  }
}

/// As above, with the URL, headers and TLS settings of an HTTPRequest
/// (Tornado's websocket_connect takes one too): request.url (ws:// or
/// wss://), request.headers (sent before options.headers), and for wss://
/// validate_cert, ca_certs (replacing the system store), client_cert and
/// client_key, as AsyncHTTPClient reads them for https://. The method must
/// be GET and the body empty (std::invalid_argument otherwise); the other
/// fields are not used (options.connect_timeout bounds the connect).
inline Future<WebSocket> websocket_connect(HTTPRequest request, WebSocketOptions options = {}) {
  try {
    detail::ws::ClientTarget target = detail::ws::parse_ws_request(request, options);
    auto handshake = std::make_shared<detail::ws::ClientHandshake>(std::move(target), std::move(options));
    return handshake->start();
  } catch (...) {
    return make_failed_future<WebSocket>(std::current_exception());
  }
}


template <class F, class Options>
  requires(!std::is_base_of_v<WebSocketHandler, std::remove_cvref_t<F>>)
Application& Application::websocket(std::string pattern, F&& handler, Options options, SourceLocation where) {
  static_assert(std::is_same_v<Options, WebSocketOptions>, "the options of a WebSocket route are WebSocketOptions");
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_r_v<Future<void>, Fn&, WebSocket>,
                "a WebSocket handler is called as handler(WebSocket) and returns eddy::Future<void>");
  auto target = std::make_unique<detail::ws::FunctionRoute<Fn>>(std::forward<F>(handler), std::move(options));
  return add(std::move(pattern), {"GET"}, std::move(target), where);
}

template <class H, class Options>
Application& Application::websocket(std::string pattern, Options options, SourceLocation where) {
  static_assert(std::is_same_v<Options, WebSocketOptions>, "the options of a WebSocket route are WebSocketOptions");
  static_assert(std::is_base_of_v<WebSocketHandler, H>, "H must derive from eddy::WebSocketHandler");
  static_assert(std::is_default_constructible_v<H>, "H must be default-constructible (one per connection)");
  auto target = std::make_unique<detail::ws::ClassRoute<H>>(std::move(options));
  return add(std::move(pattern), {"GET"}, std::move(target), where);
}

}  // namespace eddy

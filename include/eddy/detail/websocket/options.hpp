/// @file
/// WebSocketMessage and WebSocketOptions: the plain values of the WebSocket
/// API (see <eddy/websocket.hpp>). Kept apart so that the connection code
/// and the public header share them.
///
/// Thread contract: plain values; one thread at a time.
#pragma once

#include "../base/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../../httputil.hpp"
#include "../../loop_types.hpp"
#include "../http/http_server_request.hpp"

namespace eddy {

/// One message, whole: the payload of every fragment joined (and
/// decompressed), and whether it came as binary (else text: valid UTF-8).
struct WebSocketMessage {
  std::string data;     ///< the payload
  bool binary = false;  ///< a binary message; false: text, always valid UTF-8
};

/// How a WebSocket connection behaves: its limits, liveness and extensions.
/// The first seven members are the contract of issue 25; the rest are
/// additions. A plain value, copied into each route or connection.
struct WebSocketOptions {
  /// A larger message (after decompression) closes the connection with 1009
  /// (Tornado's default, 10 MiB).
  std::size_t max_message_size = 10 * 1024 * 1024;
  /// 0: no pings (Tornado's default). Otherwise a ping goes out every
  /// interval, and a peer silent for ping_timeout after one is dropped.
  Clock::duration ping_interval{};
  /// 0: ping_interval. Nothing received for this long after a ping: the
  /// connection closes at once (no close handshake) and the handler learns it.
  Clock::duration ping_timeout{};
  /// permessage-deflate (RFC 7692), off by default as in Tornado. Needs zlib
  /// at run time (see docs/websocket.md: link -lz or eddy::deflate).
  bool compression = false;
  /// Client: offered in this order. Server: the ones it accepts; the first
  /// of the client's offers that the server accepts wins.
  std::vector<std::string> subprotocols;
  /// Client: TCP connect, TLS and the upgrade together (20 s, Tornado's).
  Clock::duration connect_timeout = std::chrono::seconds(20);
  /// Bytes of earlier messages still queued for the peer past which
  /// write_message fails and the connection closes. 0: the default, 1 MiB.
  std::size_t max_write_buffer_size = 0;

  // ---- additions -----------------------------------------------------------

  /// How long a close handshake may take before TCP is closed anyway: after
  /// sending a close frame, the wait for the peer's; after a protocol error,
  /// the wait for the peer to read the close frame and leave.
  Clock::duration close_timeout = std::chrono::seconds(5);
  /// Client: extra request fields (Origin, Cookie, Authorization, ...).
  HTTPHeaders headers;
  /// Server, function routes: the Origin check; nullptr: Tornado's rule
  /// (allowed when the Origin's host equals the Host field, or when there is
  /// no Origin). Class routes override WebSocketHandler::check_origin instead.
  bool (*check_origin)(std::string_view origin, const HTTPServerRequest& request) = nullptr;
};

}  // namespace eddy

namespace eddy::detail::ws {

// The write bound in force (see max_write_buffer_size).
constexpr std::size_t default_max_write_buffer_size = 1024 * 1024;
inline std::size_t write_bound(const WebSocketOptions& o) noexcept {
  return o.max_write_buffer_size != 0 ? o.max_write_buffer_size : default_max_write_buffer_size;
}

}  // namespace eddy::detail::ws

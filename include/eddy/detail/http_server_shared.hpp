// HTTPServerOptions and the state an HTTPServer shares with its connections:
// the options, the Application, and the list of live connections that
// close_all_connections() walks.
//
// Lifetime: shared by the HTTPServer and every connection it accepted, so a
// connection that outlives its server still has its options and handlers
// (the Application a server was given by reference must outlive both).
//
// Thread contract: the loop thread of the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "../future.hpp"
#include "../loop_types.hpp"
#include "../web.hpp"

namespace eddy {

/// The limits and behaviour of an HTTPServer: every limit has a default, and
/// what exceeding it gets (a status, then close). A plain value; see
/// httpserver.hpp for the thread contract.
struct HTTPServerOptions {
  /// Close every connection after its response (Tornado's no_keep_alive).
  bool no_keep_alive = false;
  /// Trust X-Real-Ip / X-Forwarded-For for remote_ip and X-Forwarded-Proto /
  /// X-Scheme for protocol: only behind a proxy that sets them.
  bool xheaders = false;
  /// The request line and header fields together; more: 431, then close.
  std::size_t max_header_size = 64 * 1024;
  /// A request body (after chunked decoding); more: 413, then close.
  std::size_t max_body_size = 100 * 1024 * 1024;
  /// A connection waiting for a request, or for the rest of a request head,
  /// closes after this long (so it also bounds a header that trickles in).
  Clock::duration idle_connection_timeout = std::chrono::hours(1);
  /// A request body that makes no progress (no byte arrives) for this long
  /// closes the connection: nginx's client_body_timeout, 60 s.
  Clock::duration body_timeout = std::chrono::seconds(60);
};

}  // namespace eddy

namespace eddy::detail {

// A connection as the server's list sees it.
class ServedConnection {
 public:
  // Closes now if no request is in flight, else once its response is finished.
  virtual void close_when_idle() = 0;
  // Closes now.
  virtual void close_now() noexcept = 0;
  // Drops the server's hold on the connection (it may be freed at once).
  virtual void release_self() noexcept = 0;

  ServedConnection* prev_ = nullptr;
  ServedConnection* next_ = nullptr;

 protected:
  ServedConnection() = default;
  ServedConnection(const ServedConnection&) = delete;
  ServedConnection& operator=(const ServedConnection&) = delete;
  ~ServedConnection() = default;
};

struct ServerShared {
  explicit ServerShared(HTTPServerOptions o) : options(o) {}

  HTTPServerOptions options;
  Application own_app;          // HTTPServer(handler)'s one route
  Application* app = &own_app;  // or the user's
  ServedConnection* first = nullptr;
  std::size_t live = 0;
  bool closing_all = false;                 // close_all_connections() was called
  std::optional<Future<void>> all_closed;   // its future, until the last connection goes

  void link(ServedConnection& c) noexcept {
    c.prev_ = nullptr;
    c.next_ = first;
    if (first != nullptr) first->prev_ = &c;
    first = &c;
    ++live;
  }
  // With `resolve`, the last connection to go resolves close_all's future
  // (not from a destructor, which may run inside a dying loop).
  void unlink(ServedConnection& c, bool resolve) noexcept {
    if (c.prev_ != nullptr) {
      c.prev_->next_ = c.next_;
    } else if (first == &c) {
      first = c.next_;
    } else {
      return;  // not listed
    }
    if (c.next_ != nullptr) c.next_->prev_ = c.prev_;
    c.prev_ = c.next_ = nullptr;
    --live;
    if (live == 0 && all_closed && resolve) {
      Future<void> done = std::move(*all_closed);
      all_closed.reset();
      done.set_result();
    }
  }

  // close_all_connections(): idle connections close now, busy ones after
  // their response; the future resolves when none is left.
  Future<void> close_all() {
    closing_all = true;
    if (live == 0) return make_ready_future();
    if (!all_closed) all_closed.emplace();
    Future<void> done = *all_closed;
    for (ServedConnection* c = first; c != nullptr;) {
      ServedConnection* next = c->next_;  // closing may unlink c (it never frees it here)
      c->close_when_idle();
      c = next;
    }
    return done;
  }

  // The server is going: every connection closes now and loses the
  // server's hold (each is freed once its pending callbacks are done).
  void close_everything() noexcept {
    while (first != nullptr) {
      ServedConnection* c = first;
      unlink(*c, false);
      c->close_now();
      c->release_self();
    }
  }
};

}  // namespace eddy::detail

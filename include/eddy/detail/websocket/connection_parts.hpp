// The pieces a WebSocket Connection is made of (connection.hpp): the
// Settings its route (or websocket_connect) shares with its siblings, the
// counted reference its callbacks hold, and the side block that holds what
// only a connection doing something unusual needs, so that an idle one
// carries one null pointer for all of it.
//
// Thread contract: Settings may be shared across threads (atomic count,
// constant options); the rest belongs to the connection's loop thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../../future.hpp"
#include "../../loop_types.hpp"
#include "../http/http_server_request.hpp"
#include "deflate.hpp"
#include "options.hpp"

namespace eddy::detail::ws {

// What the connections of one route (or one websocket_connect) share: the
// options, counted atomically since an Application could in principle be
// shared by servers on several loops.
class Settings {
 public:
  explicit Settings(WebSocketOptions o) : options(std::move(o)), max_write(write_bound(options)) {}
  Settings(const Settings&) = delete;
  Settings& operator=(const Settings&) = delete;

  static Settings* make(WebSocketOptions o) { return new Settings(std::move(o)); }
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  const WebSocketOptions options;
  const std::size_t max_write;

 private:
  std::atomic<std::uint32_t> refs_{1};
};

class Connection;

// A counted reference to a Connection, for callbacks and the library's own
// holds (8 bytes: it fits a Function's inline room with more captures).
class Ref {
 public:
  Ref() noexcept = default;
  explicit Ref(Connection* c) noexcept;
  Ref(const Ref& other) noexcept : Ref(other.c_) {}
  Ref(Ref&& other) noexcept : c_(std::exchange(other.c_, nullptr)) {}
  Ref& operator=(Ref other) noexcept {
    std::swap(c_, other.c_);
    return *this;
  }
  ~Ref();
  Connection* operator->() const noexcept { return c_; }
  Connection* get() const noexcept { return c_; }

 private:
  Connection* c_ = nullptr;
};

// A ping sent with ping(): resolved when a pong with its payload arrives.
struct PendingPing {
  std::string payload;
  Future<void> done;
};

// The side block: state only a connection doing something unusual needs.
struct Side {
  std::string message;     // a message being assembled (payload so far, inflated)
  std::string leftover;    // received bytes not yet consumed (see the file comment)
  std::string rescued;     // a read that completed inside read_into()
  std::string close_reason;               // the peer's
  std::unique_ptr<Inflater> inflater;     // own (context takeover) or lent for a message
  std::unique_ptr<Deflater> deflater;     // own (context takeover on our side)
  std::deque<PendingPing> pings;
  std::optional<Future<void>> close_written;  // the close frame's write
  std::unique_ptr<HTTPServerRequest> full_request;  // rebuilt for request()
  std::uint64_t compressed_in = 0;        // a compressed message's payload so far
  Timeout timer;                          // the ping or close timer
  Clock::time_point ping_sent{};          // the liveness ping waiting for an answer, or {}
  Clock::time_point next_ping{};          // when the next liveness ping goes

  bool unused() const noexcept {
    return message.empty() && leftover.empty() && rescued.empty() && close_reason.empty() && !inflater &&
           !deflater && pings.empty() && !close_written && !timer && compressed_in == 0 && !full_request;
  }
};

// The text of the message a class handler's on_message is running for,
// already checked for UTF-8 on arrival: writing exactly those bytes back
// (an echo, a relay to other connections) skips the second check. The
// message is const and lives for the call, so the same pointer and size
// mean the same bytes.
class KnownText {
 public:
  explicit KnownText(const WebSocketMessage& m) noexcept : saved_(current()) {
    if (!m.binary) current() = std::string_view(m.data);
  }
  KnownText(const KnownText&) = delete;
  KnownText& operator=(const KnownText&) = delete;
  ~KnownText() { current() = saved_; }

  static bool is(std::string_view text) noexcept {
    std::string_view known = current();
    return !text.empty() && text.data() == known.data() && text.size() == known.size();
  }

 private:
  static std::string_view& current() noexcept {
    static thread_local std::string_view text;
    return text;
  }
  std::string_view saved_;
};

}  // namespace eddy::detail::ws

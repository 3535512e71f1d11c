// HTTPServerOptions and the state an HTTPServer shares with its connections:
// the options, the Application, and the lists of live connections (which
// close_all_connections() walks), ordered by deadline with one timer per
// server for all their timeouts (idle, body, linger and send; a connection
// on the send list is asked at its deadline whether its output moved, and
// gets another period if it did).
//
// Lifetime: shared by the HTTPServer and every connection it accepted, so a
// connection that outlives its server still has its options and handlers
// (the Application a server was given by reference must outlive both).
//
// Thread contract: the loop thread of the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../../loop_types.hpp"
#include "../../web.hpp"
#include "../ssl/context.hpp"

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
  /// Responses written and not yet taken by the kernel, per connection: past
  /// this many bytes, no further pipelined request is parsed or dispatched
  /// until the queue has drained (Tornado waits for each write). So a client
  /// that pipelines and stops reading costs at most this, the response that
  /// crossed it, and the bounded unread input. At the limit the next request
  /// is still taken; one byte more holds it back.
  std::size_t max_queued_response_bytes = 64 * 1024;
  /// A connection whose queued output makes no progress (no byte taken by
  /// the kernel) for this long closes: nginx's send_timeout, 60 s. It covers
  /// every response, including the last one of a closing connection and a
  /// handler's flush() that the client never reads. Checked once per period:
  /// a stall is noticed between one and two periods after the last progress.
  Clock::duration send_timeout = std::chrono::seconds(60);
  /// HTTPS (Tornado's ssl_options): a server context (SSLContext::server,
  /// <eddy/ssl.hpp>). Each connection's TLS handshake is done before its first
  /// request is read; request().protocol reads "https". A context without ALPN
  /// protocols is given "http/1.1".
  std::optional<SSLContext> ssl;
};

}  // namespace eddy

namespace eddy::detail {

// Which of its server's lists a connection is on. Every list but `busy`
// holds connections waiting for a deadline of one fixed length, so
// appending at the tail keeps it ordered by deadline (libev's "ev_timer
// idle" trick, nginx's keep-alive queue): one timer per server, at the
// earliest head, stands for every connection's timeout.
enum class ServedWait : std::uint8_t {
  busy,    // a request in flight: no deadline
  idle,    // waiting for a request, or for the rest of its head
  body,    // waiting for more of a request body
  linger,  // after a refusal, dropping input until it closes
  send,    // output queued: it must make progress within send_timeout
  unlisted
};

// A connection as the server's lists see it.
class ServedConnection {
 public:
  // Closes now if no request is in flight, else once its response is finished.
  virtual void close_when_idle() = 0;
  // Closes now (it is freed once its pending callbacks are done).
  virtual void close_now() noexcept = 0;
  // On the send list at its deadline: true if its queued output moved since
  // it was last asked (or drained), so it gets another send_timeout.
  virtual bool output_moved() noexcept = 0;

  ServedConnection* prev_ = nullptr;
  ServedConnection* next_ = nullptr;
  Clock::time_point deadline_{};  // on a list but busy: when it closes
  ServedWait wait_ = ServedWait::unlisted;

 protected:
  ServedConnection() = default;
  ServedConnection(const ServedConnection&) = delete;
  ServedConnection& operator=(const ServedConnection&) = delete;
  ~ServedConnection() = default;
};

struct ServerShared : std::enable_shared_from_this<ServerShared> {
  explicit ServerShared(HTTPServerOptions o) : options(o) {}
  ServerShared(const ServerShared&) = delete;
  ServerShared& operator=(const ServerShared&) = delete;

  HTTPServerOptions options;
  Application own_app;          // HTTPServer(handler)'s one route
  Application* app = &own_app;  // or the user's; null once the server is destroyed
  std::size_t live = 0;
  std::uint64_t writes = 0;                 // stream writes of its connections (tests read it)
  bool closing_all = false;                 // close_all_connections() was called
  std::optional<Future<void>> all_closed;   // its future, until the last connection goes

  // ---- the lists -------------------------------------------------------------

  void link(ServedConnection& c) noexcept {
    c.wait_ = ServedWait::unlisted;
    put(c, ServedWait::busy);
    ++live;
  }
  // With `resolve`, the last connection to go resolves close_all's future
  // (not from a destructor, which may run inside a dying loop).
  void unlink(ServedConnection& c, bool resolve) noexcept {
    if (c.wait_ == ServedWait::unlisted) return;
    take(c);
    --live;
    if (live == 0 && all_closed && resolve) {
      Future<void> done = std::move(*all_closed);
      all_closed.reset();
      done.set_result();
    }
  }
  // c closes at `deadline` unless moved again; `wait` is the list whose
  // timeout gave it (so deadlines on each list only grow).
  void wait_until(ServedConnection& c, ServedWait wait, Clock::time_point deadline, IOLoop& loop) {
    if (c.wait_ == ServedWait::unlisted) return;
    take(c);
    c.deadline_ = deadline;
    put(c, wait);
    if (!sweep_ || deadline < sweep_at_) arm_sweep(loop, deadline);
  }
  // c has no deadline (a request in flight).
  void no_deadline(ServedConnection& c) noexcept {
    if (c.wait_ == ServedWait::unlisted || c.wait_ == ServedWait::busy) return;
    take(c);
    put(c, ServedWait::busy);
  }

  // close_all_connections(): idle connections close now, busy ones after
  // their response; the future resolves when none is left.
  Future<void> close_all() {
    closing_all = true;
    if (live == 0) return make_ready_future();
    if (!all_closed) all_closed.emplace();
    Future<void> done = *all_closed;
    for (List& list : lists_) {
      for (ServedConnection* c = list.head; c != nullptr;) {
        ServedConnection* next = c->next_;  // closing never unlinks or frees c here
        c->close_when_idle();
        c = next;
      }
    }
    return done;
  }

  // The server is going: every connection closes now (each is freed once
  // its pending callbacks are done), and the sweep stops (its loop is
  // still there: servers go before loops). The Application is detached: a
  // connection's callbacks still to run (a read already done) dispatch
  // nothing, since the user's Application may go with the server.
  void close_everything() noexcept {
    app = nullptr;
    for (List& list : lists_) {
      while (list.head != nullptr) {
        ServedConnection* c = list.head;
        unlink(*c, false);
        c->close_now();
      }
    }
    if (sweep_ && anchor_ && anchor_->loop != nullptr) anchor_->loop->remove_timeout(sweep_);
    sweep_ = Timeout();
  }

 private:
  struct List {
    ServedConnection* head = nullptr;
    ServedConnection* tail = nullptr;
  };
  static constexpr std::size_t list_count = 5;

  void put(ServedConnection& c, ServedWait wait) noexcept {
    List& list = lists_[static_cast<std::size_t>(wait)];
    c.wait_ = wait;
    c.next_ = nullptr;
    c.prev_ = list.tail;
    if (list.tail != nullptr) {
      list.tail->next_ = &c;
    } else {
      list.head = &c;
    }
    list.tail = &c;
  }
  void take(ServedConnection& c) noexcept {
    List& list = lists_[static_cast<std::size_t>(c.wait_)];
    if (c.prev_ != nullptr) {
      c.prev_->next_ = c.next_;
    } else {
      list.head = c.next_;
    }
    if (c.next_ != nullptr) {
      c.next_->prev_ = c.prev_;
    } else {
      list.tail = c.prev_;
    }
    c.prev_ = c.next_ = nullptr;
    c.wait_ = ServedWait::unlisted;
  }

  // The one timer: at the earliest deadline it has been asked for. It may
  // fire early for a connection that moved on since (sweep() re-arms).
  void arm_sweep(IOLoop& loop, Clock::time_point at) {
    if (!anchor_) anchor_ = loop.anchor();
    if (sweep_) loop.remove_timeout(sweep_);
    sweep_at_ = at;
    sweep_ = loop.call_at(at, [weak = weak_from_this()] {
      if (std::shared_ptr<ServerShared> self = weak.lock()) self->sweep();
    });
  }
  // Closes every connection whose deadline has passed (the head of each
  // list, in order), then re-arms for the earliest left.
  void sweep() {
    sweep_ = Timeout();
    IOLoop* loop = anchor_ ? anchor_->loop : nullptr;
    if (loop == nullptr) return;
    Clock::time_point now = loop->time();
    Clock::time_point next = Clock::time_point::max();
    for (std::size_t i = 1; i < list_count; ++i) {
      List& list = lists_[i];
      while (list.head != nullptr && list.head->deadline_ <= now) {
        ServedConnection* c = list.head;
        if (i == static_cast<std::size_t>(ServedWait::send) && c->output_moved()) {
          // Progress: the tail again, a period from now (re-armed below).
          take(*c);
          c->deadline_ = now + options.send_timeout;
          put(*c, ServedWait::send);
          if (c->deadline_ <= now) break;  // a zero timeout: asked once per sweep
          continue;
        }
        no_deadline(*c);  // off the list first: closing only schedules its callbacks
        c->close_now();
      }
      if (list.head != nullptr && list.head->deadline_ < next) next = list.head->deadline_;
    }
    if (next != Clock::time_point::max()) arm_sweep(*loop, next);
  }

  List lists_[list_count];
  std::shared_ptr<const LoopAnchor> anchor_;  // the connections' loop, once one waits
  Timeout sweep_;
  Clock::time_point sweep_at_{};
};

}  // namespace eddy::detail

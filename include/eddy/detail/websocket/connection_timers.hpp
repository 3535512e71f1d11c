// Connection's one timer: liveness pings while open, the close handshake's
// bound once a close frame is out. Included by connection.hpp; see it for
// the design.
//
// Liveness (ping_interval > 0): every interval a ping goes out, unless one
// is still unanswered. Any byte received counts as an answer (a busy peer
// need not answer pings to be alive): a read sets heard_, a ping clears it.
// ping_timeout after a ping with nothing heard, the connection closes at
// once, without a close handshake (the peer is gone or hopeless), and the
// handler learns it: read_message gives nullopt, on_close runs. While the
// connection is paused (a message waits for read_message), the peer has
// shown it is alive and the check rests.
//
// Closing: after a close frame is sent (or a protocol error), the timer
// bounds the wait for the peer (close_timeout): then TCP is closed.
//
// The timer's callback holds a count of the connection; it is removed
// whenever the connection ends, and destroyed unrun with the loop.
#pragma once

#include "connection.hpp"

namespace eddy::detail::ws {

inline void Connection::start_pinging() {
  if (options().ping_interval <= Clock::duration::zero() || !has_stream_) return;
  IOLoop* loop = stream().loop();
  if (loop == nullptr) return;
  Side& s = side();
  s.next_ping = loop->time() + options().ping_interval;
  arm(s.next_ping);
}

inline void Connection::arm(Clock::time_point when) {
  IOLoop* loop = stream().loop();
  if (loop == nullptr) return;
  Side& s = side();
  if (s.timer) loop->remove_timeout(s.timer);
  s.timer = loop->call_at(when, [self = Ref(this)] { self->on_timer(); });
}

inline void Connection::disarm() noexcept {
  if (!side_ || !side_->timer) return;
  Timeout timer = side_->timer;
  side_->timer = Timeout();
  if (IOLoop* loop = stream().loop()) loop->remove_timeout(timer);
}

inline void Connection::on_timer() {
  side_->timer = Timeout();  // fired
  if (tcp_closed_) return;
  IOLoop* loop = stream().loop();
  if (close_sent_ || failed_ || close_received_ || loop == nullptr) return abort();  // the close took too long
  Clock::time_point now = loop->time();
  Side& s = side();
  Clock::duration timeout = options().ping_timeout > Clock::duration::zero() ? options().ping_timeout
                                                                             : options().ping_interval;
  if (paused_) heard_ = true;
  if (s.ping_sent != Clock::time_point{}) {
    if (heard_) {
      s.ping_sent = Clock::time_point{};
    } else if (now >= s.ping_sent + timeout) {
      return abort();  // the ping timeout: no close handshake
    }
  }
  if (now >= s.next_ping) {
    if (s.ping_sent == Clock::time_point{}) {
      Future<void> written = send_frame(Opcode::ping, {}, false);
      read_detail::observe(written);
      s.ping_sent = now;
      heard_ = false;
    }
    s.next_ping = now + options().ping_interval;
  }
  Clock::time_point next = s.next_ping;
  if (s.ping_sent != Clock::time_point{} && s.ping_sent + timeout < next) next = s.ping_sent + timeout;
  arm(next);
}

}  // namespace eddy::detail::ws

// Session's cancellation: a query whose waiter gave up (Future::cancel,
// from with_timeout or a destroyed coroutine) and Connection::cancel (a
// notification() given up is session_notify.hpp's). Included by
// postgres.hpp after session.hpp; not meant to be included on its own.
//
// PostgreSQL cancels whatever the server process runs when the request
// arrives (PQcancel, sent over a second connection; blocking in libpq 15,
// so it runs on the executor). With other callers' queries pipelined on the
// same connection that could hit the wrong one, so a cancelled query is
// handled by where it stands:
// - held back, never sent: it leaves at once, failed with CancelledError;
// - sent and the last one sent: new queries are held back; when it is the
//   one running (first in line) the cancel request goes out; the hold ends
//   once both its answer (57014, or its result if it finished first) and
//   the cancel request's return are in. A request that arrives while the
//   server is idle is dropped by the server, so it cannot hit a later query;
//   for the same reason one that arrives before the server process has
//   begun the query (it was busy reading it) is lost: while the query still
//   runs after its request returned, the request goes again, after 50 ms,
//   then twice as long each time up to 1 s (libpq has no signal for "the
//   query started"; a second request costs the server one short connection);
// - sent with other queries behind it: it runs to its end (cancelling it
//   could cancel theirs), and its future resolves with its outcome.
// Connection::cancel is the explicit form: it cancels what runs now, with
// no such care (its contract).
//
// Thread contract: the loop thread; the PQcancel call alone runs on an
// executor thread, on its own PGcancel copy.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "session.hpp"

namespace eddy::detail::postgres {

// Blocking: sends a cancel request for the query `cancel` was made for.
// "" on success, libpq's reason otherwise. Meant for the executor.
inline std::string send_cancel_request(const std::shared_ptr<PGcancel>& cancel) {
  char why[256] = {};
  if (PQcancel(cancel.get(), why, sizeof why) == 1) return std::string();
  return why[0] != '\0' ? trimmed(why) : std::string("unknown error");
}

// The cancel key of `conn`, owned (PQgetCancel copies it; it does not block).
inline std::shared_ptr<PGcancel> cancel_key(PGconn* conn) {
  PGcancel* cancel = PQgetCancel(conn);
  if (cancel == nullptr) throw Error(connection_closed, "eddy: postgres: no cancel key (the connection is closed)");
  return std::shared_ptr<PGcancel>(cancel, &PQfreeCancel);
}

inline void Session::on_query_cancelled(std::uint64_t seq) {
  for (std::size_t i = 0; i < held_.size(); ++i) {
    if (held_.at(i).seq != seq) continue;
    Future<Result> future = held_.at(i).future;
    held_.remove_if([seq](const Held& h) { return h.seq == seq; });
    future.set_exception(
        std::make_exception_ptr(CancelledError("eddy: postgres: the query was cancelled before it was sent")));
    return;
  }
  std::size_t n = pending_.size();
  for (std::size_t i = 0; i < n; ++i) {
    Entry& entry = pending_.at(i);
    if (entry.seq != seq) continue;
    entry.cancel_wanted = true;
    if (i + 1 != n || holding() || loop_->closing() || phase_ != Phase::ready) return;
    cancel_target_ = seq;
    cancel_fired_ = false;
    cancel_returned_ = false;
    cancel_retries_ = 0;
    if (i == 0) fire_server_cancel();
    return;
  }
}

inline void Session::fire_server_cancel() {
  cancel_fired_ = true;
  try {
    std::shared_ptr<PGcancel> cancel = cancel_key(conn_);
    Future<std::string> sent = loop_->run_in_executor([cancel] { return send_cancel_request(cancel); });
    sent.add_done_callback([weak = weak_from_this()](Future<std::string> done) {
      (void)done.exception();  // a failed request only means the query runs to its end
      if (std::shared_ptr<Session> s = weak.lock()) {
        s->cancel_returned_ = true;
        s->after_answer();
      }
    });
  } catch (...) {
    cancel_returned_ = true;  // no request went out: nothing to wait for
  }
}

// After each answer, and when the cancel request returns: moves a server
// cancellation on, and ends the hold once it is over.
inline void Session::after_answer() {
  if (!holding() || phase_ != Phase::ready) return;
  bool target_answered = pending_.empty() || pending_.front().seq > cancel_target_;
  if (!cancel_fired_ && !target_answered) {
    if (pending_.front().seq == cancel_target_) fire_server_cancel();
    return;
  }
  if (cancel_fired_ && cancel_returned_ && !target_answered && !timer_) {
    unsigned shift = cancel_retries_ < 5 ? cancel_retries_ : 5;
    Clock::duration delay = std::chrono::milliseconds(50) * (1u << shift);
    if (delay > std::chrono::seconds(1)) delay = std::chrono::seconds(1);
    timer_ = loop_->call_later(delay, [weak = weak_from_this()] {
      if (std::shared_ptr<Session> s = weak.lock()) s->retry_server_cancel();
    });
  }
  if (cancel_fired_ && !(cancel_returned_ && target_answered)) return;
  if (timer_) loop_->remove_timeout(std::exchange(timer_, Timeout()));
  cancel_target_ = 0;
  send_held();
}

// The retry timer: the target still runs, so the last request may have
// come too early. Only the target is in flight (the rest are held), so a
// request cannot hit another caller's query.
inline void Session::retry_server_cancel() {
  timer_ = Timeout();
  if (!holding() || phase_ != Phase::ready || pending_.empty() || pending_.front().seq != cancel_target_) return;
  ++cancel_retries_;
  cancel_returned_ = false;
  fire_server_cancel();
}

inline Future<void> Session::cancel_running() {
  Future<void> out;
  if (phase_ != Phase::ready) {
    out.set_exception(std::make_exception_ptr(Error(connection_closed, "eddy: postgres: cancel on a closed connection")));
    return out;
  }
  std::shared_ptr<PGcancel> cancel = cancel_key(conn_);
  Future<std::string> sent = loop_->run_in_executor([cancel] { return send_cancel_request(cancel); });
  sent.add_done_callback([out](Future<std::string> done) mutable {
    if (std::exception_ptr error = done.exception()) return out.set_exception(error);
    std::string why = done.result();
    if (why.empty()) return out.set_result();
    out.set_exception(std::make_exception_ptr(Error(could_not_connect, "eddy: postgres: the cancel request failed: " + why)));
  });
  return out;
}

}  // namespace eddy::detail::postgres

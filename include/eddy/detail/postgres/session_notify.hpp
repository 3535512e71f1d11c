// Session's LISTEN/NOTIFY side: notification(), and the NOTIFY messages
// libpq read, handed to the oldest waiting notification() or queued until
// one asks. Included by postgres.hpp after session.hpp; not meant to be
// included on its own.
//
// Thread contract: the loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <utility>

#include "session.hpp"

namespace eddy::detail::postgres {

inline Future<Notification> Session::notification() {
  if (!notifications_.empty()) return make_ready_future(notifications_.pop_front());
  Future<Notification> future;
  if (phase_ != Phase::ready) {
    future.set_exception(std::make_exception_ptr(Error(connection_closed, "eddy: postgres: the connection is closed")));
    return future;
  }
  std::uint64_t seq = next_seq_++;
  future.set_cancel_callback([this, seq] { on_listener_cancelled(seq); });
  listeners_.push_back(Listener{seq, future});
  return future;
}

inline void Session::take_notifications() {
  while (PGnotify* n = PQnotifies(conn_)) {
    Notification note{n->relname, n->extra != nullptr ? n->extra : "", n->be_pid};
    PQfreemem(n);
    deliver(std::move(note));
  }
}

inline void Session::deliver(Notification note) {
  while (!listeners_.empty()) {
    Listener listener = listeners_.pop_front();
    if (listener.future.done()) continue;
    listener.future.set_result(std::move(note));
    return;
  }
  notifications_.push_back(std::move(note));
}

// A notification() nobody waits for any more leaves the queue of waiters.
inline void Session::on_listener_cancelled(std::uint64_t seq) {
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_.at(i).seq != seq) continue;
    Future<Notification> future = listeners_.at(i).future;
    listeners_.remove_if([seq](const Listener& l) { return l.seq == seq; });
    future.set_exception(std::make_exception_ptr(CancelledError("eddy: postgres: notification() was cancelled")));
    return;
  }
}

}  // namespace eddy::detail::postgres

// Connection's cancellation: what happens to a command whose only waiter
// gave up (Future::cancel, called by with_timeout and by a coroutine
// destroyed while it waited; see docs/futures.md "Cancellation"), and to a
// cancelled next_message(). Included by connection.hpp.
//
// - Not yet written (its bytes still in out_, waiting for the iteration's
//   flush): the command leaves the batch, bytes and slot, and the server
//   never sees it.
// - Written: the slot stays, so the replies still line up with the
//   commands; the reply is read and dropped when it comes. The future fails
//   at once with CancelledError.
// - Written and blocking (BLPOP, BRPOP, BLMOVE, BZPOPMIN, WAIT, XREAD BLOCK,
//   ...): the connection is closed, as redis-py's asyncio client does on a
//   cancelled read. The server would otherwise hold the connection until
//   the command's own timeout (possibly forever), and every command behind
//   it would wait as long; commands pending on the connection fail with
//   Error (kind connection).
// - A pipeline counts as one command: dropped whole, or its replies all
//   dropped; blocking if any command in it is.
// - HELLO and (un)subscriptions are not cancellable: the connection's
//   protocol and subscription state follow what was sent. Their futures
//   resolve as they would have.
//
// Thread contract: the loop thread (cancel callbacks run there).
// Lifetime: the callbacks hold the connection weakly; one that runs after
// the connection is gone does nothing (its future was resolved or dropped).
#pragma once

#include <cstdint>
#include <string>

#include "connection.hpp"

namespace eddy::detail::redis {

// Queues a slot for the command(s) just appended to out_ from `out_begin`.
inline void Connection::queue(Pending&& p, std::size_t out_begin) {
  p.seq = next_seq_++;
  p.out_begin = out_begin;
  pending_.push_back(std::move(p));
  ++unsent_;
  schedule_flush();
}

inline void Connection::on_cancelled(std::uint64_t seq) {
  // The slot with `seq`: sequence numbers increase along the queue.
  std::size_t low = 0;
  std::size_t high = pending_.size();
  while (low < high) {
    std::size_t middle = low + (high - low) / 2;
    if (pending_[middle].seq < seq) low = middle + 1;
    else high = middle;
  }
  if (low == pending_.size() || pending_[low].seq != seq) return;  // resolved meanwhile
  std::exception_ptr error = std::make_exception_ptr(CancelledError("eddy: redis: the command was cancelled"));
  std::size_t first_unsent = pending_.size() - unsent_;
  if (low >= first_unsent) {
    std::size_t begin = pending_[low].out_begin;
    std::size_t end = low + 1 < pending_.size() ? pending_[low + 1].out_begin : out_.size();
    out_.erase(begin, end);
    for (std::size_t i = low + 1; i < pending_.size(); ++i) pending_[i].out_begin -= end - begin;
    Pending gone = pending_.take(low);
    --unsent_;
    fail_pending(gone, error);
    return popped();
  }
  Pending& p = pending_[low];
  fail_pending(p, error);
  p.discard = true;
  if (!p.blocking) return;
  IOLoop* loop = stream_.loop();
  if (loop == nullptr || loop->closing()) return;  // the loop is going: so is the connection
  fail_all(std::make_exception_ptr(Error(
      "eddy: redis: connection closed: a blocking command that was sent was cancelled", Error::Kind::connection)));
}

inline void Connection::on_waiter_cancelled() {
  if (waiter_) resolve_waiter(nullptr, std::make_exception_ptr(CancelledError("eddy: redis: next_message was cancelled")));
}

}  // namespace eddy::detail::redis

// PoolState: the connections behind a postgres::Pool, opened on demand up to
// max_connections and reused.
//
// Where a query goes:
// - to an idle connection (nothing in flight) when there is one;
// - else, while fewer connections are open or opening than allowed, one
//   more is opened per waiting query, and the queries wait for them;
// - else, once no connection is still opening, to the free connection with
//   the fewest queries in flight (pipelined: it costs no round trip).
// A transaction leases an idle connection for itself (reserved: no query
// is sent on it but the transaction's own); while one waits for a lease,
// queries wait too, so the connections drain and the lease comes.
// A connection that breaks is dropped (its queries fail, class 08: they are
// not retried, as they may have run); the next query opens a replacement.
// A connect that fails fails the waiting queries when no connection is left
// to serve them (else they go to the open ones), and no connect is tried
// for a second after it.
//
// Lifetime: owned by the Pool; its sessions hold it weakly (their change
// callbacks). Destroying the Pool drops the connections not leased, which
// fails their pending queries with Error 08003.
// Thread contract: the loop thread of the loop current at construction.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../base/ring.hpp"
#include "session.hpp"

namespace eddy::detail::postgres {

class PoolState : public std::enable_shared_from_this<PoolState> {
 public:
  using SessionPtr = std::shared_ptr<Session>;

  PoolState(IOLoop& loop, std::string conninfo, std::size_t max_connections)
      : loop_(&loop), conninfo_(std::move(conninfo)), max_(max_connections) {
    if (max_ == 0) throw std::invalid_argument("eddy: postgres::Pool needs max_connections >= 1");
  }
  PoolState(const PoolState&) = delete;
  PoolState& operator=(const PoolState&) = delete;
  // The connections go with the pool (their pending queries fail, 08003);
  // so does the work still waiting for one.
  ~PoolState() { fail_waiting(Error(connection_closed, "eddy: postgres: the Pool was destroyed")); }

  Future<Result> query(Statement&& statement) {
    Future<Result> future;
    if (closing_) {
      future.set_exception(std::make_exception_ptr(Error(connection_closed, "eddy: postgres: query on a closed Pool")));
      return future;
    }
    // The usual case, straight to a connection: an idle one, or (all open
    // ones busy, no more allowed, none still opening) the least busy.
    if (lessees_.empty() && waiting_.empty()) {
      Member* m = least_busy();
      bool idle = m != nullptr && m->session->in_flight() == 0;
      if (idle || (m != nullptr && !can_open() && connecting_ == 0)) return m->session->query(std::move(statement));
    }
    waiting_.push_back(Waiting{future, std::move(statement)});
    dispatch();
    return future;
  }

  // An idle connection reserved for the caller until release().
  Future<SessionPtr> lease() {
    Future<SessionPtr> future;
    if (closing_) {
      future.set_exception(std::make_exception_ptr(Error(connection_closed, "eddy: postgres: transaction on a closed Pool")));
      return future;
    }
    lessees_.push_back(Future<SessionPtr>(future));
    dispatch();
    return future;
  }
  void release(const SessionPtr& session) noexcept {
    for (Member& m : members_) {
      if (m.session == session) m.reserved = false;
    }
    changed();
  }

  // Stops taking work; resolves once every connection has closed (those
  // with queries in flight or leased close when they are done).
  Future<void> close() {
    if (!closing_) {
      closing_ = true;
      fail_waiting(Error(connection_closed, "eddy: postgres: the Pool was closed"));
    }
    changed();
    return closed_;
  }

  std::size_t size() const noexcept { return members_.size(); }

 private:
  struct Member {
    SessionPtr session;
    bool reserved = false;
  };
  struct Waiting {
    Future<Result> future;
    Statement statement;
  };

  // The free (not reserved, open) member with the fewest queries in flight.
  Member* least_busy() {
    Member* best = nullptr;
    for (Member& m : members_) {
      if (m.reserved || m.session->closed()) continue;
      if (best == nullptr || m.session->in_flight() < best->session->in_flight()) best = &m;
    }
    return best;
  }
  std::size_t total() const noexcept { return members_.size() + connecting_; }
  // Room for one more connection, and no failed connect in the last second
  // (a server refusing connections is not asked again and again).
  bool can_open() const noexcept { return total() < max_ && Clock::now() >= retry_after_; }

  void fail_waiting(const std::exception_ptr& error) noexcept {
    try {
      while (!waiting_.empty()) {
        Waiting w = waiting_.pop_front();
        if (!w.future.done()) w.future.set_exception(error);
      }
      while (!lessees_.empty()) {
        Future<SessionPtr> f = lessees_.pop_front();
        if (!f.done()) f.set_exception(error);
      }
    } catch (...) {
      // Out of memory scheduling a wake-up: those futures stay pending.
    }
  }
  void fail_waiting(const Error& error) noexcept { fail_waiting(std::make_exception_ptr(error)); }

  // A waiter that gave up while its work waited here (it is dropped, never
  // sent): false when `future` is still wanted.
  template <class T>
  static bool gave_up(Future<T>& future) {
    if (future.done()) return true;
    if (!future.cancelled()) return false;
    future.set_exception(std::make_exception_ptr(CancelledError("eddy: postgres: cancelled while waiting for a connection")));
    return true;
  }

  // Hands waiting leases and queries to connections (see the file comment).
  // With no connection open or opening and connects paused after a failure,
  // the waiting work fails at once with that failure rather than hang.
  void dispatch() {
    if (members_.empty() && connecting_ == 0 && !can_open() && last_error_) return fail_waiting(last_error_);
    while (!lessees_.empty()) {
      if (gave_up(lessees_.front())) {
        lessees_.drop_front();
        continue;
      }
      Member* m = least_busy();
      if (m != nullptr && m->session->in_flight() == 0) {
        m->reserved = true;
        lessees_.pop_front().set_result(m->session);
        continue;
      }
      if (can_open() && connecting_ < lessees_.size()) {
        open_one();
        continue;
      }
      return;  // queries wait behind the lease, so connections drain
    }
    while (!waiting_.empty()) {
      Member* m = least_busy();
      bool idle = m != nullptr && m->session->in_flight() == 0;
      if (!idle && can_open() && connecting_ < waiting_.size()) {
        open_one();
        continue;
      }
      if (m == nullptr || (!idle && connecting_ > 0)) return;
      Waiting w = waiting_.pop_front();
      if (gave_up(w.future)) continue;
      Future<Result> sent = m->session->query(std::move(w.statement));
      sent.add_done_callback([to = w.future](Future<Result> done) mutable { forward(done, to); });
      w.future.set_cancel_callback([sent]() mutable { sent.cancel(); });
    }
  }

  static void forward(Future<Result>& from, Future<Result>& to) {
    if (to.done()) return (void)from.exception();
    if (std::exception_ptr error = from.exception()) return to.set_exception(error);
    to.set_result(from.result());
  }

  void open_one() {
    ++connecting_;
    auto session = std::make_shared<Session>(*loop_);
    session->connect(conninfo_, std::chrono::seconds(20), [weak = weak_from_this()](SessionPtr s, std::exception_ptr error) {
      if (std::shared_ptr<PoolState> pool = weak.lock()) pool->opened(std::move(s), error);
    });
  }

  void opened(SessionPtr session, std::exception_ptr error) {
    --connecting_;
    if (error) {
      retry_after_ = Clock::now() + std::chrono::seconds(1);
      last_error_ = error;
      // Nobody left to serve the waiting work: it fails with the reason.
      if (members_.empty() && connecting_ == 0) fail_waiting(error);
      return changed();
    }
    session->set_listener([weak = weak_from_this()] {
      if (std::shared_ptr<PoolState> pool = weak.lock()) pool->changed();
    });
    members_.push_back(Member{std::move(session), false});
    changed();
  }

  // A session closed or drained, a lease ended, a connect finished: drop
  // broken connections, close drained ones when closing, dispatch.
  void changed() {
    std::vector<SessionPtr> dropped;  // destroyed after the members are consistent
    for (std::size_t i = 0; i < members_.size();) {
      Member& m = members_[i];
      bool done = m.session->closed() || (closing_ && !m.reserved && m.session->in_flight() == 0);
      if (!done) {
        ++i;
        continue;
      }
      m.session->close();
      dropped.push_back(std::move(m.session));
      members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (closing_) {
      if (members_.empty() && connecting_ == 0 && !closed_.done()) closed_.set_result();
      return;
    }
    dispatch();
  }

  IOLoop* loop_;
  std::string conninfo_;
  std::size_t max_;
  std::vector<Member> members_;
  std::size_t connecting_ = 0;
  Clock::time_point retry_after_{};  // no connect before this, after a failed one
  std::exception_ptr last_error_;     // that failure
  Ring<Waiting> waiting_;
  Ring<Future<SessionPtr>> lessees_;
  bool closing_ = false;
  Future<void> closed_;
};

}  // namespace eddy::detail::postgres

// Session: one libpq connection driven by the loop (the state behind a
// postgres::Connection handle). Its members are defined in four files by
// job: this one (sending, receiving, closing), session_connect.hpp (the
// connect phase), session_cancel.hpp (cancellation) and session_notify.hpp
// (LISTEN/NOTIFY); postgres.hpp includes all four.
//
// Queries go out at once in pipeline mode, each PQsendQueryParams followed
// by its own PQpipelineSync, so each is its own implicit transaction and an
// error never skips another caller's query. `pending_` lists the sent ones
// in order; the server answers in that order with, per query, one result
// (copied into the entry at once), a NULL from PQgetResult, then
// PGRES_PIPELINE_SYNC, at which the query's
// future resolves and its waiter runs at once, inside the session's read
// handler (answer_front), so that its next query goes out before the next
// answer is read. The socket is watched for reading all the time (NOTIFY
// arrives while idle, and a lost connection is noticed at once), for
// writing only while libpq holds unsent bytes (PQflush returned 1).
//
// Lifetime: held by Connection handles (and a Pool); dropping the last
// closes the connection, failing what is pending with Error 08003. While
// connecting, the connect machinery holds it. The loop's handler holds it
// weakly; the futures' cancel callbacks hold a raw pointer: the session
// resolves every future it owns (which drops their cancel callbacks) before
// it dies. A loop destroyed under a session closes it (see Watch).
//
// Thread contract: the loop thread only.
#pragma once

#include "libpq.hpp"
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../../future.hpp"
#include "../../ioloop.hpp"
#include "../future/in_place.hpp"
#include "../base/ring.hpp"
#include "conninfo.hpp"
#include "params.hpp"
#include "result.hpp"

namespace eddy::detail::postgres {

using eddy::postgres::Notification;
using eddy::postgres::Result;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // How connect() reports: the session (connected) or the error.
  using Connected = Function<void(std::shared_ptr<Session>, std::exception_ptr)>;

  explicit Session(IOLoop& loop) : loop_(&loop), anchor_(loop.anchor()) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    close_with(Error(connection_closed, "eddy: postgres: the connection was dropped (no handle left)"), false);
  }

  // ---- connecting (session_connect.hpp) ----
  void connect(std::string conninfo, Clock::duration timeout, Connected done);
  // Ends a connect attempt with `error` (a timeout, a cancellation).
  void connect_failed(std::exception_ptr error);

  // ---- queries ----
  Future<Result> query(Statement&& statement);
  Future<Notification> notification();
  std::string quote_identifier(std::string_view name);
  void close() { close_with(Error(connection_closed, "eddy: postgres: the connection was closed"), true); }
  bool closed() const noexcept { return phase_ == Phase::closed; }
  IOLoop& loop() const noexcept { return *loop_; }
  // Queries sent or held, not yet answered (a Pool picks the least busy).
  std::size_t in_flight() const noexcept { return pending_.size() + held_.size(); }
  // Called (from a loop callback, never inside a session member) when the
  // session closes, and when in_flight() drops to 0. For the Pool.
  void set_listener(Function<void()> on_change) { on_change_ = std::move(on_change); }

  // ---- cancellation (session_cancel.hpp) ----
  Future<void> cancel_running();

 private:
  enum class Phase : unsigned char { idle, resolving, connecting, ready, closed };

  struct Entry {
    std::uint64_t seq;
    Future<Result> future;
    // The statement's answer, until its Sync: copied (or turned into its
    // Error) the moment it arrives, so libpq's PGresult is cleared before
    // the next one is made (glibc then reuses the same 2 KiB block instead
    // of splitting and merging two).
    Result rows;
    std::exception_ptr error;
    bool answered = false;
    bool cancel_wanted = false;  // its waiter gave up
  };
  struct Held {  // a query kept back while a cancellation is on its way
    std::uint64_t seq;
    Future<Result> future;
    Statement statement;
  };
  struct Listener {
    std::uint64_t seq;
    Future<Notification> future;
  };

  // session_connect.hpp
  void start_libpq(ConnInfo info);
  void on_connect_event();
  void watch_connecting(PostgresPollingStatusType status);
  void connected();
  // session_cancel.hpp
  void on_query_cancelled(std::uint64_t seq);
  void fire_server_cancel();
  void retry_server_cancel();
  void after_answer();
  // session_notify.hpp
  void take_notifications();
  void deliver(Notification note);
  void on_listener_cancelled(std::uint64_t seq);

  // ---- sending ----
  // libpq refuses a statement only when the connection is broken (or out
  // of memory): the statement fails, and a broken connection closes.
  void send(std::uint64_t seq, Future<Result>& future, const Statement& statement) {
    if (!statement.send(conn_) || PQpipelineSync(conn_) != 1) {
      future.set_exception(std::make_exception_ptr(lost_error()));
      if (PQstatus(conn_) == CONNECTION_BAD) lose_connection(lost_error());
      return;
    }
    pending_.push_back(Entry{seq, future, Result(), nullptr});
    flush();
  }
  void send_held() {
    while (!held_.empty() && !holding() && phase_ == Phase::ready) {
      Held h = held_.pop_front();
      send(h.seq, h.future, h.statement);
    }
  }
  bool holding() const noexcept { return cancel_target_ != 0; }
  // PQflush: 1 means bytes are left, to send when the socket is writable.
  void flush() {
    int rc = PQflush(conn_);
    if (rc < 0) return lose_connection(lost_error());
    watch(rc == 1 ? IOLoop::READ | IOLoop::WRITE : IOLoop::READ);
  }
  void watch(std::uint32_t events) {
    if (events == events_) return;
    events_ = events;
    loop_->update_handler(fd_, events);
  }

  // The connected session's handler. Destroyed by the loop's teardown (not
  // by remove_handler, which close_with calls after marking the session
  // closed), it closes the session: the loop is going, and with it every
  // way to drive the connection.
  // Weak: it may outlive the session (destroyed at the end of a dispatch
  // batch), and it keeps the session alive while its event is handled.
  class Watch {
   public:
    explicit Watch(std::weak_ptr<Session> s) noexcept : s_(std::move(s)) {}
    Watch(Watch&& other) noexcept = default;
    Watch& operator=(Watch&&) = delete;
    ~Watch() {
      std::shared_ptr<Session> s = s_.lock();
      if (s && s->phase_ != Phase::closed && s->loop_->closing()) s->on_loop_gone();
    }
    void operator()(int, std::uint32_t events) {
      if (std::shared_ptr<Session> s = s_.lock()) s->on_event(events);
    }

   private:
    std::weak_ptr<Session> s_;
  };
  void on_loop_gone() noexcept {
    fd_ = -1;  // the loop drops the registration itself
    close_with(Error(connection_lost, "eddy: postgres: the connection's loop was destroyed"), false);
  }

  // ---- receiving ----
  // A flush may read too: libpq takes in what the server sent while it
  // waits to write (pqSendSome), and the socket then shows nothing to read,
  // so results are looked for after every event, not only READ.
  void on_event(std::uint32_t events) {
    if ((events & IOLoop::WRITE) != 0 && phase_ == Phase::ready) flush();
    if (phase_ != Phase::ready) return;
    if ((events & (IOLoop::READ | IOLoop::ERROR)) != 0 && PQconsumeInput(conn_) != 1) {
      return lose_connection(lost_error());
    }
    take_results();
    if (phase_ != Phase::ready) return;
    take_notifications();
    if (PQstatus(conn_) == CONNECTION_BAD) return lose_connection(lost_error());
    flush();
  }

  // Hands every complete result to its query, in order.
  void take_results() {
    int nulls = 0;
    while (phase_ == Phase::ready && !pending_.empty() && PQisBusy(conn_) == 0) {
      PGresult* result = PQgetResult(conn_);
      if (result == nullptr) {
        // Ends one statement's results; two in a row mean nothing is ready.
        if (++nulls == 2) break;
        continue;
      }
      nulls = 0;
      ExecStatusType status = PQresultStatus(result);
      if (status == PGRES_PIPELINE_SYNC) {
        PQclear(result);
        answer_front();
      } else if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
        PQclear(result);
        if (!refuse_copy(status)) break;
      } else {
        keep(pending_.front(), result);
      }
    }
  }

  // The front query's Sync arrived: resolve it with its result. Its waiter
  // runs here, in place (see InPlace): this is the session's own handler,
  // and by then pending_ and the cancel hold are up to date, so a coroutine
  // resumed here may send its next query (it goes out before the answers
  // still buffered are read, as in a hand-written libpq loop), cancel
  // another or close the session; take_results checks phase_ after each.
  // The Watch that called on_event keeps the session alive meanwhile.
  void answer_front() {
    Entry entry = pending_.pop_front();
    bool run_here = !entry.future.done() && resolve(entry);
    after_answer();
    if (pending_.empty() && held_.empty()) notify_change();
    if (run_here) InPlace::run(entry.future);
  }
  // One statement, one result: a later one (an error at commit) replaces
  // the first. Clears `result`.
  static void keep(Entry& entry, PGresult* result) noexcept {
    entry.answered = true;
    entry.rows = Result();
    entry.error = nullptr;
    ExecStatusType status = PQresultStatus(result);
    try {
      if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
        entry.rows = Result::from(result);
      } else {
        entry.error = std::make_exception_ptr(result_error(result));
      }
    } catch (...) {
      entry.error = std::current_exception();  // out of memory copying the result: the query fails with it
    }
    PQclear(result);
  }
  // True when the future's callbacks are left for InPlace::run.
  static bool resolve(Entry& entry) {
    if (entry.error == nullptr && entry.answered) return InPlace::set_result(entry.future, std::move(entry.rows));
    std::exception_ptr error = entry.error;
    if (error == nullptr) {
      error = std::make_exception_ptr(
          Error(protocol_violation, "eddy: postgres: the server sent no result for the statement"));
    }
    return InPlace::set_exception(entry.future, std::move(error));
  }

  // COPY needs its own protocol: COPY FROM STDIN is ended with an error
  // (the server then fails the statement), COPY TO STDOUT is read and
  // dropped and the statement fails 0A000. False while the copied rows are
  // still arriving.
  bool refuse_copy(ExecStatusType status) {
    const char* why = "eddy: postgres: COPY is not supported by eddy::postgres";
    if (status == PGRES_COPY_IN) {
      PQputCopyEnd(conn_, why);
      return true;
    }
    Entry& front = pending_.front();
    if (!front.future.done()) front.future.set_exception(std::make_exception_ptr(Error("0A000", why)));
    char* row = nullptr;
    int rc;
    while ((rc = PQgetCopyData(conn_, &row, 1)) > 0) PQfreemem(row);
    return rc != 0;
  }

  // ---- closing ----
  // A lost connection's error for the queries it takes along: class 08,
  // with libpq's account of why.
  Error lost_error() const {
    return Error(connection_lost, connection_error(conn_ != nullptr ? PQerrorMessage(conn_) : "").what());
  }
  // The connection broke: the front query gets the server's own error if
  // it sent one (57P01 when terminated), the others `error` (class 08).
  void lose_connection(const Error& error) {
    if (!pending_.empty() && pending_.front().error != nullptr) {
      Entry entry = pending_.pop_front();
      if (!entry.future.done()) entry.future.set_exception(entry.error);
    }
    close_with(error, true);
  }

  // Closes for good and fails everything pending with `error`; tells the
  // listener when `notify`. Idempotent.
  void close_with(const Error& error, bool notify) noexcept;
  void notify_change() noexcept {
    if (!on_change_ || anchor_->loop == nullptr || loop_->closing()) return;
    try {
      std::weak_ptr<Session> weak = weak_from_this();
      loop_->add_callback([weak] {
        if (std::shared_ptr<Session> s = weak.lock()) {
          if (s->on_change_) s->on_change_();
        }
      });
    } catch (...) {
      // Out of memory: the Pool learns of it at its next use of the session.
    }
  }

  IOLoop* loop_;
  std::shared_ptr<const LoopAnchor> anchor_;
  PGconn* conn_ = nullptr;
  int fd_ = -1;  // registered with the loop while >= 0
  ino_t inode_ = 0;  // fd_'s socket (libpq may reopen under the same number)
  std::uint32_t events_ = 0;
  Phase phase_ = Phase::idle;
  std::uint64_t next_seq_ = 1;
  Ring<Entry> pending_;
  Ring<Held> held_;
  Ring<Notification> notifications_;
  Ring<Listener> listeners_;
  std::uint64_t cancel_target_ = 0;  // a query being cancelled on the server; sends held meanwhile
  bool cancel_fired_ = false;        // its PQcancel went to the executor
  bool cancel_returned_ = false;     // and came back
  unsigned cancel_retries_ = 0;      // requests sent again: the server drops one it gets between statements
  Connected on_connected_;
  Timeout timer_;  // the connect deadline while connecting; then the next cancel retry
  Function<void()> on_change_;
};

inline Future<Result> Session::query(Statement&& statement) {
  Future<Result> future;
  if (phase_ != Phase::ready) {
    future.set_exception(std::make_exception_ptr(Error(connection_closed, "eddy: postgres: query on a closed connection")));
    return future;
  }
  std::uint64_t seq = next_seq_++;
  // Raw `this`: the session resolves the future before it dies, which drops
  // this callback (see the file comment).
  future.set_cancel_callback([this, seq] { on_query_cancelled(seq); });
  if (holding() || !held_.empty()) {
    held_.push_back(Held{seq, future, std::move(statement)});
  } else {
    send(seq, future, statement);
  }
  return future;
}

inline std::string Session::quote_identifier(std::string_view name) {
  if (phase_ != Phase::ready) throw Error(connection_closed, "eddy: postgres: the connection is closed");
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (quoted == nullptr) throw std::invalid_argument("eddy: postgres: " + trimmed(PQerrorMessage(conn_)));
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

inline void Session::close_with(const Error& error, bool notify) noexcept {
  if (phase_ == Phase::closed) return;
  bool was_open = phase_ == Phase::ready;
  phase_ = Phase::closed;
  if (fd_ >= 0 && anchor_->loop != nullptr) loop_->remove_handler(fd_);
  fd_ = -1;
  if (timer_ && anchor_->loop != nullptr) loop_->remove_timeout(timer_);
  timer_ = Timeout();
  if (conn_ != nullptr) PQfinish(std::exchange(conn_, nullptr));
  std::exception_ptr failure = std::make_exception_ptr(error);
  try {
    while (!pending_.empty()) {
      Entry entry = pending_.pop_front();
      if (!entry.future.done()) entry.future.set_exception(failure);
    }
    while (!held_.empty()) {
      Held h = held_.pop_front();
      if (!h.future.done()) h.future.set_exception(failure);
    }
    while (!listeners_.empty()) {
      Listener l = listeners_.pop_front();
      if (!l.future.done()) l.future.set_exception(failure);
    }
    if (on_connected_) std::exchange(on_connected_, nullptr)(nullptr, failure);
  } catch (...) {
    // Resolving failed (out of memory scheduling a wake-up): the futures
    // stay pending, as if the connection hung; nothing else to undo.
  }
  if (was_open && notify) notify_change();
}

}  // namespace eddy::detail::postgres

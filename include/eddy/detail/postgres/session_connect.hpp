// Session's connect phase: resolve host names on the executor, then drive
// PQconnectStartParams / PQconnectPoll from the loop until the connection
// is up, fails, or the timeout passes. Included by postgres.hpp after
// session.hpp; not meant to be included on its own.
//
// - libpq's connect_timeout only works in its blocking calls; here the
//   loop's timer bounds the whole attempt, lookups included: past it the
//   attempt fails with eddy::TimeoutError.
// - PQconnectPoll says which readiness it waits for next. libpq may close
//   the socket and open another (the next host of a list, a retry without
//   TLS), possibly under the same number, so the socket's inode is compared
//   too and the handler re-registered when it changed.
// - While connecting, PQERRORS_VERBOSE puts the server's SQLSTATE into the
//   error text (libpq has no other way to report it for a failed connect),
//   so a bad password is 28P01; it stays on for the connection's life, for
//   the text of a lost connection.
// - Server notices (warnings, RAISE NOTICE) are dropped: libpq would print
//   them on stderr.
// - Once up: non-blocking mode and pipeline mode, and the handler switches
//   to the connected session's (which holds it weakly: the handles own the
//   session from then on).
//
// Thread contract: the loop thread.
#pragma once

#include <sys/stat.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "session.hpp"

namespace eddy::detail::postgres {

inline void Session::connect(std::string conninfo, Clock::duration timeout, Connected done) {
  on_connected_ = std::move(done);
  ConnInfo info;
  try {
    info = parse_conninfo(conninfo);
  } catch (...) {
    return connect_failed(std::current_exception());
  }
  std::weak_ptr<Session> weak = weak_from_this();
  double seconds = std::chrono::duration<double>(timeout).count();
  timer_ = loop_->call_later(timeout, [weak, seconds] {
    std::shared_ptr<Session> s = weak.lock();
    if (!s) return;
    s->timer_ = Timeout();
    s->connect_failed(std::make_exception_ptr(
        TimeoutError("eddy: postgres: connect timed out after " + std::to_string(seconds) + " s")));
  });
  if (!any_to_resolve(info)) return start_libpq(std::move(info));
  phase_ = Phase::resolving;
  // The lookup blocks, so it runs on the executor; its callback holds the
  // session until the answer is in (the timer may have failed it by then).
  std::vector<std::string> hosts = info.hosts;
  Future<std::vector<std::string>> addresses = loop_->run_in_executor([hosts] { return resolve_hosts(hosts); });
  addresses.add_done_callback([self = shared_from_this(), info = std::move(info)](
                                  Future<std::vector<std::string>> done) mutable {
    if (self->phase_ != Phase::resolving) {
      (void)done.exception();  // too late: the attempt already failed
      return;
    }
    if (std::exception_ptr error = done.exception()) return self->connect_failed(error);
    apply_addresses(info, done.result());
    self->start_libpq(std::move(info));
  });
}

inline void Session::start_libpq(ConnInfo info) {
  phase_ = Phase::connecting;
  std::vector<const char*> keywords, values;
  for (std::size_t i = 0; i < info.keywords.size(); ++i) {
    keywords.push_back(info.keywords[i].c_str());
    values.push_back(info.values[i].c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectStartParams(keywords.data(), values.data(), 0);
  if (conn_ == nullptr) return connect_failed(std::make_exception_ptr(std::bad_alloc()));
  PQsetErrorVerbosity(conn_, PQERRORS_VERBOSE);
  // libpq prints server notices (warnings, RAISE NOTICE) on stderr by
  // default; a library must not write there behind the program's back.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return connect_failed(std::make_exception_ptr(connection_error(PQerrorMessage(conn_))));
  }
  // libpq's documented start: as if PQconnectPoll had asked for writability.
  try {
    watch_connecting(PGRES_POLLING_WRITING);
  } catch (...) {
    connect_failed(std::current_exception());
  }
}

// Registers the handler for the socket PQconnectPoll waits on, for the
// readiness it waits for.
inline void Session::watch_connecting(PostgresPollingStatusType status) {
  int fd = PQsocket(conn_);
  std::uint32_t events = status == PGRES_POLLING_READING ? IOLoop::READ : IOLoop::WRITE;
  struct stat st {};
  ino_t inode = ::fstat(fd, &st) == 0 ? st.st_ino : 0;
  if (fd == fd_ && inode == inode_) {
    watch(events);
    return;
  }
  if (fd_ >= 0) loop_->remove_handler(fd_);
  fd_ = -1;
  loop_->add_handler(fd, [self = shared_from_this()](int, std::uint32_t) { self->on_connect_event(); }, events);
  fd_ = fd;
  inode_ = inode;
  events_ = events;
}

inline void Session::on_connect_event() {
  if (phase_ != Phase::connecting) return;
  PostgresPollingStatusType status = PQconnectPoll(conn_);
  if (status == PGRES_POLLING_OK) return connected();
  if (status == PGRES_POLLING_FAILED) {
    return connect_failed(std::make_exception_ptr(connection_error(PQerrorMessage(conn_))));
  }
  try {
    watch_connecting(status);
  } catch (...) {
    connect_failed(std::current_exception());
  }
}

inline void Session::connected() {
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
    return connect_failed(std::make_exception_ptr(connection_error(PQerrorMessage(conn_))));
  }
  loop_->remove_timeout(std::exchange(timer_, Timeout()));
  // From now on the handles own the session; the handler holds it raw.
  loop_->remove_handler(fd_);
  fd_ = PQsocket(conn_);
  events_ = IOLoop::READ;
  try {
    loop_->add_handler(fd_, Watch(weak_from_this()), events_);
  } catch (...) {
    fd_ = -1;
    return connect_failed(std::current_exception());
  }
  phase_ = Phase::ready;
  std::shared_ptr<Session> self = shared_from_this();
  Connected done = std::exchange(on_connected_, nullptr);
  done(std::move(self), nullptr);
}

// Ends the attempt: libpq's connection is closed, the handler and timer go,
// and the caller hears `error`.
inline void Session::connect_failed(std::exception_ptr error) {
  if (phase_ == Phase::closed || phase_ == Phase::ready) return;
  std::shared_ptr<Session> keep = weak_from_this().lock();
  Connected done = std::exchange(on_connected_, nullptr);
  close_with(Error(could_not_connect, "eddy: postgres: the connection attempt failed"), false);
  if (done) done(nullptr, error);
}

}  // namespace eddy::detail::postgres

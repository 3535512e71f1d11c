// Connection's sending side: what may be sent now, pipelines, the pub/sub
// commands, the flush that writes a loop iteration's commands at once, and
// closing. Included by connection.hpp; see it for the class and its rules.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "connection.hpp"

namespace eddy::detail::redis {

namespace connection_detail {

inline std::exception_ptr usage(const std::string& message) {
  return std::make_exception_ptr(Error("eddy: redis: " + message, Error::Kind::usage));
}

inline std::string upper(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace connection_detail

inline std::exception_ptr Connection::check_open() const {
  if (closed_) return error_;
  if (stream_.loop() == nullptr) {
    return std::make_exception_ptr(Error("eddy: redis: the connection's loop was destroyed", Error::Kind::connection));
  }
  return nullptr;
}

inline std::exception_ptr Connection::refuse(CommandClass kind, std::string_view name) const {
  using connection_detail::usage;
  if (std::exception_ptr e = check_open()) return e;
  std::string command = connection_detail::upper(name);
  switch (kind) {
    case CommandClass::pubsub:
      return usage(command + " goes through Client::subscribe, psubscribe, unsubscribe or punsubscribe");
    case CommandClass::refused:
      return usage(command + " is not supported: it breaks the order of one reply per command");
    case CommandClass::subscriber:
      return nullptr;
    default:
      if (!subscriber_mode()) return nullptr;
      return usage(command + " is not allowed on a subscriber connection (RESP2): unsubscribe first, "
                             "use another connection, or connect with protocol=3");
  }
}

inline Future<std::vector<Reply>> Connection::pipeline(const std::vector<std::vector<std::string>>& commands) {
  using Result = std::vector<Reply>;
  if (std::exception_ptr e = check_open()) return make_failed_future<Result>(e);
  for (const std::vector<std::string>& c : commands) {
    if (c.empty()) return make_failed_future<Result>(connection_detail::usage("a pipeline command is empty"));
    CommandClass kind = classify(c[0], c.size() > 1 ? std::string_view(c[1]) : std::string_view());
    if (kind == CommandClass::hello) {
      return make_failed_future<Result>(connection_detail::usage("HELLO goes through Client::command, not a pipeline"));
    }
    if (std::exception_ptr e = refuse(kind, c[0])) return make_failed_future<Result>(e);
  }
  if (commands.empty()) return make_ready_future(Result());
  std::size_t begin = out_.size();
  bool blocking = false;
  for (const std::vector<std::string>& c : commands) {
    append_command(out_, c);
    blocking = blocking || is_blocking(c[0], c);
  }
  Future<Result> future;
  Pending p(Pending::Kind::pipeline, static_cast<std::uint32_t>(commands.size()), future);
  p.blocking = blocking;
  p.extra = std::make_unique<Pending::Extra>();
  p.extra->results.reserve(commands.size());
  queue(std::move(p), begin);
  watch_cancel(future);
  return future;
}

inline Future<void> Connection::subscribe(const std::vector<std::string>& names, bool patterns) {
  if (std::exception_ptr e = check_open()) return make_failed_future<void>(e);
  if (names.empty()) return make_ready_future();
  std::size_t begin = out_.size();
  append_command(out_, patterns ? "PSUBSCRIBE" : "SUBSCRIBE", names);
  (patterns ? patterns_ : channels_).insert(names.begin(), names.end());
  Future<void> future;
  Pending p(Pending::Kind::subscription, static_cast<std::uint32_t>(names.size()), future);
  p.extra = std::make_unique<Pending::Extra>();
  p.extra->names = names;
  p.extra->patterns = patterns;
  queue(std::move(p), begin);  // not cancellable: the subscription state follows what was sent
  return future;
}

// The server confirms each name given, or, for "all", each subscription it
// drops (one confirmation with a null name when there is none).
inline Future<void> Connection::unsubscribe(const std::vector<std::string>& names, bool patterns) {
  if (std::exception_ptr e = check_open()) return make_failed_future<void>(e);
  std::size_t expected = 0;
  std::size_t begin = out_.size();
  if (!names.empty()) {
    append_command(out_, patterns ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", names);
    for (const std::string& n : names) (patterns ? patterns_ : channels_).erase(n);
    expected = names.size();
  } else {
    if (!patterns && (!channels_.empty() || patterns_.empty())) {
      append_command(out_, "UNSUBSCRIBE");
      expected += std::max<std::size_t>(1, channels_.size());
      channels_.clear();
    }
    if (patterns || !patterns_.empty()) {
      append_command(out_, "PUNSUBSCRIBE");
      expected += std::max<std::size_t>(patterns ? 1 : 0, patterns_.size());
      patterns_.clear();
    }
  }
  Future<void> future;
  queue(Pending(Pending::Kind::subscription, static_cast<std::uint32_t>(expected), future), begin);
  return future;
}

inline Future<Message> Connection::next_message(std::optional<Clock::duration> timeout) {
  if (!messages_.empty()) {
    Message m = messages_.take_front();
    if (!reading_) schedule_resume();  // reading stopped at the bound: room again
    return make_ready_future(std::move(m));
  }
  if (std::exception_ptr e = check_open()) return make_failed_future<Message>(e);
  // One waiter at a time: a call abandoned by with_timeout left it pending,
  // and the next call takes it over, so no message goes to nobody.
  if (!waiter_) {
    waiter_.emplace();
    // Cancelled (its only waiter gave up): it stops waiting, so the next
    // message is queued for a live caller instead of going to nobody.
    waiter_->set_cancel_callback([weak = weak_from_this()] {
      if (std::shared_ptr<Connection> self = weak.lock()) self->on_waiter_cancelled();
    });
  }
  Future<Message> waiter = *waiter_;
  if (timeout) {
    IOLoop* loop = stream_.loop();
    loop->remove_timeout(waiter_timer_);
    std::weak_ptr<Connection> weak = weak_from_this();
    waiter_timer_ = loop->call_later(*timeout, [weak, seconds = std::chrono::duration<double>(*timeout).count()] {
      std::shared_ptr<Connection> self = weak.lock();
      if (!self || !self->waiter_) return;
      self->resolve_waiter(nullptr, std::make_exception_ptr(TimeoutError(
          "eddy: redis: next_message: no message within " + std::to_string(seconds) + " s")));
    });
  }
  return waiter;
}

// Resolves the waiting next_message() with a message or an error; the
// waiter is gone afterwards, so later messages queue.
inline void Connection::resolve_waiter(Message* message, std::exception_ptr error) {
  Future<Message> waiter = std::move(*waiter_);
  waiter_.reset();
  if (IOLoop* loop = stream_.loop()) loop->remove_timeout(waiter_timer_);
  waiter_timer_ = Timeout();
  if (message != nullptr) {
    waiter.set_result(std::move(*message));
  } else {
    waiter.set_exception(std::move(error));
    // A waiter abandoned by with_timeout has nobody left to look at this:
    // not worth a "never retrieved" report.
    (void)waiter.exception();
  }
}

inline void Connection::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  stream_.loop()->add_callback([self = shared_from_this()] { self->flush(); });
}

// Everything queued during the iteration, in one write. The write's future
// is only observed: a failed write closes the stream, and the pending read
// reports that to every command.
inline void Connection::flush() {
  flush_scheduled_ = false;
  if (closed_ || out_.empty()) return;
  ++writes_;
  Future<void> written = stream_.write(out_.view());
  out_.clear();
  unsent_ = 0;
  out_.trim();  // a burst does not pin its memory
  if (written.done()) {
    (void)written.exception();
  } else {
    written.add_done_callback([](const Future<void>& done) { (void)done.exception(); });
  }
}

inline void Connection::fail_pending(Pending& p, const std::exception_ptr& error) {
  if (p.discard) return;  // cancelled: failed already
  std::visit([&](auto& future) { future.set_exception(error); }, p.future);
}

inline void Connection::fail_all(std::exception_ptr error) {
  if (closed_) return;
  closed_ = true;
  error_ = error;
  stream_.close();
  out_.clear();
  unsent_ = 0;
  while (!pending_.empty()) {
    Pending p = pending_.take_front();
    fail_pending(p, error);
  }
  if (waiter_) resolve_waiter(nullptr, error);
}

// After a slot left the queue: the last handle may be waiting for that.
inline void Connection::popped() {
  if (close_when_idle_ && pending_.empty()) close();
}

}  // namespace eddy::detail::redis

// Connection's dispatch: each parsed reply goes to the slot at the head of
// the queue, or, when it is a pub/sub message, to next_message(). Included
// by connection.hpp.
//
// - RESP3: messages and subscription confirmations are push replies, so
//   nothing else can be mistaken for them; commands work while subscribed.
// - RESP2: while the server says the connection has subscriptions (the count
//   in the last confirmation), an array ["message", channel, payload],
//   ["pmessage", pattern, channel, payload] or ["smessage", ...] is a
//   message. No other command can be in flight then (the sending side admits
//   only PING and QUIT, whose replies are ["pong", ...] and +OK), so no
//   command's reply is ever taken for a message.
// - Other pushes: client-side caching's "invalidate" becomes one Message per
//   key on channel "__redis__:invalidate" (payload the key; "" when the
//   server flushed everything); any other push becomes a Message whose
//   channel is its kind and payload its second element as text.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "connection.hpp"

namespace eddy::detail::redis {

namespace connection_detail {

// An element of a push or message as text: strings as they are, numbers in
// decimal, anything else "".
inline std::string text(const Reply& r) {
  if (Reply::is_string_type(r.type())) return std::string(r.as_string());
  char digits[64];
  std::to_chars_result out{digits, std::errc()};
  if (r.type() == Reply::Type::integer) out = std::to_chars(digits, digits + sizeof digits, r.as_integer());
  if (r.type() == Reply::Type::double_) out = std::to_chars(digits, digits + sizeof digits, r.as_double());
  return out.ec == std::errc() ? std::string(digits, out.ptr) : std::string();
}

inline std::string_view kind_of(const std::vector<Reply>& e) {
  return !e.empty() && Reply::is_string_type(e[0].type()) ? e[0].as_string() : std::string_view();
}

inline bool is_confirmation(const std::vector<Reply>& e) {
  if (e.size() != 3 || e[2].type() != Reply::Type::integer) return false;
  std::string_view k = kind_of(e);
  return k == "subscribe" || k == "psubscribe" || k == "ssubscribe" || k == "unsubscribe" || k == "punsubscribe" ||
         k == "sunsubscribe";
}

// ["message", channel, payload], ["pmessage", pattern, channel, payload] or
// ["smessage", channel, payload] as a Message.
inline std::optional<Message> as_message(const std::vector<Reply>& e) {
  std::string_view k = kind_of(e);
  if ((k == "message" || k == "smessage") && e.size() == 3) return Message{text(e[1]), text(e[2]), {}};
  if (k == "pmessage" && e.size() == 4) return Message{text(e[2]), text(e[3]), text(e[1])};
  return std::nullopt;
}

// HELLO's reply (a map, or RESP2's flat array) names the protocol in "proto".
inline int hello_protocol(const Reply& r) {
  if (r.type() != Reply::Type::map && r.type() != Reply::Type::array) return 0;
  const std::vector<Reply>& e = r.elements();
  for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
    if (Reply::is_string_type(e[i].type()) && e[i].as_string() == "proto" && e[i + 1].type() == Reply::Type::integer) {
      return static_cast<int>(e[i + 1].as_integer());
    }
  }
  return 0;
}

}  // namespace connection_detail

inline void Connection::dispatch(Reply&& reply) {
  if (reply.type() == Reply::Type::push) return on_push(std::move(reply));
  if (protocol_ == 2 && server_subscriptions_ > 0 && reply.type() == Reply::Type::array) {
    if (std::optional<Message> m = connection_detail::as_message(reply.elements())) return queue_message(std::move(*m));
  }
  if (pending_.empty()) return protocol_error("a reply arrived that no command asked for");
  Pending& p = pending_.front();
  switch (p.kind) {
    case Pending::Kind::pipeline: return finish_pipeline(p, std::move(reply));
    case Pending::Kind::subscription: return finish_subscription(std::move(reply));
    default: return finish_command(std::move(reply));
  }
}

inline void Connection::finish_command(Reply&& reply) {
  Pending& p = pending_.front();
  bool hello = p.kind == Pending::Kind::hello;
  if (p.discard) {  // its waiter gave up: the reply only keeps the order
    pending_.pop_front();
    return popped();
  }
  Future<Reply> future = std::move(*std::get_if<Future<Reply>>(&p.future));
  pending_.pop_front();
  if (hello) {
    int proto = reply.is_error() ? 0 : connection_detail::hello_protocol(reply);
    if (proto != 0) protocol_ = proto;
    if (reply.is_error()) send_protocol_ = protocol_;
  }
  if (reply.is_error()) {
    future.set_exception(std::make_exception_ptr(Error(std::string(reply.as_string()))));
  } else {
    future.set_result(std::move(reply));
  }
  popped();
}

// A pipeline collects one reply per command, errors included.
inline void Connection::finish_pipeline(Pending& p, Reply&& reply) {
  if (!p.discard) p.extra->results.push_back(std::move(reply));
  if (--p.remaining > 0) return;
  Pending done = pending_.take_front();
  if (done.discard) return popped();
  std::get<Future<std::vector<Reply>>>(done.future).set_result(std::move(done.extra->results));
  popped();
}

// RESP2: confirmations come as arrays. An error reply (an ACL refusal, say)
// ends the subscription slot: the names it named are forgotten.
inline void Connection::finish_subscription(Reply&& reply) {
  if (reply.is_error()) {
    Pending done = pending_.take_front();
    if (done.extra) {
      for (const std::string& n : done.extra->names) (done.extra->patterns ? patterns_ : channels_).erase(n);
    }
    std::get<Future<void>>(done.future).set_exception(std::make_exception_ptr(Error(std::string(reply.as_string()))));
    return popped();
  }
  if (!Reply::is_aggregate_type(reply.type()) || !connection_detail::is_confirmation(reply.elements())) {
    return protocol_error("expected a subscription confirmation");
  }
  on_confirmation(reply.elements());
}

// [kind, name or null, subscriptions left]: counts towards the slot at the
// head. One the connection did not ask for (the server may drop shard
// channels by itself) only updates the count.
inline void Connection::on_confirmation(const std::vector<Reply>& elements) {
  server_subscriptions_ = elements[2].as_integer();
  if (pending_.empty() || pending_.front().kind != Pending::Kind::subscription) return;
  Pending& p = pending_.front();
  if (--p.remaining > 0) return;
  Pending done = pending_.take_front();
  std::get<Future<void>>(done.future).set_result();
  popped();
}

inline void Connection::on_push(Reply&& reply) {
  using namespace connection_detail;
  const std::vector<Reply>& e = reply.elements();
  if (is_confirmation(e)) return on_confirmation(e);
  if (std::optional<Message> m = as_message(e)) return queue_message(std::move(*m));
  std::string_view kind = kind_of(e);
  if (kind == "invalidate" && e.size() == 2) {
    if (e[1].type() != Reply::Type::array) return queue_message(Message{"__redis__:invalidate", {}, {}});
    for (const Reply& key : e[1].elements()) queue_message(Message{"__redis__:invalidate", text(key), {}});
    return;
  }
  queue_message(Message{std::string(kind), e.size() > 1 ? text(e[1]) : std::string(), {}});
}

// To the waiting next_message(), else to the queue.
inline void Connection::queue_message(Message message) {
  if (waiter_) return resolve_waiter(&message, nullptr);
  messages_.push_back(std::move(message));
}

inline void Connection::protocol_error(const std::string& reason) {
  fail_all(std::make_exception_ptr(Error("eddy: redis: protocol error: " + reason, Error::Kind::protocol)));
}

// next_message() made room after reading stopped at the bound: parse what
// is buffered and read again, from the loop (not inside the caller).
inline void Connection::schedule_resume() {
  if (resume_scheduled_ || closed_ || reading_) return;
  IOLoop* loop = stream_.loop();
  if (loop == nullptr) return;
  resume_scheduled_ = true;
  loop->add_callback([self = shared_from_this()] {
    self->resume_scheduled_ = false;
    self->process_input();
    self->start_read();
  });
}

}  // namespace eddy::detail::redis

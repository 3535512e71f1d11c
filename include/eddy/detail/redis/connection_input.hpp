// Connection's receiving side: the read that is always pending, the input
// buffer, and turning its bytes into replies. Included by connection.hpp.
//
// - One buffer per connection (16 KiB to start), read into with read_into's
//   callback form: the kernel writes into it, no future, no copy.
// - Every complete reply in it is parsed (parse_reply) and dispatched. A
//   reply that is not complete tells how many bytes it needs at least; the
//   buffer grows to that at once (a 1 MiB value: one allocation) and nothing
//   is parsed again before they are there. A large aggregate that trickles
//   in is framed by the resumable scan, then parsed once.
// - When the next_message() queue is at its bound, parsing stops and no read
//   is issued: the socket waits (and TCP holds the server back) until the
//   application takes a message.
// - The buffer shrinks back once it empties after a large reply.
#pragma once

#include <algorithm>
#include <cstring>

#include "connection.hpp"

namespace eddy::detail::redis {

namespace connection_detail {
inline constexpr std::size_t initial_buffer = 16 * 1024;
inline constexpr std::size_t min_read = 4 * 1024;
inline constexpr std::size_t max_ahead = 1024 * 1024 + min_read;
}  // namespace connection_detail

inline void Connection::start_read() {
  if (closed_ || reading_ || messages_.size() >= max_queued_messages_) return;
  if (stream_.loop() == nullptr) return;  // nothing is left to call back
  ensure_room();
  reading_ = true;
  stream_.read_into(in_.get() + end_, in_capacity_ - end_, true,
                    [self = shared_from_this()](std::size_t n, std::exception_ptr error) { self->on_read(n, error); });
}

inline void Connection::on_read(std::size_t n, std::exception_ptr error) {
  reading_ = false;
  if (closed_) return;
  end_ += n;
  process_input();  // what arrived before a failure still reaches its caller
  if (error && !closed_) {
    std::string why = "eddy: redis: connection lost";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      why += std::string(": ") + e.what();
    } catch (...) {
    }
    fail_all(std::make_exception_ptr(Error(why, Error::Kind::connection)));
    return;
  }
  start_read();
}

inline void Connection::process_input() {
  try {
    Reply reply;
    while (!closed_ && messages_.size() < max_queued_messages_ && next_reply(reply)) dispatch(std::move(reply));
  } catch (const std::exception& e) {  // a push of an unexpected shape, or out of memory
    protocol_error(std::string("while handling a reply: ") + e.what());
  }
  compact();
}

// The next complete reply in the buffer, if there is one; a malformed one
// closes the connection.
inline bool Connection::next_reply(Reply& reply) {
  std::string_view in(in_.get() + begin_, end_ - begin_);
  if (in.empty() || in.size() < needed_) return false;
  RespResult r;
  if (!scanning_) {
    r = parse_reply(in, reply, limits_);
    if (r.incomplete()) {
      // From now on the reply is framed by the resumable scan first.
      if (!scan_) scan_ = std::make_unique<ScanState>();
      scan_->reset();
      scanning_ = true;
    }
  } else {
    r = scan_reply(in, *scan_, limits_);
    if (r.complete()) {
      r = parse_reply(in.substr(0, r.consumed), reply, limits_);
      scanning_ = false;
    }
  }
  if (r.error()) {
    protocol_error(r.reason);
    return false;
  }
  if (r.incomplete()) {
    needed_ = r.needed;
    return false;
  }
  begin_ += r.consumed;
  needed_ = 0;
  return true;
}

// Room for the next read: at least min_read bytes, and the whole reply when
// its size is known, but never more than max_ahead beyond what is held: a
// declared length alone does not make the client allocate it.
inline void Connection::ensure_room() {
  using namespace connection_detail;
  std::size_t held = end_ - begin_;
  std::size_t want = std::max(std::min(needed_, held + max_ahead), held + min_read);
  if (begin_ > 0 && (in_capacity_ - end_ < min_read || begin_ + want > in_capacity_)) {
    std::memmove(in_.get(), in_.get() + begin_, held);
    begin_ = 0;
    end_ = held;
  }
  if (want <= in_capacity_) return;
  std::size_t capacity = std::max({want, in_capacity_ * 2, initial_buffer});
  std::unique_ptr<char[]> bigger(new char[capacity]);
  if (held > 0) std::memcpy(bigger.get(), in_.get() + begin_, held);
  in_ = std::move(bigger);
  in_capacity_ = capacity;
  begin_ = 0;
  end_ = held;
}

inline void Connection::compact() noexcept {
  if (begin_ != end_) return;
  begin_ = end_ = 0;
  // Emptied after a large reply: give the memory back.
  if (in_capacity_ > 4 * connection_detail::initial_buffer) {
    in_.reset();
    in_capacity_ = 0;
  }
}

}  // namespace eddy::detail::redis

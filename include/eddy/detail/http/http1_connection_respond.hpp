// HTTP1Connection's second half: sending responses (one buffer, one write
// per batch) and closing (after the last response, gently after a refusal).
// See http1_connection.hpp.
//
// Thread contract: the loop thread.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <string>

#include "http1_connection.hpp"

namespace eddy::detail {

// ---- responses ---------------------------------------------------------------

inline Future<void> HTTP1Connection::send_response(RequestHandler& h, bool last) {
  if (&h != current_ || closed_) return make_ready_future();
  std::string& body = HandlerAccess::body(h);
  if (!HandlerAccess::headers_sent(h)) {
    HeadSpec spec;
    spec.status = HandlerAccess::status(h);
    spec.headers = &HandlerAccess::headers(h);
    spec.finished = last;
    spec.body_size = body.size();
    spec.request_http10 = http10_;
    spec.keep_alive = keep_alive_ && !shared_->closing_all;
    framing_ = append_head(out(), spec);
    keep_alive_ = spec.keep_alive;
    HandlerAccess::mark_headers_sent(h);
  }
  if (!HandlerAccess::head_only(h)) append_body(out(), framing_, body, last);
  body.clear();
  if (last) {
    current_ = nullptr;
    HandlerAccess::attach(h, nullptr);
    HandlerAccess::release(h);  // the connection's hold
    if (!keep_alive_) closing_ = true;
    if (!closing_) arm_after(ServedWait::idle, shared_->options.idle_connection_timeout);
  }
  // Inside a batch the batch writes; a flush() must reach the kernel now.
  if (processing_ && last) return make_ready_future();
  Future<void> written = flush_out();
  if (last && !closing_ && unparsed() > 0) resume_later();
  if (last && unparsed() == 0) drop_parsed();
  if (written.done()) {
    (void)written.exception();  // a client that left is not the handler's error
    return make_ready_future();
  }
  Future<void> outcome;
  written.add_done_callback([outcome](const Future<void>& w) mutable {
    (void)w.exception();
    outcome.set_result();
  });
  return outcome;
}

// Pipelined requests waiting behind a response finished outside a batch
// are taken up from a fresh loop step, not inside the handler's finish().
inline void HTTP1Connection::resume_later() {
  if (resume_scheduled_) return;
  resume_scheduled_ = true;
  std::shared_ptr<HTTP1Connection> self = shared_from_this();
  loop().add_callback([self = std::move(self)] {
    self->resume_scheduled_ = false;
    self->process();
  });
}

// Hands the assembled responses to the stream in one write. The future is observed here (a
// write to a client that left fails; nobody needs to hear of it).
inline Future<void> HTTP1Connection::flush_out() {
  bool shared = out_owner() == this;
  if (!shared && !pending_) {
    // Nothing assembled: only what closing needs doing.
    if (closing_ && current_ == nullptr && !lingering_ && !closed_) {
      Future<void> none = make_ready_future();
      end_after_write(none);
    }
    return make_ready_future();
  }
  std::string& buffer = shared ? shared_out() : pending_->out;
  if (shared) out_owner() = nullptr;
  if (buffer.empty() || closed_) {
    buffer.clear();
    if (closing_ && current_ == nullptr && !lingering_ && !closed_) {
      Future<void> none = make_ready_future();
      end_after_write(none);
    }
    return make_ready_future();
  }
  // The stream copies only what the kernel does not take at once.
  Future<void> written = stream_.write(buffer);
  ++shared_->writes;
  if (shared && buffer.capacity() <= 1024 * 1024) {
    buffer.clear();  // the thread's buffer keeps its storage
  } else {
    std::string().swap(buffer);  // a connection's own is freed: idle costs no buffer
  }
  if (closing_ && current_ == nullptr && !lingering_) end_after_write(written);
  if (written.done()) (void)written.exception();
  return written;
}

// The last response is going out: once the kernel has it, close gently.
inline void HTTP1Connection::end_after_write(Future<void>& written) {
  lingering_ = true;  // no more requests are read from here on
  std::shared_ptr<HTTP1Connection> self = shared_from_this();
  written.add_done_callback([self = std::move(self)](const Future<void>& w) {
    if (w.exception()) return;  // the stream is closed already
    self->linger();
  });
}

// Shuts the write side and drops input for a while, so that the client
// reads the last response before the close (closing with unread input
// would make the kernel send a reset that can destroy it).
inline void HTTP1Connection::linger() {
  if (closed_ || stream_.closed()) return;
  // An orderly end with nothing unread has no reset to fear.
  if (phase_ != Phase::refused && unparsed() == 0) return close_now();
  ::shutdown(stream_.fd(), SHUT_WR);
  arm_after(ServedWait::linger, linger_time);
  drop_input();
  scratch_size_ = 0;
  read_more();
}

inline void HTTP1Connection::close_when_idle() {
  if (current_ == nullptr) return close_now();
  keep_alive_ = false;  // the response in flight ends the connection
}

// The stream closed (the peer left, an error, a timeout, close_now): the
// handler in flight learns it, the server forgets the connection.
inline void HTTP1Connection::on_closed() noexcept {
  if (closed_) return;
  closed_ = true;
  if (current_ != nullptr) {
    RequestHandler* h = current_;
    current_ = nullptr;
    try {
      HandlerAccess::client_gone(*h);
    } catch (...) {
      loop().handle_exception(std::current_exception(), "HTTP on_connection_close");
    }
    HandlerAccess::release(*h);
  }
  drop_input();
  pending_.reset();
  if (out_owner() == this) {
    shared_out().clear();
    out_owner() = nullptr;
  }
  shared_->unlink(*this, true);
}

}  // namespace eddy::detail

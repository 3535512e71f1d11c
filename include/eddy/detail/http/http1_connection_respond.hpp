// HTTP1Connection's second half: handing a request to the Application (or
// refusing it), framing a handler's response into the
// batch's buffer, taking up pipelined requests after a response finished
// outside a batch, and the stream's close. Writing the buffer out and
// closing after the last response: http1_connection_output.hpp. See
// http1_connection.hpp.
//
// Thread contract: the loop thread.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <string>

#include "http1_connection.hpp"

namespace eddy::detail {

// ---- dispatching ---------------------------------------------------------------

// Hands the complete request to the Application. current_ stays set until
// its response is finished (send_response) or the client leaves.
inline void HTTP1Connection::dispatch() {
  phase_ = Phase::head;
  RequestHandler& h = *current_;
  Application* app = shared_->app;
  if (app == nullptr) return close_now();  // the server is destroyed (close_everything)
  try {
    app->dispatch(h);
  } catch (...) {
    loop().handle_exception(std::current_exception(), "HTTP dispatch");
    try {
      if (!h.finished()) h.send_error(500);
    } catch (...) {
      close_now();
    }
  }
}

// A request refused before any handler saw it: the error page, then close.
inline void HTTP1Connection::refuse(int status) {
  phase_ = Phase::refused;
  closing_ = true;
  keep_alive_ = false;
  if (current_ != nullptr) {  // refused mid-body: the handler never ran
    RequestHandler* h = current_;
    current_ = nullptr;
    HandlerAccess::attach(*h, nullptr);
    HandlerAccess::release(*h);
  }
  append_refusal(out(), status);
  if (!processing_) flush_out();
}

// ---- responses ---------------------------------------------------------------

// Frames h's response so far into the batch's buffer (its head the first
// time); `last` ends it and lets the handler go. False, nothing done, when
// the client left or h is not the request being answered.
inline bool HTTP1Connection::frame_response(RequestHandler& h, bool last) {
  if (&h != current_ || gone()) return false;
  std::string& body = HandlerAccess::body(h);
  // A streaming handler that finishes before the body is read: the rest is
  // not read (Tornado closes such a connection after the response too).
  bool abandon = last && streaming() && phase_ == Phase::body;
  if (abandon) keep_alive_ = false;
  bool body_sent = false;
  if (!HandlerAccess::headers_sent(h)) {
    HeadSpec spec;
    if (last && !HandlerAccess::head_only(h)) spec.body = body;  // one append for the whole response
    spec.status = HandlerAccess::status(h);
    spec.headers = &HandlerAccess::headers(h);
    spec.etag_line = HandlerAccess::etag_line(h);
    spec.finished = last;
    spec.body_size = body.size();
    spec.request_http10 = http10_;
    spec.keep_alive = keep_alive_ && !shared_->closing_all;
    framing_ = append_head(out(), spec);
    keep_alive_ = spec.keep_alive;
    body_sent = spec.body_taken;
    HandlerAccess::mark_headers_sent(h);
  }
  if (!HandlerAccess::head_only(h) && !body_sent) append_body(out(), framing_, body, last);
  body.clear();
  if (last) {
    if (streaming()) {
      pending_->stream_route = nullptr;
      pending_->stream_waiting = false;
    }
    if (abandon) phase_ = Phase::refused;  // input is dropped from here on (linger)
    current_ = nullptr;
    HandlerAccess::attach(h, nullptr);
    HandlerAccess::release(h);  // the connection's hold
    if (!keep_alive_) closing_ = true;
    // Inside a batch the idle deadline is armed once, at its end (process),
    // not after each response only for the next request to take it off.
    if (!closing_ && !processing_) arm_idle();
  }
  return true;
}

// Outside a batch: writes what was framed, then takes up the requests
// waiting behind a last response.
inline Future<void> HTTP1Connection::write_framed(bool last) {
  Future<void> written = flush_out();
  if (last && !closing_ && unparsed() > 0) resume_later();
  if (last && unparsed() == 0) drop_parsed();
  return written;
}

inline Future<void> HTTP1Connection::send_response(RequestHandler& h, bool last) {
  // Inside a batch the batch writes; a flush() must reach the kernel now.
  if (!frame_response(h, last) || (processing_ && last)) return make_ready_future();
  Future<void> written = write_framed(last);
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

// finish()'s send_response(h, true): no future is made for a caller that
// ignores it (inside a batch, the usual case, nothing but the framing runs;
// a ready future cost the plaintext benchmark ~20 instructions a request).
inline void HTTP1Connection::end_response(RequestHandler& h) {
  if (!frame_response(h, true) || processing_) return;
  Future<void> written = write_framed(true);
  // A client that left is not the handler's error: taken, never reported.
  if (written.done()) {
    (void)written.exception();
  } else {
    written.add_done_callback([](const Future<void>& w) { (void)w.exception(); });
  }
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

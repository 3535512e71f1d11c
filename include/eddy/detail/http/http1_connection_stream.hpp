// HTTP1Connection's streamed request bodies: a route added with
// Application::route_streaming gets the body piece by piece as it is read,
// instead of once whole (web_streaming.hpp has the handler's contract).
//
// Once a head is parsed, an Application with streaming routes is asked for
// the request's route; a streaming one takes the body from there:
// - the body's bound is the route's (StreamingOptions::max_body_size), not
//   max_body_size; a Content-Length over it is answered 413 (through the
//   handler's error page) before any piece, then the connection closes;
// - each piece read (a Content-Length body's bytes as they come, a chunked
//   body's decoded data) is one call; the end, one call with last == true;
// - a call returning a pending future stops reading (no read is pending,
//   no body timeout runs) until it resolves: the client is held back by TCP;
// - the handler finishing the response before the last call stops the
//   calls: the response says "Connection: close" (when its head is still
//   to send), the rest of the body is not read, and the connection closes
//   gently after the response (lingering, as after a refusal), as Tornado;
// - a bad chunk or a chunked body over the bound: the error page (400 or
//   413) when the response has not started, else the connection closes;
// - an exception from a call: as from any handler (HTTPError's status, else
//   500 and the loop's exception handler), and the body is not read on;
// - the client leaving: on_connection_close, and no further call.
//
// Thread contract: the loop thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>

#include "http1_connection.hpp"
#include "web_routing.hpp"

namespace eddy::detail {

// Called once the head is in (current_ set): true when the request goes on
// (streamed or not), false when it was refused.
inline bool HTTP1Connection::begin_streaming(bool over_limit) {
  Route* route = shared_->app->streaming_route(*current_);
  if (route == nullptr) {
    if (!over_limit) return true;
    refuse(413);
    return false;
  }
  pending().stream_route = route;
  pending_->stream_waiting = false;
  std::uint64_t length = phase_ == Phase::body && !chunked() ? body_left_ : 0;  // Content-Length
  if (length > route->stream_limit) {
    stream_failed(413);
    return false;
  }
  if (chunked()) {
    http::ChunkedLimits limits;
    limits.max_body_size = route->stream_limit;
    limits.max_trailer_size = shared_->options.max_header_size;
    pending_->chunked.emplace(limits);
  } else if (phase_ == Phase::ready) {
    body_left_ = 0;  // no body: one call, the last
  }
  phase_ = Phase::body;
  return true;
}

// Hands what the input holds of the body to the handler, piece by piece.
// Always false: the request is never dispatched as a whole.
inline bool HTTP1Connection::stream_body() {
  while (streaming() && !pending_->stream_waiting && phase_ == Phase::body) {
    if (!chunked()) {
      std::string_view bytes = input();
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, bytes.size()));
      if (take != 0) {
        in_pos_ += take;
        body_left_ -= take;
        if (!deliver(bytes.substr(0, take), false)) return false;
        continue;
      }
      if (body_left_ != 0) return false;
    } else {
      http::ChunkResult r = pending_->chunked->decode(input());
      in_pos_ += r.consumed;
      if (r.status == http::ChunkStatus::data) {
        if (!deliver(r.data, false)) return false;
        continue;
      }
      if (r.status == http::ChunkStatus::incomplete) return false;
      if (r.status == http::ChunkStatus::error) {
        stream_failed(r.error_status);
        return false;
      }
      pending_->chunked.reset();
    }
    // The whole body was read: the next request waits for this response.
    phase_ = Phase::head;
    disarm();
    deliver(std::string_view(), true);
    return false;
  }
  return false;
}

// One call of the handler; true when the next piece may follow at once.
inline bool HTTP1Connection::deliver(std::string_view chunk, bool last) {
  RequestHandler& h = *current_;
  Route& route = *pending_->stream_route;
  HandlerAccess::retain(h);  // this call's hold: h outlives a pending future
  HandlerHold hold(h);
  std::optional<Future<void>> future;
  std::exception_ptr error;
  loop().run_step(route.kind.c_str(), route.where, [&] {
    try {
      route.stream->invoke(h, chunk, last, future);
    } catch (...) {
      error = std::current_exception();
    }
  });
  if (!error && future && !future->done()) {
    if (current_ == &h && streaming()) {
      pending_->stream_waiting = true;
      disarm();  // the handler runs: no body deadline meanwhile
    }
    std::shared_ptr<HTTP1Connection> self = shared_from_this();
    Route* r = &route;
    future->add_done_callback([self = std::move(self), hold = std::move(hold), r, last](const Future<void>& done) mutable {
      self->stream_resumed(hold.get(), done.exception(), *r, last);
      hold.reset();
    });
    return false;
  }
  if (!error && future) error = future->exception();
  return stream_step_done(h, std::move(error), route, last);
}

// A call's future resolved: the body goes on unless the call ended it.
inline void HTTP1Connection::stream_resumed(RequestHandler& h, std::exception_ptr error, const Route& route,
                                            bool last) {
  bool ours = current_ == &h && streaming();
  if (ours) pending_->stream_waiting = false;
  if (!stream_step_done(h, std::move(error), route, last) || !ours || gone()) return;
  arm_after(ServedWait::body, shared_->options.body_timeout);
  process();
}

// After a call returned (or its future resolved): an error ends the
// response, the last call finishes it if the handler did not; true when
// more of the body is wanted.
inline bool HTTP1Connection::stream_step_done(RequestHandler& h, std::exception_ptr error, const Route& route,
                                              bool last) {
  if (error) {
    handler_failed(h, std::move(error), &route);
    return false;
  }
  if (last) {
    handler_done(h, nullptr, &route);
    return false;
  }
  return !h.finished() && current_ == &h;
}

// The body cannot be read on (a bad chunk, over the route's bound).
inline void HTTP1Connection::stream_failed(int status) {
  RequestHandler& h = *current_;
  keep_alive_ = false;
  if (!HandlerAccess::headers_sent(h) && !h.finished()) {
    try {
      h.send_error(status);  // finishes: the connection closes after it
      return;
    } catch (...) {
      loop().handle_exception(std::current_exception(), "HTTP error page");
    }
  }
  close_now();
}

}  // namespace eddy::detail

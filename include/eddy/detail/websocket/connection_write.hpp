// Connection's write path and its ends: frames out (compressed, masked),
// pings, the closing handshake, protocol failures and the end of TCP.
// Included by connection.hpp; see it for the design.
//
// The rules:
// - A frame is assembled in one buffer per thread (header, payload,
//   compressed and masked in place) and handed to the stream in one write,
//   which copies only what the kernel does not take at once. The write's
//   future is the caller's back-pressure: it resolves when the kernel has
//   the bytes.
// - A message written while more than max_write_buffer_size bytes of
//   earlier ones are still queued fails, and the connection closes at once:
//   a peer that stops reading costs at most that bound plus one message.
// - Closing (RFC 6455 §7): close() sends a close frame and waits for the
//   peer's, at most close_timeout; a close frame received is answered with
//   the same code. Then the server closes TCP once its close frame is out;
//   the client waits (at most close_timeout) for the server to close first.
// - A protocol error (fail) sends a close frame with the rule's code, shuts
//   the write side once it is out and drops input until the peer leaves
//   (close_timeout at most), so the peer reads the code instead of a reset.
// - The handler learns the end once (finish): the pending read gives
//   nullopt, pings in flight fail, a class handler's on_close runs.
#pragma once

#include "connection.hpp"

namespace eddy::detail::ws {

namespace write_detail {

inline std::exception_ptr closed_error() {
  return std::make_exception_ptr(StreamClosedError("eddy: WebSocket closed"));
}

}  // namespace write_detail

// Why a message cannot be written now, or null. Past the write bound the
// connection is closed as the bound's rule says.
inline std::exception_ptr Connection::refuse_write() {
  if (!writable()) return write_detail::closed_error();
  if (stream().write_buffer_size() > settings_->max_write) {
    abort();
    return std::make_exception_ptr(StreamClosedError(
        "eddy: WebSocket closed: the peer reads too slowly (more than max_write_buffer_size = " +
        std::to_string(settings_->max_write) + " bytes queued)"));
  }
  return nullptr;
}

inline Future<void> Connection::write_message(std::string_view data, bool binary) {
  if (!binary && !KnownText::is(data) && !is_valid_utf8(data)) {
    return make_failed_future<void>(std::make_exception_ptr(
        std::invalid_argument("eddy: WebSocket::write_message: text is not UTF-8 (send it as binary)")));
  }
  if (std::exception_ptr error = refuse_write()) return make_failed_future<void>(error);
  try {
    return send_frame(binary ? Opcode::binary : Opcode::text, data, true);
  } catch (...) {
    return make_failed_future<void>(std::current_exception());
  }
}

inline Future<void> Connection::write_frame_bytes(std::string_view frame) {
  if (std::exception_ptr error = refuse_write()) return make_failed_future<void>(error);
  return stream().write(frame);
}

inline Deflater& Connection::own_deflater() {
  Side& s = side();
  if (!s.deflater) s.deflater = std::make_unique<Deflater>(compress_window_);
  return *s.deflater;
}

// One frame, whole: compressed when allowed and negotiated (starting the
// shared compressor afresh, a message that does not shrink goes plain),
// masked by a client.
inline Future<void> Connection::send_frame(Opcode op, std::string_view payload, bool may_compress) {
  std::string& out = out_buffer();
  out.clear();
  const bool client = role_ == Role::client;
  unsigned char key[4] = {0, 0, 0, 0};
  if (client) os_random(key, sizeof key);
  std::size_t start = 0;
  if (may_compress && compresses()) {
    out.resize(max_header_size);  // room for the header, written once the size is known
    Deflater& d = compress_reset_ ? shared_deflater(compress_window_) : own_deflater();
    d.compress(payload, out, compress_reset_);
    std::size_t size = out.size() - max_header_size;
    if (!compress_reset_ || size < payload.size()) {
      start = max_header_size - frame_header_size(size, client);
      write_frame_header(out.data() + start, true, true, op, size, client ? key : nullptr);
      if (client) apply_mask(out.data() + max_header_size, size, key);
    } else {
      out.clear();
    }
  }
  if (out.empty()) {
    std::size_t header = frame_header_size(payload.size(), client);
    out.resize(header);
    write_frame_header(out.data(), true, false, op, payload.size(), client ? key : nullptr);
    out.append(payload.data(), payload.size());
    if (client) apply_mask(out.data() + header, payload.size(), key);
  }
  Future<void> written = stream().write(std::string_view(out).substr(start));
  if (out.capacity() > 1024 * 1024) {
    std::string().swap(out);
  } else {
    out.clear();
  }
  return written;
}

inline Future<void> Connection::ping(std::string_view data) {
  if (data.size() > 125) {
    return make_failed_future<void>(
        std::make_exception_ptr(std::invalid_argument("eddy: WebSocket::ping: payload over 125 bytes")));
  }
  if (!writable()) return make_failed_future<void>(write_detail::closed_error());
  Future<void> done;
  side().pings.push_back(PendingPing{std::string(data), done});
  Future<void> written = send_frame(Opcode::ping, data, false);
  read_detail::observe(written);
  return done;
}

// A pong answers the oldest ping with its payload, and every ping before it.
inline void Connection::resolve_pings(std::string_view payload) {
  if (!side_) return;
  std::deque<PendingPing>& pings = side_->pings;
  std::size_t match = 0;
  while (match < pings.size() && pings[match].payload != payload) ++match;
  if (match == pings.size()) return;  // unsolicited (or a liveness ping's)
  for (std::size_t i = 0; i <= match; ++i) {
    Future<void> done = std::move(pings.front().done);
    pings.pop_front();
    done.set_result();
  }
}

inline void Connection::close(int code, std::string_view reason) {
  if (!valid_close_code(code)) throw std::invalid_argument("eddy: WebSocket::close: invalid close code " + std::to_string(code));
  if (reason.size() > 123) throw std::invalid_argument("eddy: WebSocket::close: reason over 123 bytes");
  if (!is_valid_utf8(reason)) throw std::invalid_argument("eddy: WebSocket::close: reason is not UTF-8");
  if (close_sent_ || finished_ || !has_stream_ || tcp_closed_) return;
  Ref keep(this);
  send_close(static_cast<std::uint16_t>(code), reason);
}

// No more messages for the handler: the pending read gives nullopt.
inline void Connection::end_messages() {
  messages_done_ = true;
  if (!has_waiter_) return;
  Future<ReadResult> waiter = take_waiter();
  waiter.set_result(ReadResult());
}

// Sends a close frame (code 0: none) and starts the close timer.
inline void Connection::send_close(std::uint16_t code, std::string_view reason) {
  close_sent_ = true;
  end_messages();
  std::string payload = code != 0 ? close_payload(code, reason) : std::string();
  Future<void> written = send_frame(Opcode::close, payload, false);
  read_detail::observe(written);
  side().close_written.emplace(std::move(written));
  IOLoop* loop = stream().loop();
  if (loop != nullptr) arm(loop->time() + options().close_timeout);
}

inline void Connection::on_close_frame(std::string_view payload) {
  CloseInfo c = parse_close_payload(payload);
  if (c.error != 0) return fail(c.error, c.why);
  close_received_ = true;
  peer_code_ = c.has_code ? c.code : 0;
  if (!c.reason.empty()) side().close_reason.assign(c.reason.data(), c.reason.size());
  if (!close_sent_) send_close(peer_code_, {});  // the echo
  finish();
  // The server closes TCP; the client waits for it (the close timer bounds that).
  if (role_ == Role::server) close_tcp_when_written();
}

// The peer broke a rule: tell it why, let it read that, and go.
inline void Connection::fail(std::uint16_t code, const char* why) {
  if (failed_ || tcp_closed_) return;
  failed_ = true;
  if (!close_sent_) send_close(code, why);
  finish();
  if (side_ && side_->close_written) {
    Future<void> written = *side_->close_written;
    written.add_done_callback([self = Ref(this)](const Future<void>& w) {
      if (w.exception() || self->tcp_closed_ || self->stream().closed()) return;
      ::shutdown(self->stream().fd(), SHUT_WR);
    });
  }
}

// The handler learns the end, once.
inline void Connection::finish() {
  if (finished_) return;
  finished_ = true;
  end_messages();
  if (side_ && !side_->pings.empty()) {
    std::deque<PendingPing> pings = std::move(side_->pings);
    side_->pings.clear();
    for (PendingPing& p : pings) {
      p.done.set_exception(std::make_exception_ptr(StreamClosedError("eddy: WebSocket closed before the pong")));
      (void)p.done.exception();  // nobody may be waiting: not an error to report
    }
  }
  notify_close();
}

inline void Connection::close_tcp_when_written() {
  if (tcp_closed_ || !has_stream_) return;
  if (side_ && side_->close_written && !side_->close_written->done()) {
    Future<void> written = *side_->close_written;
    written.add_done_callback([self = Ref(this)](const Future<void>& w) {
      (void)w.exception();
      self->abort();
    });
    return;
  }
  abort();
}

// Closes TCP now. The pending read's callback (or a job, when none is
// pending) then ends the connection.
inline void Connection::abort() {
  if (tcp_closed_ || !has_stream_) return;
  stream().close();
  if (reading_) return;
  if (IOLoop* loop = stream().loop()) {
    loop->add_callback([self = Ref(this)] { self->on_tcp_closed(); });
  } else {
    on_tcp_closed();
  }
}

inline void Connection::on_tcp_closed() {
  if (tcp_closed_) return;
  tcp_closed_ = true;
  disarm();
  finish();
  if (!side_) return;
  release_inflater();
  side_->deflater.reset();
  side_->close_written.reset();
  read_detail::clear_string(side_->message);
  read_detail::clear_string(side_->leftover);
  side_->compressed_in = 0;
  drop_side_if_unused();
}

inline void Connection::handler_done(const Future<void>& done) {
  if (std::exception_ptr error = done.exception()) {
    if (IOLoop* loop = has_stream_ ? stream().loop() : nullptr) loop->handle_exception(error, "WebSocket handler");
    if (!close_sent_ && !finished_) close(close_code::internal_error, {});
    return;
  }
  if (!close_sent_ && !finished_) close(close_code::normal, {});
}

}  // namespace eddy::detail::ws

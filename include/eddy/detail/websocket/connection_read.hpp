// Connection's read path: the pending read, parsing frames in the bytes it
// brings, assembling messages and handing them to their reader. Included by
// connection.hpp; see it for the design.
//
// The rules:
// - The bytes of a read are parsed where they landed (the thread's scratch,
//   or a rescued copy); what cannot be parsed yet (a partial header or
//   control frame) is kept in the side block and copied in front of the
//   next read's bytes.
// - A data frame's payload is consumed as it arrives: unmasked in place,
//   checked for UTF-8 (text) and appended to the message, or inflated
//   straight into it, so a bad byte fails the connection on arrival and a
//   large message is never held twice.
// - Control frames are acted on at once, between the fragments of a message
//   too. A data frame nobody reads pauses the connection (see
//   connection.hpp, "Flow control").
// - While a connection parses the scratch, no read may recv into it: a read
//   started then (by a handler calling read_message on another connection)
//   is started from a later loop step instead.
#pragma once

#include <algorithm>

#include "connection.hpp"

namespace eddy::detail::ws {

namespace read_detail {

// Frees a string's storage once it held something large.
inline void clear_string(std::string& s) noexcept {
  if (s.capacity() > 256) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

// Looks at a write's outcome (a pong or close frame nobody awaits): a
// peer that left is nobody's error.
inline void observe(Future<void>& written) {
  if (written.done()) {
    (void)written.exception();
  } else {
    written.add_done_callback([](const Future<void>& w) { (void)w.exception(); });
  }
}

}  // namespace read_detail

inline Future<Connection::ReadResult> Connection::read_message() {
  if (has_handler_) {
    return make_failed_future<ReadResult>(std::make_exception_ptr(
        std::logic_error("eddy: WebSocket::read_message: a WebSocketHandler gets its messages in on_message")));
  }
  if (has_waiter_) {
    return make_failed_future<ReadResult>(std::make_exception_ptr(
        std::logic_error("eddy: WebSocket::read_message: a read is already pending (one at a time)")));
  }
  if (messages_done_ || !has_stream_) return make_ready_future(ReadResult());
  Future<ReadResult> future;
  set_waiter(future);
  if (paused_) resume();  // the message that paused the connection is read now
  return future;
}

inline void Connection::read_more() {
  // A server stops reading at the peer's close frame; a client reads on,
  // dropping input, until the server closes TCP.
  if (reading_ || read_scheduled_ || paused_ || !has_stream_ || tcp_closed_ ||
      (close_received_ && role_ == Role::server) || stream().closed()) {
    return;
  }
  if (scratch_busy()) return schedule_read();
  reading_ = true;
  auto callback = [self = Ref(this)](std::size_t n, std::exception_ptr error) { self->on_read(n, std::move(error)); };
  try {
    if (std::size_t buffered = stream().read_buffer_size(); buffered > 0) {
      // Bytes the stream holds already (a client's, read past the handshake).
      side().rescued.resize(buffered);
      rescue_ = true;
      stream().read_into(side_->rescued.data(), buffered, true, std::move(callback));
      return;
    }
    lead_ = side_ ? static_cast<std::uint8_t>(side_->leftover.size()) : 0;
    char* target = scratch() + lead_;
    stream().read_into(target, scratch_size - lead_, true, std::move(callback));
    if (!stream().reading() && !stream().closed()) {
      // Completed inside the call: the callback comes from a later job, by
      // when the scratch may hold another stream's bytes. Copy them now.
      side().rescued.assign(target, scratch_size - lead_);
      rescue_ = true;
    }
  } catch (...) {  // the loop is gone
    reading_ = false;
    on_tcp_closed();
  }
}

inline void Connection::schedule_read() {
  IOLoop* loop = stream().loop();
  if (loop == nullptr) return;
  read_scheduled_ = true;
  loop->add_callback([self = Ref(this)] {
    self->read_scheduled_ = false;
    self->read_more();
  });
}

inline void Connection::on_read(std::size_t n, std::exception_ptr error) {
  reading_ = false;
  bool rescued = rescue_;
  rescue_ = false;
  if (error || tcp_closed_) {
    if (side_) read_detail::clear_string(side_->rescued);
    return on_tcp_closed();
  }
  heard_ = true;
  if (rescued) {
    std::string bytes = std::move(side_->leftover);
    bytes.append(side_->rescued.data(), n);
    read_detail::clear_string(side_->leftover);
    read_detail::clear_string(side_->rescued);
    consume(bytes.data(), bytes.size());
  } else {
    char* data = scratch();
    if (lead_ != 0) {
      std::memcpy(data, side_->leftover.data(), lead_);
      side_->leftover.clear();
    }
    std::size_t size = lead_ + n;
    lead_ = 0;
    struct Busy {
      Busy() noexcept { scratch_busy() = true; }
      ~Busy() { scratch_busy() = false; }
    } busy;
    consume(data, size);
  }
  drop_side_if_unused();
  read_more();
}

// Acts on every whole frame in [data, data + size) and keeps the rest.
inline void Connection::consume(char* data, std::size_t size) {
  std::size_t pos = 0;
  while (pos < size && !tcp_closed_ && !failed_ && !close_received_) {
    if (frame_left_ != 0) {
      pos += take_payload(data + pos, size - pos);
      continue;
    }
    std::size_t used = next_frame(data + pos, size - pos);
    if (used == 0) break;
    pos += used;
  }
  if (pos < size && !tcp_closed_ && !failed_ && !close_received_) keep_rest(data + pos, size - pos);
}

inline void Connection::keep_rest(const char* data, std::size_t size) { side().leftover.assign(data, size); }

inline FrameRules Connection::rules() const noexcept {
  FrameRules r;
  r.from_client = role_ == Role::server;
  r.rsv1_allowed = deflate_;
  r.in_message = in_message_;
  std::uint64_t max = options().max_message_size;
  // Compressed data can be a little larger than what it holds: the
  // compressed payload gets a margin (the inflated size is exact).
  std::uint64_t slack = deflate_ ? max / 64 + 1024 : 0;
  std::uint64_t loose = max + slack < max ? ~std::uint64_t{0} : max + slack;
  if (!in_message_) {
    r.max_payload = loose;
  } else if (message_compressed_) {
    std::uint64_t used = side_ ? side_->compressed_in : 0;
    r.max_payload = used >= loose ? 0 : loose - used;
  } else {
    std::uint64_t used = side_ ? side_->message.size() : 0;
    r.max_payload = used >= max ? 0 : max - used;
  }
  return r;
}

// One frame's header at `data`: acts on a control frame, delivers a whole
// small message at once, or starts a data frame's payload. Returns the
// bytes used, 0 to wait for more (or after a failure, or when paused).
inline std::size_t Connection::next_frame(char* data, std::size_t size) {
  FrameParse f = parse_frame(std::string_view(data, size), rules());
  if (f.status == FrameStatus::error) {
    fail(f.close_code, f.reason);
    return 0;
  }
  if (!f.header_complete) return 0;
  const FrameHeader& h = f.header;
  auto n = static_cast<std::size_t>(h.payload_size);
  char* payload = data + h.header_size;
  if (is_control(h.opcode)) {
    if (f.status != FrameStatus::complete) return 0;
    if (h.masked) apply_mask(payload, n, h.mask);
    on_control(h.opcode, std::string_view(payload, n));
    return h.header_size + n;
  }
  if (!in_message_ && !wants_message()) {
    paused_ = true;
    return 0;
  }
  if (f.status == FrameStatus::complete && h.fin && !in_message_ && !h.rsv1 && !messages_done_ &&
      h.payload_size <= options().max_message_size) {
    if (h.masked) apply_mask(payload, n, h.mask);
    deliver_view(std::string_view(payload, n), h.opcode == Opcode::binary);
    return h.header_size + n;
  }
  begin_data_frame(h);
  return failed_ ? 0 : h.header_size;
}

inline void Connection::begin_data_frame(const FrameHeader& h) {
  if (h.opcode != Opcode::continuation) {
    if (!h.rsv1 && h.payload_size > options().max_message_size) {
      return fail(close_code::message_too_big, "message larger than max_message_size");
    }
    in_message_ = true;
    message_binary_ = h.opcode == Opcode::binary;
    message_compressed_ = h.rsv1;
    discard_message_ = messages_done_;
    utf8_.reset();
    if (message_compressed_ && !discard_message_ && !(side_ && side_->inflater)) {
      try {
        side().inflater = decompress_reset_ ? InflaterPool::take() : std::make_unique<Inflater>(15);
      } catch (...) {
        return fail(close_code::internal_error, "cannot start zlib");
      }
    }
  }
  frame_left_ = h.payload_size;
  std::memcpy(mask_, h.mask, 4);
  mask_pos_ = 0;
  frame_fin_ = h.fin;
  frame_masked_ = h.masked;
  if (frame_left_ == 0) end_data_frame();
}

// Consumes what is present of the current data frame's payload.
inline std::size_t Connection::take_payload(char* data, std::size_t size) {
  auto take = static_cast<std::size_t>(std::min<std::uint64_t>(frame_left_, size));
  if (frame_masked_) apply_mask(data, take, mask_, mask_pos_);
  mask_pos_ = static_cast<std::uint8_t>((mask_pos_ + take) & 3);
  frame_left_ -= take;
  if (!discard_message_ && !add_to_message(std::string_view(data, take))) return size;
  if (frame_left_ == 0) end_data_frame();
  return take;
}

inline bool Connection::add_to_message(std::string_view bytes) {
  Side& s = side();
  if (message_compressed_) {
    s.compressed_in += bytes.size();
    std::size_t before = s.message.size();
    InflateStatus status = s.inflater->feed(bytes, s.message, options().max_message_size);
    if (status != InflateStatus::ok) {
      status == InflateStatus::too_big ? fail(close_code::message_too_big, "message inflates past max_message_size")
                                       : fail(close_code::invalid_data, "bad compressed data");
      return false;
    }
    bytes = std::string_view(s.message).substr(before);
    if (!message_binary_ && !utf8_.feed(bytes)) {
      fail(close_code::invalid_data, "text is not UTF-8");
      return false;
    }
    return true;
  }
  if (!message_binary_ && !utf8_.feed(bytes)) {
    fail(close_code::invalid_data, "text is not UTF-8");
    return false;
  }
  s.message.append(bytes.data(), bytes.size());
  return true;
}

inline void Connection::end_data_frame() {
  if (!frame_fin_) return;
  in_message_ = false;
  if (discard_message_) {
    if (side_) read_detail::clear_string(side_->message);
    if (side_) side_->compressed_in = 0;
    if (decompress_reset_) release_inflater();
    return;
  }
  Side& s = side();
  if (message_compressed_) {
    std::size_t before = s.message.size();
    InflateStatus status = s.inflater->finish(s.message, options().max_message_size, decompress_reset_);
    s.compressed_in = 0;
    if (decompress_reset_) release_inflater();
    if (status != InflateStatus::ok) {
      return status == InflateStatus::too_big ? fail(close_code::message_too_big, "message inflates past max_message_size")
                                              : fail(close_code::invalid_data, "bad compressed data");
    }
    if (!message_binary_ && !utf8_.feed(std::string_view(s.message).substr(before))) {
      return fail(close_code::invalid_data, "text is not UTF-8");
    }
  }
  if (!message_binary_ && !utf8_.complete()) return fail(close_code::invalid_data, "text ends inside a character");
  std::string data = std::move(s.message);
  s.message = std::string();
  deliver(std::move(data), message_binary_);
}

// A whole message to its reader: the class handler, or the pending read.
inline void Connection::deliver(std::string&& data, bool binary) {
  if (has_handler_) {
    WebSocketMessage message{std::move(data), binary};
    notify_message(message);
    return;
  }
  if (!has_waiter_) return;  // close() ended reading meanwhile
  Future<ReadResult> waiter = take_waiter();
  waiter.set_result(ReadResult(WebSocketMessage{std::move(data), binary}));
}

// A message that arrived whole in one read, still in the read's buffer.
inline void Connection::deliver_view(std::string_view data, bool binary) {
  if (!binary && !is_valid_utf8(data)) return fail(close_code::invalid_data, "text is not UTF-8");
  if (!has_handler_) return deliver(std::string(data), binary);
  // A class handler gets a message whose storage the thread reuses, so a
  // message that fits an earlier one's allocates nothing.
  static thread_local WebSocketMessage reused;
  static thread_local bool in_use = false;
  if (in_use) return deliver(std::string(data), binary);
  in_use = true;
  reused.data.assign(data.data(), data.size());
  reused.binary = binary;
  notify_message(reused);
  if (reused.data.capacity() > 64 * 1024) std::string().swap(reused.data);
  in_use = false;
}

inline void Connection::on_control(Opcode op, std::string_view payload) {
  if (op == Opcode::ping) {
    if (close_sent_) return;  // nothing is sent after a close frame
    Future<void> written = send_frame(Opcode::pong, payload, false);
    read_detail::observe(written);
  } else if (op == Opcode::pong) {
    resolve_pings(payload);
  } else if (op == Opcode::close) {
    on_close_frame(payload);
  }
}

inline void Connection::release_inflater() noexcept {
  if (!side_ || !side_->inflater) return;
  if (decompress_reset_) {
    InflaterPool::give(std::move(side_->inflater));
  } else {
    side_->inflater.reset();
  }
}

}  // namespace eddy::detail::ws

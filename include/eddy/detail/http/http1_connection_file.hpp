// HTTP1Connection's file bodies (ResponseChannel::send_file, used by
// static_files): a response whose head is assembled as any other and whose
// body is a range of an open file, queued on the stream behind the head
// (IOStream::write_file: sendfile as the socket takes it). See
// http1_connection.hpp.
//
// Order: the head, with every response of the batch assembled before it,
// goes to the stream in one write with the file (IOStream::write_file's
// head: corked together, so they leave in full segments); responses to later pipelined
// requests queue behind the file. The file's bytes count as queued output,
// so the connection's bounds apply as for any response: no further
// pipelined request is taken while more than max_queued_response_bytes
// wait (a 1 GiB file holds the next request until it is out), and output
// that makes no progress for send_timeout closes the connection (a client
// that stopped reading). Either way the file closes with the stream.
//
// Thread contract: the loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "http1_connection.hpp"

namespace eddy::detail {

inline bool HTTP1Connection::send_file(RequestHandler& h, FileRange& file) {
  if (&h != current_ || gone() || HandlerAccess::headers_sent(h)) return false;
  HeadSpec spec;
  spec.status = HandlerAccess::status(h);
  spec.headers = &HandlerAccess::headers(h);
  spec.etag_line = HandlerAccess::etag_line(h);
  spec.body_size = file.size();
  spec.request_http10 = http10_;
  spec.keep_alive = keep_alive_ && !shared_->closing_all;
  framing_ = append_head(out(), spec);
  keep_alive_ = spec.keep_alive;
  HandlerAccess::mark_headers_sent(h);
  HandlerAccess::body(h).clear();
  const bool with_body = !HandlerAccess::head_only(h) && framing_ == BodyFraming::length;
  // The response is over for the connection, as send_response(last) ends it.
  current_ = nullptr;
  HandlerAccess::attach(h, nullptr);
  HandlerAccess::release(h);  // the connection's hold
  if (!keep_alive_) closing_ = true;
  if (!closing_) arm_idle();
  if (with_body && file.size() > 0 && !gone()) {
    write_with_file(file);
  } else {
    write_assembled();
  }
  file.reset();  // HEAD, 304-like framing, or sent: the descriptor is not needed here
  if (closing_ && !lingering_ && !gone()) end_after_write(make_ready_future());
  // A file is sent from a handler, so inside a batch as a rule; outside one,
  // pipelined requests are taken up as after send_response.
  if (!processing_ && !closing_ && unparsed() > 0) resume_later();
  if (!processing_ && unparsed() == 0) drop_parsed();
  return true;
}

// The assembled responses (this one's head last) and the file, handed to
// the stream as one write: the head and the file leave together.
inline void HTTP1Connection::write_with_file(FileRange& file) {
  bool shared = out_owner() == this;
  std::string& buffer = shared ? shared_out() : pending().out;
  if (shared) out_owner() = nullptr;
  std::size_t unsent_before = stream_.write_buffer_size();
  std::uint64_t offset = file.offset(), size = file.size();
  Future<void> written = stream_.write_file(file.release(), offset, size, buffer);
  ++shared_->writes;
  if (shared && buffer.capacity() <= 1024 * 1024) {
    buffer.clear();  // the thread's buffer keeps its storage
  } else {
    std::string().swap(buffer);
  }
  if (written.done()) {
    (void)written.exception();  // a client that left is nobody's error
  } else {
    watch_write(written, stream_.write_buffer_size() - unsent_before);
  }
}

}  // namespace eddy::detail

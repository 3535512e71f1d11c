// HTTP1Connection's output: handing the assembled responses to the stream
// in one write, watching what the kernel has not taken yet, and closing
// after the last response. See http1_connection.hpp.
//
// What the kernel has not taken stays in the stream's queue, and the
// connection watches every write that left bytes there (a callback on its
// future, which also observes its failure: a client that left is nobody's
// error, so a failed write never reaches the loop's exception handler as
// "never retrieved"). While bytes are queued:
// - no further pipelined request is taken past max_queued_response_bytes;
//   the write that drains the queue resumes the batch (output_drained);
// - the connection is on its server's send list: every send_timeout the
//   sweep asks whether the queue moved (output_moved); one that did not is
//   closed. Responses of a closing connection, a handler's flush() nobody
//   reads and a keep-alive response abandoned mid-way are all bounded so.
//   Once the queue drains, the connection goes back to the deadline its
//   state has (idle, body, or none while a handler runs).
//
// Closing after the last response (Connection: close, HTTP/1.0, a refusal,
// close_all_connections()) waits for the whole queue, not only the last
// write, then closes gently (linger).
//
// Thread contract: the loop thread.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "http1_connection.hpp"

namespace eddy::detail {

// Writes what the batch assembled; when that is the connection's last
// response, closes once it is out.
inline Future<void> HTTP1Connection::flush_out() {
  Future<void> written = write_assembled();
  if (closing_ && current_ == nullptr && !lingering_ && !gone()) end_after_write(written);
  return written;
}

// Hands the assembled responses to the stream in one write (the stream
// copies only what the kernel does not take at once).
inline Future<void> HTTP1Connection::write_assembled() {
  bool shared = out_owner() == this;
  if (!shared && !pending_) return make_ready_future();
  std::string& buffer = shared ? shared_out() : pending_->out;
  if (shared) out_owner() = nullptr;
  if (buffer.empty() || gone()) {
    buffer.clear();
    return make_ready_future();
  }
  std::size_t unsent_before = stream_.write_buffer_size();
  Future<void> written = stream_.write(buffer);
  ++shared_->writes;
  if (shared && buffer.capacity() <= 1024 * 1024) {
    buffer.clear();  // the thread's buffer keeps its storage
  } else {
    std::string().swap(buffer);  // a connection's own is freed: idle costs no buffer
  }
  if (written.done()) {
    (void)written.exception();  // a client that left is nobody's error
  } else {
    watch_write(written, stream_.write_buffer_size() - unsent_before);
  }
  return written;
}

// A write left `added` bytes queued: the send clock counts them, and the
// write is watched until it is done; the one that leaves the queue empty
// reports the drain. (Out of line: the kernel usually takes a response
// whole, and the path that does stays short.)
EDDY_NOINLINE inline void HTTP1Connection::watch_write(Future<void>& written, std::size_t added) {
  note_queued(added);
  std::shared_ptr<HTTP1Connection> self = shared_from_this();
  written.add_done_callback([self = std::move(self)](const Future<void>& w) {
    if (w.exception()) return;  // the stream closed: on_closed cleans up
    if (!self->stream_.writing()) self->output_drained();
  });
}

// `added` bytes joined the stream's queue: the send clock runs, or counts
// them as not yet sent.
inline void HTTP1Connection::note_queued(std::size_t added) {
  if (wait_ != ServedWait::send) return keep_send_clock();
  pending().unsent_mark += added;
}

// The sweep asks at a send deadline: did any queued byte go since it last
// asked? A drained queue counts (its write's callback moves the connection
// on from the send list).
inline bool HTTP1Connection::output_moved() noexcept {
  if (!stream_.writing()) return true;
  std::size_t unsent = stream_.write_buffer_size();
  if (!pending_ || unsent >= pending_->unsent_mark) return false;
  pending_->unsent_mark = unsent;
  return true;
}

// The stream's queue is empty: the send clock stops, the deadline the
// connection's state has applies again, and held requests are taken up.
inline void HTTP1Connection::output_drained() {
  if (gone()) return;
  if (pending_) pending_->unsent_mark = 0;
  if (wait_ == ServedWait::send) {
    if (current_ == nullptr && !closing_) {
      arm_after(ServedWait::idle, shared_->options.idle_connection_timeout);
    } else if (current_ != nullptr && phase_ == Phase::body) {
      arm_after(ServedWait::body, shared_->options.body_timeout);
    } else {
      shared_->no_deadline(*this);  // a handler runs, or the close follows (linger)
    }
  }
  process();
}

// The last response is going out: once the kernel has all of it (`written`
// and every write queued before it), close gently.
inline void HTTP1Connection::end_after_write(Future<void> written) {
  lingering_ = true;  // no more requests are read from here on
  // A write done at once may have earlier ones still queued behind it in
  // time: an empty write resolves once they are out.
  if (written.done() && stream_.writing()) written = stream_.write(std::string_view());
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
  if (gone()) return;
  // An orderly end with nothing unread has no reset to fear.
  if (phase_ != Phase::refused && unparsed() == 0) return close_now();
  ::shutdown(stream_.fd(), SHUT_WR);
  arm_after(ServedWait::linger, linger_time);
  drop_input();
  scratch_size_ = 0;
  read_more();
}

// close_all_connections(): a request in flight ends the connection with its
// response; otherwise what is still queued goes out whole first (requests
// held back by the bound are not answered).
inline void HTTP1Connection::close_when_idle() {
  keep_alive_ = false;
  if (current_ != nullptr || lingering_ || gone()) return;
  closing_ = true;
  if (!stream_.writing() && unparsed() == 0) return close_now();
  end_after_write(make_ready_future());
}

}  // namespace eddy::detail

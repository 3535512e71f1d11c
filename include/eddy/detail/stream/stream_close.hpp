// StreamState's closing paths, and what happens when the loop goes first.
// Included by stream_state.hpp; see it for the class and its lifetime rules.
//
// The rules:
// - A stream closes once (close_with): it unregisters before closing the fd
//   (so a reused fd number is never confused with this one), fails what is
//   pending with a StreamClosedError saying why, and schedules the close
//   callback, never inline.
// - An error or hang-up seen with nothing pending (handle_error) first reads
//   what the peer sent before, so later reads still get it.
// - The loop being torn down destroys the stream's handler; the stream then
//   closes without calling the loop again (on_handler_destroyed). After
//   teardown the loop's anchor reads nullptr, and a stream that closed long
//   before never touches the loop either.
#pragma once

#include "stream_state.hpp"

namespace eddy::detail {

// The handler was destroyed while still registered. Either the loop is being
// torn down (closing(): its members are valid, but nothing will run again),
// or someone removed our fd behind our back, which closes the stream as any
// failure does. In the first case: close the fd, drop every pending future
// unresolved (their coroutines were destroyed with the loop), free the
// buffers, and fail all later operations with the reason.
template <class D>
inline void BasicStreamState<D>::on_handler_destroyed() noexcept {
  if (!registered_) return;  // we removed it ourselves
  registered_ = false;
  IOLoop* l = loop();
  if (l != nullptr && !l->closing()) {
    try {
      close_with("eddy: stream closed: its handler was removed from the loop", 0);
    } catch (...) {
    }
    return;
  }
  std::shared_ptr<StreamState> keep = std::move(hold_);  // freed, if last, on return
  std::exception_ptr why;
  try {
    why = loop_gone_error();
  } catch (...) {
  }
  // A transport's handshake waiters are dropped with the rest (their
  // coroutines went with the loop), and it says no goodbye.
  become_closed(std::move(why), false, false);
  close_fd(fd_);
  fd_ = -1;
  read_.kind = ReadKind::none;
  future_ = std::monostate{};
  extras_.reset();
  delivering_ = delivery_due_ = running_delivery_ = false;
  {
    std::vector<Future<void>> unsent = writes_.drain();
  }
  buffer_.settle();
  delimiter_.clear();
}

// ---- errors and closing ---------------------------------------------------

// The socket hung up or failed with nothing pending to notice (on a pipe: the
// writer left or, on the write end, the reader did). What the peer sent
// before is kept (within max_buffer_size) for later reads; then the stream
// closes with the socket's error, or as closed by the peer.
template <class D>
inline void BasicStreamState<D>::handle_error() {
  int error = socket_error(fd_);
  if (error == ENOTSOCK) error = plain_fd_error(fd_);
  if (error == 0) error = reported_error_;
  while (error == 0 && buffer_.size() <= max_buffer_size_) {
    std::size_t room = 0;
    ssize_t n = recv_some(room);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
      break;
    }
  }
  buffer_.settle();
  if (error != 0) return close_for_errno(error);
  close_with("eddy: stream closed: peer closed the connection", 0);
}

template <class D>
inline void BasicStreamState<D>::close_for_errno(int error) {
  // The transport failed (a TLS alert, a bad record, a truncation): it says why.
  if (error == transport_errno && !closed_ && transport_ != nullptr) return close_with_error(transport_->failure());
  std::string why = "eddy: stream closed: ";
  if (error == ECONNRESET) {
    why += "connection reset by peer";
  } else if (error == EPIPE) {
    why += "broken pipe (the peer closed the connection)";
  } else {
    why += std::strerror(error);
  }
  close_with(why, error);
}

template <class D>
inline void BasicStreamState<D>::close_with(const std::string& why, int error, bool graceful) {
  if (closed_) return;
  close_with_error(std::make_exception_ptr(StreamClosedError(why, error)), graceful);
}

// Closes once: unregisters before closing the fd (so a reused fd number is
// never confused with this one), fails what is pending, and schedules the
// close callback (never inline).
template <class D>
inline void BasicStreamState<D>::close_with_error(std::exception_ptr error, bool graceful) {
  if (closed_) return;
  become_closed(std::move(error), graceful, true);
  detach();
  finish_read_on_close();
  for (Future<void>& write : writes_.drain()) write.set_exception(error_);
  schedule_close_callback();
  update_hold();
}

// The transport goes (its goodbye sent when `graceful`, its handshake
// waiters failed with `why` when `fail_waiters`), and `why` takes its room.
template <class D>
inline void BasicStreamState<D>::become_closed(std::exception_ptr why, bool graceful, bool fail_waiters) noexcept {
  if (StreamTransport* t = transport_) {
    transport_ = nullptr;
    t->retire(fail_waiters ? why : std::exception_ptr(), graceful);
    delete t;
  }
  closed_ = true;
  new (&error_) std::exception_ptr(std::move(why));
}

template <class D>
inline void BasicStreamState<D>::detach() noexcept {
  if (registered_) {
    registered_ = false;
    if (IOLoop* l = loop()) l->remove_handler(fd_);
  }
  close_fd(fd_);
  fd_ = -1;
}

}  // namespace eddy::detail

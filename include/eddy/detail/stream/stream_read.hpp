// StreamState's read path. Included by stream_state.hpp; see it for the
// class and its lifetime rules.
//
// The rules:
// - One read at a time. A read is set up in read_, completed from the buffer
//   when it can be (try_complete_read), else the socket is read while it is
//   pending (handle_read), and only then: an idle stream leaves the flow
//   control to TCP.
// - Every recv goes to the thread's scratch buffer unless a large read is
//   accumulating; the read is completed from there and what it did not
//   consume is kept, sized to fit (ReadBuffer::settle, called before control
//   goes back to the loop). read_into with an empty buffer recvs straight
//   into the caller's memory.
// - Inline reads: after a recv that filled all its room, the next read tries
//   the socket at once instead of waiting for a poll, at most
//   inline_read_budget times in a row.
// - A future is resolved (never inline: its callbacks are scheduled); a
//   read_into callback runs from the handler's end or from a scheduled job,
//   never inside the call that started the read.
#pragma once

#include "stream_state.hpp"

namespace eddy::detail {

template <class D>
inline Future<std::string> BasicStreamState<D>::read(ReadKind kind, std::size_t n, bool partial,
                                             std::string_view delimiter, std::size_t max_bytes) {
  Read read;
  read.kind = kind;
  read.n = n;
  read.partial = partial;
  read.max_bytes = max_bytes;
  return begin_read<std::string>(read, delimiter);
}

template <class D>
inline Future<std::size_t> BasicStreamState<D>::read_into(char* target, std::size_t n, bool partial) {
  return begin_read<std::size_t>(into_read(target, n, partial, false), {});
}

template <class D>
inline void BasicStreamState<D>::read_into(char* target, std::size_t n, bool partial, IntoCallback&& callback) {
  IOLoop* l = loop();
  if (l == nullptr) std::rethrow_exception(loop_gone_error());
  if (reading() || delivering_) {
    // Rare, so the capture may allocate; it still runs from the loop.
    l->add_callback([cb = std::move(callback)]() mutable { cb(0, already_reading()); });
    return;
  }
  Extras& extras = this->extras();
  read_ = into_read(target, n, partial, true);
  extras.callback = std::move(callback);
  proceed_read();
}

// Starts a read (one at a time per stream): completes it from the buffer if
// it can, fails it if the stream is closed, else waits for READ.
template <class D>
template <class T>
Future<T> BasicStreamState<D>::begin_read(const Read& read, std::string_view delimiter) {
  if (reading() || delivering_) return make_failed_future<T>(already_reading());
  if (closed_ && loop() == nullptr) return make_failed_future<T>(loop_gone_error());
  Future<T> future;
  read_ = read;
  if (read.kind == ReadKind::until) delimiter_.assign(delimiter);
  future_.template emplace<Future<T>>(future);
  proceed_read();
  return future;
}

template <class D>
inline typename BasicStreamState<D>::Read BasicStreamState<D>::into_read(char* target, std::size_t n, bool partial,
                                                bool to_callback) noexcept {
  Read read;
  read.kind = ReadKind::into;
  read.n = n;
  read.partial = partial;
  read.target = target;
  read.filled = 0;
  read.to_callback = to_callback;
  return read;
}

// The read just set up: completes it from the buffer if it can, reads
// inline when that pays, fails it if the stream is closed, else waits.
template <class D>
inline void BasicStreamState<D>::proceed_read() {
  if (try_complete_read()) return;
  // Tornado's inline read, made adaptive: when the last recv filled all the
  // room it had, the kernel probably holds more, so read now instead of
  // paying a poll to learn it. After a short recv (request/response
  // traffic) the answer would be EAGAIN, so wait for READ. The budget,
  // refilled whenever the loop dispatches this fd, stops a coroutine whose
  // peer never pauses from starving every other handler.
  if (!closed_ && more_likely_ && inline_reads_left_ > 0) {
    --inline_reads_left_;
    handle_read();
    if (!reading()) return;  // resolved, or failed by a close
  } else if (!closed_ && EDDY_UNLIKELY(transport_ != nullptr)) {
    wake_for_transport();  // stream_handshake.hpp
  }
  if (closed_) return finish_read_on_close();
  want(IOLoop::READ);
  update_hold();
}

// Resolves the pending read from the buffer if it can; fails it (closing the
// stream) if it never can. True when the read is finished either way.
template <class D>
inline bool BasicStreamState<D>::try_complete_read() {
  std::size_t available = buffer_.size();
  switch (read_.kind) {
    case ReadKind::none:
      return false;
    case ReadKind::bytes:
      if (available >= read_.n) return resolve_read(read_.n);
      if (read_.partial && available > 0) return resolve_read(available);
      break;
    case ReadKind::until:
      if (try_complete_until()) return true;
      break;
    case ReadKind::until_close:
      break;
    case ReadKind::into:
      return try_complete_into();
  }
  if (available > max_buffer_size_) {
    return fail_read("eddy: stream closed: read buffer reached max_buffer_size (" +
                     std::to_string(max_buffer_size_) + " bytes)");
  }
  return false;
}

// read_into: drains the buffer into the caller's memory first.
template <class D>
inline bool BasicStreamState<D>::try_complete_into() {
  std::size_t take = std::min(buffer_.size(), read_.n - read_.filled);
  if (take > 0) {
    buffer_.take_into(read_.target + read_.filled, take);
    read_.filled += take;
  }
  if (read_.filled == read_.n || (read_.partial && read_.filled > 0)) return resolve_into();
  return false;
}

template <class D>
inline bool BasicStreamState<D>::resolve_into() {
  read_.kind = ReadKind::none;
  if (read_.to_callback) {
    deliver_into(nullptr);
    return true;
  }
  Future<std::size_t> future = std::move(std::get<Future<std::size_t>>(future_));
  future_ = std::monostate{};
  future.set_result(read_.filled);
  return true;
}

template <class D>
inline bool BasicStreamState<D>::try_complete_until() {
  std::string_view data = buffer_.view();
  std::string_view delimiter = delimiter_.view();
  std::size_t at = data.find(delimiter, read_.scanned);
  if (at != std::string_view::npos) {
    std::size_t end = at + delimiter.size();
    if (read_.max_bytes != 0 && end > read_.max_bytes) {
      return fail_read("eddy: stream closed: delimiter not found within max_bytes (" +
                       std::to_string(read_.max_bytes) + ")");
    }
    return resolve_read(end);
  }
  // Scanned bytes need no second look, bar a delimiter's worth at the end.
  read_.scanned = data.size() >= delimiter.size() ? data.size() - delimiter.size() + 1 : 0;
  if (read_.max_bytes != 0 && data.size() >= read_.max_bytes) {
    return fail_read("eddy: stream closed: delimiter not found within max_bytes (" +
                     std::to_string(read_.max_bytes) + ")");
  }
  return false;
}

template <class D>
inline Future<std::string> BasicStreamState<D>::take_read_future() {
  Future<std::string> future = std::move(std::get<Future<std::string>>(future_));
  future_ = std::monostate{};
  read_.kind = ReadKind::none;
  return future;
}

template <class D>
inline bool BasicStreamState<D>::resolve_read(std::size_t n) {
  std::string data = buffer_.take(n);
  take_read_future().set_result(std::move(data));
  return true;
}

// The read can never complete: it fails with UnsatisfiableReadError and the
// stream closes (as Tornado), so memory stays bounded whatever the peer sends.
template <class D>
inline bool BasicStreamState<D>::fail_read(const std::string& why) {
  Future<std::string> future = take_read_future();
  close_with(why, 0);
  future.set_exception(std::make_exception_ptr(UnsatisfiableReadError(why)));
  return true;
}

// A read pending when the stream closed: read_until_close gets everything
// received; any other read fails with the reason the stream closed.
template <class D>
inline void BasicStreamState<D>::finish_read_on_close() {
  if (!reading()) return;
  if (read_.kind == ReadKind::into && read_.to_callback) {
    read_.kind = ReadKind::none;
    deliver_into(failure());
  } else if (read_.kind == ReadKind::into) {
    Future<std::size_t> future = std::move(std::get<Future<std::size_t>>(future_));
    future_ = std::monostate{};
    read_.kind = ReadKind::none;
    future.set_exception(failure());
  } else if (read_.kind == ReadKind::until_close && !transport_truncated()) {
    std::string data = buffer_.take(buffer_.size());
    take_read_future().set_result(std::move(data));
  } else {
    take_read_future().set_exception(failure());
  }
}

// The job that runs a callback outcome completed inside read_into(). It
// captures only the state (no allocation); a loop that is closing destroys
// it unrun, and then the outcome is abandoned so the hold can go.
template <class D>
struct BasicStreamState<D>::DeliveryJob {
  StreamState* state;
  explicit DeliveryJob(StreamState* s) noexcept : state(s) {}
  DeliveryJob(DeliveryJob&& other) noexcept : state(std::exchange(other.state, nullptr)) {}
  DeliveryJob& operator=(DeliveryJob&&) = delete;
  ~DeliveryJob() {
    if (state != nullptr) state->abandon_delivery();
  }
  void operator()() {
    StreamState* s = std::exchange(state, nullptr);
    s->call_delivery();
    s->settle_hold();
  }
};

// The callback form's outcome. Completed by the handler, the callback runs
// at the end of on_events(); completed inside read_into() (from the buffer,
// an inline read, or a closed stream), it runs from a job on the loop, never
// inside the call. Until it has run the stream counts as busy, so the hold
// keeps it alive.
//
// The count the callback gets stays in read_.filled (read_.kind is none
// already): no read can start until the callback has run (delivering_), and
// closing touches only read_.kind, so nothing overwrites it meanwhile; this
// keeps Extras one 96-byte malloc chunk.
template <class D>
inline void BasicStreamState<D>::deliver_into(std::exception_ptr error) {
  IOLoop* l = loop();
  if (l == nullptr) {
    extras_->callback = nullptr;
    return;
  }
  extras_->error = std::move(error);
  delivering_ = true;
  if (dispatching_) {
    delivery_due_ = true;
    return;
  }
  if (!hold_) hold_ = this->shared_from_this();
  l->add_callback(DeliveryJob(this));
}

// Runs the callback with the hold in place, so a next read_into it starts
// costs no reference count. running_delivery_ keeps the stream busy
// meanwhile: a handle the callback drops cannot free *this under it.
//
// The callback may own the last handle (a lambda capturing the stream, or a
// connection that owns it), so destroying it may drop every reference but
// the hold. It is therefore moved out of extras_ (never destroyed in the
// storage it would free) and destroyed while the stream still counts as
// busy, so that handle's release_if_last() leaves the hold alone and the
// state goes in the caller's settle_hold(), the last thing it does.
template <class D>
inline void BasicStreamState<D>::call_delivery() noexcept {
  IntoCallback callback = std::move(extras_->callback);
  std::exception_ptr error = std::move(extras_->error);
  std::size_t n = read_.filled;  // before the callback starts the next read
  delivering_ = false;
  running_delivery_ = true;
  try {
    callback(n, std::move(error));
  } catch (...) {
    if (IOLoop* l = loop()) l->handle_exception(std::current_exception());
  }
  callback = nullptr;
  running_delivery_ = false;
}

// The delivery job was destroyed unrun (the loop is closing). As in
// call_delivery(), the callback is moved out and destroyed while
// delivering_ still marks the stream busy; only then may settle_hold() drop
// the hold and free *this (and extras_, where the callback lived).
template <class D>
inline void BasicStreamState<D>::abandon_delivery() noexcept {
  if (extras_) {
    IntoCallback callback = std::move(extras_->callback);
    extras_->error = nullptr;
    callback = nullptr;  // may release the last handle: the hold stays (busy)
  }
  delivering_ = false;
  settle_hold();
}

// Reads while a read is pending and unsatisfied, then gives the scratch
// buffer back: nothing that reaches the loop may point into it.
template <class D>
inline void BasicStreamState<D>::handle_read() {
  read_socket();
  buffer_.settle();
}

// A short recv means the kernel had no more for now; level-triggered polling
// will call again. (A transport's recv keeps to that: short only when it
// holds nothing more.)
template <class D>
inline void BasicStreamState<D>::read_socket() {
  while (reading() && !closed_) {
    std::size_t room = 0;
    ssize_t n;
    if (read_.kind == ReadKind::into) {
      room = read_.n - read_.filled;
      n = recv_into();
    } else {
      n = recv_some(room);
    }
    // A full recv into a bulk-sized room (the scratch's 64 KiB, or a large
    // read_into) says the kernel likely holds more; filling a small exact
    // read_into says nothing.
    more_likely_ = n > 0 && static_cast<std::size_t>(n) == room && room >= bulk_room;
    if (n == 0) {
      // A reset the backend reported (libkqueue consumes SO_ERROR to say
      // so) reads as an orderly close; the report tells them apart.
      if (reported_error_ != 0) return close_for_errno(reported_error_);
      return close_with("eddy: stream closed: peer closed the connection", 0);
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) return close_for_errno(errno);
      if (EDDY_UNLIKELY(transport_ != nullptr) && transport_->wants_write()) want(IOLoop::WRITE);
      return;
    }
    if (try_complete_read()) return;
    if (static_cast<std::size_t>(n) < room) return;
  }
}

// read_into with an empty buffer: the kernel (or the transport) copies
// straight into the caller's memory.
template <class D>
inline ssize_t BasicStreamState<D>::recv_into() {
  ssize_t n = EDDY_UNLIKELY(transport_ != nullptr) ? transport_recv(read_.target + read_.filled, read_.n - read_.filled)
                                                  : receive(read_.target + read_.filled, read_.n - read_.filled);
  if (n > 0) read_.filled += static_cast<std::size_t>(n);
  return n;
}

template <class D>
inline ssize_t BasicStreamState<D>::recv_some(std::size_t& room) {
  char* into = buffer_.prepare(room);
  ssize_t n = EDDY_UNLIKELY(transport_ != nullptr) ? transport_recv(into, room) : receive(into, room);
  if (n > 0) buffer_.commit(static_cast<std::size_t>(n));
  return n;
}

// recv(2), EINTR retried. On anything but a socket recv fails at once with
// ENOTSOCK and read(2) does the work: sockets, the hot path, pay nothing for
// pipes (not even a branch on a flag), and a pipe pays one failed system
// call per read, small beside the read itself.
template <class D>
inline ssize_t BasicStreamState<D>::receive(char* into, std::size_t room) noexcept {
  ssize_t n;
  do {
    n = ::recv(fd_, into, room, 0);
  } while (n == -1 && errno == EINTR);
  if (n == -1 && errno == ENOTSOCK) {
    do {
      n = ::read(fd_, into, room);
    } while (n == -1 && errno == EINTR);
  }
  return n;
}

}  // namespace eddy::detail

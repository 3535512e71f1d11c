// StreamState's side of the loop: the handler the loop stores for a
// stream's fd, and on_events(), which turns readiness into progress on the
// pending read and writes. Included by stream_state.hpp; see it for the
// class, its interest rules and its lifetime rules.
//
// Thread contract: the loop thread only.
#pragma once

#include "stream_state.hpp"

namespace eddy::detail {

// What the loop stores for a stream's fd: a weak reference, so the loop never
// keeps a stream alive, and a destructor that notices the loop going away.
//
// Dispatch uses the raw pointer: the loop invokes only registered handlers,
// and the state unregisters before it can die (detach() runs on every path
// to its destructor), so while the handler can be called the state lives.
// Only the destructor, which may run later (a slot freed at the end of a
// dispatch batch), needs the weak_ptr.
template <class = void>
struct BasicStreamHandler {
  StreamState* target;
  std::weak_ptr<StreamState> state;

  void operator()(int, std::uint32_t events) const { target->on_events(events); }
  BasicStreamHandler(StreamState* raw, std::weak_ptr<StreamState> s) noexcept : target(raw), state(std::move(s)) {}
  BasicStreamHandler(BasicStreamHandler&&) noexcept = default;
  BasicStreamHandler& operator=(BasicStreamHandler&&) = delete;
  ~BasicStreamHandler() {
    if (std::shared_ptr<StreamState> s = state.lock()) s->on_handler_destroyed();
  }
};
using StreamHandler = BasicStreamHandler<>;

template <class D>
inline void BasicStreamState<D>::attach() {
  loop()->add_handler(fd_, StreamHandler(this, this->weak_from_this()), IOLoop::NONE);
  registered_ = true;
}

// The handler holds no reference: *this lives on the hold or a handle, and
// nothing run here drops either (no user code runs but a read_into
// callback, during which the stream counts as busy). A read_into callback
// completed here runs at the end, from the handler, as Asio and libuv run
// completion handlers; then settle_hold() may free *this.
template <class D>
inline void BasicStreamState<D>::on_events(std::uint32_t events) {
  if (closed_) return;
  dispatching_ = true;
  inline_reads_left_ = inline_read_budget;
  if (int error = IOLoop::error_of(events)) reported_error_ = error;
  // A transport's handshake owns the fd until it is done; then pending reads
  // and writes go on as if both were ready (stream_handshake.hpp).
  if (EDDY_UNLIKELY(transport_ != nullptr)) events = transport_events(events);
  if ((events & (IOLoop::READ | IOLoop::ERROR)) != 0) {
    if (reading()) {
      handle_read();
    } else if ((events & IOLoop::READ) != 0) {
      drop(IOLoop::READ);  // the lazy half of READ interest
    }
  }
  if (!closed_ && (events & (IOLoop::WRITE | IOLoop::ERROR)) != 0) {
    if (writing()) {
      handle_write();
    } else if ((events & IOLoop::WRITE) != 0) {
      if (EDDY_UNLIKELY(transport_ != nullptr)) {
        transport_writable();
      } else {
        drop(IOLoop::WRITE);  // the lazy half of WRITE interest
      }
    }
  }
  if (!closed_ && (events & IOLoop::ERROR) != 0) handle_error();
  dispatching_ = false;
  if (delivery_due_) {
    delivery_due_ = false;
    call_delivery();
  }
  settle_hold();
}

}  // namespace eddy::detail

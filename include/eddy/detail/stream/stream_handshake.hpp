// StreamState with a transport (stream_transport.hpp): installing one and
// driving its handshake. Included by stream_state.hpp; see it for the class
// and its lifetime rules.
//
// The rules:
// - While the handshake runs, the transport decides the fd's interest
//   (exactly READ or exactly WRITE) and the stream keeps itself alive (it
//   counts as busy, as with a pending read). Reads and writes issued
//   meanwhile are set up as usual and wait: recv/send answer EAGAIN.
// - Once the handshake is done, the interest goes back to what is pending
//   (READ kept, to be dropped lazily as ever) and the pending reads and
//   writes are tried at once.
// - A handshake that fails closes the stream with the transport's failure;
//   one that times out is closed by the transport's timer through
//   close_with_error().
#pragma once

#include <new>

#include "stream_state.hpp"

namespace eddy::detail {

template <class D>
inline void BasicStreamState<D>::install_transport(std::unique_ptr<StreamTransport> transport) {
  if (closed_ || transport_ != nullptr || reading() || writing()) {
    throw std::logic_error("eddy: IOStream: a transport needs an open, idle stream without one");
  }
  transport->bind(fd_);
  transport_ = transport.release();
  // Nothing pending can be waiting on events yet, so the first step's
  // outcome only sets the interest (or closes the stream).
  advance_transport(IOLoop::NONE);
  update_hold();
}

// on_events() with a transport: a handshake in progress takes the events.
template <class D>
std::uint32_t BasicStreamState<D>::transport_events(std::uint32_t events) {
  return transport_->handshaking() ? advance_transport(events) : events;
}

// Writable with nothing queued: a read that had to write first goes on;
// otherwise the lazy half of WRITE interest.
template <class D>
void BasicStreamState<D>::transport_writable() {
  if (transport_->wants_write() && reading()) return handle_read();
  drop(IOLoop::WRITE);
}

// proceed_read() with a transport: bytes it pulled in already (TLS records
// that came with the handshake's last flight, or with others) never make
// the socket readable, so a job on the loop stands in for the poller: the
// read completes from the loop, as one the socket served would (a
// read_into callback runs from the handler's path, not a delivery job, and
// nothing completes inside the call that started the read).
template <class D>
void BasicStreamState<D>::wake_for_transport() {
  IOLoop* l = loop();
  if (l == nullptr || transport_->wake_scheduled || !transport_->buffered()) return;
  transport_->wake_scheduled = true;
  l->add_callback([weak = this->weak_from_this()] {
    std::shared_ptr<BasicStreamState> s = weak.lock();
    if (!s) return;
    s->transport_wake();
    release_if_last(s);  // as a handle going: a stream nobody holds is freed
  });
}

template <class D>
inline void BasicStreamState<D>::transport_wake() {
  if (closed_ || transport_ == nullptr) return;
  transport_->wake_scheduled = false;
  if (reading() && !delivering_) on_events(IOLoop::READ);
}

// One step of the handshake; returns the events the rest of on_events()
// should act on: none while it runs; once it is done, those of the reads
// and writes that wait (tried at once: TLS may hold their bytes already).
template <class D>
std::uint32_t BasicStreamState<D>::advance_transport(std::uint32_t events) {
  TransportStep step = transport_->advance();
  if (step == TransportStep::failed) {
    close_with_error(transport_->failure());
    return IOLoop::NONE;
  }
  if (step != TransportStep::ready) {
    set_interest(step == TransportStep::want_read ? IOLoop::READ : IOLoop::WRITE);
    // A hang-up or error the handshake did not trip over (it waits for
    // the other direction) must still close the stream, or the level-
    // triggered ERROR would spin the loop.
    if ((events & IOLoop::ERROR) != 0) handle_error();
    return IOLoop::NONE;
  }
  // READ stays on, as the stream drops it lazily: the first read usually
  // starts in a moment (a server's handle_stream), and dropping it now to
  // take it back then would cost two epoll_ctl per connection. For the
  // same reason the events the handshake consumed are not passed on (a
  // READ with no read pending would drop it): only those of what waits.
  std::uint32_t keep = (interest_ & IOLoop::READ) != 0 || reading() ? IOLoop::READ : IOLoop::NONE;
  set_interest(keep | (writing() ? IOLoop::WRITE : IOLoop::NONE));
  return (events & IOLoop::ERROR) | (reading() ? IOLoop::READ : IOLoop::NONE) |
         (writing() ? IOLoop::WRITE : IOLoop::NONE);
}

// Whether the stream closed because its transport failed (a TLS truncation
// among others): then read_until_close fails rather than passing what it
// has for the whole of the data. Only asked when such a read ends.
template <class D>
inline bool BasicStreamState<D>::transport_truncated() const noexcept {
  if (!closed_ || !error_) return false;
  try {
    std::rethrow_exception(error_);
  } catch (const StreamClosedError& e) {
    return e.error() == transport_errno;
  } catch (...) {
  }
  return false;
}

}  // namespace eddy::detail

// UDPReadPacer: how many datagrams a UDP socket reads per readable event.
//
// Why. Draining a socket until recvmsg answers EAGAIN costs one failed
// system call per event. In a request/response exchange (one datagram per
// event: DNS, statsd, an echo) that is a quarter of the system calls of a
// round trip, spent learning what the next poll tells for free: every
// backend is level-triggered for READ (epoll without EPOLLET, poll, kqueue's
// EVFILT_READ without EV_CLEAR), so a socket that still holds datagrams is
// reported again. A flood is the opposite case: there the EAGAIN read is
// paid once per many datagrams, while reading one per event would add a poll
// per datagram. So the budget adapts to what the socket shows:
//
// - Quiet (the start): one read per event; no EAGAIN read.
// - A probe: every probe_gap-th quiet event may read two. The second read
//   succeeding is the backlog signal: the socket held two datagrams at once,
//   which a strict request/response peer never causes. A probe that finds
//   the socket dry (one EAGAIN read) doubles the gap, up to max_probe_gap,
//   so a steady exchange pays one failed read per 64 events.
// - Draining (backlog seen): up to drain_cap reads per event (libuv's 32),
//   until EAGAIN. An event that finds at most one datagram returns to quiet,
//   probing at once (the gap back to 1) in case the flood resumes.
//
// The cap is also the fairness rule: a socket never reads more than
// drain_cap datagrams per event, so one busy socket cannot starve the
// loop's other handlers; the level-triggered poll reports it again.
//
// The allowance left after the event's waiters ran out serves receive()
// calls made before the next event (a coroutine's next co_await), so a
// future-form receiver drains a backlog without a poll per datagram too.
//
// Thread contract: the owning socket's loop thread only.
#pragma once

#include <cstdint>

namespace eddy::detail {

class UDPReadPacer {
 public:
  static constexpr std::uint8_t drain_cap = 32;
  static constexpr std::uint8_t max_probe_gap = 64;

  // A readable event begins (with a receive waiting): sets its allowance.
  void start_event() noexcept {
    read_ = 0;
    probing_ = false;
    if (draining_) {
      left_ = drain_cap;
    } else if (++quiet_events_ >= probe_gap_) {
      quiet_events_ = 0;
      probing_ = true;
      left_ = 2;
    } else {
      left_ = 1;
    }
  }

  // True while this event (or the receives after it) may read again.
  bool may_read() const noexcept { return left_ > 0; }

  // A read took a datagram (or an error queued on the socket).
  void took_one() noexcept {
    --left_;
    if (++read_ == 2 && !draining_) {  // two at once: a backlog
      draining_ = true;
      left_ = drain_cap - 2;
    }
  }

  // A read answered EAGAIN: nothing more until the next event.
  void ran_dry() noexcept {
    left_ = 0;
    if (read_ >= 2) return;  // this event found a backlog: keep draining
    if (draining_) {
      draining_ = false;
      probe_gap_ = 1;
      quiet_events_ = 0;
    } else if (probing_ && probe_gap_ < max_probe_gap) {
      probe_gap_ = static_cast<std::uint8_t>(probe_gap_ * 2);
    }
    probing_ = false;
  }

  bool draining() const noexcept { return draining_; }
  std::uint8_t probe_gap() const noexcept { return probe_gap_; }

 private:
  std::uint8_t left_ = 0;          // reads allowed until the next event
  std::uint8_t read_ = 0;          // reads that took a datagram this event
  std::uint8_t quiet_events_ = 0;  // quiet events since the last probe
  std::uint8_t probe_gap_ = 1;     // probe every probe_gap-th quiet event
  bool draining_ = false;
  bool probing_ = false;
};

}  // namespace eddy::detail

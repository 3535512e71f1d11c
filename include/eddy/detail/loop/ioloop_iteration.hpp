// The heart of IOLoop: start() and the phases of one iteration, in Tornado
// 4.5's order, with the reason for each step's place. Included by
// <eddy/ioloop.hpp> once IOLoop is complete; not meant to be included alone.
#pragma once

#include <cstdio>
#include <exception>
#include "../base/thread.hpp"  // std::unique_lock, std::this_thread::get_id

#include "ioloop_impl.hpp"

namespace eddy {

// Sets up and tears down what start() changes: the owning thread, the
// current loop, and the stop flag, even if an iteration throws.
template <class D>
class detail::IOLoopImpl<D>::RunScope {
 public:
  explicit RunScope(IOLoop& loop)
      : loop_(loop),
        previous_(detail::current_loop),
        previous_running_(detail::running_loop),
        started_(Clock::now()),
        poll_before_(loop.stats_.poll_time) {
    loop_.owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    detail::current_loop = &loop_;
    detail::running_loop = &loop_;
  }
  ~RunScope() {
    // Time in start() that was not spent waiting in the poller.
    loop_.stats_.run_time += (Clock::now() - started_) - (loop_.stats_.poll_time - poll_before_);
    loop_.stop_requested_.store(false, std::memory_order_relaxed);
    loop_.owner_.store(std::thread::id(), std::memory_order_relaxed);
    detail::current_loop = previous_;
    detail::running_loop = previous_running_;
  }
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

 private:
  IOLoop& loop_;
  IOLoop* previous_;
  IOLoop* previous_running_;
  Clock::time_point started_;
  Clock::duration poll_before_;
};

// One iteration, in Tornado 4.5's order; each phase's comment says why it
// sits where it does.
template <class D>
inline void detail::IOLoopImpl<D>::start() {
  if (running()) throw std::logic_error("eddy: IOLoop is already running");
  if (stop_requested_.exchange(false, std::memory_order_acq_rel)) return;
  RunScope scope(self());
  for (;;) {
    ++stats_.iterations;
    // Signals that arrived become ordinary callbacks of this iteration.
    note_signals();
    // Note the callbacks and due timeouts *before* running any: work added
    // while they run waits for the next iteration, so a callback that re-adds
    // itself cannot starve I/O, and a timeout added now never runs early.
    note_callbacks();
    collect_due_timeouts();
    if (!running_->empty()) run_noted_callbacks();
    if (!due_.empty()) run_due_timeouts();
    // stop() lands here: after the noted work, before the next poll.
    if (stop_requested_.load(std::memory_order_acquire)) break;
    // While callbacks keep coming the poll would wait 0 anyway; skipping up
    // to 15 of those in a row saves the system call, and polling on the 16th
    // keeps I/O from starving behind a callback that re-adds itself. With no
    // fd handler registered a zero-wait poll has nothing to report (signals,
    // remote callbacks and timers are all seen without it), so it is skipped
    // altogether, as Asio runs posted handlers without touching its reactor.
    if (callbacks_waiting() && (++polls_skipped_ < 16 || handlers_.size() == 0)) continue;
    if (poll_for_io() != 0) dispatch_handlers();
    // A stop() from a handler (or another thread, which woke the poll) ends
    // the loop after this batch, before any work of the next iteration.
    if (stop_requested_.load(std::memory_order_acquire)) break;
  }
}

template <class D>
inline void detail::IOLoopImpl<D>::add_remote(detail::Job&& job) {
  {
    std::unique_lock<std::mutex> lock(remote_mutex_);
    if (EDDY_UNLIKELY(closing_)) {
      // Teardown: nothing will run again. The job is destroyed here, outside
      // the lock, since its destructor may add another.
      lock.unlock();
      detail::Job dropped = std::move(job);
      return;
    }
    remote_.push_back(std::move(job));
    remote_count_.store(remote_.size(), std::memory_order_seq_cst);
  }
  // Pairs with poll_timeout(): either the loop sees remote_count_ > 0 and does
  // not block, or we see sleeping_ and wake it. Only the first adder wakes.
  if (sleeping_.exchange(false, std::memory_order_seq_cst)) poller_.wake();
}

template <class D>
inline void detail::IOLoopImpl<D>::note_signals() {
  if (EDDY_LIKELY(!sink_.any.load(std::memory_order_relaxed))) return;
  if (!sink_.any.exchange(false, std::memory_order_acquire)) return;
  for (int signum = 1; signum < detail::signal_count; ++signum) {
    if (sink_.pending[signum].exchange(false, std::memory_order_relaxed)) {
      local_->emplace_back([this, signum] { deliver_signal(signum); }, SourceLocation::current());
    }
  }
}

template <class D>
inline void detail::IOLoopImpl<D>::note_callbacks() {
  // *running_ is empty here. Swapping only when there is something to take
  // keeps each vector's grown storage with the role that needed it, so the
  // steady state allocates nothing.
  if (!local_->empty()) std::swap(local_, running_);
  if (remote_count_.load(std::memory_order_acquire) != 0) {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    if (running_->empty()) {
      running_->swap(remote_);  // all of them at once, no per-job moves
    } else {
      for (detail::Job& job : remote_) running_->push_back(std::move(job));
      remote_.clear();
    }
    remote_count_.store(0, std::memory_order_relaxed);
  }
}

template <class D>
inline void detail::IOLoopImpl<D>::collect_due_timeouts() {
  if (timers_.empty()) return;
  std::int64_t now = read_clock();
  if (timers_.next_deadline() <= now) timers_.collect_due(now, due_);
}

template <class D>
inline void detail::IOLoopImpl<D>::run_noted_callbacks() noexcept {
  // Indexing, not iterators: nothing appends to *running_ while it runs (new
  // callbacks go to *local_), but an index keeps that obviously safe. The
  // detector's switch is read once per batch, not once per callback.
  std::vector<detail::Job>& batch = *running_;
  if (EDDY_LIKELY(!detector_.enabled())) {
    for (std::size_t i = 0; i < batch.size(); ++i) invoke(batch[i].fn);
  } else {
    for (std::size_t i = 0; i < batch.size(); ++i) run_job(batch[i], "callback");
  }
  stats_.callbacks_run += batch.size();
  batch.clear();
}

template <class D>
inline void detail::IOLoopImpl<D>::run_due_timeouts() noexcept {
  // A timeout removed by an earlier callback or timeout of this iteration
  // comes back empty from take() and does not run.
  for (std::size_t i = 0; i < due_.size(); ++i) {
    detail::Job job = timers_.take(due_[i]);
    if (!job) continue;
    ++stats_.timeouts_fired;
    run_job(job, "timeout");
  }
  due_.clear();
}

template <class D>
inline std::int64_t detail::IOLoopImpl<D>::poll_timeout() {
  if (!local_->empty()) return 0;
  std::int64_t timeout = -1;
  if (!timers_.empty()) {
    // Compared before subtracting: a deadline near time_point::min() (or a
    // "never" near max with a negative clock) must not wrap the difference.
    std::int64_t now = read_clock();  // first: it settles call_later deadlines
    std::int64_t deadline = timers_.next_deadline();
    timeout = deadline <= now ? 0 : detail::add_saturating(deadline, -now);
  }
  if (timeout != 0) {
    // Announce that we may block, then look for remote callbacks (pairs with
    // add_remote(); both sides use seq_cst so one of them sees the other).
    sleeping_.store(true, std::memory_order_seq_cst);
    if (remote_count_.load(std::memory_order_seq_cst) != 0) timeout = 0;
  }
  return timeout;
}

template <class D>
inline std::size_t detail::IOLoopImpl<D>::poll_for_io() {
  polls_skipped_ = 0;
  std::int64_t timeout = poll_timeout();
  std::size_t ready = 0;
  if (virtual_time_ && timeout != 0) {
    // Virtual time: look at real fds without waiting; if nothing is ready,
    // jump the clock to the next deadline instead of sleeping until it.
    ready = poller_.wait(0);
    if (ready == 0 && !timers_.empty() && virtual_now_ < timers_.next_deadline()) virtual_now_ = timers_.next_deadline();
    if (ready == 0 && timers_.empty()) ready = poller_.wait(timeout);
  } else if (timeout == 0) {
    ready = poller_.wait(0);  // no wait to account for: skip the clock reads
  } else {
    auto before = Clock::now();
    ready = poller_.wait(timeout);
    stats_.poll_time += Clock::now() - before;
  }
  sleeping_.store(false, std::memory_order_relaxed);
  ++stats_.polls;
  ++batch_;
  return ready;
}

template <class D>
inline void detail::IOLoopImpl<D>::dispatch_handlers() noexcept {
  handlers_.begin_batch();
  // Two instantiations of the visit, so the detector costs nothing per event
  // when it is off.
  if (EDDY_LIKELY(!detector_.enabled())) {
    poller_.for_each_ready([this](int fd, std::uint32_t ready, std::uint32_t tag) EDDY_ALWAYS_INLINE {
      if (detail::HandlerTable::Slot* slot = ready_handler(fd, ready, tag)) invoke_handler(*slot, fd, ready);
    });
  } else {
    poller_.for_each_ready([this](int fd, std::uint32_t ready, std::uint32_t tag) {
      if (detail::HandlerTable::Slot* slot = ready_handler(fd, ready, tag)) {
        run_step("handler", slot->where, [&] { invoke_handler(*slot, fd, ready); });
      }
    });
  }
  handlers_.end_batch();
  if (EDDY_UNLIKELY(rebuild_poller_)) rebuild_poller();
}

// A stale tag is legitimate once: events fetched before an earlier handler
// of the same batch removed the registration. Seen again in a later batch,
// the registration outlived its removal (its fd was closed while a dup kept
// the file open, so epoll could not drop it) and will report forever.
template <class D>
EDDY_NOINLINE inline void detail::IOLoopImpl<D>::note_stale_tag(std::uint32_t tag) noexcept {
  if (suspect_tag_ == tag && suspect_batch_ < batch_) {
    rebuild_poller_ = true;
  } else if (suspect_batch_ != batch_) {
    suspect_tag_ = tag;
    suspect_batch_ = batch_;
  }
}

// Such a registration can only go with the whole set: the backend starts a
// fresh one and the live registrations are added to it again.
template <class D>
EDDY_NOINLINE inline void detail::IOLoopImpl<D>::rebuild_poller() noexcept {
  rebuild_poller_ = false;
  suspect_tag_ = 0;
  if (!poller_.reset()) return;  // out of descriptors: keep the old set
  handlers_.for_each([this](int fd, std::uint32_t events, std::uint32_t tag) {
    try {
      poller_.add(fd, events, tag);
    } catch (...) {
      // Closed without remove_handler: nothing can be watched any more.
    }
  });
}

// Narrows `ready` to what the handler is given: the events it asked for,
// errors, and (with ev_error) an errno some backends carry in the top bits.
template <class D>
inline detail::HandlerTable::Slot* detail::IOLoopImpl<D>::ready_handler(int fd, std::uint32_t& ready,
                                                                         std::uint32_t tag) noexcept {
  detail::HandlerTable::Slot* slot = handlers_.find_reported(fd);
  if (tag != 0) {
    // A tagged backend (epoll; the sink is inlined where the tag is known to
    // be nonzero, so this branch costs nothing). A tag names one
    // registration, so one comparison rejects the events of a registration
    // removed by an earlier handler of this batch (slot null, or a new slot
    // for the reused number) and of one epoll kept after its fd was closed
    // while a dup held the file open (stale). A slot registered during this
    // batch cannot match either: its tag is newer than every event fetched
    // before it (tags wrap after 2^32 registrations). What is left to reject
    // is events no longer asked for (WRITE dropped by an earlier handler).
    // epoll carries no errno bits.
    if (EDDY_LIKELY(slot != nullptr && slot->tag == tag)) {
      ready &= slot->events | ERROR;
      return ready != 0 ? slot : nullptr;
    }
    note_stale_tag(tag);
    return nullptr;
  }
  // Backends without tags: removed by an earlier handler of this batch
  // (null), or registered during it (a reused fd number must not get the old
  // fd's events), or, e.g., writable when only READ was asked for.
  if (slot == nullptr || slot->batch == batch_) return nullptr;
  ready &= slot->events | ERROR | detail::ev_errno_bits;
  return (ready & ~detail::ev_errno_bits) != 0 ? slot : nullptr;
}

template <class D>
inline void detail::IOLoopImpl<D>::invoke_handler(detail::HandlerTable::Slot& slot, int fd, std::uint32_t ready) noexcept {
  ++stats_.handler_calls;
  try {
    slot.handler.call_unchecked(fd, ready);
  } catch (...) {
    handle_exception(std::current_exception());
  }
}

template <class D>
inline void detail::IOLoopImpl<D>::deliver_signal(int signum) noexcept {
  auto index = static_cast<std::size_t>(signum);
  if (index >= signal_handlers_.size() || !signal_handlers_[index]) return;
  // Run a moved-out copy: the handler may remove or replace itself.
  auto handler = std::move(signal_handlers_[index]);
  run_step("signal handler", SourceLocation::current(), [&] { invoke(handler, signum); });
  if (!signal_handlers_[index] && detail::signal_registrations[signum].sink.load() == &sink_) {
    signal_handlers_[index] = std::move(handler);
  }
}

template <class D>
EDDY_NOINLINE inline void detail::IOLoopImpl<D>::handle_exception(std::exception_ptr error, const char* context) noexcept {
  if (exception_handler_) {
    // Run a moved-out copy: the handler may replace itself (destroying the
    // running callable would be undefined). It goes back unless replaced.
    auto handler = std::move(exception_handler_);
    const std::uint64_t version = exception_handler_version_;
    bool threw = false;
    try {
      handler(error);
    } catch (...) {
      error = std::current_exception();
      context = "the exception handler";
      threw = true;
    }
    if (exception_handler_version_ == version) exception_handler_ = std::move(handler);
    if (!threw) return;
  }
  report_exception(error, context);
}

template <class D>
inline void detail::IOLoopImpl<D>::report_exception(std::exception_ptr error, const char* context) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eddy: uncaught exception in %s: %s\n", context, e.what());
  } catch (...) {
    std::fprintf(stderr, "eddy: uncaught exception of unknown type in %s\n", context);
  }
}

}  // namespace eddy

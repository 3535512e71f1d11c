// IOLoopImpl: IOLoop's members, a template over a dummy parameter so that
// only those a program uses are compiled (detail/base/deferred.hpp); IOLoop,
// the public class, is in <eddy/ioloop.hpp>. The loop layer builds on this
// header, never on <eddy/ioloop.hpp>, which brings the future layer too (the
// Futures members below are defined in future.hpp). Fields: loop_state.hpp.
// Longer bodies, by job, in ioloop_handlers.hpp, ioloop_iteration.hpp, ioloop_timers.hpp
// and ioloop_teardown.hpp, which <eddy/ioloop.hpp> includes once IOLoop is complete.
#pragma once

#include "../base/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "../../loop_types.hpp"
#include "../base/config.hpp"
#include "../base/deferred.hpp"
#include "../base/function.hpp"
#include "../base/source_location.hpp"
#include "../base/time_ops.hpp"
#include "loop_state.hpp"

namespace eddy {

template <class T>
class Future;
class IOLoop;

/// @cond EDDY_DETAIL
namespace detail {
/// @endcond
/// IOLoop's members, in a template so that only those a program uses are compiled (see IOLoop).
template <class Dummy>
class IOLoopImpl : private LoopState {
 public:
  /// No events: a handler registered with NONE is called only for ERROR (a
  /// hang-up or error), which every backend reports whatever was asked for.
  static constexpr std::uint32_t NONE = 0;
  /// The fd is readable (or its peer closed).
  static constexpr std::uint32_t READ = detail::ev_read;
  /// The fd is writable.
  static constexpr std::uint32_t WRITE = detail::ev_write;
  /// An error or hang-up on the fd; always reported, whatever the handler asked for.
  static constexpr std::uint32_t ERROR = detail::ev_error;
  /// The errno a backend reported along with ERROR (kqueue's EV_EOF fflags: a
  /// reset is ECONNRESET), or 0 when it reported none; then SO_ERROR tells.
  static constexpr int error_of(std::uint32_t events) noexcept {
    return (events & ERROR) != 0 ? static_cast<int>(events >> detail::ev_errno_shift) : 0;
  }

  /// A loop over the platform's best backend (epoll on Linux, kqueue on macOS
  /// and the BSDs). Throws std::system_error if the OS refuses.
  IOLoopImpl() : IOLoopImpl(IOLoopOptions{}) {}
  /// A loop over a chosen backend; std::invalid_argument if this build lacks it.
  explicit IOLoopImpl(Backend backend) : IOLoopImpl(IOLoopOptions{backend, false, {}}) {}
  /// As Tornado 4.5, a new loop becomes current on the constructing thread
  /// when no loop is current there yet (make_current() covers other cases).
  explicit IOLoopImpl(const IOLoopOptions& options) : IOLoopImpl(options, true) {}

  IOLoopImpl(const IOLoopImpl&) = delete;
  IOLoopImpl& operator=(const IOLoopImpl&) = delete;

  /// Destroying a running loop is a bug (asserted in debug builds). Teardown
  /// is explicit and ordered (detail/loop/ioloop_teardown.hpp): the executor is
  /// joined, then pending callbacks, timeouts, handlers and suspended
  /// coroutine frames are destroyed without running, while every member is
  /// still valid, so their destructors may call the loop (remove_handler,
  /// remove_timeout work; add_callback and run_in_executor drop the work);
  /// signal dispositions are restored; the anchor then reads nullptr.
  ~IOLoopImpl() { tear_down(); }

  /// The loop running on this thread; else the one made current (by
  /// make_current(), or by being the first loop built while none was
  /// current); else this thread's default loop, created on first use and
  /// never made current itself, so a loop built later still becomes current.
  static IOLoop& current() {
    if (detail::current_loop != nullptr) return *detail::current_loop;
    static thread_local Deferred<IOLoop, Dummy> default_loop(IOLoopOptions{}, false);
    return default_loop;
  }
  /// The loop current on this thread, or nullptr if none was made current
  /// (does not create the default loop).
  static IOLoop* current_or_null() noexcept { return detail::current_loop; }
  /// Makes this loop current on the calling thread (start() does it too).
  void make_current() noexcept { detail::current_loop = &self(); }
  /// Makes no loop current on the calling thread.
  static void clear_current() noexcept { detail::current_loop = nullptr; }

  /// The backend this loop polls with.
  Backend backend() const noexcept { return poller_.backend(); }
  /// This loop's number, unique in the process for its whole run.
  std::uint64_t serial() const noexcept { return serial_; }
  /// Shared with objects that may outlive the loop (see detail::LoopAnchor).
  std::shared_ptr<const detail::LoopAnchor> anchor() const noexcept { return anchor_; }
  /// True while the destructor tears the loop down: code run from the
  /// destructors of its pending work can tell that nothing will run again.
  bool closing() const noexcept { return closing_; }
  /// True while start() runs.
  bool running() const noexcept { return owner_.load(std::memory_order_relaxed) != std::thread::id(); }

  /// Runs the loop until stop(). Throws std::logic_error if this loop is
  /// already running. If stop() was called while the loop was not running,
  /// returns at once (and forgets that stop).
  void start();

  /// Makes start() return before the loop would next poll: whatever the
  /// current iteration already noted still runs, nothing after it. Safe from
  /// any thread; before start() it makes the next start() return at once.
  void stop() noexcept {
    stop_requested_.store(true, std::memory_order_release);
    if (running() && !in_loop_thread()) poller_.wake();
  }

  /// The loop's clock: Clock::now() read afresh, or the virtual clock.
  Clock::time_point time() const noexcept { return detail::from_ns(now_ns()); }

  /// Runs `callback` on the loop thread at or after `deadline`, never before.
  /// Timeouts with equal deadlines run in the order they were added. One added
  /// while the loop is running a batch runs in a later iteration.
  template <class F>
  Timeout add_timeout(Clock::time_point deadline, F&& callback,
                      SourceLocation where = SourceLocation::current()) {
    return schedule(detail::to_ns(deadline), std::forward<F>(callback), where);
  }
  /// add_timeout with a delay: call_later(delay, callback).
  template <class Rep, class Period, class F>
  Timeout add_timeout(std::chrono::duration<Rep, Period> delay, F&& callback,
                      SourceLocation where = SourceLocation::current()) {
    return schedule_later(detail::to_ns_saturating(delay), std::forward<F>(callback), where);
  }
  /// Runs callback() at or after `when` on this loop; returns its handle for remove_timeout.
  template <class F>
  Timeout call_at(Clock::time_point when, F&& callback, SourceLocation where = SourceLocation::current()) {
    return schedule(detail::to_ns(when), std::forward<F>(callback), where);
  }
  /// Runs callback() no earlier than `delay` after this call; it reads no clock: the deadline is set
  /// to t + delay at the loop's next clock reading t (the end of the current batch; for a timer added
  /// while the loop is not running, its start). Virtual time: exactly time() + delay.
  template <class Rep, class Period, class F>
  Timeout call_later(std::chrono::duration<Rep, Period> delay, F&& callback,
                     SourceLocation where = SourceLocation::current()) {
    return schedule_later(detail::to_ns_saturating(delay), std::forward<F>(callback), where);
  }

  /// Cancels a timeout. A no-op when it already ran, was already removed, is
  /// empty or belongs to another loop (even a destroyed one that had this
  /// address). Safe from inside any callback, including the timeout's own,
  /// and from destructors run by the loop's teardown.
  void remove_timeout(Timeout timeout) noexcept {
    assert_loop_thread();
    if (timeout.loop_serial_ != serial_) return;
    if (timers_.cancel(timeout.id_)) ++stats_.timeouts_cancelled;
  }

  /// Runs `callback` on the loop thread in a later iteration (FIFO among the
  /// callbacks added from one thread). The one member safe from any thread,
  /// including from inside another callback; it wakes a sleeping loop, and
  /// skips the wake-up when the loop is already awake.
  template <class F>
  void add_callback(F&& callback, SourceLocation where = SourceLocation::current()) {
    if (EDDY_LIKELY(in_loop_thread())) {
      local_->emplace_back(std::forward<F>(callback), where);
    } else {
      add_foreign(std::forward<F>(callback), where);
    }
  }

  /// Calls handler(fd, events) on the loop thread whenever fd is ready for any
  /// of `events` (READ, WRITE; ERROR is always reported). Level-triggered.
  /// Throws std::invalid_argument naming the fd if it is negative or already
  /// registered or the handler is empty, std::system_error naming it if the OS
  /// refuses (a closed fd; a regular file under epoll). The caller keeps owning
  /// the fd: remove_handler() it before closing it.
  template <class H>
  void add_handler(int fd, H&& handler, std::uint32_t events, SourceLocation where = SourceLocation::current());

  /// Changes the events fd is watched for. std::invalid_argument if fd is not
  /// registered.
  void update_handler(int fd, std::uint32_t events);

  /// Stops watching fd. A no-op when fd is not registered; tolerates an fd that
  /// was already closed (see the README's "Lifetime and teardown" for what a
  /// dup of a closed fd can and cannot keep). Safe from inside any handler,
  /// including fd's own (its callable is destroyed after it returns); a
  /// handler whose fd is removed by an earlier handler of the same batch does
  /// not run.
  void remove_handler(int fd) noexcept;

  /// Runs handler(signum) as an ordinary callback on the loop thread whenever
  /// signum arrives, on whichever thread the kernel delivers it. Replaces this
  /// loop's previous handler for signum. std::invalid_argument for an invalid
  /// signal (or SIGKILL/SIGSTOP), std::logic_error if another loop handles it.
  template <class S>
  void add_signal_handler(int signum, S&& handler);

  /// Stops handling signum and restores the disposition it had before
  /// add_signal_handler. A no-op if this loop does not handle it.
  void remove_signal_handler(int signum);

  /// Sets what receives exceptions escaping callbacks, timeouts and handlers.
  /// The default writes one line to stderr. The loop always goes on. Safe
  /// from inside the exception handler itself (it runs a moved-out copy).
  template <class E>
  void set_exception_handler(E&& handler);

  /// Passes an exception to the exception handler; used by the loop and by
  /// futures for errors nobody else will see. `context` says where it came
  /// from in the default handler's line. Never throws.
  void handle_exception(std::exception_ptr error, const char* context = "callback") noexcept;
  /// The default handler: one line on stderr.
  static void report_exception(std::exception_ptr error, const char* context) noexcept;

  // ---- Futures (declared here, defined in future.hpp: the future layer) ----

  /// Starts the loop, calls func() from inside it (so IOLoop::current() is
  /// this loop), runs until the Future<T> it returns resolves, and returns its
  /// value or rethrows its exception. func may also return void or a plain
  /// value. A stop() before the future resolves makes run_sync throw
  /// std::runtime_error saying so.
  template <class F>
  auto run_sync(F&& func);
  /// run_sync with a deadline (any std::chrono::duration): eddy::TimeoutError if not done after `timeout`.
  template <class F, class Rep, class Period>
  auto run_sync(F&& func, std::chrono::duration<Rep, Period> timeout);

  /// Calls callback(Future<T>) on this loop once `future` is done.
  template <class T, class F>
  void add_future(Future<T> future, F&& callback);

  /// Runs func() on a worker thread and resolves the returned Future<R> on the
  /// loop thread with its value or exception. The pool starts lazily, holds at
  /// most max_executor_threads() workers (which block every signal) and is
  /// joined when the loop is destroyed. Each submit claims one idle worker or
  /// starts one (as Python's ThreadPoolExecutor), so up to that many jobs run
  /// at once. For the blocking work that has no asynchronous version: the
  /// loop stays free meanwhile.
  ///
  /// With arguments, func(args...) runs on the worker with copies of them (Python's form). In a coroutine
  /// prefer `co_await loop.run_in_executor(work, data)` to a capturing lambda: g++ 12 frees the captures of
  /// a lambda temporary inside `co_await` twice (a lambda bound to a named variable first is fine).
  template <class F, class... Args>
  auto run_in_executor(F&& func, Args&&... args);
  /// Takes effect at once, also after first use: a larger bound lets the next
  /// submits start workers; with a smaller one, surplus workers exit as they
  /// finish their jobs.
  void set_max_executor_threads(std::size_t n) {
    max_executor_threads_ = n == 0 ? 1 : n;
    if (executor_) executor_->set_max_workers(max_executor_threads_);
  }
  /// The executor's thread limit.
  std::size_t max_executor_threads() const noexcept { return max_executor_threads_; }

  /// The coroutine frames suspended on this loop (see detail/future/coroutine.hpp).
  detail::FrameList& suspended_frames() noexcept { return frames_; }

  /// The blocking detector. Every callback, timeout, handler, signal handler
  /// and coroutine step that runs longer than `threshold` is reported to the
  /// blocking handler (default: one line on stderr naming the kind of step and
  /// where it was scheduled). Zero (the default) turns it off; off, it costs
  /// one predictable branch per step, on, two clock reads.
  void set_blocking_log_threshold(Clock::duration threshold) noexcept {
    detector_.set_threshold_ns(detail::to_ns(threshold));
  }
  /// The blocking detector's threshold; zero when it is off.
  Clock::duration blocking_log_threshold() const noexcept {
    return std::chrono::nanoseconds(detector_.threshold_ns());
  }
  /// Sets what receives BlockingReports. Watchdog reports call it from the
  /// watchdog thread, so it must be thread-safe. Safe from inside the blocking
  /// handler itself (reports call a snapshot, not under the setter's lock).
  template <class F>
  void set_blocking_handler(F&& handler) {
    detector_.set_handler(detail::BlockingDetector::Handler(std::forward<F>(handler)));
  }
  /// With the watchdog on, a thread reports a step that is *still* running past
  /// the threshold at once (BlockingReport::still_running), without signals,
  /// and the loop reports its full duration when it returns. Off by default.
  void set_blocking_watchdog(bool on) { detector_.set_watchdog(on); }

  /// Runs body() as one step of the loop's work, timed by the blocking
  /// detector when it is on. Integrations (coroutines, streams) use it.
  template <class Body>
  void run_step(const char* kind, const SourceLocation& where, Body&& body) noexcept {
    if (EDDY_LIKELY(!detector_.enabled())) {
      body();
    } else {
      detector_.timed(kind, where, body);
    }
  }

  /// Makes room for n pending timeouts, so scheduling up to n allocates nothing (as vector::reserve).
  void reserve_timeouts(std::size_t n) { timers_.reserve(n); }
  /// A snapshot of the loop's counters.
  LoopStats stats() const noexcept {
    LoopStats s = stats_;
    s.timeouts_pending = timers_.size();
    s.handlers_registered = handlers_.size();
    return s;
  }

  /// Virtual time only: moves the clock forward by `delta` (never back). The
  /// loop's own jumps to the next deadline need no call.
  void advance_time(Clock::duration delta) noexcept {
    if (virtual_time_ && delta.count() > 0) virtual_now_ = detail::add_saturating(virtual_now_, detail::to_ns(delta));
  }
  /// Virtual time only: sets the clock, backwards too, for tests of code that
  /// must survive a clock that jumps.
  void set_virtual_time(Clock::time_point now) noexcept {
    if (virtual_time_) virtual_now_ = detail::to_ns(now);
  }
  /// True if this loop runs on virtual time (IOLoopOptions::virtual_time).
  bool virtual_time() const noexcept { return virtual_time_; }

  /// Runs `job` as the loop runs its own work: exceptions go to the exception
  /// handler, and the blocking detector times it. For integrations (futures,
  /// streams) that run work on the loop's behalf.
  void run_job(detail::Job& job, const char* kind) noexcept {
    run_step(kind, job.where, [&] { invoke(job.fn); });
  }

  /// True on the thread currently running this loop.
  bool in_loop_thread() const noexcept { return detail::running_loop == this; }

 private:
  class RunScope;

  // The loop itself: IOLoop derives from this class and adds no members.
  // The bodies that need it are instantiated where IOLoop is complete.
  IOLoop& self() noexcept { return static_cast<IOLoop&>(*this); }

  IOLoopImpl(const IOLoopOptions& options, bool become_current) : LoopState(options, &self()) {
    if (become_current && detail::current_loop == nullptr) detail::current_loop = &self();
  }
  void tear_down() noexcept;
  void drop_queued_callbacks() noexcept;

  template <class F>
  auto run_sync_impl(F& func, std::int64_t timeout_ns);
  detail::ThreadPool& executor();

  // Timers (ioloop_timers.hpp): call_at's exact path, call_later's provisional one, and the clock reading that settles it.
  template <class F>
  Timeout schedule(std::int64_t when, F&& callback, const SourceLocation& where);
  template <class F>
  Timeout schedule_later(std::int64_t delay, F&& callback, const SourceLocation& where);
  std::int64_t read_clock() noexcept;

  void assert_loop_thread() const noexcept {
    EDDY_ASSERT(!running() || in_loop_thread(),
                "an IOLoop member other than add_callback()/stop() was called from a foreign thread");
  }

  std::int64_t now_ns() const noexcept {
    return virtual_time_ ? virtual_now_ : detail::to_ns(Clock::now());
  }

  void add_remote(detail::Job&& job);
  /// add_callback's path for other threads (and before start()), kept out of
  /// line so the loop-thread path stays a few instructions.
  template <class F>
  EDDY_NOINLINE void add_foreign(F&& callback, SourceLocation where) {
    add_remote(detail::Job(std::forward<F>(callback), where));
  }
  bool callbacks_waiting() const noexcept {
    return !local_->empty() || remote_count_.load(std::memory_order_relaxed) != 0;
  }
  void note_signals();
  void note_callbacks();
  void collect_due_timeouts();
  void run_noted_callbacks() noexcept;
  void run_due_timeouts() noexcept;
  std::size_t poll_for_io();
  std::int64_t poll_timeout();
  void dispatch_handlers() noexcept;
  EDDY_ALWAYS_INLINE detail::HandlerTable::Slot* ready_handler(int fd, std::uint32_t& ready,
                                                                std::uint32_t tag) noexcept;
  EDDY_ALWAYS_INLINE void invoke_handler(detail::HandlerTable::Slot& slot, int fd, std::uint32_t ready) noexcept;
  void deliver_signal(int signum) noexcept;
  void note_stale_tag(std::uint32_t tag) noexcept;  ///< cold
  void rebuild_poller() noexcept;  ///< cold

  template <class Fn, class... Args>
  void invoke(Fn& fn, Args... args) noexcept {
    try {
      fn(args...);
    } catch (...) {
      handle_exception(std::current_exception());
    }
  }
};

/// @cond EDDY_DETAIL
}  // namespace detail
/// @endcond

}  // namespace eddy

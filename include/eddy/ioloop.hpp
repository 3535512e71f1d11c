// IOLoop: a single-threaded event loop in the model of Tornado 4.5's
// PollIOLoop: timeouts, callbacks, fd handlers and signals, over epoll,
// kqueue or poll.
//
// Thread contract: an IOLoop belongs to the thread that runs start(). Every
// member must be called from that thread while the loop runs, except
// add_callback() and stop(), which are safe from any thread (and
// add_callback() wakes the loop). Debug builds (no NDEBUG, or EDDY_DEBUG=1)
// abort with a message when another member is called from a foreign thread
// while the loop runs.
//
// Fork: an IOLoop must not be used in a child process after fork(); the child
// creates a new loop (its epoll/kqueue descriptor is shared with the parent).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/config.hpp"
#include "detail/fd_ops.hpp"
#include "detail/frame_list.hpp"
#include "detail/function.hpp"
#include "detail/handler_table.hpp"
#include "detail/job.hpp"
#include "detail/poller.hpp"
#include "detail/signal_relay.hpp"
#include "detail/source_location.hpp"
#include "detail/thread_pool.hpp"
#include "detail/time_ops.hpp"
#include "detail/timer_queue.hpp"

namespace eddy {

using Clock = std::chrono::steady_clock;

class IOLoop;
template <class T>
class Future;

// A handle to one scheduled timeout, returned by add_timeout, call_at and
// call_later. Default-constructed, it is empty. Copying it copies the handle,
// not the timeout. It stays safe to pass to remove_timeout after the timeout
// fired or was removed (that is a no-op).
class Timeout {
 public:
  Timeout() noexcept = default;
  explicit operator bool() const noexcept { return id_.generation != 0; }
  friend bool operator==(const Timeout& a, const Timeout& b) noexcept {
    return a.owner_ == b.owner_ && a.id_.slot == b.id_.slot && a.id_.generation == b.id_.generation;
  }
  friend bool operator!=(const Timeout& a, const Timeout& b) noexcept { return !(a == b); }

 private:
  friend class IOLoop;
  Timeout(const IOLoop* owner, detail::TimerId id) noexcept : owner_(owner), id_(id) {}
  const IOLoop* owner_ = nullptr;
  detail::TimerId id_{};
};

// What the blocking detector reports: how long one callback, timeout, handler
// or coroutine step held the loop, what kind it was, and where it was
// scheduled (file and line under C++20; "unknown" under C++17).
struct BlockingReport {
  Clock::duration elapsed;
  const char* kind;
  SourceLocation where;
};

// Counters kept by every loop; see IOLoop::stats().
struct LoopStats {
  std::uint64_t iterations = 0;
  std::uint64_t callbacks_run = 0;
  std::uint64_t timeouts_fired = 0;
  std::uint64_t timeouts_cancelled = 0;
  std::uint64_t handler_calls = 0;
  std::uint64_t polls = 0;
  std::size_t timeouts_pending = 0;
  std::size_t handlers_registered = 0;
  Clock::duration poll_time{};  // spent waiting in the poller
  Clock::duration run_time{};   // spent in start() outside the poller
  // The share of start()'s time spent running work rather than waiting:
  // libuv's idle-time metric, inverted.
  double utilisation() const noexcept {
    auto total = poll_time + run_time;
    return total.count() == 0 ? 0.0 : static_cast<double>(run_time.count()) / static_cast<double>(total.count());
  }
};

// Construction options. `virtual_time` makes the loop's clock start at
// `virtual_start` and move only when the loop has nothing ready, jumping
// straight to the next deadline: a test that waits an hour runs in
// microseconds. Real fds still work (they are polled without waiting).
struct IOLoopOptions {
  Backend backend = Backend::automatic;
  bool virtual_time = false;
  Clock::time_point virtual_start{};
};

namespace detail {
inline thread_local IOLoop* current_loop = nullptr;
}  // namespace detail

class IOLoop {
 public:
  static constexpr std::uint32_t NONE = 0;
  static constexpr std::uint32_t READ = detail::ev_read;
  static constexpr std::uint32_t WRITE = detail::ev_write;
  static constexpr std::uint32_t ERROR = detail::ev_error;

  // A loop over the platform's best backend (epoll on Linux, kqueue on macOS
  // and the BSDs). Throws std::system_error if the OS refuses.
  IOLoop() : IOLoop(IOLoopOptions{}) {}
  // A loop over a chosen backend; std::invalid_argument if this build lacks it.
  explicit IOLoop(Backend backend) : IOLoop(IOLoopOptions{backend, false, {}}) {}
  explicit IOLoop(const IOLoopOptions& options)
      : poller_(options.backend),
        virtual_time_(options.virtual_time),
        virtual_now_(detail::to_ns(options.virtual_start)) {
    sink_.poller = &poller_;
  }

  IOLoop(const IOLoop&) = delete;
  IOLoop& operator=(const IOLoop&) = delete;

  // Destroying a running loop is a bug (asserted in debug builds). Pending
  // callbacks, timeouts and handlers are destroyed without running; signal
  // dispositions are restored.
  ~IOLoop() {
    EDDY_ASSERT(!running(), "IOLoop destroyed while running");
    if (detail::current_loop == this) detail::current_loop = nullptr;
    // Workers may still post results: join them while the queues exist.
    executor_.reset();
    // Coroutines suspended on this loop are owned by nobody else.
    frames_.destroy_all();
    for (int signum = 1; signum < static_cast<int>(signal_handlers_.size()); ++signum) {
      if (signal_handlers_[static_cast<std::size_t>(signum)]) detail::uninstall_signal(signum, &sink_);
    }
  }

  // The loop running on this thread; else the one made current with
  // make_current(); else this thread's default loop (created on first use).
  static IOLoop& current() {
    if (detail::current_loop != nullptr) return *detail::current_loop;
    static thread_local IOLoop default_loop;
    return default_loop;
  }
  // The loop current on this thread, or nullptr if none was made current
  // (does not create the default loop).
  static IOLoop* current_or_null() noexcept { return detail::current_loop; }
  // Makes this loop current on the calling thread (start() does it too).
  void make_current() noexcept { detail::current_loop = this; }
  static void clear_current() noexcept { detail::current_loop = nullptr; }

  Backend backend() const noexcept { return poller_.backend(); }
  bool running() const noexcept { return owner_.load(std::memory_order_relaxed) != std::thread::id(); }

  // Runs the loop until stop(). Throws std::logic_error if this loop is
  // already running. If stop() was called while the loop was not running,
  // returns at once (and forgets that stop).
  void start();

  // Makes start() return before the loop would next poll: whatever the
  // current iteration already noted still runs, nothing after it. Safe from
  // any thread; before start() it makes the next start() return at once.
  void stop() noexcept {
    stop_requested_.store(true, std::memory_order_release);
    if (running() && !in_loop_thread()) poller_.wake();
  }

  // The loop's clock: Clock::now() read afresh, or the virtual clock.
  Clock::time_point time() const noexcept { return detail::from_ns(now_ns()); }

  // Runs `callback` on the loop thread at or after `deadline`, never before.
  // Timeouts with equal deadlines run in the order they were added. One added
  // while the loop is running a batch runs in a later iteration.
  template <class F>
  Timeout add_timeout(Clock::time_point deadline, F&& callback,
                      SourceLocation where = SourceLocation::current()) {
    return schedule(detail::to_ns(deadline), std::forward<F>(callback), where);
  }
  template <class Rep, class Period, class F>
  Timeout add_timeout(std::chrono::duration<Rep, Period> delay, F&& callback,
                      SourceLocation where = SourceLocation::current()) {
    return schedule(detail::add_saturating(now_ns(), detail::to_ns_saturating(delay)),
                    std::forward<F>(callback), where);
  }
  template <class F>
  Timeout call_at(Clock::time_point when, F&& callback, SourceLocation where = SourceLocation::current()) {
    return schedule(detail::to_ns(when), std::forward<F>(callback), where);
  }
  // call_later(d, f) is call_at(time() + d, f).
  template <class Rep, class Period, class F>
  Timeout call_later(std::chrono::duration<Rep, Period> delay, F&& callback,
                     SourceLocation where = SourceLocation::current()) {
    return schedule(detail::add_saturating(now_ns(), detail::to_ns_saturating(delay)),
                    std::forward<F>(callback), where);
  }

  // Cancels a timeout. A no-op when it already ran, was already removed, is
  // empty or belongs to another loop. Safe from inside any callback,
  // including the timeout's own.
  void remove_timeout(Timeout timeout) noexcept {
    assert_loop_thread();
    if (timeout.owner_ != this) return;
    if (timers_.cancel(timeout.id_)) ++stats_.timeouts_cancelled;
  }

  // Runs `callback` on the loop thread in a later iteration (FIFO among the
  // callbacks added from one thread). The one member safe from any thread,
  // including from inside another callback; it wakes a sleeping loop, and
  // skips the wake-up when the loop is already awake.
  template <class F>
  void add_callback(F&& callback, SourceLocation where = SourceLocation::current()) {
    if (in_loop_thread()) {
      local_.push_back(detail::Job{detail::Function<void()>(std::forward<F>(callback)), where});
    } else {
      add_remote(detail::Job{detail::Function<void()>(std::forward<F>(callback)), where});
    }
  }

  // Calls handler(fd, events) on the loop thread whenever fd is ready for any
  // of `events` (READ, WRITE; ERROR is always reported). Level-triggered.
  // Throws std::invalid_argument naming the fd if it is negative or already
  // registered, std::system_error naming it if the OS refuses (closed fd,
  // regular file). The caller keeps owning the fd: remove_handler() it before
  // closing it.
  template <class H>
  void add_handler(int fd, H&& handler, std::uint32_t events,
                   SourceLocation where = SourceLocation::current()) {
    assert_loop_thread();
    if (fd < 0) throw std::invalid_argument("eddy: add_handler: invalid fd " + std::to_string(fd));
    if (handlers_.contains(fd)) {
      throw std::invalid_argument("eddy: add_handler: fd " + std::to_string(fd) + " is already registered");
    }
    detail::HandlerTable::Handler fn(std::forward<H>(handler));
    poller_.add(fd, events);
    try {
      handlers_.insert(fd, std::move(fn), events, batch_, where);
    } catch (...) {
      poller_.remove(fd);
      throw;
    }
  }

  // Changes the events fd is watched for. std::invalid_argument if fd is not
  // registered.
  void update_handler(int fd, std::uint32_t events) {
    assert_loop_thread();
    std::uint32_t index = handlers_.lookup(fd);
    if (index == detail::HandlerTable::none) {
      throw std::invalid_argument("eddy: update_handler: fd " + std::to_string(fd) + " is not registered");
    }
    if (handlers_.at(index).events == events) return;
    poller_.modify(fd, events);
    handlers_.at(index).events = events;
  }

  // Stops watching fd. A no-op when fd is not registered; tolerates an fd that
  // was already closed. Safe from inside any handler, including fd's own (its
  // callable is destroyed after it returns); a handler whose fd is removed by
  // an earlier handler of the same batch does not run.
  void remove_handler(int fd) noexcept {
    assert_loop_thread();
    if (!handlers_.contains(fd)) return;
    poller_.remove(fd);
    handlers_.erase(fd);
  }

  // Runs handler(signum) as an ordinary callback on the loop thread whenever
  // signum arrives, on whichever thread the kernel delivers it. Replaces this
  // loop's previous handler for signum. std::invalid_argument for an invalid
  // signal (or SIGKILL/SIGSTOP), std::logic_error if another loop handles it.
  template <class S>
  void add_signal_handler(int signum, S&& handler) {
    assert_loop_thread();
    detail::check_signal_number(signum);
    detail::Function<void(int)> fn(std::forward<S>(handler));
    if (signal_handlers_.empty()) signal_handlers_.resize(detail::signal_count);
    detail::install_signal(signum, &sink_);
    auto old = std::move(signal_handlers_[static_cast<std::size_t>(signum)]);
    signal_handlers_[static_cast<std::size_t>(signum)] = std::move(fn);
  }

  // Stops handling signum and restores the disposition it had before
  // add_signal_handler. A no-op if this loop does not handle it.
  void remove_signal_handler(int signum) {
    assert_loop_thread();
    if (signum <= 0 || static_cast<std::size_t>(signum) >= signal_handlers_.size()) return;
    detail::uninstall_signal(signum, &sink_);
    sink_.pending[signum].store(false, std::memory_order_relaxed);
    auto old = std::move(signal_handlers_[static_cast<std::size_t>(signum)]);
  }

  // Sets what receives exceptions escaping callbacks, timeouts and handlers.
  // The default writes one line to stderr. The loop always goes on.
  template <class E>
  void set_exception_handler(E&& handler) {
    exception_handler_ = detail::Function<void(std::exception_ptr)>(std::forward<E>(handler));
  }

  // Passes an exception to the exception handler; used by the loop and by
  // futures for errors nobody else will see. `context` says where it came
  // from in the default handler's line. Never throws.
  void handle_exception(std::exception_ptr error, const char* context = "callback") noexcept;
  // The default handler: one line on stderr.
  static void report_exception(std::exception_ptr error, const char* context) noexcept;

  // ---- Futures (defined in future.hpp, which this header includes) ----

  // Starts the loop, calls func() from inside it (so IOLoop::current() is
  // this loop), runs until the Future<T> it returns resolves, and returns its
  // value or rethrows its exception. func may also return void or a plain
  // value. With a timeout (any std::chrono::duration), eddy::TimeoutError
  // once it passes; a stop() before the future resolves makes run_sync throw
  // std::runtime_error saying so.
  template <class F>
  auto run_sync(F&& func);
  template <class F, class Rep, class Period>
  auto run_sync(F&& func, std::chrono::duration<Rep, Period> timeout);

  // Calls callback(Future<T>) on this loop once `future` is done.
  template <class T, class F>
  void add_future(Future<T> future, F&& callback);

  // Runs func() on a worker thread and resolves the returned Future<R> on the
  // loop thread with its value or exception. The pool starts lazily, holds at
  // most max_executor_threads() workers (which block every signal) and is
  // joined when the loop is destroyed. For the blocking work that has no
  // asynchronous version: the loop stays free meanwhile.
  template <class F>
  auto run_in_executor(F&& func);
  void set_max_executor_threads(std::size_t n) noexcept { max_executor_threads_ = n == 0 ? 1 : n; }
  std::size_t max_executor_threads() const noexcept { return max_executor_threads_; }

  // The coroutine frames suspended on this loop (see detail/coroutine.hpp).
  detail::FrameList& suspended_frames() noexcept { return frames_; }

  // The blocking detector. Every callback, timeout, handler and coroutine step
  // that runs longer than `threshold` is reported to the blocking handler
  // (default: one line on stderr). Zero (the default) turns it off.
  void set_blocking_log_threshold(Clock::duration threshold) noexcept {
    blocking_threshold_ns_ = threshold.count() > 0 ? detail::to_ns(threshold) : 0;
  }
  Clock::duration blocking_log_threshold() const noexcept { return std::chrono::nanoseconds(blocking_threshold_ns_); }
  template <class F>
  void set_blocking_handler(F&& handler) {
    blocking_handler_ = detail::Function<void(const BlockingReport&)>(std::forward<F>(handler));
  }

  // A snapshot of the loop's counters.
  LoopStats stats() const noexcept {
    LoopStats s = stats_;
    s.timeouts_pending = timers_.size();
    s.handlers_registered = handlers_.size();
    return s;
  }

  // Virtual time only: moves the clock forward by `delta` (never back). The
  // loop's own jumps to the next deadline need no call.
  void advance_time(Clock::duration delta) noexcept {
    if (virtual_time_ && delta.count() > 0) virtual_now_ += detail::to_ns(delta);
  }
  bool virtual_time() const noexcept { return virtual_time_; }

  // Runs `job` as the loop runs its own work: exceptions go to the exception
  // handler, and the blocking detector times it. For integrations (futures,
  // streams) that run work on the loop's behalf.
  void run_job(detail::Job& job, const char* kind) noexcept {
    if (EDDY_LIKELY(blocking_threshold_ns_ == 0)) {
      invoke(job.fn);
    } else {
      timed(kind, job.where, [&] { invoke(job.fn); });
    }
  }

  // True on the thread currently running this loop.
  bool in_loop_thread() const noexcept {
    return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }

 private:
  class RunScope;

  template <class F>
  auto run_sync_impl(F& func, std::int64_t timeout_ns);
  detail::ThreadPool& executor();

  template <class F>
  Timeout schedule(std::int64_t when, F&& callback, SourceLocation where) {
    assert_loop_thread();
    detail::TimerId id = timers_.add(when, detail::Job{detail::Function<void()>(std::forward<F>(callback)), where});
    return Timeout(this, id);
  }

  void assert_loop_thread() const noexcept {
    EDDY_ASSERT(!running() || in_loop_thread(),
                "an IOLoop member other than add_callback()/stop() was called from a foreign thread");
  }

  std::int64_t now_ns() const noexcept {
    return virtual_time_ ? virtual_now_ : detail::to_ns(Clock::now());
  }

  void add_remote(detail::Job&& job);
  void note_signals();
  void note_callbacks();
  void collect_due_timeouts();
  void run_noted_callbacks() noexcept;
  void run_due_timeouts() noexcept;
  void poll_for_io();
  std::int64_t poll_timeout();
  void dispatch_handlers() noexcept;
  void deliver_signal(int signum) noexcept;

  template <class Fn, class... Args>
  void invoke(Fn& fn, Args... args) noexcept {
    try {
      fn(args...);
    } catch (...) {
      handle_exception(std::current_exception());
    }
  }

  template <class Body>
  void timed(const char* kind, const SourceLocation& where, Body&& body) noexcept;
  void report_blocking(const BlockingReport& report) noexcept;

  detail::Poller poller_;
  detail::TimerQueue timers_;
  detail::HandlerTable handlers_;

  // Callbacks: local_ takes adds from the loop thread without a lock; adds
  // from other threads go to remote_ under remote_mutex_. Each iteration swaps
  // the noted ones into running_, so the vectors keep their storage.
  std::vector<detail::Job> local_;
  std::vector<detail::Job> running_;
  std::vector<detail::TimerId> due_;
  std::vector<detail::ReadyEvent> ready_;
  std::mutex remote_mutex_;
  std::vector<detail::Job> remote_;
  std::atomic<std::size_t> remote_count_{0};
  // True while the loop is (about to be) blocked in the poller: the first
  // remote add_callback to see it clears it and wakes the loop; later ones
  // see it false and skip the system call.
  std::atomic<bool> sleeping_{false};

  std::atomic<std::thread::id> owner_{};
  std::atomic<bool> stop_requested_{false};
  std::uint64_t batch_ = 0;        // dispatch batches so far (see HandlerTable)
  unsigned polls_skipped_ = 0;     // zero-wait polls skipped in a row

  detail::SignalSink sink_;
  std::vector<detail::Function<void(int)>> signal_handlers_;

  detail::Function<void(std::exception_ptr)> exception_handler_;
  std::int64_t blocking_threshold_ns_ = 0;
  detail::Function<void(const BlockingReport&)> blocking_handler_;

  bool virtual_time_ = false;
  std::int64_t virtual_now_ = 0;

  LoopStats stats_;

  // Declared last so they are destroyed first (though ~IOLoop also does it
  // explicitly, in the order that matters).
  detail::FrameList frames_;
  std::size_t max_executor_threads_ = default_executor_threads();
  std::unique_ptr<detail::ThreadPool> executor_;

  // Tornado's default executor: five threads per core.
  static std::size_t default_executor_threads() noexcept {
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 4 : static_cast<std::size_t>(cores) * 5;
  }
};

// Sets up and tears down what start() changes: the owning thread, the
// current loop, and the stop flag, even if an iteration throws.
class IOLoop::RunScope {
 public:
  explicit RunScope(IOLoop& loop)
      : loop_(loop), previous_(detail::current_loop), started_(Clock::now()), poll_before_(loop.stats_.poll_time) {
    loop_.owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    detail::current_loop = &loop_;
  }
  ~RunScope() {
    // Time in start() that was not spent waiting in the poller.
    loop_.stats_.run_time += (Clock::now() - started_) - (loop_.stats_.poll_time - poll_before_);
    loop_.stop_requested_.store(false, std::memory_order_relaxed);
    loop_.owner_.store(std::thread::id(), std::memory_order_relaxed);
    detail::current_loop = previous_;
  }
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

 private:
  IOLoop& loop_;
  IOLoop* previous_;
  Clock::time_point started_;
  Clock::duration poll_before_;
};

// One iteration, in Tornado 4.5's order; each phase's comment says why it
// sits where it does.
inline void IOLoop::start() {
  if (running()) throw std::logic_error("eddy: IOLoop is already running");
  if (stop_requested_.exchange(false, std::memory_order_acq_rel)) return;
  RunScope scope(*this);
  for (;;) {
    ++stats_.iterations;
    // Signals that arrived become ordinary callbacks of this iteration.
    note_signals();
    // Note the callbacks and due timeouts *before* running any: work added
    // while they run waits for the next iteration, so a callback that re-adds
    // itself cannot starve I/O, and a timeout added now never runs early.
    note_callbacks();
    collect_due_timeouts();
    run_noted_callbacks();
    run_due_timeouts();
    // stop() lands here: after the noted work, before the next poll.
    if (stop_requested_.load(std::memory_order_acquire)) break;
    poll_for_io();
    dispatch_handlers();
    // A stop() from a handler (or another thread, which woke the poll) ends
    // the loop after this batch, before any work of the next iteration.
    if (stop_requested_.load(std::memory_order_acquire)) break;
  }
}

inline void IOLoop::add_remote(detail::Job&& job) {
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote_.push_back(std::move(job));
    remote_count_.store(remote_.size(), std::memory_order_seq_cst);
  }
  // Pairs with poll_timeout(): either the loop sees remote_count_ > 0 and does
  // not block, or we see sleeping_ and wake it. Only the first adder wakes.
  if (sleeping_.exchange(false, std::memory_order_seq_cst)) poller_.wake();
}

inline void IOLoop::note_signals() {
  if (EDDY_LIKELY(!sink_.any.load(std::memory_order_relaxed))) return;
  if (!sink_.any.exchange(false, std::memory_order_acquire)) return;
  for (int signum = 1; signum < detail::signal_count; ++signum) {
    if (sink_.pending[signum].exchange(false, std::memory_order_relaxed)) {
      local_.push_back(detail::Job{[this, signum] { deliver_signal(signum); }, SourceLocation::current()});
    }
  }
}

inline void IOLoop::note_callbacks() {
  // running_ is empty here. Swapping only when there is something to take
  // keeps each vector's grown storage with the role that needed it, so the
  // steady state allocates nothing.
  if (!local_.empty()) running_.swap(local_);
  if (remote_count_.load(std::memory_order_acquire) != 0) {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    for (detail::Job& job : remote_) running_.push_back(std::move(job));
    remote_.clear();
    remote_count_.store(0, std::memory_order_relaxed);
  }
}

inline void IOLoop::collect_due_timeouts() {
  if (timers_.empty()) return;
  std::int64_t now = now_ns();
  if (timers_.next_deadline() <= now) timers_.collect_due(now, due_);
}

inline void IOLoop::run_noted_callbacks() noexcept {
  // Indexing, not iterators: nothing appends to running_ while it runs (new
  // callbacks go to local_), but an index keeps that obviously safe.
  for (std::size_t i = 0; i < running_.size(); ++i) run_job(running_[i], "callback");
  stats_.callbacks_run += running_.size();
  running_.clear();
}

inline void IOLoop::run_due_timeouts() noexcept {
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

inline std::int64_t IOLoop::poll_timeout() {
  if (!local_.empty()) return 0;
  std::int64_t timeout = -1;
  if (!timers_.empty()) {
    std::int64_t wait = timers_.next_deadline() - now_ns();
    timeout = wait > 0 ? wait : 0;
  }
  if (timeout != 0) {
    // Announce that we may block, then look for remote callbacks (pairs with
    // add_remote(); both sides use seq_cst so one of them sees the other).
    sleeping_.store(true, std::memory_order_seq_cst);
    if (remote_count_.load(std::memory_order_seq_cst) != 0) timeout = 0;
  }
  return timeout;
}

inline void IOLoop::poll_for_io() {
  ready_.clear();
  bool callbacks_waiting = !local_.empty() || remote_count_.load(std::memory_order_relaxed) != 0;
  // While callbacks keep coming the poll would wait 0 anyway; skipping up to
  // 15 of those in a row saves the system call, and polling on the 16th keeps
  // I/O and signals from starving behind a callback that re-adds itself.
  if (callbacks_waiting && ++polls_skipped_ < 16) return;
  polls_skipped_ = 0;
  std::int64_t timeout = poll_timeout();
  if (virtual_time_ && timeout != 0) {
    // Virtual time: look at real fds without waiting; if nothing is ready,
    // jump the clock to the next deadline instead of sleeping until it.
    poller_.poll(0, ready_);
    if (ready_.empty() && !timers_.empty()) virtual_now_ = std::max(virtual_now_, timers_.next_deadline());
    if (ready_.empty() && timers_.empty()) poller_.poll(timeout, ready_);
  } else {
    auto before = Clock::now();
    poller_.poll(timeout, ready_);
    stats_.poll_time += Clock::now() - before;
  }
  sleeping_.store(false, std::memory_order_relaxed);
  ++stats_.polls;
  ++batch_;
}

inline void IOLoop::dispatch_handlers() noexcept {
  for (std::size_t i = 0; i < ready_.size(); ++i) {
    const detail::ReadyEvent ev = ready_[i];
    std::uint32_t index = handlers_.lookup(ev.fd);
    // Removed by an earlier handler of this batch, or registered during it
    // (a reused fd number must not get the old fd's events).
    if (index == detail::HandlerTable::none || handlers_.at(index).batch == batch_) continue;
    detail::HandlerTable::Slot& slot = handlers_.at(index);
    std::uint32_t events = ev.events & (slot.events | ERROR);
    if (events == 0) continue;  // e.g. writable, but only READ was asked for
    ++stats_.handler_calls;
    auto call = [&] {
      try {
        handlers_.call(index, ev.fd, events);
      } catch (...) {
        handle_exception(std::current_exception());
      }
    };
    if (EDDY_LIKELY(blocking_threshold_ns_ == 0)) {
      call();
    } else {
      timed("handler", slot.where, call);
    }
  }
}

inline void IOLoop::deliver_signal(int signum) noexcept {
  auto index = static_cast<std::size_t>(signum);
  if (index >= signal_handlers_.size() || !signal_handlers_[index]) return;
  // Run a moved-out copy: the handler may remove or replace itself.
  auto handler = std::move(signal_handlers_[index]);
  if (EDDY_LIKELY(blocking_threshold_ns_ == 0)) {
    invoke(handler, signum);
  } else {
    timed("signal handler", SourceLocation::current(), [&] { invoke(handler, signum); });
  }
  if (!signal_handlers_[index] && detail::signal_registrations[signum].sink.load() == &sink_) {
    signal_handlers_[index] = std::move(handler);
  }
}

inline void IOLoop::handle_exception(std::exception_ptr error, const char* context) noexcept {
  if (exception_handler_) {
    try {
      exception_handler_(error);
      return;
    } catch (...) {
      error = std::current_exception();
      context = "the exception handler";
    }
  }
  report_exception(error, context);
}

inline void IOLoop::report_exception(std::exception_ptr error, const char* context) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eddy: uncaught exception in %s: %s\n", context, e.what());
  } catch (...) {
    std::fprintf(stderr, "eddy: uncaught exception of unknown type in %s\n", context);
  }
}

template <class Body>
inline void IOLoop::timed(const char* kind, const SourceLocation& where, Body&& body) noexcept {
  auto begin = Clock::now();
  body();
  auto elapsed = Clock::now() - begin;
  if (detail::to_ns(elapsed) > blocking_threshold_ns_) report_blocking(BlockingReport{elapsed, kind, where});
}

inline void IOLoop::report_blocking(const BlockingReport& report) noexcept {
  if (blocking_handler_) {
    try {
      blocking_handler_(report);
    } catch (...) {
      handle_exception(std::current_exception());
    }
    return;
  }
  double ms = std::chrono::duration<double, std::milli>(report.elapsed).count();
  std::fprintf(stderr, "eddy: blocked the loop for %.1f ms in a %s scheduled at %s:%u (%s)\n", ms,
               report.kind, report.where.file_name(), static_cast<unsigned>(report.where.line()),
               report.where.function_name());
}

}  // namespace eddy

// The futures half of the API (run_sync, add_future, run_in_executor) lives
// in future.hpp; including it here makes <eddy/ioloop.hpp> complete alone.
#include "future.hpp"

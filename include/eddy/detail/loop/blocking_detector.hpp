// BlockingDetector: tells you where you blocked the loop.
//
// Every step the loop runs (a callback, timeout, handler, signal handler or
// coroutine step) that takes longer than the threshold is reported: how long
// it took, what it was, and where it was scheduled. Off (threshold 0), a step
// costs the loop one predictable branch (per batch of callbacks or events);
// on, two clock reads; with the watchdog, also two uncontended lock/unlock
// pairs to publish the step.
//
// The optional watchdog is a thread that notices while a step is *still*
// running past the threshold and reports it at once, as Tornado's
// set_blocking_log_threshold did with SIGALRM, but without signals: the loop
// publishes the running step (under a mutex taken only while the watchdog
// is on) and the watchdog polls it.
//
// Steps nest (a future's callbacks run a coroutine step): only the innermost
// slow step is reported, since it names the code that blocked.
//
// Thread contract: everything from the loop thread, except that watchdog
// reports call the handler from the watchdog thread (the handler must be
// thread-safe; the default one is).
#pragma once

#include <atomic>
#include "../base/chrono.hpp"  // <chrono> without the calendar and its I/O
#include <cstdint>
#include <cstdio>
#include <memory>

#include "../../loop_types.hpp"
#include "../base/function.hpp"
#include "signal_relay.hpp"
#include "../base/thread.hpp"
#include "../base/time_ops.hpp"

namespace eddy::detail {

template <class = void>
class BasicBlockingDetector {
 public:
  using Handler = Function<void(const BlockingReport&)>;

  BasicBlockingDetector() = default;
  BasicBlockingDetector(const BasicBlockingDetector&) = delete;
  BasicBlockingDetector& operator=(const BasicBlockingDetector&) = delete;
  ~BasicBlockingDetector() { set_watchdog(false); }

  bool enabled() const noexcept { return threshold_ns_.load(std::memory_order_relaxed) != 0; }
  std::int64_t threshold_ns() const noexcept { return threshold_ns_.load(std::memory_order_relaxed); }
  void set_threshold_ns(std::int64_t ns) noexcept {
    threshold_ns_.store(ns > 0 ? ns : 0, std::memory_order_relaxed);
  }

  // Safe from inside the handler: reports call a snapshot taken under the
  // lock, which the setter only swaps; the replaced handler is destroyed
  // when its last report returns. A template only so that a program which
  // never sets a handler does not compile the shared_ptr's creation.
  template <class H = Handler>
  void set_handler(H&& handler) {
    std::shared_ptr<Handler> fresh = handler ? std::make_shared<Handler>(std::move(handler)) : nullptr;
    std::shared_ptr<Handler> old;
    std::lock_guard<std::mutex> lock(handler_mutex_);
    old = std::move(handler_);
    handler_ = std::move(fresh);
  }

  // Starts or stops the watchdog thread (which blocks every signal).
  void set_watchdog(bool on) {
    if (on == watchdog_.joinable()) return;
    if (on) {
      stop_watchdog_ = false;
      watching_.store(true, std::memory_order_relaxed);
      watchdog_.start(&BasicBlockingDetector::run_watchdog, this);
    } else {
      {
        std::lock_guard<std::mutex> lock(watch_mutex_);
        stop_watchdog_ = true;
      }
      watch_wake_.notify_all();
      watchdog_.join();
      watching_.store(false, std::memory_order_relaxed);
    }
  }
  bool watchdog() const noexcept { return watching_.load(std::memory_order_relaxed); }

  // Runs body() and reports it if it took longer than the threshold.
  // `where` is taken by value: the body may destroy what it came from (a
  // coroutine step resumes a frame that can finish and free its awaiter).
  template <class Body>
  void timed(const char* kind, SourceLocation where, Body&& body) noexcept {
    const bool outer_reported = inner_reported_;
    inner_reported_ = false;
    const std::int64_t begin = to_ns(Clock::now());
    Published outer{};
    if (watching_.load(std::memory_order_relaxed)) outer = publish(Published{begin, kind, where});
    body();
    const std::int64_t elapsed = to_ns(Clock::now()) - begin;
    if (watching_.load(std::memory_order_relaxed)) publish(outer);
    bool reported = inner_reported_;
    if (!reported && elapsed > threshold_ns()) {
      report(BlockingReport{std::chrono::nanoseconds(elapsed), kind, where, false});
      reported = true;
    }
    inner_reported_ = outer_reported || reported;
  }

 private:
  struct Published {
    std::int64_t started = 0;  // 0: no step running
    const char* kind = nullptr;
    SourceLocation where;
  };

  // Makes `step` the one the watchdog sees; returns the one it replaces.
  Published publish(const Published& step) noexcept {
    std::lock_guard<std::mutex> lock(step_mutex_);
    Published previous = step_;
    step_ = step;
    ++step_id_;
    return previous;
  }

  void report(const BlockingReport& report) noexcept {
    std::shared_ptr<Handler> handler;
    {
      std::lock_guard<std::mutex> lock(handler_mutex_);
      handler = handler_;
    }
    if (handler) {
      try {
        (*handler)(report);
      } catch (...) {
        std::fputs("eddy: the blocking handler threw\n", stderr);
      }
      return;
    }
    double ms = std::chrono::duration<double, std::milli>(report.elapsed).count();
    std::fprintf(stderr, "eddy: %s the loop for %.1f ms in a %s scheduled at %s:%u (%s)\n",
                 report.still_running ? "still blocking" : "blocked", ms, report.kind, report.where.file_name(),
                 static_cast<unsigned>(report.where.line()), report.where.function_name());
  }

  // The watchdog thread: wakes a few times per threshold and reports a step
  // that has been running too long, once per step.
  static void run_watchdog(void* self) noexcept { static_cast<BasicBlockingDetector*>(self)->watch(); }

  void watch() noexcept {
    block_all_signals();
    std::uint64_t last_reported = 0;
    std::unique_lock<std::mutex> lock(watch_mutex_);
    while (!stop_watchdog_) {
      std::int64_t threshold = threshold_ns();
      auto period = std::chrono::nanoseconds(threshold > 4'000'000 ? threshold / 4 : 1'000'000);
      // A spurious wake-up only makes this check come early: harmless.
      if (!stop_watchdog_) watch_wake_.wait_for_ns(lock, period.count());
      if (stop_watchdog_) break;
      Published step;
      std::uint64_t id;
      {
        std::lock_guard<std::mutex> step_lock(step_mutex_);
        step = step_;
        id = step_id_;
      }
      if (step.started == 0 || threshold == 0 || id == last_reported) continue;
      std::int64_t running = to_ns(Clock::now()) - step.started;
      if (running <= threshold) continue;
      last_reported = id;
      lock.unlock();
      report(BlockingReport{std::chrono::nanoseconds(running), step.kind, step.where, true});
      lock.lock();
    }
  }

  std::atomic<std::int64_t> threshold_ns_{0};
  bool inner_reported_ = false;  // loop thread only

  std::mutex handler_mutex_;
  std::shared_ptr<Handler> handler_;  // null: the default line on stderr

  // What the watchdog reads.
  std::atomic<bool> watching_{false};
  std::mutex step_mutex_;
  Published step_;
  std::uint64_t step_id_ = 0;

  std::mutex watch_mutex_;
  CondVar watch_wake_;
  bool stop_watchdog_ = false;
  Thread watchdog_;
};
using BlockingDetector = BasicBlockingDetector<>;

}  // namespace eddy::detail

// Thread and CondVar: the two threads the library starts itself (the
// executor's workers, the blocking detector's watchdog) and what they wait on.
//
// Why not std::thread and std::condition_variable: as C++20, <thread> and
// <condition_variable> bring <stop_token>, std::jthread, <semaphore> and
// condition_variable_any (whose inline constructor instantiates
// make_shared<mutex>), and std::thread's constructor is a template whose
// instantiation (a tuple, a state object, an invoker) is paid by every
// translation unit that includes the loop, whether or not it ever starts a
// thread. These are a few lines over POSIX threads instead. std::mutex,
// std::lock_guard, std::unique_lock and std::thread::id (which the loop needs)
// come from libstdc++'s small internal headers where they exist, guarded like
// detail/base/chrono.hpp's shortcut; anywhere else, from the standard headers.
//
// Thread contract: a Thread is started, joined and destroyed by its owner's
// thread; CondVar as std::condition_variable (notify from any thread, wait
// holding the lock).
#pragma once

#include <pthread.h>
#include <time.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <version>
#if defined(__GLIBCXX__) && __has_include(<bits/std_mutex.h>) && __has_include(<bits/unique_lock.h>)
#include <bits/std_mutex.h>    // std::mutex, std::lock_guard
#include <bits/unique_lock.h>  // std::unique_lock
#else
#include <mutex>
#endif
// As C++20, libstdc++'s <bits/std_thread.h> has std::thread::id with its
// comparisons, get_id and hardware_concurrency; before, the comparisons are
// in <thread> (which as C++17 brings no <stop_token>).
#if defined(__GLIBCXX__) && __cplusplus > 201703L && __has_include(<bits/std_thread.h>)
#include <bits/std_thread.h>
#else
#include <thread>
#endif

#include "fd_ops.hpp"

namespace eddy::detail {

// A joinable thread running entry(arg). As std::thread, destroying one that
// was started and not joined terminates the program, and an exception that
// escapes the entry function does too (entry is noexcept).
class Thread {
 public:
  using Entry = void (*)(void*) noexcept;

  Thread() noexcept = default;
  Thread(Thread&& other) noexcept : thread_(other.thread_), joinable_(other.joinable_) { other.joinable_ = false; }
  Thread& operator=(Thread&&) = delete;
  Thread(const Thread&) = delete;
  ~Thread() {
    if (joinable_) std::terminate();
  }

  // Starts the thread; std::system_error (as std::thread's) if the OS refuses.
  void start(Entry entry, void* arg) {
    Start* start = new Start{entry, arg};
    int error = ::pthread_create(&thread_, nullptr, &run, start);
    if (error != 0) {
      delete start;
      throw_error(error, "pthread_create");
    }
    joinable_ = true;
  }

  bool joinable() const noexcept { return joinable_; }

  void join() noexcept {
    if (!joinable_) return;
    ::pthread_join(thread_, nullptr);
    joinable_ = false;
  }

 private:
  struct Start {
    Entry entry;
    void* arg;
  };
  static void* run(void* p) noexcept {
    Start start = *static_cast<Start*>(p);
    delete static_cast<Start*>(p);
    start.entry(start.arg);
    return nullptr;
  }

  pthread_t thread_{};
  bool joinable_ = false;
};

// A condition variable over a std::mutex, timed on the monotonic clock (a
// wall-clock jump neither stretches nor cuts a wait short).
class CondVar {
 public:
  CondVar() noexcept {
#if defined(__APPLE__)
    ::pthread_cond_init(&cond_, nullptr);  // timed waits are relative there
#else
    pthread_condattr_t attr;
    ::pthread_condattr_init(&attr);
    ::pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    ::pthread_cond_init(&cond_, &attr);
    ::pthread_condattr_destroy(&attr);
#endif
  }
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;
  ~CondVar() { ::pthread_cond_destroy(&cond_); }

  void notify_one() noexcept { ::pthread_cond_signal(&cond_); }
  void notify_all() noexcept { ::pthread_cond_broadcast(&cond_); }

  // Waits until notified (or a spurious wake-up); `lock` must hold its mutex.
  void wait(std::unique_lock<std::mutex>& lock) noexcept {
    ::pthread_cond_wait(&cond_, lock.mutex()->native_handle());
  }

  // Waits until notified, a spurious wake-up, or `ns` nanoseconds pass.
  void wait_for_ns(std::unique_lock<std::mutex>& lock, std::int64_t ns) noexcept {
    if (ns < 0) ns = 0;
    timespec span{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
#if defined(__APPLE__)
    ::pthread_cond_timedwait_relative_np(&cond_, lock.mutex()->native_handle(), &span);
#else
    timespec deadline{};
    ::clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += span.tv_sec;
    deadline.tv_nsec += span.tv_nsec;
    if (deadline.tv_nsec >= 1'000'000'000) {
      deadline.tv_nsec -= 1'000'000'000;
      ++deadline.tv_sec;
    }
    ::pthread_cond_timedwait(&cond_, lock.mutex()->native_handle(), &deadline);
#endif
  }

 private:
  pthread_cond_t cond_;
};

}  // namespace eddy::detail

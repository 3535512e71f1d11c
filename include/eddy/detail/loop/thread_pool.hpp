// ThreadPool: the executor behind IOLoop::run_in_executor.
//
// Workers start lazily and block every signal, so signals are only handled
// on the application's threads. As Python's ThreadPoolExecutor (its idle
// semaphore), each submit claims one idle worker, or starts a new one while
// fewer than the bound run: a worker that was notified but has not woken yet
// no longer counts as idle, so n jobs submitted together get n workers (up
// to the bound) however the threads are scheduled. The bound may change at
// any time (set_max_workers). The destructor lets the workers finish every
// job already submitted, as shutdown(wait=True), then joins them.
//
// Thread contract: submit() and set_max_workers() from any thread; destroy
// from the owning thread.
//
// A class template over a dummy parameter (ThreadPool is BasicThreadPool<>):
// its members are compiled only in programs that use run_in_executor, not in
// every translation unit that includes the loop.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "../base/function.hpp"
#include "../base/ring.hpp"
#include "signal_relay.hpp"
#include "../base/thread.hpp"

namespace eddy::detail {

template <class = void>
class BasicThreadPool {
 public:
  explicit BasicThreadPool(std::size_t max_workers) : max_workers_(max_workers == 0 ? 1 : max_workers) {}

  BasicThreadPool(const BasicThreadPool&) = delete;
  BasicThreadPool& operator=(const BasicThreadPool&) = delete;

  ~BasicThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (Thread& worker : workers_) worker.join();
  }

  void submit(Function<void()>&& job) {
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
    if (idle_ > 0) {
      // Claim an idle worker: it stops counting as idle now, not when it
      // wakes, so the next submit cannot count on it too.
      --idle_;
      ++wakeups_;
      lock.unlock();
      ready_.notify_one();
    } else if (live_ < max_workers_) {
      ++live_;
      workers_.emplace_back();
      workers_.back().start(&BasicThreadPool::run, this);
    }
    // Else every worker is busy and the bound is reached: the job waits for
    // the first one to finish.
  }

  // A new bound, 0 meaning 1. Raising it lets the next submits start
  // workers; lowering it makes surplus workers exit as they finish a job.
  void set_max_workers(std::size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    max_workers_ = n == 0 ? 1 : n;
  }

  // Workers running (busy or idle).
  std::size_t workers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return live_;
  }

 private:
  static void run(void* self) noexcept { static_cast<BasicThreadPool*>(self)->work(); }

  void work() noexcept {
    block_all_signals();
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (queue_.empty()) {
        if (stopping_ || live_ > max_workers_) break;
        // Idle until a submit claims a worker (a wake-up) or the pool stops.
        ++idle_;
        while (!stopping_ && wakeups_ == 0) ready_.wait(lock);
        if (wakeups_ > 0) {
          --wakeups_;
        } else {
          --idle_;  // stopping: leave unclaimed
        }
        continue;
      }
      Function<void()> job = std::move(queue_.front());
      queue_.drop_front();
      lock.unlock();
      job();  // jobs catch their own exceptions (run_in_executor does)
      job.reset();
      lock.lock();
    }
    --live_;
  }

  std::size_t max_workers_;
  mutable std::mutex mutex_;
  CondVar ready_;
  Ring<Function<void()>> queue_;
  std::vector<Thread> workers_;  // every thread started, joined at the end
  std::size_t live_ = 0;     // workers that have not exited
  std::size_t idle_ = 0;     // waiting and not claimed
  std::size_t wakeups_ = 0;  // claims not yet taken up by a waking worker
  bool stopping_ = false;
};

using ThreadPool = BasicThreadPool<>;

}  // namespace eddy::detail

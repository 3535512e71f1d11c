// ThreadPool: the executor behind IOLoop::run_in_executor.
//
// Workers start lazily (one more whenever a job arrives and none is idle, up
// to a bound) and block every signal, so signals are only handled on the
// application's threads. The destructor lets the workers finish every job
// already submitted, as Python's ThreadPoolExecutor.shutdown(wait=True),
// then joins them.
//
// Thread contract: submit() from any thread; destroy from the owning thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "function.hpp"
#include "signal_relay.hpp"

namespace eddy::detail {

class ThreadPool {
 public:
  explicit ThreadPool(std::size_t max_workers) : max_workers_(max_workers == 0 ? 1 : max_workers) {}

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

  void submit(Function<void()>&& job) {
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
    if (idle_ == 0 && workers_.size() < max_workers_) {
      workers_.emplace_back([this] { work(); });
    } else {
      lock.unlock();
      ready_.notify_one();
    }
  }

  std::size_t workers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return workers_.size();
  }

 private:
  void work() {
    block_all_signals();
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stopping, and nothing left to do
      Function<void()> job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job();  // jobs catch their own exceptions (run_in_executor does)
      job.reset();
      lock.lock();
    }
  }

  const std::size_t max_workers_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Function<void()>> queue_;
  std::vector<std::thread> workers_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace eddy::detail

// IOLoop's destructor, as named phases. Included by <eddy/ioloop.hpp> once
// IOLoop is complete; not meant to be included alone.
//
// libuv makes teardown explicit (uv_close, then uv_loop_close) and Asio shuts
// its services down in a fixed order; here the order is:
//   1. join the executor, whose workers may still post results;
//   2. refuse new work: add_callback (and so run_in_executor's results, and
//      futures resolved from destructors) destroys the job at once;
//   3. restore signal dispositions and drop the signal handlers;
//   4. destroy queued callbacks, timeouts, fd handlers and suspended
//      coroutine frames, again and again until none is left (a destructor
//      may add a timeout or a handler: it is destroyed in the next round);
//   5. tell anchored objects that the loop is gone.
// Every member stays valid until the end, so destructors run in phases 3-4
// may call remove_handler, remove_timeout, add_timeout or add_callback;
// while they run this loop is the current one (so futures they resolve
// schedule here, and are dropped), and closing() reads true.
#pragma once

#include "../base/thread.hpp"  // std::lock_guard
#include <utility>
#include <vector>

#include "ioloop_impl.hpp"

namespace eddy {

template <class D>
inline void detail::IOLoopImpl<D>::tear_down() noexcept {
  EDDY_ASSERT(!running(), "IOLoop destroyed while running");
  IOLoop* previous = detail::current_loop;
  detail::current_loop = &self();
  // 1. Workers may still post results: join them while the queues accept
  //    them. What they post is destroyed in phase 4, on this thread.
  executor_.reset();
  // 2. From now on add_remote() destroys what it is given.
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    closing_ = true;
  }
  detector_.set_watchdog(false);
  // 3. Signals: dispositions first, then the callables.
  for (int signum = 1; signum < static_cast<int>(signal_handlers_.size()); ++signum) {
    if (signal_handlers_[static_cast<std::size_t>(signum)]) detail::uninstall_signal(signum, &sink_);
  }
  {
    std::vector<detail::Function<void(int)>> handlers = std::move(signal_handlers_);
    signal_handlers_.clear();
  }
  // 4. Pending work, until quiescent.
  for (;;) {
    drop_queued_callbacks();
    due_.clear();
    timers_.clear();
    handlers_.clear();
    frames_.destroy_all();  // coroutines suspended here are owned by nobody else
    if (local_->empty() && running_->empty() && timers_.empty() && handlers_.size() == 0 && frames_.empty()) break;
  }
  // 5. Anchored objects (streams, servers) stop calling the loop.
  anchor_->loop = nullptr;
  detail::current_loop = previous == this ? nullptr : previous;
}

// Destroys every queued callback without running it. Each batch is moved out
// before it is destroyed, so a destructor that adds a callback (dropped
// anyway while closing) never meets a vector being cleared.
template <class D>
inline void detail::IOLoopImpl<D>::drop_queued_callbacks() noexcept {
  {
    std::vector<detail::Job> dropped = std::move(queue_a_);
    queue_a_.clear();
  }
  {
    std::vector<detail::Job> dropped = std::move(queue_b_);
    queue_b_.clear();
  }
  std::vector<detail::Job> remote;
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote.swap(remote_);
    remote_count_.store(0, std::memory_order_relaxed);
  }
}

}  // namespace eddy

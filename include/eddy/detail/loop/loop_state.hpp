// LoopState: what an IOLoop is made of (the poller, the timer queue, the
// handler table, the callback queues, the signal table, the exception
// handler, the blocking detector, the executor), and the thread-local record
// of which loop is current and which is running.
//
// IOLoopImpl (ioloop_impl.hpp) derives from it privately and holds every
// member function: LoopState has data and a constructor template only, so
// that including it compiles no function (see detail/base/deferred.hpp). It
// is a plain class, not a template, so that IOLoopImpl's members name these
// fields unqualified.
//
// Thread contract: as IOLoop's. Fields read from other threads are atomics or
// guarded by remote_mutex_ (see each comment).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "../../loop_types.hpp"
#include "../base/function.hpp"
#include "../base/thread.hpp"  // std::mutex and std::thread::id without <mutex> and <thread>
#include "../base/time_ops.hpp"
#include "blocking_detector.hpp"
#include "frame_list.hpp"
#include "handler_table.hpp"
#include "job.hpp"
#include "poller.hpp"
#include "signal_relay.hpp"
#include "thread_pool.hpp"
#include "timer_queue.hpp"

namespace eddy {

class IOLoop;

/// @cond EDDY_DETAIL
namespace detail {
// The loop made current on this thread (by start() or make_current()).
inline thread_local IOLoop* current_loop = nullptr;
// The loop whose start() is running on this thread: in_loop_thread() reads
// it instead of comparing thread ids, which costs a call.
inline thread_local IOLoop* running_loop = nullptr;
// Loop serials (IOLoop::serial()) come from one process-wide counter, so a
// serial never names two loops, even two built one after the other at one
// address.
inline std::atomic<std::uint64_t> next_loop_serial{1};

// What an object that may outlive its loop (a stream, a server, a future
// told to schedule on it) holds instead of a bare IOLoop*: `loop` names the
// loop until its destructor has finished tearing down, then reads nullptr.
// Read and written on the loop's thread only.
struct LoopAnchor {
  IOLoop* loop;
};

// The fields of IOLoopImpl, which derives from this privately. The
// constructor is a template so that it is compiled only where a loop is
// built; `loop` is the IOLoop under construction, named by its anchor.
struct LoopState {
  template <class Loop>
  LoopState(const IOLoopOptions& options, Loop* loop)
      : poller_(options.backend),
        virtual_time_(options.virtual_time),
        virtual_now_(detail::to_ns(options.virtual_start)),
        serial_(detail::next_loop_serial.fetch_add(1, std::memory_order_relaxed)),
        anchor_(std::make_shared<detail::LoopAnchor>(detail::LoopAnchor{loop})) {
    sink_.poller = &poller_;
  }
  LoopState(const LoopState&) = delete;
  LoopState& operator=(const LoopState&) = delete;

  detail::Poller poller_;
  detail::TimerQueue timers_;
  detail::HandlerTable handlers_;

  /// Callbacks: *local_ takes adds from the loop thread without a lock; adds
  /// from other threads go to remote_ under remote_mutex_. Each iteration
  /// swaps the two pointers, so the noted callbacks become *running_ and the
  /// vectors keep their storage.
  std::vector<detail::Job> queue_a_;
  std::vector<detail::Job> queue_b_;
  std::vector<detail::Job>* local_ = &queue_a_;
  std::vector<detail::Job>* running_ = &queue_b_;
  std::vector<detail::TimerId> due_;
  std::mutex remote_mutex_;
  std::vector<detail::Job> remote_;
  std::atomic<std::size_t> remote_count_{0};
  /// True while the loop is (about to be) blocked in the poller: the first
  /// remote add_callback to see it clears it and wakes the loop; later ones
  /// see it false and skip the system call.
  std::atomic<bool> sleeping_{false};

  std::atomic<std::thread::id> owner_{};
  std::atomic<bool> stop_requested_{false};
  std::uint64_t batch_ = 0;        ///< dispatch batches so far (see HandlerTable)
  /// A registration that keeps reporting after its removal (see
  /// note_stale_tag): the suspect, the batch it was first seen in, and
  /// whether the backend's set must be rebuilt after this batch.
  std::uint32_t suspect_tag_ = 0;
  std::uint64_t suspect_batch_ = 0;
  bool rebuild_poller_ = false;
  unsigned polls_skipped_ = 0;     ///< zero-wait polls skipped in a row

  detail::SignalSink sink_;
  std::vector<detail::Function<void(int)>> signal_handlers_;

  detail::Function<void(std::exception_ptr)> exception_handler_;
  std::uint64_t exception_handler_version_ = 0;  ///< bumped by set_exception_handler
  detail::BlockingDetector detector_;

  bool virtual_time_ = false;
  std::int64_t virtual_now_ = 0;
  /// The loop's last clock reading (IOLoopImpl::read_clock), from which
  /// call_later keys its provisional deadlines.
  std::int64_t clock_base_ = detail::to_ns(std::chrono::steady_clock::now());

  LoopStats stats_;

  const std::uint64_t serial_;
  std::shared_ptr<detail::LoopAnchor> anchor_;
  bool closing_ = false;  ///< set by tear_down(); under remote_mutex_ for add_remote

  /// Declared last so they are destroyed first (though ~IOLoop also does it
  /// explicitly, in the order that matters).
  detail::FrameList frames_;
  std::size_t max_executor_threads_ = default_executor_threads();
  std::unique_ptr<detail::ThreadPool> executor_;

  /// Tornado's default executor: five threads per core.
  static std::size_t default_executor_threads() noexcept {
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 4 : static_cast<std::size_t>(cores) * 5;
  }
};

}  // namespace detail
/// @endcond
}  // namespace eddy

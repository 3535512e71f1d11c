// What the TimerQueue tests (timer_queue, timer_storage, timer_settle) share:
// a callback that records a value, and running what is due the way the
// loop's iteration does (collect, then take and run each in order).
#pragma once

#include <cstdint>
#include <vector>

#include <eddy/detail/loop/timer_queue.hpp>

namespace eddy_test {

// A callable that appends `value` to `out`.
inline auto record(std::vector<int>& out, int value) {
  return [&out, value] { out.push_back(value); };
}

// Collects everything due at `now` and runs it in order.
template <class Queue>
void fire(Queue& q, std::int64_t now) {
  std::vector<eddy::detail::TimerId> due;
  q.collect_due(now, due);
  for (eddy::detail::TimerId id : due) {
    eddy::detail::Job job = q.take(id);
    if (job) job.fn();
  }
}

}  // namespace eddy_test

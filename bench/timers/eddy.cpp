// Timer workload on eddy: call_at(start + offset) for absolute deadlines,
// remove_timeout to cancel. eddy's start() runs until stop() (Tornado
// semantics), so the callback that fires the last expected timer stops it.
#include <eddy/eddy.hpp>

#include "support/timer_user_case.hpp"

namespace {

class EddyTimers {
public:
    // With `reserve`, the caller's n handles are made here, as the peers make
    // their watchers, and reserve_timeouts(n) allocates the loop's slab and
    // heap for n timers; without it both grow as timers are scheduled.
    // The user's case (timer_user_case.hpp) makes the handles but does not
    // reserve the loop: reserve_loop false.
    EddyTimers(std::size_t n, bool reserve) : EddyTimers(n, reserve, reserve) {}
    EddyTimers(std::size_t n, bool reserve, bool reserve_loop) : timeouts_(n, reserve, make_handle) {
        if (reserve_loop) loop_.reserve_timeouts(n);
    }

    void begin() {
        start_ = loop_.time();
        fired_ = 0;
    }
    // Handle i is overwritten in place, as the peers reuse watcher i.
    void schedule(std::size_t i, std::uint64_t offset_ns) {
        auto deadline = start_ + std::chrono::duration_cast<eddy::Clock::duration>(
                                     std::chrono::nanoseconds(offset_ns));
        timeouts_.get(i, make_handle) = loop_.call_at(deadline, [this] {
            if (++fired_ == expected_) loop_.stop();
        });
    }
    // As a user writes it: call_later, relative to the loop's time() now.
    void schedule_later(std::size_t i, std::uint64_t delay_ns) {
        timeouts_.get(i, make_handle) = loop_.call_later(std::chrono::nanoseconds(delay_ns), [this] {
            if (++fired_ == expected_) loop_.stop();
        });
    }
    void cancel(std::size_t i) { loop_.remove_timeout(timeouts_[i]); }
    void run(std::uint64_t expected) {
        expected_ = fired_ + expected;
        if (expected > 0) loop_.start();
    }
    std::uint64_t fired() const { return fired_; }

private:
    static void make_handle(std::deque<eddy::Timeout>& handles) { handles.emplace_back(); }

    eddy::IOLoop loop_;
    bench::PerTimer<eddy::Timeout> timeouts_;
    eddy::Clock::time_point start_;
    std::uint64_t fired_ = 0;
    std::uint64_t expected_ = 0;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<EddyTimers>("eddy", argc, argv); }

// Timer workload on eddy: call_at(start + offset) for absolute deadlines,
// remove_timeout to cancel. eddy's start() runs until stop() (Tornado
// semantics), so the callback that fires the last expected timer stops it.
#include <eddy/eddy.hpp>

#include "support/timer_workload.hpp"

namespace {

class EddyTimers {
public:
    // Like the peers' adapters, which allocate their n watchers here
    // (std::vector<ev_timer>(n) and so on), eddy sets its timer storage up
    // untimed: reserve_timeouts(n) allocates the slab and heap for n timers.
    explicit EddyTimers(std::size_t n) {
        timeouts_.reserve(n);
        loop_.reserve_timeouts(n);
    }

    void begin() { start_ = loop_.time(); }
    // Called for i = 0, 1, 2, ... in order, so push_back lines up with i.
    void schedule(std::size_t, std::uint64_t offset_ns) {
        auto deadline = start_ + std::chrono::duration_cast<eddy::Clock::duration>(
                                     std::chrono::nanoseconds(offset_ns));
        timeouts_.push_back(loop_.call_at(deadline, [this] {
            if (++fired_ == expected_) loop_.stop();
        }));
    }
    void cancel(std::size_t i) { loop_.remove_timeout(timeouts_[i]); }
    void run(std::uint64_t expected) {
        expected_ = expected;
        if (expected_ > 0) loop_.start();
    }
    std::uint64_t fired() const { return fired_; }

private:
    eddy::IOLoop loop_;
    std::vector<eddy::Timeout> timeouts_;
    eddy::Clock::time_point start_;
    std::uint64_t fired_ = 0;
    std::uint64_t expected_ = 0;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<EddyTimers>("eddy", argc, argv); }

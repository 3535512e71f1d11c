// Timer workload on libev: caller-owned ev_timer watchers, ev_timer_start with
// a relative delay in seconds (libev measures it from the loop's cached
// ev_now, which stays put while we schedule, so all share one start time),
// ev_timer_stop to cancel. Watcher i is reused in place, re-initialised each time. ev_run returns by itself once no watcher is active.
#include <ev.h>

#include "support/timer_user_case.hpp"

namespace {

std::uint64_t fired_count;

void on_timer(struct ev_loop*, ev_timer*, int) { ++fired_count; }

class LibevTimers {
public:
    // libev has no call to preallocate its heap; `reserve` makes the watchers.
    LibevTimers(std::size_t n, bool reserve) : loop_(ev_loop_new(EVBACKEND_EPOLL)), timers_(n, reserve, make) {}
    ~LibevTimers() {
        for (auto& t : timers_.all()) ev_timer_stop(loop_, &t);
        ev_loop_destroy(loop_);
    }

    void begin() {
        ev_now_update(loop_);
        fired_count = 0;
    }
    void schedule(std::size_t i, std::uint64_t offset_ns) {
        ev_timer& timer = timers_.get(i, make);
        ev_timer_init(&timer, on_timer, double(offset_ns) * 1e-9, 0.);
        ev_timer_start(loop_, &timer);
    }
    void cancel(std::size_t i) { ev_timer_stop(loop_, &timers_[i]); }
    void run(std::uint64_t) { ev_run(loop_, 0); }
    std::uint64_t fired() const { return fired_count; }

private:
    static void make(std::deque<ev_timer>& timers) { timers.emplace_back(); }

    struct ev_loop* loop_;
    bench::PerTimer<ev_timer> timers_;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<LibevTimers>("libev", argc, argv); }

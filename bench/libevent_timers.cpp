// Timer workload on libevent: caller-owned struct event storage set up with
// evtimer_assign (no allocation per timer, like libev and libuv), evtimer_add
// with a relative struct timeval (microsecond resolution; libevent reads its
// clock on each add outside the loop), evtimer_del to cancel.
// event_base_dispatch returns once no event is pending.
#include <event2/event.h>
#include <event2/event_struct.h>

#include "support/timer_workload.hpp"

namespace {

std::uint64_t fired_count;

void on_timer(evutil_socket_t, short, void*) { ++fired_count; }

class LibeventTimers {
public:
    explicit LibeventTimers(std::size_t n) : base_(event_base_new()), timers_(n) {
        for (auto& t : timers_) evtimer_assign(&t, base_, on_timer, nullptr);
        fired_count = 0;
    }
    ~LibeventTimers() {
        for (auto& t : timers_) evtimer_del(&t);
        event_base_free(base_);
    }

    void begin() {}
    void schedule(std::size_t i, std::uint64_t offset_ns) {
        timeval tv{time_t(offset_ns / 1'000'000'000), suseconds_t(offset_ns % 1'000'000'000 / 1000)};
        evtimer_add(&timers_[i], &tv);
    }
    void cancel(std::size_t i) { evtimer_del(&timers_[i]); }
    void run(std::uint64_t) { event_base_dispatch(base_); }
    std::uint64_t fired() const { return fired_count; }

private:
    event_base* base_;
    std::vector<event> timers_;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<LibeventTimers>("libevent", argc, argv); }

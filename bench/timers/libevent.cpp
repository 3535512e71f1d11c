// Timer workload on libevent: caller-owned struct event storage set up with
// evtimer_assign (no allocation per timer, like libev and libuv), evtimer_add
// with a relative struct timeval (microsecond resolution; libevent reads its
// clock on each add outside the loop), evtimer_del to cancel.
// event_base_dispatch returns once no event is pending.
#include <event2/event.h>
#include <event2/event_struct.h>

#include "support/timer_user_case.hpp"

namespace {

std::uint64_t fired_count;

void on_timer(evutil_socket_t, short, void*) { ++fired_count; }

class LibeventTimers {
    // Appends and assigns one event.
    struct Make {
        event_base* base;
        void operator()(std::deque<event>& timers) const {
            evtimer_assign(&timers.emplace_back(), base, on_timer, nullptr);
        }
    };
    Make make() { return Make{base_}; }

public:
    // libevent has no call to preallocate its heap; `reserve` makes and
    // assigns the events; without it timer i's is made when first used.
    LibeventTimers(std::size_t n, bool reserve) : base_(event_base_new()), timers_(n, reserve, make()) {}
    ~LibeventTimers() {
        for (auto& t : timers_.all()) evtimer_del(&t);
        event_base_free(base_);
    }

    void begin() { fired_count = 0; }
    void schedule(std::size_t i, std::uint64_t offset_ns) {
        timeval tv{time_t(offset_ns / 1'000'000'000), suseconds_t(offset_ns % 1'000'000'000 / 1000)};
        evtimer_add(&timers_.get(i, make()), &tv);
    }
    void cancel(std::size_t i) { evtimer_del(&timers_[i]); }
    void run(std::uint64_t) { event_base_dispatch(base_); }
    std::uint64_t fired() const { return fired_count; }

private:
    event_base* base_;
    bench::PerTimer<event> timers_;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<LibeventTimers>("libevent", argc, argv); }

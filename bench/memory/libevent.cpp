// Memory workload on libevent: caller-owned struct event storage (its sizeof
// is the caller's share; event_assign, no event_new) plus what event_add grows
// on the heap (the min-heap of pointers, the fd map), measured with mallinfo2.
// argv[1] pending timers (default 1M), argv[2] handlers (10k).
#include <event2/event.h>
#include <event2/event_struct.h>

#include "support/memory.hpp"
#include "support/report.hpp"

namespace {

void on_event(evutil_socket_t, short, void*) {}

void measure_timers(std::uint64_t n) {
    event_base* base = event_base_new();
    std::vector<event> timers(n);
    bench::HeapWindow heap;
    timeval hour{3600, 0};
    for (auto& t : timers) {
        evtimer_assign(&t, base, on_event, nullptr);
        evtimer_add(&t, &hour);
    }
    bench::report_memory("memory_timer", "libevent", n, sizeof(event), heap.bytes());
    for (auto& t : timers) evtimer_del(&t);
    event_base_free(base);
}

void measure_handlers(std::uint64_t n) {
    // The base first, so its own descriptors get low numbers (as for eddy).
    event_base* base = event_base_new();
    bench::IdleFds fds(n);
    std::vector<event> events(fds.size());
    bench::HeapWindow heap;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        event_assign(&events[i], base, fds[i], EV_READ | EV_PERSIST, on_event, nullptr);
        event_add(&events[i], nullptr);
    }
    // The epoll backend applies its change list in the next dispatch.
    event_base_loop(base, EVLOOP_NONBLOCK);
    bench::report_memory("memory_handler", "libevent", fds.size(), sizeof(event), heap.bytes());
    for (auto& e : events) event_del(&e);
    event_base_free(base);
}

}  // namespace

int main(int argc, char** argv) {
    measure_timers(bench::arg_or(argc, argv, 1, 1'000'000));
    measure_handlers(bench::arg_or(argc, argv, 2, 10'000));
}

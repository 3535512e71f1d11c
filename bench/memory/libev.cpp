// Memory workload on libev: caller-owned ev_timer / ev_io watchers (their
// sizeof is the caller's share) plus what ev_timer_start / ev_io_start grow
// on the heap (the timer heap, the per-fd table), measured with mallinfo2.
// argv[1] pending timers (default 1M), argv[2] handlers (10k).
#include <ev.h>

#include "support/memory.hpp"
#include "support/report.hpp"

namespace {

void on_timer(struct ev_loop*, ev_timer*, int) {}
void on_io(struct ev_loop*, ev_io*, int) {}

void measure_timers(std::uint64_t n) {
    struct ev_loop* loop = ev_loop_new(EVBACKEND_EPOLL);
    std::vector<ev_timer> timers(n);
    bench::HeapWindow heap;
    for (auto& t : timers) {
        ev_timer_init(&t, on_timer, 3600., 0.);
        ev_timer_start(loop, &t);
    }
    bench::report_memory("memory_timer", "libev", n, sizeof(ev_timer), heap.bytes());
    for (auto& t : timers) ev_timer_stop(loop, &t);
    ev_loop_destroy(loop);
}

void measure_handlers(std::uint64_t n) {
    // The loop first, so its own descriptors get low numbers (as for eddy).
    struct ev_loop* loop = ev_loop_new(EVBACKEND_EPOLL);
    bench::IdleFds fds(n);
    std::vector<ev_io> watchers(fds.size());
    bench::HeapWindow heap;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        ev_io_init(&watchers[i], on_io, fds[i], EV_READ);
        ev_io_start(loop, &watchers[i]);
    }
    // libev registers with epoll lazily, in the next iteration: run one so
    // everything it will keep for these watchers exists.
    ev_run(loop, EVRUN_NOWAIT);
    bench::report_memory("memory_handler", "libev", fds.size(), sizeof(ev_io), heap.bytes());
    for (auto& w : watchers) ev_io_stop(loop, &w);
    ev_loop_destroy(loop);
}

}  // namespace

int main(int argc, char** argv) {
    measure_timers(bench::arg_or(argc, argv, 1, 1'000'000));
    measure_handlers(bench::arg_or(argc, argv, 2, 10'000));
}

// Memory workload on libuv: caller-owned uv_timer_t / uv_poll_t handles (their
// sizeof is the caller's share) plus what uv_timer_start / uv_poll_start grow
// on the heap (the timer heap is intrusive; the watcher table is not),
// measured with mallinfo2. argv[1] pending timers (default 1M), argv[2]
// handlers (10k).
#include <uv.h>

#include "support/memory.hpp"
#include "support/report.hpp"

namespace {

void on_timer(uv_timer_t*) {}
void on_poll(uv_poll_t*, int, int) {}

void measure_timers(std::uint64_t n) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::vector<uv_timer_t> timers(n);
    bench::HeapWindow heap;
    for (auto& t : timers) {
        uv_timer_init(&loop, &t);
        uv_timer_start(&t, on_timer, 3'600'000, 0);
    }
    bench::report_memory("memory_timer", "libuv", n, sizeof(uv_timer_t), heap.bytes());
    for (auto& t : timers) uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

void measure_handlers(std::uint64_t n) {
    // The loop first, so its own descriptors get low numbers: libuv sizes its
    // per-fd watcher table by the highest fd it watches, its own included.
    uv_loop_t loop;
    uv_loop_init(&loop);
    bench::IdleFds fds(n);
    std::vector<uv_poll_t> polls(fds.size());
    bench::HeapWindow heap;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        uv_poll_init(&loop, &polls[i], fds[i]);
        uv_poll_start(&polls[i], UV_READABLE, on_poll);
    }
    // libuv hands new watchers to epoll in the next poll phase.
    uv_run(&loop, UV_RUN_NOWAIT);
    bench::report_memory("memory_handler", "libuv", fds.size(), sizeof(uv_poll_t), heap.bytes());
    for (auto& p : polls) uv_close(reinterpret_cast<uv_handle_t*>(&p), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

}  // namespace

int main(int argc, char** argv) {
    measure_timers(bench::arg_or(argc, argv, 1, 1'000'000));
    measure_handlers(bench::arg_or(argc, argv, 2, 10'000));
}

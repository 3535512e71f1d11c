// Futures and coroutines on eddy (C++20):
//   coro_await_done    co_await of a future that is already done (no
//                      suspension: await_ready says so), per await;
//   coro_await_sleep0  co_await eddy::sleep(0): a future, a timeout, a
//                      suspension and a resumption from a loop job, per await;
//   memory_coroutine   heap bytes and allocations per suspended coroutine: n
//                      coroutines each suspended on its own pending future,
//                      counting the frame, the coroutine's own Future state
//                      and its registration on the awaited future (the awaited
//                      futures themselves are made beforehand, not counted).
// argv[1] awaits of a done future (default 1M), argv[2] sleep(0) awaits (1M),
// argv[3] suspended coroutines (100k).
#define BENCH_COUNT_ALLOCATIONS
#include <eddy/eddy.hpp>

#include "support/measure.hpp"
#include "support/memory.hpp"
#include "support/report.hpp"

namespace {

eddy::Future<std::uint64_t> await_done(eddy::Future<int> done, std::uint64_t n) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < n; ++i) sum += std::uint64_t(co_await done);
    co_return sum;
}

eddy::Future<void> await_sleep0(std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) co_await eddy::sleep(eddy::Clock::duration::zero());
}

eddy::Future<void> wait_for(eddy::Future<void> gate, std::uint64_t* resumed) {
    co_await gate;
    ++*resumed;
}

void measure_await_done(std::uint64_t n) {
    eddy::IOLoop loop;
    std::uint64_t sum = loop.run_sync([n] {
        eddy::Future<int> done;
        done.set_result(1);
        bench::Stopwatch sw;
        bench::AllocationWindow window;
        eddy::Future<std::uint64_t> all = await_done(done, n);
        double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
        std::uint64_t allocations = window.count();
        bench::report_per_op("coro_await_done", "eddy", "", n, wall, cpu);
        // One frame and one Future state for the whole loop of awaits.
        bench::report_allocations("allocs_await_done", "eddy", "", n, allocations);
        return all;
    });
    bench::check(sum == n, "every await of the done future returned its value");
}

void measure_await_sleep0(std::uint64_t n) {
    eddy::IOLoop loop;
    bench::Stopwatch sw;
    loop.run_sync([n] { return await_sleep0(n); });
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    bench::report_per_op("coro_await_sleep0", "eddy", "", n, wall, cpu);
}

void measure_suspended(std::uint64_t n) {
    eddy::IOLoop loop;
    std::uint64_t resumed = 0;
    loop.run_sync([n, &resumed] {
        std::vector<eddy::Future<void>> gates(n);
        std::vector<eddy::Future<void>> waiters;
        waiters.reserve(n);
        bench::HeapWindow heap;
        bench::AllocationWindow window;
        for (std::uint64_t i = 0; i < n; ++i) waiters.push_back(wait_for(gates[i], &resumed));
        std::int64_t bytes = heap.bytes();
        std::uint64_t allocations = window.count();
        bench::report_memory("memory_coroutine", "eddy", n, sizeof(eddy::Future<void>), bytes);
        bench::report_allocations("allocs_coroutine", "eddy", "state=suspended", n, allocations);
        for (auto& gate : gates) gate.set_result();
        return eddy::multi(std::move(waiters));
    });
    bench::check(resumed == n, "every suspended coroutine resumed");
}

}  // namespace

int main(int argc, char** argv) {
    measure_await_done(bench::arg_or(argc, argv, 1, 1'000'000));
    measure_await_sleep0(bench::arg_or(argc, argv, 2, 1'000'000));
    measure_suspended(bench::arg_or(argc, argv, 3, 100'000));
}

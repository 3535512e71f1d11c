// A chain of put/get pairs through an eddy::Queue between two coroutines
// (C++20): a producer awaits put(i) for every item, a consumer awaits get().
// With maxsize 1 every item is a hand-off: the producer waits for room, the
// consumer for an item, and each wake-up goes through the loop; unbounded,
// the producer never waits and the consumer drains a backlog. Reported per
// item: wall and CPU ns (the process is pinned to CPU 0) and heap
// allocations (goal: none). A warm-up run first fills the future-state cache.
// argv[1] items (default 1M).
#define BENCH_COUNT_ALLOCATIONS
#include <eddy/eddy.hpp>

#include <cstdint>
#include <string>

#include "support/measure.hpp"
#include "support/memory.hpp"
#include "support/report.hpp"

namespace {

eddy::Future<void> producer(eddy::Queue<std::uint64_t>& queue, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) co_await queue.put(i);
}

eddy::Future<std::uint64_t> consumer(eddy::Queue<std::uint64_t>& queue, std::uint64_t n) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < n; ++i) sum += co_await queue.get();
    co_return sum;
}

// Runs one chain of n items; returns the consumer's sum.
std::uint64_t chain(eddy::IOLoop& loop, std::size_t maxsize, std::uint64_t n) {
    eddy::Queue<std::uint64_t> queue(maxsize);
    auto [unit, sum] = loop.run_sync([&] {
        eddy::Future<std::uint64_t> consuming = consumer(queue, n);
        eddy::Future<void> producing = producer(queue, n);
        return eddy::gather(producing, consuming);
    });
    (void)unit;
    return sum;
}

void measure(std::size_t maxsize, std::uint64_t n) {
    eddy::IOLoop loop;
    chain(loop, maxsize, 1000);  // warm-up
    std::string params = "maxsize=" + std::to_string(maxsize);
    bench::Stopwatch sw;
    bench::AllocationWindow window;
    std::uint64_t sum = chain(loop, maxsize, n);
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    std::uint64_t allocations = window.count();
    bench::check(sum == n * (n - 1) / 2, "every item reached the consumer once");
    bench::report_per_op("queue_chain", "eddy", params, n, wall, cpu);
    // Two coroutine frames and the queue's rings per chain, nothing per item.
    bench::report_allocations("allocs_queue_chain", "eddy", params, n, allocations);
}

}  // namespace

int main(int argc, char** argv) {
    bench::pin_to_cpu(0);
    std::uint64_t n = bench::arg_or(argc, argv, 1, 1'000'000);
    measure(1, n);
    measure(0, n);
}

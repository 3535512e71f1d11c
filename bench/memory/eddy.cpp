// Memory workload on eddy:
//   memory_timer    heap bytes per pending timeout (n timeouts pending, the
//                   callable a lambda capturing one pointer);
//   memory_handler  heap bytes per registered handler (n idle eventfds);
//   allocs_*        allocations in steady state, counted by a replaced
//                   operator new over a window that starts after a warm-up
//                   pass grew every buffer: per timeout scheduled and fired,
//                   per callback (chained, and posted from another thread),
//                   per handler call. Lambdas capture 1-3 pointers; the goal
//                   is 0.
// argv[1] pending timers (default 1M), argv[2] handlers (10k), argv[3] steady
// window length (100k).
#define BENCH_COUNT_ALLOCATIONS
#include <eddy/eddy.hpp>

#include <thread>

#include "support/memory.hpp"
#include "support/report.hpp"
#include "support/socket_ring.hpp"

namespace {

void measure_timer_bytes(std::uint64_t n) {
    eddy::IOLoop loop;
    std::uint64_t fired = 0;
    bench::HeapWindow heap;
    // A big timer queue keeps its storage in page blocks of its own, which
    // malloc's statistics do not see: counted here.
    auto mapped = std::int64_t(eddy::detail::page_block_bytes().load());
    for (std::uint64_t i = 0; i < n; ++i) {
        loop.call_later(std::chrono::hours(1), [&fired] { ++fired; });
    }
    mapped = std::int64_t(eddy::detail::page_block_bytes().load()) - mapped;
    bench::report_memory("memory_timer", "eddy", n, 0, heap.bytes() + mapped);
}

void measure_handler_bytes(std::uint64_t n) {
    // The loop first: its own descriptors then get low numbers, and the
    // registered fds' numbers (which size per-fd tables) are the handlers' own.
    eddy::IOLoop loop;
    bench::IdleFds fds(n);
    std::uint64_t calls = 0;
    bench::HeapWindow heap;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        loop.add_handler(fds[i], [&calls](int, std::uint32_t) { ++calls; }, eddy::IOLoop::READ);
    }
    bench::report_memory("memory_handler", "eddy", fds.size(), 0, heap.bytes());
    for (std::size_t i = 0; i < fds.size(); ++i) loop.remove_handler(fds[i]);
}

// Schedules n timeouts due now with a callable of `Captures` pointers, then
// runs the loop until all fired; reports allocations in the second of two
// such passes.
template <int Captures>
void measure_timer_allocations(std::uint64_t n) {
    eddy::IOLoop loop;
    std::uint64_t a = 0, b = 0;
    std::uint64_t* pa = &a;
    std::uint64_t* pb = &b;
    auto pass = [&] {
        for (std::uint64_t i = 0; i < n; ++i) {
            if constexpr (Captures == 1) {
                loop.call_later(std::chrono::nanoseconds(0), [&loop] { (void)loop; });
            } else if constexpr (Captures == 2) {
                loop.call_later(std::chrono::nanoseconds(0), [&loop, pa] { ++*pa; (void)loop; });
            } else {
                loop.call_later(std::chrono::nanoseconds(0), [&loop, pa, pb] { ++*pa; ++*pb; (void)loop; });
            }
        }
        loop.call_later(std::chrono::nanoseconds(1), [&loop] { loop.stop(); });
        loop.start();
    };
    pass();
    bench::AllocationWindow window;
    pass();
    bench::report_allocations("allocs_timer", "eddy", "captures=" + std::to_string(Captures), n,
                              window.count());
}

struct Link {
    eddy::IOLoop* loop;
    std::uint64_t* left;
    std::uint64_t* spare;
    void operator()() const {
        ++*spare;
        if (--*left > 0)
            loop->add_callback(*this);
        else
            loop->stop();
    }
};

void measure_chain_allocations(std::uint64_t n) {
    eddy::IOLoop loop;
    std::uint64_t left = n, spare = 0;
    loop.add_callback(Link{&loop, &left, &spare});
    loop.start();
    left = n;
    bench::AllocationWindow window;
    loop.add_callback(Link{&loop, &left, &spare});
    loop.start();
    bench::report_allocations("allocs_callback_chain", "eddy", "captures=3", n, window.count());
}

void measure_xthread_allocations(std::uint64_t n) {
    eddy::IOLoop loop;
    std::uint64_t done = 0, spare = 0;
    auto pass = [&] {
        done = 0;
        std::thread poster([&loop, &done, &spare, n] {
            for (std::uint64_t i = 0; i < n; ++i)
                loop.add_callback([&loop, &done, &spare, n] {
                    ++spare;
                    if (++done == n) loop.stop();
                });
        });
        loop.start();
        poster.join();
    };
    pass();
    // The poster thread's std::thread start allocates once; subtract it.
    bench::AllocationWindow window;
    pass();
    std::uint64_t thread_start = 1;
    std::uint64_t counted = window.count();
    bench::report_allocations("allocs_callback_xthread", "eddy", "captures=4", n,
                              counted > thread_start ? counted - thread_start : 0);
}

void measure_handler_allocations(std::uint64_t writes) {
    bench::SocketRing ring(100);
    eddy::IOLoop loop;
    std::uint64_t spare = 0;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        loop.add_handler(
            ring.read_fd(i),
            [&ring, &loop, &spare, i](int, std::uint32_t) {
                ++spare;
                if (ring.on_readable(i)) loop.stop();
            },
            eddy::IOLoop::READ);
    }
    ring.prime(10, writes);
    loop.start();
    ring.prime(10, writes);
    bench::AllocationWindow window;
    loop.start();
    bench::check(ring.done(), "dispatch pass completed");
    bench::report_allocations("allocs_handler_call", "eddy", "captures=4", ring.events(), window.count());
    for (std::size_t i = 0; i < ring.size(); ++i) loop.remove_handler(ring.read_fd(i));
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t timers = bench::arg_or(argc, argv, 1, 1'000'000);
    std::uint64_t handlers = bench::arg_or(argc, argv, 2, 10'000);
    std::uint64_t steady = bench::arg_or(argc, argv, 3, 100'000);
    measure_timer_bytes(timers);
    measure_handler_bytes(handlers);
    measure_timer_allocations<1>(steady);
    measure_timer_allocations<2>(steady);
    measure_timer_allocations<3>(steady);
    measure_chain_allocations(steady);
    measure_xthread_allocations(steady);
    measure_handler_allocations(steady);
}

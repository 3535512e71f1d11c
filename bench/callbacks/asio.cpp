// Callback workloads on Asio, whose idiom for all three is asio::post on an
// io_context. io_context(1) is the hint for "run by one thread"; it keeps the
// locks (posting from another thread stays safe) but lets posts made on the
// loop thread go to a thread-private queue.
//   chain:   each handler posts the next. Asio recycles the handler memory,
//            so the chain does not allocate in steady state.
//   xthread: a second thread calls asio::post 10M times; a work guard keeps
//            run() alive until the last handler calls stop().
//   latency: the same path, one timestamp at a time, both threads on CPU 0.
#include <asio.hpp>

#include "support/cross_thread.hpp"

namespace {

struct Link {
    asio::io_context* ctx;
    std::uint64_t* left;
    void operator()() const {
        if (--*left > 0) asio::post(*ctx, *this);
    }
};

void measure_chain(std::uint64_t n) {
    asio::io_context ctx(1);
    std::uint64_t left = n;
    bench::Stopwatch sw;
    asio::post(ctx, Link{&ctx, &left});
    ctx.run();
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    bench::check(left == 0, "whole chain ran");
    bench::report_per_op("callbacks_chain", "asio", "", n, wall, cpu);
}

void measure_xthread(std::uint64_t n) {
    asio::io_context ctx(1);
    auto guard = asio::make_work_guard(ctx);
    std::uint64_t done = 0;
    bench::Stopwatch sw;
    std::thread poster([&ctx, &done, n] {
        for (std::uint64_t i = 0; i < n; ++i)
            asio::post(ctx, [&ctx, &done, n] {
                if (++done == n) ctx.stop();
            });
    });
    ctx.run();
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    poster.join();
    bench::report_per_op("callbacks_xthread", "asio", "", n, wall, cpu);
}

void measure_latency(std::uint64_t n) {
    bench::LatencyProbe probe(n);
    bench::pin_to_cpu(0);
    asio::io_context ctx(1);
    auto guard = asio::make_work_guard(ctx);
    std::thread poster = bench::start_timestamp_poster(n, [&ctx, &probe](std::uint64_t ts) {
        asio::post(ctx, [&ctx, &probe, ts] {
            probe.record(ts);
            if (probe.complete()) ctx.stop();
        });
    });
    ctx.run();
    poster.join();
    probe.report("asio");
}

}  // namespace

int main(int argc, char** argv) {
    bench::CallbackSizes sizes(argc, argv);
    measure_chain(sizes.chain);
    measure_xthread(sizes.xthread);
    measure_latency(sizes.latency);
}

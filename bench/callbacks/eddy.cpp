// Callback workloads on eddy, all through add_callback (thread-safe):
//   chain:   each callback adds the next; by Tornado's rule it runs on the
//            next loop iteration.
//   xthread: a second thread calls add_callback 10M times.
//   latency: the same path, one timestamp at a time, both threads on CPU 0.
// start() runs until stop(), so the last callback of each stops the loop.
#include <eddy/eddy.hpp>

#include "support/cross_thread.hpp"
#include "support/eddy_chain.hpp"

namespace {

void measure_chain(std::uint64_t n) {
    eddy::IOLoop loop;
    bench::run_eddy_chain(loop, "callbacks_chain", "", n);
}

void measure_xthread(std::uint64_t n) {
    eddy::IOLoop loop;
    std::uint64_t done = 0;
    bench::Stopwatch sw;
    std::thread poster([&loop, &done, n] {
        for (std::uint64_t i = 0; i < n; ++i)
            loop.add_callback([&loop, &done, n] {
                if (++done == n) loop.stop();
            });
    });
    loop.start();
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    poster.join();
    bench::report_per_op("callbacks_xthread", "eddy", "", n, wall, cpu);
}

void measure_latency(std::uint64_t n) {
    bench::LatencyProbe probe(n);
    bench::pin_to_cpu(0);
    eddy::IOLoop loop;
    std::thread poster = bench::start_timestamp_poster(n, [&loop, &probe](std::uint64_t ts) {
        loop.add_callback([&loop, &probe, ts] {
            probe.record(ts);
            if (probe.complete()) loop.stop();
        });
    });
    loop.start();
    poster.join();
    probe.report("eddy");
}

}  // namespace

int main(int argc, char** argv) {
    bench::CallbackSizes sizes(argc, argv);
    measure_chain(sizes.chain);
    measure_xthread(sizes.xthread);
    measure_latency(sizes.latency);
}

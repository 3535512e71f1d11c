// Cost of the blocking detector (issue #6) on the callback chain: each
// callback adds the next, as in callbacks_chain, with the detector
//   off        the default (threshold 0): one predictable branch per step;
//   on         threshold 1 h, never fires: two clock reads per step;
//   watchdog   threshold 1 s plus the watchdog thread, which additionally
//              publishes every step for the watchdog to inspect.
// Reported per callback. argv[1] chain length (default 10M).
#include <eddy/eddy.hpp>

#include "support/measure.hpp"
#include "support/report.hpp"

namespace {

struct Link {
    eddy::IOLoop* loop;
    std::uint64_t* left;
    void operator()() const {
        if (--*left > 0)
            loop->add_callback(*this);
        else
            loop->stop();
    }
};

void measure(const char* mode, std::uint64_t n, eddy::Clock::duration threshold, bool watchdog) {
    eddy::IOLoop loop;
    loop.set_blocking_log_threshold(threshold);
    if (watchdog) loop.set_blocking_watchdog(true);
    std::uint64_t left = n;
    bench::Stopwatch sw;
    loop.add_callback(Link{&loop, &left});
    loop.start();
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    bench::check(left == 0, "whole chain ran");
    bench::report_per_op("detector_chain", "eddy", std::string("detector=") + mode, n, wall, cpu);
    if (watchdog) loop.set_blocking_watchdog(false);
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t n = bench::arg_or(argc, argv, 1, 10'000'000);
    using namespace std::chrono_literals;
    measure("off", n, eddy::Clock::duration::zero(), false);
    measure("on", n, 1h, false);
    measure("watchdog", n, 1s, true);
}

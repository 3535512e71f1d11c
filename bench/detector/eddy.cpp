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
#include "support/eddy_chain.hpp"

namespace {

void measure(const char* mode, std::uint64_t n, eddy::Clock::duration threshold, bool watchdog) {
    eddy::IOLoop loop;
    loop.set_blocking_log_threshold(threshold);
    if (watchdog) loop.set_blocking_watchdog(true);
    bench::run_eddy_chain(loop, "detector_chain", std::string("detector=") + mode, n);
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

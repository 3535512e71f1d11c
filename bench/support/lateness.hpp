// The timer precision workload: one timer at a time, re-armed from its own
// callback, `n` times per delay; lateness = when the callback ran minus
// (the moment it was armed + the delay), taken on CLOCK_MONOTONIC. Negative
// lateness means the loop fired early by our clock (e.g. a loop that measures
// delays from a cached, slightly stale "now").
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "measure.hpp"
#include "report.hpp"

namespace bench {

class LatenessProbe {
public:
    LatenessProbe(std::chrono::milliseconds delay, std::uint64_t n) : delay_(delay), n_(n) {
        samples_.reserve(n);
    }

    std::chrono::milliseconds delay() const { return delay_; }

    // Call right before arming the timer.
    void armed() { due_ns_ = now_ns() + std::uint64_t(std::chrono::nanoseconds(delay_).count()); }

    // Call first thing in the callback; returns true while more samples are wanted.
    bool fired() {
        samples_.push_back(std::int64_t(now_ns()) - std::int64_t(due_ns_));
        return samples_.size() < n_;
    }

    void report(const char* impl) const {
        check(samples_.size() == n_, "every sample taken");
        Percentiles p = percentiles(samples_);
        report_latency("timer_lateness", impl, "delay_ms=" + std::to_string(delay_.count()),
                       n_, p.median_ns, p.p99_ns);
    }

private:
    std::chrono::milliseconds delay_;
    std::uint64_t n_;
    std::uint64_t due_ns_ = 0;
    std::vector<std::int64_t> samples_;
};

// Runs `measure(probe)` for 1 ms and 10 ms timers, single thread pinned to
// CPU 0 like the other latency measurements. argv[1] = samples at 1 ms
// (default 2000), argv[2] = samples at 10 ms (default 300).
template <class Measure>
int lateness_main(const char* impl, int argc, char** argv, Measure measure) {
    pin_to_cpu(0);
    LatenessProbe one_ms(std::chrono::milliseconds(1), arg_or(argc, argv, 1, 2000));
    measure(one_ms);
    one_ms.report(impl);
    LatenessProbe ten_ms(std::chrono::milliseconds(10), arg_or(argc, argv, 2, 300));
    measure(ten_ms);
    ten_ms.report(impl);
    return 0;
}

}  // namespace bench

// Clocks, CPU pinning and percentiles: the measuring instruments every
// benchmark program uses, so that all peers are measured the same way.
#pragma once

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace bench {

inline std::uint64_t read_clock_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return std::uint64_t(ts.tv_sec) * 1'000'000'000ULL + std::uint64_t(ts.tv_nsec);
}

// CLOCK_MONOTONIC is what steady_clock, libuv, libev and libevent all read, so
// timestamps taken here are comparable with the loops' own notion of time.
inline std::uint64_t now_ns() { return read_clock_ns(CLOCK_MONOTONIC); }

// CPU time of the whole process (all threads): the cost that sleeping in
// epoll_wait does not hide, and what we report per operation.
inline std::uint64_t cpu_ns() { return read_clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

// Wall and CPU time of one measured section.
class Stopwatch {
public:
    Stopwatch() : wall0_(now_ns()), cpu0_(cpu_ns()) {}
    double wall_ns() const { return double(now_ns() - wall0_); }
    double cpu_used_ns() const { return double(cpu_ns() - cpu0_); }

private:
    std::uint64_t wall0_;
    std::uint64_t cpu0_;
};

// Pins the calling thread. Latency runs pin both threads to one core because
// waking a thread on the other core of this machine costs 35-65 us, which
// would swamp what the loops themselves cost.
inline void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
}

struct Percentiles {
    double median_ns;
    double p99_ns;
};

inline Percentiles percentiles(std::vector<std::int64_t> samples) {
    if (samples.empty()) return {0, 0};
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) { return double(samples[std::size_t(q * double(samples.size() - 1))]); };
    return {at(0.5), at(0.99)};
}

// Aborts with a message: a benchmark whose workload did not complete as
// specified must not print a number.
inline void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "benchmark check failed: %s\n", what);
        std::abort();
    }
}

}  // namespace bench

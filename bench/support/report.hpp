// Command-line sizes in, RESULT lines out. bench/run parses these lines, so
// their shape is the contract between programs and the runner:
//   RESULT workload=<w> impl=<i> <param>=<v>... <metric>=<v>...
// Metrics are the keys ending in _ns or _per_op; everything else identifies
// the measurement.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace bench {

// argv[index] as a count, or fallback when absent. Accepts 1e6-style input so
// the runner can write sizes readably.
inline std::uint64_t arg_or(int argc, char** argv, int index, std::uint64_t fallback) {
    if (index >= argc) return fallback;
    return std::uint64_t(std::strtod(argv[index], nullptr));
}

// One measured quantity per op count: wall and CPU nanoseconds per operation.
inline void report_per_op(const char* workload, const char* impl, const std::string& params,
                          std::uint64_t ops, double wall_ns, double cpu_ns) {
    std::printf("RESULT workload=%s impl=%s%s%s n=%llu ns_per_op=%.1f cpu_ns_per_op=%.1f\n",
                workload, impl, params.empty() ? "" : " ", params.c_str(),
                (unsigned long long)ops, wall_ns / double(ops), cpu_ns / double(ops));
    std::fflush(stdout);
}

inline void report_latency(const char* workload, const char* impl, const std::string& params,
                           std::uint64_t samples, double median_ns, double p99_ns) {
    std::printf("RESULT workload=%s impl=%s %s n=%llu median_ns=%.0f p99_ns=%.0f\n", workload,
                impl, params.c_str(), (unsigned long long)samples, median_ns, p99_ns);
    std::fflush(stdout);
}

}  // namespace bench

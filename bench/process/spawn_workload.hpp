// The spawn workload, shared by every implementation so only the loop glue
// differs: start /bin/true `total` times, at most `width` children alive at
// once (a new one starts as soon as one exits), and wait until every child
// has been reaped. Per child: wall time, and the parent's CPU time (the
// children's own CPU, identical for everyone, is left out).
//   argv[1] total (default 1000), argv[2] width (default 10)
#pragma once

#include <cstdint>
#include <string>

#include "support/measure.hpp"
#include "support/report.hpp"

namespace bench {

struct SpawnParams {
    std::uint64_t total;
    std::uint64_t width;
};

inline SpawnParams spawn_params(int argc, char** argv) {
    return SpawnParams{arg_or(argc, argv, 1, 1000), arg_or(argc, argv, 2, 10)};
}

inline void report_spawn(const char* impl, const SpawnParams& p, const Stopwatch& watch) {
    report_per_op("spawn", impl, "width=" + std::to_string(p.width), p.total, watch.wall_ns(), watch.cpu_used_ns());
}

}  // namespace bench

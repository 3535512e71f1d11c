// The spawn workload, shared by every implementation so only the loop glue
// differs: start /bin/true `total` times, at most `width` children alive at
// once (a new one starts as soon as one exits), and wait until every child
// has been reaped. Per child: wall time, and the parent's CPU time (the
// children's own CPU, identical for everyone, is left out).
//   argv[1] total (default 1000), argv[2] width (default 10),
//   argv[3] MiB of memory the parent touches first (default 0): a large
//   parent shows what fork's page-table copy costs against vfork/posix_spawn.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "support/measure.hpp"
#include "support/report.hpp"

namespace bench {

struct SpawnParams {
    std::uint64_t total;
    std::uint64_t width;
    std::uint64_t parent_mib;
    std::unique_ptr<char[]> ballast;  // the parent's touched memory
};

inline SpawnParams spawn_params(int argc, char** argv) {
    SpawnParams p{arg_or(argc, argv, 1, 1000), arg_or(argc, argv, 2, 10), arg_or(argc, argv, 3, 0), nullptr};
    if (p.parent_mib > 0) {
        std::size_t bytes = std::size_t(p.parent_mib) << 20;
        p.ballast.reset(new char[bytes]);
        std::memset(p.ballast.get(), 1, bytes);
    }
    return p;
}

inline void report_spawn(const char* impl, const SpawnParams& p, const Stopwatch& watch) {
    std::string params = "width=" + std::to_string(p.width) + " parent_mib=" + std::to_string(p.parent_mib);
    report_per_op("spawn", impl, params, p.total, watch.wall_ns(), watch.cpu_used_ns());
}

}  // namespace bench

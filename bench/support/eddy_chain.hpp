// The callback-chain workload on eddy, shared by eddy_callbacks (the plain
// chain) and eddy_detector (the same chain with the blocking detector off,
// on, and with its watchdog): each callback adds the next until n have run.
#pragma once

#include <eddy/eddy.hpp>

#include <cstdint>
#include <string>

#include "measure.hpp"
#include "report.hpp"

namespace bench {

struct EddyLink {
    eddy::IOLoop* loop;
    std::uint64_t* left;
    void operator()() const {
        if (--*left > 0)
            loop->add_callback(*this);
        else
            loop->stop();
    }
};

// Runs a chain of n callbacks on `loop` (configured by the caller) and
// reports it as `workload` with `params`.
inline void run_eddy_chain(eddy::IOLoop& loop, const char* workload, const std::string& params,
                           std::uint64_t n) {
    std::uint64_t left = n;
    Stopwatch sw;
    loop.add_callback(EddyLink{&loop, &left});
    loop.start();
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    check(left == 0, "whole chain ran");
    report_per_op(workload, "eddy", params, n, wall, cpu);
}

}  // namespace bench

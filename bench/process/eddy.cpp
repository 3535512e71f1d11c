// The spawn workload on eddy (see spawn_workload.hpp): Subprocess with an
// exit callback, in the callback idiom libuv's uv_spawn uses; the Subprocess
// object is dropped at once (the loop's watch keeps and reaps the child).
#include <eddy/eddy.hpp>

#include <cstdint>
#include <cstdio>

#include "process/spawn_workload.hpp"

namespace {

struct Run {
    eddy::IOLoop& loop;
    std::uint64_t left_to_start;
    std::uint64_t running = 0;
    std::uint64_t failed = 0;

    void start_one() {
        --left_to_start;
        ++running;
        eddy::Subprocess child({"/bin/true"});
        child.set_exit_callback([this](int code) {
            if (code != 0) ++failed;
            --running;
            if (left_to_start > 0) {
                start_one();
            } else if (running == 0) {
                loop.stop();
            }
        });
    }
};

}  // namespace

int main(int argc, char** argv) {
    bench::SpawnParams p = bench::spawn_params(argc, argv);
    eddy::IOLoop loop;
    Run run{loop, p.total};
    bench::Stopwatch watch;
    for (std::uint64_t i = 0; i < p.width && run.left_to_start > 0; ++i) run.start_one();
    loop.start();
    bench::report_spawn("eddy", p, watch);
    if (run.failed != 0) {
        std::fprintf(stderr, "%llu children failed\n", static_cast<unsigned long long>(run.failed));
        return 1;
    }
}

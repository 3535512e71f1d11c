// The spawn workload on libuv (see spawn_workload.hpp): uv_spawn with an
// exit callback that closes the handle; a new child starts once the old
// handle is closed.
#include <uv.h>

#include <cstdint>
#include <cstdio>

#include "process/spawn_workload.hpp"

namespace {

std::uint64_t left_to_start, running, failed;
char true_path[] = "/bin/true";
char* true_args[] = {true_path, nullptr};

void start_one();

void on_closed(uv_handle_t* handle) {
    delete reinterpret_cast<uv_process_t*>(handle);
    --running;
    if (left_to_start > 0) start_one();
}

void on_exit(uv_process_t* process, int64_t status, int signal) {
    if (status != 0 || signal != 0) ++failed;
    uv_close(reinterpret_cast<uv_handle_t*>(process), on_closed);
}

void start_one() {
    --left_to_start;
    ++running;
    auto* process = new uv_process_t;
    uv_process_options_t options{};
    options.file = true_path;
    options.args = true_args;
    options.exit_cb = on_exit;
    int r = uv_spawn(uv_default_loop(), process, &options);
    if (r != 0) {
        std::fprintf(stderr, "uv_spawn: %s\n", uv_strerror(r));
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    bench::SpawnParams p = bench::spawn_params(argc, argv);
    left_to_start = p.total;
    bench::Stopwatch watch;
    for (std::uint64_t i = 0; i < p.width && left_to_start > 0; ++i) start_one();
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    bench::report_spawn("libuv", p, watch);
    if (failed != 0) {
        std::fprintf(stderr, "%llu children failed\n", static_cast<unsigned long long>(failed));
        return 1;
    }
}

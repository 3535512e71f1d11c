// Dispatch workload on libuv: one uv_poll_t per read end, started once for
// UV_READABLE. uv_poll is libuv's readiness idiom and matches the workload
// (the callback does its own one-byte recv); uv_read_start would instead read
// up to 64 KiB into a buffer from an allocation callback, a different job.
#include <uv.h>

#include "support/socket_ring.hpp"

namespace {

bench::SocketRing* ring;

void on_read(uv_poll_t* handle, int status, int) {
    bench::check(status == 0, "uv_poll status");
    if (ring->on_readable(std::size_t(reinterpret_cast<std::uintptr_t>(handle->data))))
        uv_stop(handle->loop);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t pipes = bench::arg_or(argc, argv, 1, 1000);
    std::size_t active = bench::arg_or(argc, argv, 2, 100);
    std::uint64_t writes = bench::arg_or(argc, argv, 3, 1'000'000);

    bench::SocketRing the_ring(pipes);
    ring = &the_ring;
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::vector<uv_poll_t> polls(ring->size());
    for (std::size_t i = 0; i < ring->size(); ++i) {
        uv_poll_init(&loop, &polls[i], ring->read_fd(i));
        polls[i].data = reinterpret_cast<void*>(std::uintptr_t(i));
        uv_poll_start(&polls[i], UV_READABLE, on_read);
    }

    bench::measure_dispatch("libuv", *ring, active, writes, [&] { uv_run(&loop, UV_RUN_DEFAULT); });

    for (auto& p : polls) uv_close(reinterpret_cast<uv_handle_t*>(&p), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

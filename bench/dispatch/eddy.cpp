// Dispatch workload on eddy: add_handler(fd, handler, READ) once per read end
// (persistent, like Tornado's); the handler that completes the pass stops the
// loop.
#include <eddy/eddy.hpp>

#include "support/socket_ring.hpp"

int main(int argc, char** argv) {
    std::size_t pipes = bench::arg_or(argc, argv, 1, 1000);
    std::size_t active = bench::arg_or(argc, argv, 2, 100);
    std::uint64_t writes = bench::arg_or(argc, argv, 3, 1'000'000);

    bench::SocketRing ring(pipes);
    eddy::IOLoop loop;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        loop.add_handler(
            ring.read_fd(i),
            [&ring, &loop, i](int, std::uint32_t) {
                if (ring.on_readable(i)) loop.stop();
            },
            eddy::IOLoop::READ);
    }

    bench::measure_dispatch("eddy", ring, active, writes, [&] { loop.start(); });

    for (std::size_t i = 0; i < ring.size(); ++i) loop.remove_handler(ring.read_fd(i));
}

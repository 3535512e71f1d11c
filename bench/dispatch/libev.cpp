// Dispatch workload on libev: one ev_io per read end, started once (ev_io is
// persistent and level-triggered), the loop left with ev_break when done.
#include <ev.h>

#include <memory>

#include "support/socket_ring.hpp"

namespace {

bench::SocketRing* ring;

// ev_io's `data` field carries the pair index.
void on_read(struct ev_loop* loop, ev_io* w, int) {
    if (ring->on_readable(std::size_t(reinterpret_cast<std::uintptr_t>(w->data))))
        ev_break(loop, EVBREAK_ONE);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t pipes = bench::arg_or(argc, argv, 1, 1000);
    std::size_t active = bench::arg_or(argc, argv, 2, 100);
    std::uint64_t writes = bench::arg_or(argc, argv, 3, 1'000'000);

    bench::SocketRing the_ring(pipes);
    ring = &the_ring;
    // EVBACKEND_EPOLL explicitly: every peer in this table runs on epoll.
    struct ev_loop* loop = ev_loop_new(EVBACKEND_EPOLL);
    std::vector<ev_io> watchers(ring->size());
    for (std::size_t i = 0; i < ring->size(); ++i) {
        ev_io_init(&watchers[i], on_read, ring->read_fd(i), EV_READ);
        watchers[i].data = reinterpret_cast<void*>(std::uintptr_t(i));
        ev_io_start(loop, &watchers[i]);
    }

    bench::measure_dispatch("libev", *ring, active, writes, [&] { ev_run(loop, 0); });

    for (auto& w : watchers) ev_io_stop(loop, &w);
    ev_loop_destroy(loop);
}

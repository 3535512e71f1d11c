// The floor for the dispatch workload: the same ring on bare epoll_wait, with
// no library at all. Level-triggered and registered once (persistent), which
// is what libev, libevent and libuv do for the same workload, so the gap
// between this and a peer is that peer's own overhead.
#include <sys/epoll.h>

#include "support/socket_ring.hpp"

int main(int argc, char** argv) {
    std::size_t pipes = bench::arg_or(argc, argv, 1, 1000);
    std::size_t active = bench::arg_or(argc, argv, 2, 100);
    std::uint64_t writes = bench::arg_or(argc, argv, 3, 1'000'000);

    bench::SocketRing ring(pipes);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < ring.size(); ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        bench::check(epoll_ctl(ep, EPOLL_CTL_ADD, ring.read_fd(i), &ev) == 0, "epoll_ctl");
    }

    // 1024 slots, as libuv uses; more than `active` ready fds never exist at once.
    std::vector<epoll_event> ready(1024);
    bench::measure_dispatch("epoll", ring, active, writes, [&] {
        while (!ring.done()) {
            int n = epoll_wait(ep, ready.data(), int(ready.size()), -1);
            for (int k = 0; k < n; ++k) ring.on_readable(std::size_t(ready[k].data.u64));
        }
    });
    close(ep);
}

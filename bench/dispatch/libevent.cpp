// Dispatch workload on libevent: one EV_READ|EV_PERSIST event per read end,
// added once, and event_base_loopbreak when done. This is the workload
// libevent's own test/bench.c measures.
#include <event2/event.h>

#include "support/socket_ring.hpp"

namespace {

bench::SocketRing* ring;

struct Slot {
    event* ev;
    event_base* base;
    std::size_t index;
};

void on_read(evutil_socket_t, short, void* arg) {
    auto* slot = static_cast<Slot*>(arg);
    if (ring->on_readable(slot->index)) event_base_loopbreak(slot->base);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t pipes = bench::arg_or(argc, argv, 1, 1000);
    std::size_t active = bench::arg_or(argc, argv, 2, 100);
    std::uint64_t writes = bench::arg_or(argc, argv, 3, 1'000'000);

    bench::SocketRing the_ring(pipes);
    ring = &the_ring;
    // Force epoll (it is also the default here) so the table compares like with like.
    event_config* cfg = event_config_new();
    event_config_avoid_method(cfg, "poll");
    event_config_avoid_method(cfg, "select");
    event_base* base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    bench::check(std::string(event_base_get_method(base)) == "epoll", "libevent uses epoll");

    std::vector<Slot> slots(ring->size());
    for (std::size_t i = 0; i < ring->size(); ++i) {
        slots[i] = {nullptr, base, i};
        slots[i].ev = event_new(base, ring->read_fd(i), EV_READ | EV_PERSIST, on_read, &slots[i]);
        event_add(slots[i].ev, nullptr);
    }

    bench::measure_dispatch("libevent", *ring, active, writes, [&] { event_base_dispatch(base); });

    for (auto& slot : slots) event_free(slot.ev);
    event_base_free(base);
}

// Timer precision on libev: an ev_timer re-armed from its callback with
// ev_timer_set + ev_timer_start. libev measures the delay from ev_now, the
// loop's time cached at the start of the iteration, not from the real now.
#include <ev.h>

#include "support/lateness.hpp"

namespace {

void on_timer(struct ev_loop* loop, ev_timer* timer, int) {
    auto* probe = static_cast<bench::LatenessProbe*>(timer->data);
    if (!probe->fired()) return;
    probe->armed();
    ev_timer_set(timer, double(probe->delay().count()) * 1e-3, 0.);
    ev_timer_start(loop, timer);
}

void measure(bench::LatenessProbe& probe) {
    struct ev_loop* loop = ev_loop_new(EVBACKEND_EPOLL);
    ev_timer timer;
    ev_timer_init(&timer, on_timer, double(probe.delay().count()) * 1e-3, 0.);
    timer.data = &probe;
    ev_now_update(loop);
    probe.armed();
    ev_timer_start(loop, &timer);
    ev_run(loop, 0);
    ev_loop_destroy(loop);
}

}  // namespace

int main(int argc, char** argv) { return bench::lateness_main("libev", argc, argv, measure); }

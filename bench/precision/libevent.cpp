// Timer precision on libevent: one timer event re-added from its callback with
// evtimer_add and a struct timeval. Measured twice: impl=libevent is the
// default base, whose clock is CLOCK_MONOTONIC_COARSE (jiffy resolution, so
// timers run late by up to a tick); impl=libevent-precise sets
// EVENT_BASE_FLAG_PRECISE_TIMER, which makes it read CLOCK_MONOTONIC.
#include <event2/event.h>

#include "support/lateness.hpp"

namespace {

struct Context {
    bench::LatenessProbe* probe;
    event* timer;
    timeval delay;
};

void on_timer(evutil_socket_t, short, void* arg) {
    auto* c = static_cast<Context*>(arg);
    if (!c->probe->fired()) return;
    c->probe->armed();
    evtimer_add(c->timer, &c->delay);
}

template <bool precise>
void measure(bench::LatenessProbe& probe) {
    event_config* cfg = event_config_new();
    if (precise) event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    event_base* base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    auto ms = probe.delay().count();
    Context c{&probe, nullptr, timeval{time_t(ms / 1000), suseconds_t(ms % 1000 * 1000)}};
    c.timer = evtimer_new(base, on_timer, &c);
    probe.armed();
    evtimer_add(c.timer, &c.delay);
    event_base_dispatch(base);
    event_free(c.timer);
    event_base_free(base);
}

}  // namespace

int main(int argc, char** argv) {
    bench::lateness_main("libevent", argc, argv, measure<false>);
    return bench::lateness_main("libevent-precise", argc, argv, measure<true>);
}

// Callback workloads on libevent.
//   chain (impl=libevent): event_active on one pre-assigned event with no fd,
//            re-activated from its own callback: a post without allocation.
//   chain (impl=libevent-once): event_base_once with a zero timeout, which
//            libevent activates at once without touching the timer heap; it
//            mallocs and frees its event for every post.
//   Both chains run on a base created before evthread_use_pthreads(), i.e.
//   without locks, as a single-threaded libevent program would.
//   xthread: event_base_once with a zero timeout is libevent's thread-safe
//            "post a closure" (after evthread_use_pthreads(): the base locks
//            and wakes itself through an eventfd), so the poster calls it
//            directly; unlike ev_async/uv_async it queues, never coalesces.
//   latency: the same path, one timestamp at a time, both threads on CPU 0.
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include "support/cross_thread.hpp"

namespace {

constexpr timeval now_tv{0, 0};
event_base* base;
std::uint64_t links_left;
std::uint64_t jobs_done, jobs_expected;
bench::LatencyProbe* probe;

void on_active_link(evutil_socket_t, short, void* self) {
    if (--links_left > 0) event_active(static_cast<event*>(self), EV_TIMEOUT, 1);
}

void on_once_link(evutil_socket_t, short, void*) {
    if (--links_left > 0) event_base_once(base, -1, EV_TIMEOUT, on_once_link, nullptr, &now_tv);
}

// Runs one chain of n links; `start` posts the first one.
template <class Start>
void measure_chain(const char* impl, std::uint64_t n, Start start) {
    base = event_base_new();
    links_left = n;
    bench::Stopwatch sw;
    start();
    event_base_dispatch(base);
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    bench::check(links_left == 0, "whole chain ran");
    bench::report_per_op("callbacks_chain", impl, "", n, wall, cpu);
    event_base_free(base);
}

void count_job(evutil_socket_t, short, void*) {
    if (++jobs_done == jobs_expected) event_base_loopbreak(base);
}

void record_job(evutil_socket_t, short, void* posted_ns) {
    probe->record(std::uint64_t(reinterpret_cast<std::uintptr_t>(posted_ns)));
    if (probe->complete()) event_base_loopbreak(base);
}

void post(event_callback_fn fn, std::uint64_t arg) {
    event_base_once(base, -1, EV_TIMEOUT, fn, reinterpret_cast<void*>(std::uintptr_t(arg)), &now_tv);
}

void measure_xthread(std::uint64_t n) {
    base = event_base_new();
    jobs_done = 0;
    jobs_expected = n;
    bench::Stopwatch sw;
    std::thread poster([n] {
        for (std::uint64_t i = 0; i < n; ++i) post(count_job, i);
    });
    // NO_EXIT_ON_EMPTY: the base has no events until the poster's first post.
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    poster.join();
    bench::report_per_op("callbacks_xthread", "libevent", "", n, wall, cpu);
    event_base_free(base);
}

void measure_latency(std::uint64_t n) {
    bench::LatencyProbe the_probe(n);
    probe = &the_probe;
    bench::pin_to_cpu(0);
    base = event_base_new();
    std::thread poster = bench::start_timestamp_poster(n, [](std::uint64_t ts) { post(record_job, ts); });
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    poster.join();
    event_base_free(base);
    probe->report("libevent");
}

}  // namespace

int main(int argc, char** argv) {
    bench::CallbackSizes sizes(argc, argv);
    event a_link;
    measure_chain("libevent", sizes.chain, [&] {
        event_assign(&a_link, base, -1, 0, on_active_link, &a_link);
        event_active(&a_link, EV_TIMEOUT, 1);
    });
    measure_chain("libevent-once", sizes.chain, [] {
        event_base_once(base, -1, EV_TIMEOUT, on_once_link, nullptr, &now_tv);
    });
    bench::check(evthread_use_pthreads() == 0, "evthread_use_pthreads");
    measure_xthread(sizes.xthread);
    measure_latency(sizes.latency);
}

// Callback workloads on libev.
//   chain:   libev has no "post a closure"; the closest idiom is ev_feed_event,
//            which makes a watcher pending without any fd or timer behind it.
//            Each callback feeds its own (never started) ev_idle watcher again.
//            Fed events run in the same ev_invoke_pending pass, so the chain
//            does not go through the poller between links.
//   xthread: ev_async_send is thread-safe but coalesces, so a second thread
//            posts through the mutex-protected JobQueue + ev_async_send, the
//            pattern libev's manual gives for this.
//   latency: the same path, one timestamp at a time, both threads on CPU 0.
#include <ev.h>

#include "support/cross_thread.hpp"

namespace {

struct ev_loop* loop;
std::uint64_t links_left;
bench::JobQueue queue;
ev_async wakeup;
std::uint64_t jobs_done, jobs_expected;
bench::LatencyProbe* probe;

void on_link(struct ev_loop* l, ev_idle* w, int) {
    if (--links_left > 0) ev_feed_event(l, w, EV_CUSTOM);
}

void measure_chain(std::uint64_t n) {
    loop = ev_loop_new(EVBACKEND_EPOLL);
    ev_idle link;
    ev_idle_init(&link, on_link);
    links_left = n;
    bench::Stopwatch sw;
    ev_feed_event(loop, &link, EV_CUSTOM);
    ev_run(loop, 0);
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    bench::check(links_left == 0, "whole chain ran");
    bench::report_per_op("callbacks_chain", "libev", "", n, wall, cpu);
    ev_loop_destroy(loop);
}

void on_wakeup(struct ev_loop*, ev_async*, int) { queue.run_all(); }

void post(bench::Job job) {
    queue.push(job);
    ev_async_send(loop, &wakeup);
}

void count_job(std::uint64_t) {
    if (++jobs_done == jobs_expected) ev_break(loop, EVBREAK_ONE);
}

void record_job(std::uint64_t posted_ns) {
    probe->record(posted_ns);
    if (probe->complete()) ev_break(loop, EVBREAK_ONE);
}

// Runs the loop with the async watcher started until a job breaks it.
template <class Body>
void with_async_loop(Body body) {
    loop = ev_loop_new(EVBACKEND_EPOLL);
    ev_async_init(&wakeup, on_wakeup);
    ev_async_start(loop, &wakeup);
    body();
    ev_async_stop(loop, &wakeup);
    ev_loop_destroy(loop);
}

void measure_xthread(std::uint64_t n) {
    with_async_loop([n] {
        jobs_done = 0;
        jobs_expected = n;
        bench::Stopwatch sw;
        std::thread poster([n] {
            for (std::uint64_t i = 0; i < n; ++i) post({count_job, i});
        });
        ev_run(loop, 0);
        double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
        poster.join();
        bench::report_per_op("callbacks_xthread", "libev", "", n, wall, cpu);
    });
}

void measure_latency(std::uint64_t n) {
    bench::LatencyProbe the_probe(n);
    probe = &the_probe;
    bench::pin_to_cpu(0);
    with_async_loop([n] {
        std::thread poster = bench::start_timestamp_poster(n, [](std::uint64_t ts) { post({record_job, ts}); });
        ev_run(loop, 0);
        poster.join();
    });
    probe->report("libev");
}

}  // namespace

int main(int argc, char** argv) {
    bench::CallbackSizes sizes(argc, argv);
    measure_chain(sizes.chain);
    measure_xthread(sizes.xthread);
    measure_latency(sizes.latency);
}

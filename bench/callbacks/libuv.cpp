// Callback workloads on libuv.
//   chain (impl=libuv): libuv has no "post a closure"; the idiom for "run this
//            on the next loop iteration" (Node's setImmediate) is an idle
//            handle: each callback stops and restarts the uv_idle_t, so every
//            link is one full loop iteration, as with Tornado's add_callback.
//            libuv skips the poll syscall while no fd is registered.
//   chain (impl=libuv-timer0): the other common idiom, a one-shot uv_timer
//            with timeout 0 restarted from its own callback. In libuv 1.44 the
//            restarted timer is due at once and runs in the same timer phase.
//   xthread: uv_async_send is thread-safe but coalesces, so a second thread
//            posts through the mutex-protected JobQueue + uv_async_send.
//   latency: the same path, one timestamp at a time, both threads on CPU 0.
#include <uv.h>

#include "support/cross_thread.hpp"

namespace {

uv_loop_t loop;
std::uint64_t links_left;
bench::JobQueue queue;
uv_async_t wakeup;
std::uint64_t jobs_done, jobs_expected;
bench::LatencyProbe* probe;

void on_idle_link(uv_idle_t* idle) {
    uv_idle_stop(idle);
    if (--links_left > 0) uv_idle_start(idle, on_idle_link);
}

void on_timer_link(uv_timer_t* timer) {
    if (--links_left > 0) uv_timer_start(timer, on_timer_link, 0, 0);
}

// Runs one chain of n links; `start` arms the first link on `handle`.
template <class Handle, class Start>
void measure_chain(const char* impl, std::uint64_t n, Start start) {
    uv_loop_init(&loop);
    Handle handle;
    links_left = n;
    bench::Stopwatch sw;
    start(&handle);
    uv_run(&loop, UV_RUN_DEFAULT);
    double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
    bench::check(links_left == 0, "whole chain ran");
    bench::report_per_op("callbacks_chain", impl, "", n, wall, cpu);
    uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

void on_wakeup(uv_async_t*) { queue.run_all(); }

void post(bench::Job job) {
    queue.push(job);
    uv_async_send(&wakeup);
}

// uv_stop, not uv_close(&wakeup): the poster may still be inside its last
// uv_async_send when the last job runs, so the handle is closed after join().
void count_job(std::uint64_t) {
    if (++jobs_done == jobs_expected) uv_stop(&loop);
}

void record_job(std::uint64_t posted_ns) {
    probe->record(posted_ns);
    if (probe->complete()) uv_stop(&loop);
}

// `body` runs the loop and joins its poster thread.
template <class Body>
void with_async_loop(Body body) {
    uv_loop_init(&loop);
    uv_async_init(&loop, &wakeup, on_wakeup);
    body();
    uv_close(reinterpret_cast<uv_handle_t*>(&wakeup), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

void measure_xthread(std::uint64_t n) {
    with_async_loop([n] {
        jobs_done = 0;
        jobs_expected = n;
        bench::Stopwatch sw;
        std::thread poster([n] {
            for (std::uint64_t i = 0; i < n; ++i) post({count_job, i});
        });
        uv_run(&loop, UV_RUN_DEFAULT);
        double wall = sw.wall_ns(), cpu = sw.cpu_used_ns();
        poster.join();
        bench::report_per_op("callbacks_xthread", "libuv", "", n, wall, cpu);
    });
}

void measure_latency(std::uint64_t n) {
    bench::LatencyProbe the_probe(n);
    probe = &the_probe;
    bench::pin_to_cpu(0);
    with_async_loop([n] {
        std::thread poster = bench::start_timestamp_poster(n, [](std::uint64_t ts) { post({record_job, ts}); });
        uv_run(&loop, UV_RUN_DEFAULT);
        poster.join();
    });
    probe->report("libuv");
}

}  // namespace

int main(int argc, char** argv) {
    bench::CallbackSizes sizes(argc, argv);
    measure_chain<uv_idle_t>("libuv", sizes.chain, [](uv_idle_t* idle) {
        uv_idle_init(&loop, idle);
        uv_idle_start(idle, on_idle_link);
    });
    measure_chain<uv_timer_t>("libuv-timer0", sizes.chain, [](uv_timer_t* timer) {
        uv_timer_init(&loop, timer);
        uv_timer_start(timer, on_timer_link, 0, 0);
    });
    measure_xthread(sizes.xthread);
    measure_latency(sizes.latency);
}

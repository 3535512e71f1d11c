// Timer precision on libuv: a uv_timer_t re-armed from its callback with
// uv_timer_start. libuv counts whole milliseconds from uv_now, the loop's
// time cached (and truncated to a millisecond) at the start of the iteration.
#include <uv.h>

#include "support/lateness.hpp"

namespace {

void on_timer(uv_timer_t* timer) {
    auto* probe = static_cast<bench::LatenessProbe*>(timer->data);
    if (!probe->fired()) return;
    probe->armed();
    uv_timer_start(timer, on_timer, std::uint64_t(probe->delay().count()), 0);
}

void measure(bench::LatenessProbe& probe) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_t timer;
    uv_timer_init(&loop, &timer);
    timer.data = &probe;
    uv_update_time(&loop);
    probe.armed();
    uv_timer_start(&timer, on_timer, std::uint64_t(probe.delay().count()), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

}  // namespace

int main(int argc, char** argv) { return bench::lateness_main("libuv", argc, argv, measure); }

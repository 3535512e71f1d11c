// Timer workload on libuv: caller-owned uv_timer_t handles, uv_timer_start
// with a relative timeout in whole milliseconds (libuv's resolution; offsets
// are truncated, so many deadlines tie) measured from the cached uv_now,
// uv_timer_stop to cancel. uv_run returns once no handle is active. Handles
// must be uv_close'd before their memory goes; that happens untimed.
#include <uv.h>

#include "support/timer_workload.hpp"

namespace {

std::uint64_t fired_count;

void on_timer(uv_timer_t*) { ++fired_count; }

class LibuvTimers {
public:
    explicit LibuvTimers(std::size_t n) : timers_(n) {
        uv_loop_init(&loop_);
        for (auto& t : timers_) uv_timer_init(&loop_, &t);
        fired_count = 0;
    }
    ~LibuvTimers() {
        for (auto& t : timers_) uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
        uv_run(&loop_, UV_RUN_DEFAULT);
        uv_loop_close(&loop_);
    }

    void begin() { uv_update_time(&loop_); }
    void schedule(std::size_t i, std::uint64_t offset_ns) {
        uv_timer_start(&timers_[i], on_timer, offset_ns / 1'000'000, 0);
    }
    void cancel(std::size_t i) { uv_timer_stop(&timers_[i]); }
    void run(std::uint64_t) { uv_run(&loop_, UV_RUN_DEFAULT); }
    std::uint64_t fired() const { return fired_count; }

private:
    uv_loop_t loop_;
    std::vector<uv_timer_t> timers_;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<LibuvTimers>("libuv", argc, argv); }

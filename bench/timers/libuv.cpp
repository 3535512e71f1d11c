// Timer workload on libuv: caller-owned uv_timer_t handles, uv_timer_start
// with a relative timeout in whole milliseconds (libuv's resolution; offsets
// are truncated, so many deadlines tie) measured from the cached uv_now,
// uv_timer_stop to cancel. uv_run returns once no handle is active. Handles
// must be uv_close'd before their memory goes; that happens untimed.
#include <uv.h>

#include "support/timer_user_case.hpp"

namespace {

std::uint64_t fired_count;

void on_timer(uv_timer_t*) { ++fired_count; }

class LibuvTimers {
    // Appends and initialises one handle.
    struct Make {
        uv_loop_t* loop;
        void operator()(std::deque<uv_timer_t>& timers) const { uv_timer_init(loop, &timers.emplace_back()); }
    };
    Make make() { return Make{&loop_}; }

public:
    // libuv's heap is intrusive (in the handles), so `reserve` makes and
    // initialises the handles; without it timer i's is made when first used.
    LibuvTimers(std::size_t n, bool reserve) : init_(&loop_), timers_(n, reserve, make()) {}
    ~LibuvTimers() {
        for (auto& t : timers_.all()) uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
        uv_run(&loop_, UV_RUN_DEFAULT);
        uv_loop_close(&loop_);
    }

    void begin() {
        uv_update_time(&loop_);
        fired_count = 0;
    }
    void schedule(std::size_t i, std::uint64_t offset_ns) {
        uv_timer_start(&timers_.get(i, make()), on_timer, offset_ns / 1'000'000, 0);
    }
    void cancel(std::size_t i) { uv_timer_stop(&timers_[i]); }
    void run(std::uint64_t) { uv_run(&loop_, UV_RUN_DEFAULT); }
    std::uint64_t fired() const { return fired_count; }

private:
    // The loop comes first: handles are initialised against it.
    struct LoopInit {
        explicit LoopInit(uv_loop_t* loop) { uv_loop_init(loop); }
    };

    uv_loop_t loop_;
    LoopInit init_;
    bench::PerTimer<uv_timer_t> timers_;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<LibuvTimers>("libuv", argc, argv); }

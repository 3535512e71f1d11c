// Timer workload on Asio: one asio::steady_timer per timer, expires_at(start +
// offset) then async_wait (which allocates the wait operation: Asio's
// recycling allocator only caches a few), cancel() to cancel. A cancelled
// wait still completes, with operation_aborted: Asio's idiom, and part of the
// churn cost. run() returns when no work is left. io_context(1): one thread.
#include <asio.hpp>

#include "support/timer_user_case.hpp"

namespace {

class AsioTimers {
    // Appends one timer.
    struct Make {
        asio::io_context* ctx;
        void operator()(std::deque<asio::steady_timer>& timers) const { timers.emplace_back(*ctx); }
    };
    Make make() { return Make{&ctx_}; }

public:
    // Asio has no call to preallocate its timer queue; `reserve` makes the
    // timers; without it timer i's is made when first used.
    AsioTimers(std::size_t n, bool reserve) : ctx_(1), timers_(n, reserve, make()) {}

    void begin() {
        start_ = asio::steady_timer::clock_type::now();
        fired_ = 0;
    }
    void schedule(std::size_t i, std::uint64_t offset_ns) {
        asio::steady_timer& timer = timers_.get(i, make());
        timer.expires_at(start_ + std::chrono::nanoseconds(offset_ns));
        timer.async_wait([this](const asio::error_code& ec) {
            if (!ec) ++fired_;
        });
    }
    void cancel(std::size_t i) { timers_[i].cancel(); }
    void run(std::uint64_t) {
        ctx_.restart();  // run() returned once before on a warm context
        ctx_.run();
    }
    std::uint64_t fired() const { return fired_; }

private:
    asio::io_context ctx_;
    bench::PerTimer<asio::steady_timer> timers_;
    asio::steady_timer::time_point start_;
    std::uint64_t fired_ = 0;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<AsioTimers>("asio", argc, argv); }

// Timer workload on Asio: one asio::steady_timer per timer, expires_at(start +
// offset) then async_wait (which allocates the wait operation: Asio's
// recycling allocator only caches a few), cancel() to cancel. A cancelled
// wait still completes, with operation_aborted: Asio's idiom, and part of the
// churn cost. run() returns when no work is left. io_context(1): one thread.
#include <asio.hpp>

#include "support/timer_workload.hpp"

namespace {

class AsioTimers {
public:
    explicit AsioTimers(std::size_t n) : ctx_(1) {
        timers_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) timers_.emplace_back(ctx_);
    }

    void begin() { start_ = asio::steady_timer::clock_type::now(); }
    void schedule(std::size_t i, std::uint64_t offset_ns) {
        timers_[i].expires_at(start_ + std::chrono::nanoseconds(offset_ns));
        timers_[i].async_wait([this](const asio::error_code& ec) {
            if (!ec) ++fired_;
        });
    }
    void cancel(std::size_t i) { timers_[i].cancel(); }
    void run(std::uint64_t) { ctx_.run(); }
    std::uint64_t fired() const { return fired_; }

private:
    asio::io_context ctx_;
    std::vector<asio::steady_timer> timers_;
    asio::steady_timer::time_point start_;
    std::uint64_t fired_ = 0;
};

}  // namespace

int main(int argc, char** argv) { return bench::timer_main<AsioTimers>("asio", argc, argv); }
